import { once } from "events";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { pipeline } from "stream/promises";
import { Transform } from "stream";
import { DatasetError, UsageError, describe } from "./errors";

export interface DownloadOptions {
    /**
     * Origins (`http://127.0.0.1:8080`) that may be fetched over plain http. Empty by default: the
     * CLI only ever downloads over https. Tests name their loopback server here explicitly.
     */
    insecureHttpOrigins?: readonly string[];
    /** Redirects followed before giving up (default 5). Each target is checked like the first URL. */
    maxRedirects?: number;
    /** A stalled connection (no bytes for this long) fails the download (default 60 s). */
    idleTimeoutMs?: number;
    /** Called as bytes arrive; total is the Content-Length when the server sent one. */
    onProgress?: (bytes: number, total: number | undefined) => void;
    /** Stops the download (Ctrl-C); the temporary file is removed. */
    signal?: AbortSignal;
}

export interface Downloaded {
    file: string;
    bytes: number;
    /** Deletes the temporary file and its folder. */
    cleanup(): Promise<void>;
}

/** Throws unless the URL may be downloaded: https anywhere, http only for an allow-listed origin. */
export function checkDownloadUrl(raw: string, options: DownloadOptions = {}): URL {
    let url: URL;
    try {
        url = new URL(raw);
    } catch {
        throw new UsageError(`"${raw}" is not a valid URL`);
    }
    if (url.username || url.password) {
        throw new UsageError(`URL ${url.origin} must not carry credentials`);
    }
    if (url.protocol === "https:") return url;
    if (url.protocol === "http:" && (options.insecureHttpOrigins ?? []).includes(url.origin)) return url;
    throw new UsageError(`only https URLs can be downloaded (got ${url.protocol}//${url.host})`);
}

/** Temporary folders of downloads not cleaned up yet (the zip is about 1.1 GB). */
const liveTempDirs = new Set<string>();

/** For an interrupt handler: deletes every temporary download still on disk, synchronously. */
export function removeTempDownloadsSync(): void {
    for (const dir of liveTempDirs) fs.rmSync(dir, { recursive: true, force: true });
    liveTempDirs.clear();
}

/** Downloads a URL into a fresh temporary folder; the caller must call cleanup(). */
export async function downloadToTempFile(rawUrl: string, options: DownloadOptions = {}): Promise<Downloaded> {
    const first = checkDownloadUrl(rawUrl, options);
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "mlops-dataset-"));
    liveTempDirs.add(dir);
    const cleanup = async () => {
        liveTempDirs.delete(dir);
        await fs.promises.rm(dir, { recursive: true, force: true });
    };
    const name = path.basename(first.pathname) || "dataset.zip";
    const file = path.join(dir, /^[\w.-]+$/.test(name) ? name : "dataset.zip");
    try {
        const bytes = await fetchToFile(first, file, options);
        return { file, bytes, cleanup };
    } catch (err) {
        await cleanup();
        throw err;
    }
}

async function fetchToFile(start: URL, file: string, options: DownloadOptions): Promise<number> {
    const maxRedirects = options.maxRedirects ?? 5;
    let url = start;
    for (let hop = 0; ; hop++) {
        const res = await request(url, options.idleTimeoutMs ?? 60_000, options.signal);
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
            res.resume();
            if (hop >= maxRedirects) throw new DatasetError(`cannot download ${start.href}: more than ${maxRedirects} redirects`);
            const next = new URL(res.headers.location, url);
            try {
                url = checkDownloadUrl(next.href, options);
            } catch (err) {
                throw new DatasetError(`cannot download ${start.href}: refused redirect to ${next.href}: ${describe(err)}`);
            }
            continue;
        }
        if (status !== 200) {
            res.resume();
            throw new DatasetError(`cannot download ${url.href}: HTTP ${status} ${res.statusMessage ?? ""}`.trim());
        }
        const lengthHeader = res.headers["content-length"];
        const total = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
        let bytes = 0;
        const counter = new Transform({
            transform(chunk: Buffer, _enc, done) {
                bytes += chunk.length;
                options.onProgress?.(bytes, total);
                done(null, chunk);
            },
        });
        try {
            // The file exists before the first byte is counted: an interrupt that deletes the
            // folder then (removeTempDownloadsSync) cannot race the file's creation, which
            // createWriteStream would otherwise do later, on libuv's thread pool.
            const out = fs.createWriteStream(file);
            let failedWhileOpening: Error | undefined;
            const holdError = (e: Error) => (failedWhileOpening ??= e);
            res.on("error", holdError); // until pipeline listens: an unheard 'error' would crash the process
            await once(out, "open");
            res.off("error", holdError);
            if (failedWhileOpening !== undefined) throw failedWhileOpening;
            await pipeline(res, counter, out, { signal: options.signal });
        } catch (err) {
            throw new DatasetError(`cannot download ${url.href}: ${describe(err)} after ${bytes} bytes`);
        }
        if (total !== undefined && bytes !== total) {
            throw new DatasetError(`cannot download ${url.href}: got ${bytes} of ${total} bytes`);
        }
        return bytes;
    }
}

function request(url: URL, idleTimeoutMs: number, signal: AbortSignal | undefined): Promise<http.IncomingMessage> {
    const get = url.protocol === "https:" ? https.get : http.get;
    return new Promise((resolve, reject) => {
        const req = get(url, { headers: { "user-agent": "mlops-dataset-upload" }, signal }, res => {
            res.setTimeout(idleTimeoutMs, () => res.destroy(new Error(`no data for ${idleTimeoutMs / 1000} s`)));
            resolve(res);
        });
        req.setTimeout(idleTimeoutMs, () => req.destroy(new Error(`no response for ${idleTimeoutMs / 1000} s`)));
        req.on("error", err => reject(new DatasetError(`cannot download ${url.href}: ${describe(err)}`)));
    });
}
