import * as dns from "dns";
import * as http from "http";
import * as https from "https";
import type { LookupFunction, Socket } from "net";
import { RequestError } from "./errors";
import { ImageKind, SNIFF_BYTES, detectImage } from "./image";
import { Cidr, IpAddress, blockedReason, cidrContains, parseIp, unmapped } from "./ip";

/**
 * Fetches an image URL on behalf of a caller without letting the caller reach anything private:
 * every address a host resolves to is checked, the connection is pinned to the checked address
 * (no second lookup for DNS rebinding to exploit), each redirect is checked again, and size and
 * time are capped while the body streams.
 */

export interface ResolvedAddress {
    address: string;
    family: number;
}
/** Resolves a host name to all its addresses; injected so tests choose the answers. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

export interface FetchOptions {
    allowHttp: boolean;
    allowedCidrs: Cidr[];
    maxBytes: number;
    connectTimeoutMs: number;
    /** Budget for the whole fetch, redirects included. */
    totalTimeoutMs: number;
    /** Epoch ms by which the function must answer; the fetch never runs past it. */
    deadline: number;
    resolve: Resolver;
    maxRedirects?: number;
    /** Clock, injectable for tests of the deadline arithmetic. */
    now?: () => number;
}

export interface FetchedImage {
    bytes: Buffer;
    kind: ImageKind;
    redirects: number;
}

export const MAX_REDIRECTS = 3;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** A Content-Type that may be an image; the bytes decide (magic numbers), this only rejects early. */
const POSSIBLY_IMAGE = /^(image\/[a-z0-9.+-]+|application\/octet-stream|binary\/octet-stream)\s*(;|$)/i;

const refuse = (reason: string): RequestError => new RequestError(422, "URL_REFUSED", `URL refused: ${reason}`);

/** The checks that need no network: scheme, credentials, obviously local names. */
export function checkUrlShape(url: URL, allowHttp: boolean): void {
    if (url.protocol !== "https:" && !(allowHttp && url.protocol === "http:")) {
        throw refuse(`scheme "${url.protocol.replace(/:$/, "")}" is not allowed (${allowHttp ? "http and https" : "https"} only)`);
    }
    if (url.username !== "" || url.password !== "") throw refuse("URLs with credentials are not accepted");
    const host = url.hostname.toLowerCase().replace(/\.$/, "");
    if (host === "localhost" || host.endsWith(".localhost")) throw refuse("host name is a loopback name");
}

function checkAddress(ip: IpAddress, allowedCidrs: Cidr[], host: string, literal: boolean): void {
    const address = unmapped(ip);
    if (allowedCidrs.some((c) => cidrContains(c, address))) return;
    const reason = blockedReason(ip);
    if (reason !== undefined) throw refuse(literal ? `the address is ${reason}` : `host ${host} resolves to ${reason}`);
}

/** Resolves the URL's host once and checks every answer; returns the one address to connect to. */
export async function resolveChecked(url: URL, opts: Pick<FetchOptions, "allowedCidrs" | "resolve">): Promise<ResolvedAddress> {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const literal = parseIp(host);
    if (literal) {
        checkAddress(literal, opts.allowedCidrs, host, true);
        return { address: host, family: literal.family };
    }
    let answers: ResolvedAddress[];
    try {
        answers = await opts.resolve(host);
    } catch {
        throw new RequestError(422, "URL_UNRESOLVABLE", `URL refused: host ${host} could not be resolved`);
    }
    if (answers.length === 0) throw new RequestError(422, "URL_UNRESOLVABLE", `URL refused: host ${host} has no addresses`);
    // Every answer must pass: a resolver that mixes a public and a private answer is an attack, not a fallback.
    for (const answer of answers) {
        const ip = parseIp(answer.address);
        if (!ip) throw refuse(`host ${host} resolves to an unparseable address`);
        checkAddress(ip, opts.allowedCidrs, host, false);
    }
    return answers[0];
}

type Outcome = { redirect: URL } | { bytes: Buffer; kind: ImageKind };

/** One GET to the pinned address. Resolves with the body or the redirect target; rejects with RequestError. */
function getOnce(url: URL, pinned: ResolvedAddress, opts: FetchOptions, timeLeftMs: number): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
        const host = url.hostname.replace(/^\[|\]$/g, "");
        const isLiteral = parseIp(host) !== undefined;
        // The socket layer asks this instead of DNS: it can only ever connect to the checked address.
        const lookup: LookupFunction = (_hostname, options, callback) => {
            if (options.all) (callback as unknown as (e: null, a: ResolvedAddress[]) => void)(null, [pinned]);
            else callback(null, pinned.address, pinned.family);
        };
        const transport = url.protocol === "https:" ? https : http;
        let settled = false;
        const chunks: Buffer[] = [];
        let received = 0;
        let kind: ImageKind | undefined;

        const finish = (err: RequestError | undefined, outcome?: Outcome) => {
            if (settled) return;
            settled = true;
            clearTimeout(connectTimer);
            clearTimeout(totalTimer);
            // Always hang up: a redirect or error answer may come with an endless body that must not
            // keep streaming in after the fetch moved on.
            req.destroy();
            if (err) reject(err);
            else resolve(outcome!);
        };
        const req = transport.request({
            protocol: url.protocol,
            hostname: host,
            port: url.port === "" ? undefined : Number(url.port),
            path: `${url.pathname}${url.search}`,
            method: "GET",
            headers: { accept: "image/*", "accept-encoding": "identity", "user-agent": "mlops-inference/1.0" },
            lookup,
            family: pinned.family,
            // TLS must verify the certificate for the name the caller gave, not the pinned address.
            servername: isLiteral ? undefined : host,
            agent: false,
        });
        // When the remaining budget is shorter than the connect timeout, the total timer speaks for both.
        const connectTimer =
            opts.connectTimeoutMs < timeLeftMs
                ? setTimeout(() => finish(new RequestError(504, "URL_FETCH_TIMEOUT", `could not connect to ${host} within ${opts.connectTimeoutMs} ms`)), opts.connectTimeoutMs)
                : undefined;
        const totalTimer = setTimeout(() => finish(timeoutError(opts, host)), timeLeftMs);

        req.on("socket", (socket: Socket) => {
            socket.once("connect", () => {
                clearTimeout(connectTimer);
                // Defence in depth: the kernel's view of the peer must be the address that was checked.
                const peer = socket.remoteAddress ?? "";
                const pinnedIp = parseIp(pinned.address);
                const peerIp = parseIp(peer);
                if (!pinnedIp || !peerIp || unmapped(pinnedIp).value !== unmapped(peerIp).value) {
                    finish(refuse(`connection went to an unexpected address`));
                }
            });
        });
        req.on("error", (e: NodeJS.ErrnoException) => {
            finish(new RequestError(422, "URL_FETCH_FAILED", `could not fetch the URL from ${host}: ${e.code ?? "connection failed"}`));
        });
        req.on("response", (res: http.IncomingMessage) => {
            const status = res.statusCode ?? 0;
            if (REDIRECT_STATUSES.has(status)) {
                const location = res.headers.location;
                if (!location) return finish(new RequestError(422, "URL_FETCH_FAILED", `the URL answered HTTP ${status} without a Location`));
                let target: URL;
                try {
                    target = new URL(location, url);
                } catch {
                    return finish(new RequestError(422, "URL_FETCH_FAILED", `the URL redirected to an invalid location`));
                }
                return finish(undefined, { redirect: target });
            }
            if (status < 200 || status > 299) {
                return finish(new RequestError(422, "URL_FETCH_FAILED", `the URL answered HTTP ${status}`));
            }
            const type = res.headers["content-type"];
            if (type !== undefined && !POSSIBLY_IMAGE.test(type)) {
                return finish(new RequestError(415, "UNSUPPORTED_MEDIA_TYPE", `the URL's content type ${JSON.stringify(type.slice(0, 60))} is not an image`));
            }
            const encoding = (res.headers["content-encoding"] ?? "identity").toLowerCase();
            if (encoding !== "identity") {
                return finish(new RequestError(415, "UNSUPPORTED_MEDIA_TYPE", `the URL sent a ${JSON.stringify(encoding.slice(0, 20))}-encoded body; only uncompressed images are accepted`));
            }
            const declared = Number(res.headers["content-length"]);
            if (Number.isFinite(declared) && declared > opts.maxBytes) {
                return finish(tooLarge(opts.maxBytes));
            }
            res.on("data", (chunk: Buffer) => {
                if (settled) return;
                received += chunk.length;
                if (received > opts.maxBytes) return finish(tooLarge(opts.maxBytes));
                chunks.push(chunk);
                // Decide from the magic number as soon as it has arrived, not after 5 MB of HTML.
                if (kind === undefined && received >= SNIFF_BYTES) {
                    kind = detectImage(Buffer.concat(chunks));
                    if (!kind) finish(notAnImage());
                }
            });
            res.on("end", () => {
                const bytes = Buffer.concat(chunks, received);
                kind ??= detectImage(bytes);
                if (!kind) return finish(notAnImage());
                finish(undefined, { bytes, kind });
            });
            res.on("error", () => finish(new RequestError(422, "URL_FETCH_FAILED", `the connection to ${host} failed while reading the image`)));
        });
        req.end();
    });
}

const tooLarge = (max: number) => new RequestError(413, "IMAGE_TOO_LARGE", `the image at the URL is larger than the limit of ${max} bytes`);
const notAnImage = () => new RequestError(415, "UNSUPPORTED_MEDIA_TYPE", "the URL did not return a JPEG, PNG, GIF, WebP or BMP image");

function timeoutError(opts: FetchOptions, host: string): RequestError {
    const now = (opts.now ?? Date.now)();
    if (now >= opts.deadline - 5) return new RequestError(504, "DEADLINE_EXCEEDED", "the function ran out of time while fetching the URL");
    return new RequestError(504, "URL_FETCH_TIMEOUT", `${host} did not send the image within ${opts.totalTimeoutMs} ms`);
}

/** Resolver calls have no timeout of their own: bound them by the fetch budget. */
function withinTime<T>(work: Promise<T>, ms: number, onTimeout: () => RequestError): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(onTimeout()), Math.max(0, ms));
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export async function fetchImage(rawUrl: string, opts: FetchOptions): Promise<FetchedImage> {
    const now = opts.now ?? Date.now;
    const maxRedirects = opts.maxRedirects ?? MAX_REDIRECTS;
    const stopAt = Math.min(now() + opts.totalTimeoutMs, opts.deadline);
    let url = new URL(rawUrl);
    for (let redirects = 0; ; redirects++) {
        checkUrlShape(url, opts.allowHttp);
        const pinned = await withinTime(resolveChecked(url, opts), stopAt - now(), () => timeoutError(opts, url.hostname));
        const timeLeft = stopAt - now();
        if (timeLeft <= 0) throw timeoutError(opts, url.hostname);
        const outcome = await getOnce(url, pinned, opts, timeLeft);
        if ("bytes" in outcome) return { ...outcome, redirects };
        if (redirects + 1 > maxRedirects) throw new RequestError(422, "TOO_MANY_REDIRECTS", `URL refused: more than ${maxRedirects} redirects`);
        url = outcome.redirect;
    }
}
