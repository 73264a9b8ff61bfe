import { LambdaConfig } from "./config";
import { RequestError, badRequest } from "./errors";
import { ImageKind, detectImage } from "./image";

/**
 * Turns whatever the function was invoked with into a validated prediction request: the
 * by-hand project's direct event `{"url": ...}` / `{"image": ...}` with optional `topK`, or the same object as the
 * JSON body (plain or base64) of an API Gateway HTTP API (v2), REST API (v1) or function URL event.
 */

export type ImageSource = { type: "url"; url: string } | { type: "image"; bytes: Buffer; kind: ImageKind };

export type ParsedRequest =
    | { kind: "preflight" }
    | { kind: "predict"; source: ImageSource; topK: number };

export const MAX_URL_LENGTH = 2048;
const FIELDS = new Set(["url", "image", "topK"]);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** How a caller refers to a field in messages: never echo unbounded caller input. */
const shown = (s: string): string => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...` : s);

export function isHttpEvent(event: unknown): event is Json {
    return isObject(event) && isObject(event.requestContext) && ("body" in event || "rawPath" in event || "httpMethod" in event);
}

function httpMethod(event: Json): string {
    const ctx = event.requestContext as Json;
    const method = isObject(ctx.http) ? ctx.http.method : event.httpMethod;
    return typeof method === "string" ? method.toUpperCase() : "POST";
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Standard base64 (RFC 4648 section 4), padding optional; refuses anything else instead of skipping it like Buffer.from does. */
export function decodeBase64(text: string, what: string, maxBytes: number, tooLargeCode = "IMAGE_TOO_LARGE"): Buffer {
    const compact = text.replace(/[\r\n]/g, "");
    const padding = /={1,2}$/.exec(compact)?.[0].length ?? 0;
    const body = compact.slice(0, compact.length - padding);
    const wellFormed = /^[A-Za-z0-9+/]*$/.test(body) && (padding === 0 ? body.length % 4 !== 1 : (body.length + padding) % 4 === 0);
    if (!wellFormed) throw badRequest("INVALID_BASE64", `${what} is not valid base64`);
    if (Math.floor((body.length * 3) / 4) > maxBytes) {
        throw new RequestError(413, tooLargeCode, `${what} is larger than the limit of ${maxBytes} bytes`);
    }
    return Buffer.from(body, "base64");
}

function bodyOf(event: Json, config: LambdaConfig): unknown {
    const body = event.body;
    if (body === undefined || body === null || body === "") throw badRequest("MISSING_BODY", "the request has no body; send a JSON object with \"url\" or \"image\"");
    if (typeof body !== "string") throw badRequest("INVALID_BODY", "the request body must be a JSON string");
    // A base64 image inflates by 4/3, and base64-encoding the whole body by 4/3 again; allow some room for the JSON around it.
    const maxChars = Math.ceil((config.maxImageBytes * 4) / 3) + 64 * 1024;
    const limit = event.isBase64Encoded === true ? Math.ceil((maxChars * 4) / 3) : maxChars;
    if (body.length > limit) throw new RequestError(413, "BODY_TOO_LARGE", `the request body is larger than the limit of ${limit} characters`);
    let text = body;
    if (event.isBase64Encoded === true) {
        const bytes = decodeBase64(body, "the base64-encoded request body", maxChars, "BODY_TOO_LARGE");
        try {
            text = STRICT_UTF8.decode(bytes);
        } catch {
            throw badRequest("INVALID_JSON", "the request body is not UTF-8 text");
        }
    }
    try {
        return JSON.parse(text);
    } catch {
        throw badRequest("INVALID_JSON", "the request body is not valid JSON");
    }
}

function parsePayload(payload: unknown, config: LambdaConfig): ParsedRequest {
    if (!isObject(payload)) throw badRequest("INVALID_BODY", "the request must be a JSON object with \"url\" or \"image\"");
    const unknown = Object.keys(payload).find((k) => !FIELDS.has(k));
    if (unknown !== undefined) throw badRequest("UNKNOWN_FIELD", `unknown field ${shown(unknown)}; allowed fields are "url", "image" and "topK"`);
    const { url, image, topK } = payload;
    if (url !== undefined && image !== undefined) throw badRequest("CONFLICTING_FIELDS", "send either \"url\" or \"image\", not both");
    if (url === undefined && image === undefined) throw badRequest("MISSING_FIELD", "send \"url\" (an https URL of an image) or \"image\" (base64 image bytes)");

    let k = config.defaultTopK;
    if (topK !== undefined) {
        if (typeof topK !== "number" || !Number.isInteger(topK) || topK < 1 || topK > config.modelNumClasses) {
            throw badRequest("INVALID_TOP_K", `"topK" must be an integer from 1 to ${config.modelNumClasses}`);
        }
        k = topK;
    }

    if (url !== undefined) {
        if (typeof url !== "string" || url.trim() === "") throw badRequest("INVALID_URL", "\"url\" must be a non-empty string");
        if (url.length > MAX_URL_LENGTH) throw badRequest("INVALID_URL", `"url" is longer than ${MAX_URL_LENGTH} characters`);
        if (!URL.canParse(url)) throw badRequest("INVALID_URL", "\"url\" is not a valid absolute URL");
        return { kind: "predict", source: { type: "url", url }, topK: k };
    }
    if (typeof image !== "string") throw badRequest("INVALID_IMAGE", "\"image\" must be a base64 string");
    if (image === "") throw badRequest("EMPTY_IMAGE", "\"image\" is empty");
    const bytes = decodeBase64(image, "\"image\"", config.maxImageBytes);
    if (bytes.length > config.maxImageBytes) {
        throw new RequestError(413, "IMAGE_TOO_LARGE", `"image" is larger than the limit of ${config.maxImageBytes} bytes`);
    }
    const kind = detectImage(bytes);
    if (!kind) throw new RequestError(415, "UNSUPPORTED_MEDIA_TYPE", "\"image\" is not a JPEG, PNG, GIF, WebP or BMP image");
    return { kind: "predict", source: { type: "image", bytes, kind }, topK: k };
}

export function parseEvent(event: unknown, config: LambdaConfig): ParsedRequest {
    if (isHttpEvent(event)) {
        const method = httpMethod(event);
        if (method === "OPTIONS") return { kind: "preflight" };
        if (method !== "POST") throw new RequestError(405, "METHOD_NOT_ALLOWED", `method ${shown(method)} is not allowed; use POST`);
        return parsePayload(bodyOf(event, config), config);
    }
    return parsePayload(event, config);
}
