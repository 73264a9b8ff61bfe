import { createHash } from "crypto";
import { Readable, Transform } from "stream";
import * as zlib from "zlib";
import { describe } from "./errors";

/** SHA-256 as 64 lowercase hex digits: how the manifest and the objects' metadata write it. */
export function sha256Hex(data: Buffer | string): string {
    return createHash("sha256").update(data).digest("hex");
}

/** S3 takes and returns checksums base64-encoded (`x-amz-checksum-sha256`). */
export function hexToBase64(hex: string): string {
    return Buffer.from(hex, "hex").toString("base64");
}

export function base64ToHex(base64: string): string {
    return Buffer.from(base64, "base64").toString("hex");
}

export const SHA256_HEX = /^[0-9a-f]{64}$/;

function hex32(n: number): string {
    return "0x" + (n >>> 0).toString(16).padStart(8, "0");
}

/**
 * `source` piped through a check of what a zip's central directory promises for the entry: its
 * uncompressed size and CRC-32, computed here over the bytes as they stream (yauzl checks the size
 * but not the CRC). A mismatch fails the returned stream before its end, so a reader never sees a
 * damaged entry complete. `damaged` makes the error from a description of the problem (a read
 * error of `source`, such as yauzl's own size check or a bad deflate stream, included).
 */
export function checkSizeAndCrc32(source: Readable, expected: { size: number; crc32: number }, damaged: (problem: string) => Error): Readable {
    let size = 0;
    let crc = 0;
    const check = new Transform({
        transform(chunk: Buffer, _encoding, done) {
            size += chunk.length;
            if (size > expected.size) {
                done(damaged(`more than the ${expected.size} bytes the archive says`));
                return;
            }
            crc = zlib.crc32(chunk, crc);
            done(null, chunk);
        },
        flush(done) {
            if (size !== expected.size) done(damaged(`${size} bytes where the archive says ${expected.size}`));
            else if (crc >>> 0 !== expected.crc32 >>> 0) done(damaged(`CRC-32 ${hex32(crc)} where the archive says ${hex32(expected.crc32)}`));
            else done();
        },
    });
    return withSourceErrors(source, check, err => damaged(describe(err)));
}

/**
 * `source` piped through a SHA-256 of its bytes that must come out as `sha256` over exactly `size`
 * bytes; otherwise the returned stream fails before its end (a multipart upload reading it is then
 * aborted instead of completed). `changed` makes the error from a description of the difference.
 */
export function checkSha256(source: Readable, expected: { size: number; sha256: string }, changed: (problem: string) => Error): Readable {
    const hash = createHash("sha256");
    let size = 0;
    const check = new Transform({
        transform(chunk: Buffer, _encoding, done) {
            size += chunk.length;
            hash.update(chunk);
            done(null, chunk);
        },
        flush(done) {
            const sha256 = hash.digest("hex");
            if (size !== expected.size) done(changed(`${size} bytes, ${expected.size} when verified`));
            else if (sha256 !== expected.sha256) done(changed(`SHA-256 ${sha256}, ${expected.sha256} when verified`));
            else done();
        },
    });
    return withSourceErrors(source, check);
}

/** source -> transform; an error of the source fails the transform (mapped), and closing it closes the source. */
function withSourceErrors(source: Readable, transform: Transform, mapError: (err: unknown) => Error = err => err as Error): Readable {
    source.on("error", err => transform.destroy(mapError(err)));
    transform.on("close", () => source.destroy());
    source.pipe(transform);
    return transform;
}
