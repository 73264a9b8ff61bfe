import * as crypto from "crypto";

/**
 * Verifies AWS Signature Version 4 on an incoming request, independently of the SDK's signer
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html),
 * so the fake endpoint proves the client really signs, with the right scope.
 */

export interface SignedRequest {
    method: string;
    /** Raw request path and query as received (already percent-encoded once). */
    rawUrl: string;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
}

export interface Credentials {
    accessKeyId: string;
    secretAccessKey: string;
}

const sha256 = (data: string | Buffer) => crypto.createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string) => crypto.createHmac("sha256", key).update(data).digest();
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Returns undefined when the signature is valid, else why it is not. */
export function verifySigV4(req: SignedRequest, creds: Credentials, region: string, service: string, nowMs = Date.now()): string | undefined {
    const auth = String(req.headers["authorization"] ?? "");
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) return "missing or malformed Authorization header";
    const [, keyId, date, scopeRegion, scopeService, signedHeaders, signature] = m;
    if (keyId !== creds.accessKeyId) return `unknown access key ${keyId}`;
    if (scopeRegion !== region) return `credential scope region ${scopeRegion} is not ${region}`;
    if (scopeService !== service) return `credential scope service ${scopeService} is not ${service}`;
    const amzDate = String(req.headers["x-amz-date"] ?? "");
    if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date) return "bad X-Amz-Date";
    const signedAt = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
    if (Math.abs(nowMs - signedAt) > 15 * 60 * 1000) return "signature expired";
    const names = signedHeaders.split(";");
    if (!names.includes("host")) return "host header not signed";

    const [path, query = ""] = req.rawUrl.split("?");
    // Non-S3 services sign the path URI-encoded once more, segment by segment.
    const canonicalUri = path.split("/").map(rfc3986).join("/");
    const canonicalQuery = query
        .split("&")
        .filter((p) => p !== "")
        .map((p) => p.split("=").map((s) => rfc3986(decodeURIComponent(s))))
        .sort(([a, av = ""], [b, bv = ""]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
        .map(([k, v = ""]) => `${k}=${v}`)
        .join("&");
    const canonicalHeaders = names
        .map((n) => {
            const v = req.headers[n];
            const value = (Array.isArray(v) ? v.join(",") : (v ?? "")).trim().replace(/\s+/g, " ");
            return `${n}:${value}\n`;
        })
        .join("");
    const payloadHash = String(req.headers["x-amz-content-sha256"] ?? sha256(req.body));
    if (payloadHash !== sha256(req.body) && payloadHash !== "UNSIGNED-PAYLOAD") return "payload hash mismatch";
    const canonicalRequest = [req.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join("\n");
    const scope = `${date}/${region}/${service}/aws4_request`;
    const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n");
    const key = hmac(hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, date), region), service), "aws4_request");
    const expected = crypto.createHmac("sha256", key).update(stringToSign).digest("hex");
    return crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(signature)) ? undefined : "signature does not match";
}
