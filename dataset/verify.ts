import { createHash } from "crypto";
import { addAbortSignal } from "stream";
import { DatasetFile } from "./source";
import { DatasetError, InterruptedError, describe, signalName } from "./errors";
import { forEachLimited } from "./pool";

/** A source file whose bytes were read in full and checked; sha256 is what they hash to. */
export interface VerifiedFile extends DatasetFile {
    sha256: string;
}

export interface VerifyOptions {
    /** Files read at once. */
    concurrency: number;
    signal?: AbortSignal;
    onProgress?: (filesDone: number, bytesDone: number) => void;
}

/**
 * The first pass: reads every file of the source once, before anything is sent. Each zip entry's
 * stream checks its size and CRC-32 (see zip-source.ts), each file its size, and each gets its
 * SHA-256, which decides what to upload and goes into the manifest. The first damaged or unreadable
 * file refuses the whole source, naming the file: a bad archive never leaves part of itself stored.
 */
export async function verifyFiles(files: readonly DatasetFile[], options: VerifyOptions): Promise<VerifiedFile[]> {
    const { signal } = options;
    const sha256 = new Array<string>(files.length);
    let filesDone = 0;
    let bytesDone = 0;
    const verifyOne = async (file: DatasetFile, index: number) => {
        const hash = createHash("sha256");
        let size = 0;
        try {
            const stream = await file.open();
            if (signal) addAbortSignal(signal, stream);
            for await (const chunk of stream) {
                hash.update(chunk as Buffer);
                size += (chunk as Buffer).length;
                bytesDone += (chunk as Buffer).length;
                options.onProgress?.(filesDone, bytesDone);
            }
        } catch (err) {
            throw err instanceof DatasetError || signal?.aborted ? err : new DatasetError(`cannot read ${file.key}: ${describe(err)}`);
        }
        if (size !== file.size) {
            throw new DatasetError(`cannot read ${file.key}: expected ${file.size} bytes, read ${size} (did it change while being read?)`);
        }
        sha256[index] = hash.digest("hex");
        filesDone++;
        options.onProgress?.(filesDone, bytesDone);
    };
    try {
        await forEachLimited(files, options.concurrency, verifyOne, signal);
    } catch (err) {
        if (!signal?.aborted) throw new DatasetError(`${describe(err)}; the source is refused and nothing was uploaded`);
    }
    if (signal?.aborted) {
        throw new InterruptedError(signalName(signal),
            `interrupted (${signalName(signal)}) while verifying the source (${filesDone} of ${files.length} files checked); nothing was uploaded`);
    }
    return files.map((file, index) => ({ ...file, sha256: sha256[index] }));
}
