import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { Readable } from "stream";
import { DatasetError, InterruptedError, describe, signalName } from "./errors";
import { checkSha256, hexToBase64, sha256Hex } from "./integrity";
import { splitOf } from "./layout";
import { MANIFEST_NAME } from "./manifest";
import { forEachLimited } from "./pool";
import { SHA256_METADATA, describeS3Error, readStoredSha256 } from "./s3";
import { VerifiedFile } from "./verify";

/** What the bucket holds under a key: its size from the listing, its SHA-256 when it was read. */
export interface RemoteObject {
    size: number;
    sha256?: string;
}

export interface UploadPlan {
    toUpload: VerifiedFile[];
    /** Already in the bucket under the same key with the same size and SHA-256. */
    skipped: VerifiedFile[];
    bytesToUpload: number;
    bytesSkipped: number;
}

/**
 * Resumption and change detection by content: an object already under `prefix + key` with the
 * file's size and SHA-256 is taken as uploaded; any other is uploaded (again). A failed or
 * interrupted upload leaves no object, since single PUTs are atomic and multipart uploads only
 * become an object when completed. `force` uploads everything.
 */
export function planUploads(files: readonly VerifiedFile[], remote: ReadonlyMap<string, RemoteObject>, prefix: string, force = false): UploadPlan {
    const plan: UploadPlan = { toUpload: [], skipped: [], bytesToUpload: 0, bytesSkipped: 0 };
    for (const f of files) {
        const there = remote.get(prefix + f.key);
        if (!force && there !== undefined && there.size === f.size && there.sha256 === f.sha256) {
            plan.skipped.push(f);
            plan.bytesSkipped += f.size;
        } else {
            plan.toUpload.push(f);
            plan.bytesToUpload += f.size;
        }
    }
    return plan;
}

export interface Extraneous {
    /** Under the prefix's train/, valid/ or test/: the training jobs would read them as data. */
    inSplits: string[];
    /** Elsewhere under the prefix (not the manifest): train.py never reads them. */
    elsewhere: string[];
}

/** Objects under the prefix that the source does not have, by where they are (full keys, sorted). */
export function findExtraneous(sourceKeys: readonly string[], existingKeys: Iterable<string>, prefix: string): Extraneous {
    const wanted = new Set(sourceKeys.map(k => prefix + k));
    wanted.add(prefix + MANIFEST_NAME);
    const extra = [...existingKeys].filter(k => !wanted.has(k)).sort();
    const inSplits = extra.filter(k => k.startsWith(prefix) && splitOf(k.slice(prefix.length)) !== undefined);
    return { inSplits, elsewhere: extra.filter(k => !inSplits.includes(k)) };
}

export interface CompareOptions {
    client: S3Client;
    bucket: string;
    prefix: string;
    concurrency: number;
    signal?: AbortSignal;
    onProgress?: (checked: number, total: number) => void;
}

/**
 * The remote side of the plan: every listed object with its size, and the stored SHA-256 of each
 * one whose size matches its source file (a different size is a change without asking).
 */
export async function readRemoteObjects(files: readonly VerifiedFile[], sizes: ReadonlyMap<string, number>, options: CompareOptions): Promise<Map<string, RemoteObject>> {
    const remote = new Map<string, RemoteObject>([...sizes].map(([key, size]) => [key, { size }]));
    const candidates = files.filter(f => sizes.get(options.prefix + f.key) === f.size).map(f => options.prefix + f.key);
    let checked = 0;
    try {
        await forEachLimited(candidates, options.concurrency, async key => {
            remote.get(key)!.sha256 = await readStoredSha256(options.client, options.bucket, key, options.signal);
            options.onProgress?.(++checked, candidates.length);
        }, options.signal);
    } catch (err) {
        if (!options.signal?.aborted) throw err;
    }
    if (options.signal?.aborted) {
        const name = signalName(options.signal);
        throw new InterruptedError(name, `interrupted (${name}) while comparing with the bucket (${checked} of ${candidates.length} objects checked); nothing was uploaded`);
    }
    return remote;
}

const CONTENT_TYPES: Record<string, string> = {
    jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", gif: "image/gif", bmp: "image/bmp",
    webp: "image/webp", tif: "image/tiff", tiff: "image/tiff", json: "application/json",
    txt: "text/plain; charset=utf-8", csv: "text/csv; charset=utf-8",
};

export function contentTypeFor(key: string): string {
    const ext = /\.([^./]+)$/.exec(key)?.[1]?.toLowerCase();
    return (ext && CONTENT_TYPES[ext]) || "application/octet-stream";
}

export interface UploadOptions {
    client: S3Client;
    bucket: string;
    prefix: string;
    /** Objects in flight at once. */
    concurrency: number;
    /** Files larger than this go through multipart upload in parts of this size (>= 5 MiB). */
    partSizeBytes: number;
    /** Parts of one multipart object in flight at once (default 4). */
    partsInFlight?: number;
    /**
     * Stops the run: no new upload starts, single PUTs in flight finish (so the count of files done
     * is exact), multipart uploads in flight are aborted.
     */
    signal?: AbortSignal;
    /** Bytes of the current batch that reached S3 so far (completed files plus parts in flight). */
    onProgress?: (filesDone: number, bytesDone: number) => void;
}

export interface UploadResult {
    files: number;
    bytes: number;
    /** How many of them went through multipart upload. */
    multipart: number;
}

/**
 * Uploads files with bounded concurrency. The first failure stops new uploads (those in flight
 * finish) and is rethrown naming the object and saying how many files were uploaded and how many
 * remain; an interrupt does the same with an InterruptedError. A rerun resumes where this one stopped.
 */
export async function uploadFiles(files: readonly VerifiedFile[], options: UploadOptions): Promise<UploadResult> {
    const result: UploadResult = { files: 0, bytes: 0, multipart: 0 };
    const inFlight = new Map<VerifiedFile, number>();

    const report = () => {
        let partial = 0;
        for (const loaded of inFlight.values()) partial += loaded;
        options.onProgress?.(result.files, result.bytes + partial);
    };

    const uploadNext = async (file: VerifiedFile) => {
        inFlight.set(file, 0);
        try {
            const multipart = await uploadObject(file, options, loaded => {
                inFlight.set(file, loaded);
                report();
            });
            result.files++;
            result.bytes += file.size;
            if (multipart) result.multipart++;
        } catch (err) {
            throw err instanceof DatasetError ? err
                : new DatasetError(`upload of s3://${options.bucket}/${options.prefix}${file.key} failed: ${describeS3Error(err, options.bucket)}`);
        } finally {
            inFlight.delete(file);
            report();
        }
    };

    const progress = () => `${result.files} of ${files.length} files uploaded, ${files.length - result.files} remain`;
    let failure: unknown;
    try {
        await forEachLimited(files, options.concurrency, uploadNext, options.signal);
    } catch (err) {
        failure = err;
    }
    if (options.signal?.aborted) {
        const name = signalName(options.signal);
        throw new InterruptedError(name, `interrupted (${name}): ${progress()}; run the same command again to resume (what is there is not uploaded again)`);
    }
    if (failure !== undefined) throw new DatasetError(`${describe(failure)} (${progress()}; rerun to resume)`);
    return result;
}

/**
 * Stores one verified file as `prefix + key`, with its SHA-256 as a checksum that S3 checks on
 * arrival (ChecksumSHA256; per part for multipart uploads) and as `sha256` metadata. The bytes are
 * hashed again on the way: a file that changed since it was verified is not stored. Returns whether
 * the file went through multipart upload.
 */
export async function uploadObject(file: VerifiedFile, options: UploadOptions, onLoaded: (bytes: number) => void = () => undefined): Promise<boolean> {
    const Key = options.prefix + file.key;
    const ContentType = contentTypeFor(file.key);
    const Metadata = { [SHA256_METADATA]: file.sha256 };
    const changed = (problem: string) => new DatasetError(`${file.key} changed since it was verified (${problem}); it was not stored`);
    const stream = await file.open();
    if (file.size <= options.partSizeBytes) {
        // Small objects (nearly all images): one PUT of a buffer, checked before it is sent.
        const Body = await readAll(stream, file);
        const sha256 = sha256Hex(Body);
        if (sha256 !== file.sha256) throw changed(`SHA-256 ${sha256}, ${file.sha256} when verified`);
        await options.client.send(new PutObjectCommand({
            Bucket: options.bucket, Key, Body, ContentType, ContentLength: Body.length, Metadata,
            ChecksumAlgorithm: "SHA256", ChecksumSHA256: hexToBase64(file.sha256),
        }));
        onLoaded(Body.length);
        return false;
    }
    // The last part is only sent, and the upload only completed, once the stream ends, which the
    // check fails when the bytes differ from the verified ones: the upload is then aborted.
    const body = checkSha256(stream, file, changed);
    const upload = new Upload({
        client: options.client,
        params: { Bucket: options.bucket, Key, Body: body, ContentType, ContentLength: file.size, Metadata, ChecksumAlgorithm: "SHA256" },
        partSize: options.partSizeBytes,
        queueSize: options.partsInFlight ?? 4,
        // On failure lib-storage aborts the multipart upload, so no orphaned parts are billed.
        leavePartsOnError: false,
    });
    upload.on("httpUploadProgress", p => {
        if (p.loaded !== undefined) onLoaded(p.loaded);
    });
    const abort = () => void upload.abort();
    options.signal?.addEventListener("abort", abort);
    try {
        await upload.done();
    } catch (err) {
        // The stream's own error (a changed file, a damaged zip entry) says more than lib-storage's.
        throw body.errored ?? err;
    } finally {
        options.signal?.removeEventListener("abort", abort);
        body.destroy();
    }
    return true;
}

async function readAll(stream: Readable, file: VerifiedFile): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let length = 0;
    try {
        for await (const chunk of stream) {
            chunks.push(chunk as Buffer);
            length += (chunk as Buffer).length;
        }
    } catch (err) {
        throw err instanceof DatasetError ? err : new DatasetError(`cannot read ${file.key}: ${describe(err)}`);
    }
    if (length !== file.size) {
        throw new DatasetError(`cannot read ${file.key}: expected ${file.size} bytes, read ${length} (did it change during the upload?)`);
    }
    return Buffer.concat(chunks, length);
}
