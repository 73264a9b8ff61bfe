import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { Readable } from "stream";
import { DatasetFile } from "./source";
import { DatasetError, describe } from "./errors";
import { describeS3Error } from "./s3";

export interface UploadPlan {
    toUpload: DatasetFile[];
    /** Already in the bucket under the same key with the same size. */
    skipped: DatasetFile[];
    bytesToUpload: number;
    bytesSkipped: number;
    /** Objects under the prefix that the source does not have; left alone, reported. */
    extraneous: string[];
}

/**
 * Resumption: an object already under `prefix + key` with the file's size is taken as uploaded.
 * (A failed or interrupted upload leaves no object, since single PUTs are atomic and multipart
 * uploads only become an object when completed.) `force` uploads everything.
 */
export function planUploads(files: readonly DatasetFile[], existing: ReadonlyMap<string, number>, prefix: string, force = false): UploadPlan {
    const plan: UploadPlan = { toUpload: [], skipped: [], bytesToUpload: 0, bytesSkipped: 0, extraneous: [] };
    const wanted = new Set<string>();
    for (const f of files) {
        const key = prefix + f.key;
        wanted.add(key);
        if (!force && existing.get(key) === f.size) {
            plan.skipped.push(f);
            plan.bytesSkipped += f.size;
        } else {
            plan.toUpload.push(f);
            plan.bytesToUpload += f.size;
        }
    }
    plan.extraneous = [...existing.keys()].filter(k => !wanted.has(k)).sort();
    return plan;
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
 * finish) and is rethrown naming the object: a rerun resumes where this one stopped.
 */
export async function uploadFiles(files: readonly DatasetFile[], options: UploadOptions): Promise<UploadResult> {
    const result: UploadResult = { files: 0, bytes: 0, multipart: 0 };
    const inFlight = new Map<DatasetFile, number>();
    let next = 0;
    let failure: unknown;

    const report = () => {
        let partial = 0;
        for (const loaded of inFlight.values()) partial += loaded;
        options.onProgress?.(result.files, result.bytes + partial);
    };

    const worker = async () => {
        while (failure === undefined && next < files.length) {
            const file = files[next++];
            inFlight.set(file, 0);
            try {
                const multipart = await uploadOne(file, options, loaded => {
                    inFlight.set(file, loaded);
                    report();
                });
                result.files++;
                result.bytes += file.size;
                if (multipart) result.multipart++;
            } catch (err) {
                failure ??= err instanceof DatasetError ? err
                    : new DatasetError(`upload of s3://${options.bucket}/${options.prefix}${file.key} failed: ${describeS3Error(err, options.bucket)}`);
            } finally {
                inFlight.delete(file);
                report();
            }
        }
    };
    const workers = Math.max(1, Math.min(options.concurrency, files.length));
    await Promise.all(Array.from({ length: workers }, worker));
    if (failure !== undefined) {
        const done = result.files > 0 ? ` (${result.files} uploaded before it; rerun to resume)` : "";
        throw new DatasetError(describe(failure) + done);
    }
    return result;
}

/** Returns whether the file went through multipart upload. */
async function uploadOne(file: DatasetFile, options: UploadOptions, onLoaded: (bytes: number) => void): Promise<boolean> {
    const Key = options.prefix + file.key;
    const ContentType = contentTypeFor(file.key);
    const stream = await file.open();
    if (file.size <= options.partSizeBytes) {
        // Small objects (nearly all images): one PUT of a buffer, so the SDK can checksum the body
        // without chunked encoding.
        const Body = await readAll(stream, file);
        await options.client.send(new PutObjectCommand({ Bucket: options.bucket, Key, Body, ContentType, ContentLength: Body.length }));
        onLoaded(Body.length);
        return false;
    }
    const upload = new Upload({
        client: options.client,
        params: { Bucket: options.bucket, Key, Body: stream, ContentType, ContentLength: file.size },
        partSize: options.partSizeBytes,
        queueSize: options.partsInFlight ?? 4,
        // On failure lib-storage aborts the multipart upload, so no orphaned parts are billed.
        leavePartsOnError: false,
    });
    upload.on("httpUploadProgress", p => {
        if (p.loaded !== undefined) onLoaded(p.loaded);
    });
    try {
        await upload.done();
    } finally {
        stream.destroy();
    }
    return true;
}

async function readAll(stream: Readable, file: DatasetFile): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let length = 0;
    try {
        for await (const chunk of stream) {
            chunks.push(chunk as Buffer);
            length += (chunk as Buffer).length;
        }
    } catch (err) {
        throw new DatasetError(`cannot read ${file.key}: ${describe(err)}`);
    }
    if (length !== file.size) {
        throw new DatasetError(`cannot read ${file.key}: expected ${file.size} bytes, read ${length} (did it change during the upload?)`);
    }
    return Buffer.concat(chunks, length);
}
