import * as crypto from "crypto";
import * as http from "http";
import { AddressInfo } from "net";
import { Credentials, verifySigV4 } from "./sigv4";

/**
 * A local stand-in for the SageMaker Runtime service, speaking InvokeEndpoint's REST protocol the
 * way the real one does: `POST /endpoints/{name}/invocations`, SigV4 (service `sagemaker`), the
 * model's JSON answer with `x-Amzn-Invoked-Production-Variant`, and errors as `x-amzn-ErrorType`
 * plus a JSON body (ModelError with OriginalStatusCode, ValidationError, ThrottlingException,
 * ServiceUnavailable, InternalFailure). Reached through AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME.
 *
 * Run standalone (the benchmark does): `ts-node tests/lambda/support/fake-sagemaker-runtime.ts`
 * prints `{"url": ...}` and serves until killed.
 */

export const FAKE_CREDENTIALS: Credentials = { accessKeyId: "test", secretAccessKey: "test" };
export const FAKE_REGION = "us-east-1";
export const FAKE_ACCOUNT = "123456789012";
export const NUM_CLASSES = 133;
export const labelOf = (index: number) => `Breed ${String(index + 1).padStart(3, "0")}`;

export interface Invocation {
    endpointName: string;
    contentType?: string;
    accept?: string;
    customAttributes?: string;
    bodyBytes: number;
    bodySha256: string;
}

/** What the fake does with one invocation: classify it, or fail like SageMaker does. */
export type Reply =
    | { kind: "classify"; delayMs?: number }
    | { kind: "raw"; status: number; body: string; contentType?: string }
    | { kind: "ModelError"; originalStatus: number; originalMessage?: string }
    | { kind: "ValidationError"; message: string }
    | { kind: "ThrottlingException" }
    | { kind: "ModelNotReadyException" }
    | { kind: "ServiceUnavailable" }
    | { kind: "InternalFailure" }
    | { kind: "hang" };

/**
 * The endpoint refusing a request as training/inference.py does (status + `{"error": {code, message}}`),
 * which SageMaker Runtime hands to the caller as a ModelError with that body in OriginalMessage.
 */
export const refusedByModel = (status: number, code: string, message: string): Reply => ({
    kind: "ModelError",
    originalStatus: status,
    originalMessage: JSON.stringify({ error: { code, message } }),
});

/** Picks the reply for the n-th (0-based) invocation the server has seen since the script was set. */
export type Script = (invocation: Invocation, n: number) => Reply;

export interface FakeSageMakerRuntime {
    url: string;
    invocations: Invocation[];
    /** Requests refused for a bad signature (must stay 0 for the real client). */
    badSignatures: string[];
    setScript(script: Script): void;
    close(): Promise<void>;
}

const ACCEPTED_CONTENT_TYPES = new Set(["image/jpeg", "image/png", "application/x-image", "application/json"]);

/** A deterministic stand-in for the model: scores derived from the image bytes, softmaxed. */
export function classify(body: Buffer, topK: number): Array<{ label: string; index: number; probability: number }> {
    const seed = crypto.createHash("sha256").update(body).digest();
    const logits = Array.from({ length: NUM_CLASSES }, (_, i) => seed[i % seed.length] / 32 + ((i * 7919) % 13) / 100);
    const max = Math.max(...logits);
    const exps = logits.map((l) => Math.exp(l - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    return exps
        .map((e, index) => ({ label: labelOf(index), index, probability: e / sum }))
        .sort((a, b) => b.probability - a.probability)
        .slice(0, topK);
}

function sendError(res: http.ServerResponse, status: number, type: string, body: Record<string, unknown>): void {
    res.writeHead(status, {
        "content-type": "application/json",
        "x-amzn-errortype": `${type}:http://internal.amazon.com/coral/com.amazonaws.sagemaker.runtime/`,
        "x-amzn-requestid": crypto.randomUUID(),
    });
    res.end(JSON.stringify(body));
}

export async function startFakeSageMakerRuntime(options: { endpoints?: string[]; port?: number; host?: string } = {}): Promise<FakeSageMakerRuntime> {
    const endpoints = new Set(options.endpoints ?? ["dog-breeds"]);
    let script: Script = () => ({ kind: "classify" });
    let seen = 0;
    const invocations: Invocation[] = [];
    const badSignatures: string[] = [];
    const hanging = new Set<http.ServerResponse>();

    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const body = Buffer.concat(chunks);
            const bad = verifySigV4({ method: req.method ?? "", rawUrl: req.url ?? "/", headers: req.headers, body }, FAKE_CREDENTIALS, FAKE_REGION, "sagemaker");
            if (bad) {
                badSignatures.push(bad);
                return sendError(res, 403, "InvalidSignatureException", { message: `The request signature we calculated does not match the signature you provided: ${bad}` });
            }
            const route = /^\/endpoints\/([^/?]+)\/invocations$/.exec((req.url ?? "").split("?")[0]);
            if (req.method !== "POST" || !route) return sendError(res, 404, "UnknownOperationException", { message: "Unknown operation" });
            const endpointName = decodeURIComponent(route[1]);
            const header = (n: string) => (typeof req.headers[n] === "string" ? (req.headers[n]) : undefined);
            const invocation: Invocation = {
                endpointName,
                contentType: header("content-type"),
                accept: header("accept"),
                customAttributes: header("x-amzn-sagemaker-custom-attributes"),
                bodyBytes: body.length,
                bodySha256: crypto.createHash("sha256").update(body).digest("hex"),
            };
            invocations.push(invocation);
            if (!endpoints.has(endpointName)) {
                return sendError(res, 400, "ValidationError", { message: `Endpoint ${endpointName} of account ${FAKE_ACCOUNT} not found.` });
            }
            const reply = script(invocation, seen++);
            respond(res, reply, invocation, body);
        });
    });

    function respond(res: http.ServerResponse, reply: Reply, inv: Invocation, body: Buffer): void {
        switch (reply.kind) {
            case "hang":
                hanging.add(res);
                return;
            case "raw":
                res.writeHead(reply.status, { "content-type": reply.contentType ?? "application/json", "x-amzn-invoked-production-variant": "AllTraffic" });
                return void res.end(reply.body);
            case "ModelError":
                return sendError(res, 424, "ModelError", {
                    ErrorCode: reply.originalStatus >= 500 ? "INTERNAL_FAILURE_FROM_MODEL" : "CLIENT_ERROR_FROM_MODEL",
                    LogStreamArn: `arn:aws:logs:${FAKE_REGION}:${FAKE_ACCOUNT}:log-group:/aws/sagemaker/Endpoints/${inv.endpointName}`,
                    Message: `Received ${reply.originalStatus >= 500 ? "server" : "client"} error (${reply.originalStatus}) from primary with message "${reply.originalMessage ?? "model failure"}".`,
                    OriginalMessage: reply.originalMessage ?? "model failure",
                    OriginalStatusCode: reply.originalStatus,
                });
            case "ValidationError":
                return sendError(res, 400, "ValidationError", { message: reply.message });
            case "ThrottlingException":
                return sendError(res, 400, "ThrottlingException", { message: "Rate exceeded" });
            case "ModelNotReadyException":
                return sendError(res, 429, "ModelNotReadyException", { Message: "Model is not ready" });
            case "ServiceUnavailable":
                return sendError(res, 503, "ServiceUnavailable", { Message: "Service is unavailable" });
            case "InternalFailure":
                return sendError(res, 500, "InternalFailure", { Message: "An internal error occurred" });
            case "classify": {
                const answer = () => {
                    if (!ACCEPTED_CONTENT_TYPES.has(inv.contentType ?? "")) {
                        const allowed = [...ACCEPTED_CONTENT_TYPES].join(", ");
                        return respond(res, refusedByModel(415, "UNSUPPORTED_MEDIA_TYPE", `content type '${inv.contentType}' is not supported (allowed: ${allowed})`), inv, body);
                    }
                    const topK = Number(/(?:^|,)\s*top_k=(\d+)/.exec(inv.customAttributes ?? "")?.[1] ?? 5);
                    res.writeHead(200, {
                        "content-type": "application/json",
                        "x-amzn-invoked-production-variant": "AllTraffic",
                        "x-amzn-requestid": crypto.randomUUID(),
                    });
                    res.end(JSON.stringify({ predictions: classify(body, topK) }));
                };
                if (reply.delayMs) setTimeout(answer, reply.delayMs);
                else answer();
                return;
            }
        }
    }

    await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        invocations,
        badSignatures,
        setScript(s) {
            script = s;
            seen = 0;
        },
        close: () =>
            new Promise<void>((resolve) => {
                for (const res of hanging) res.destroy();
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

if (require.main === module) {
    const port = Number(process.argv[2] ?? 0);
    void startFakeSageMakerRuntime({ port }).then((fake) => {
        process.stdout.write(`${JSON.stringify({ url: fake.url })}\n`);
        process.on("SIGTERM", () => void fake.close().then(() => process.exit(0)));
    });
}
