/**
 * Image type detection from the bytes themselves: a Content-Type header is a claim, the magic
 * number is evidence. Only formats the endpoint's decoder (PIL) handles are accepted.
 */
export interface ImageKind {
    /** Short name for logs. */
    format: "jpeg" | "png" | "gif" | "webp" | "bmp";
    /** The ContentType sent to InvokeEndpoint. */
    contentType: "image/jpeg" | "image/png" | "application/x-image";
}

const startsWith = (bytes: Uint8Array, offset: number, signature: number[]): boolean =>
    bytes.length >= offset + signature.length && signature.every((b, i) => bytes[offset + i] === b);

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** The longest prefix detectImage needs, so a streaming reader knows when it can decide. */
export const SNIFF_BYTES = 12;

export function detectImage(bytes: Uint8Array): ImageKind | undefined {
    if (startsWith(bytes, 0, [0xff, 0xd8, 0xff])) return { format: "jpeg", contentType: "image/jpeg" };
    if (startsWith(bytes, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { format: "png", contentType: "image/png" };
    if (startsWith(bytes, 0, ascii("GIF87a")) || startsWith(bytes, 0, ascii("GIF89a"))) return { format: "gif", contentType: "application/x-image" };
    if (startsWith(bytes, 0, ascii("RIFF")) && startsWith(bytes, 8, ascii("WEBP"))) return { format: "webp", contentType: "application/x-image" };
    if (startsWith(bytes, 0, ascii("BM")) && bytes.length >= 14) return { format: "bmp", contentType: "application/x-image" };
    return undefined;
}
