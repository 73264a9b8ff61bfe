import * as http from "http";
import * as https from "https";
import { InvokeEndpointCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { RequestError } from "./errors";

/**
 * Calls the model endpoint with one client per container, retrying
 * throttling and server errors with full-jitter backoff for as long as the deadline allows.
 */

export interface Prediction {
    label: string;
    index: number;
    probability: number;
}

export interface Inference {
    predictions: Prediction[];
    attempts: number;
    /** The production variant that answered (x-Amzn-Invoked-Production-Variant): shows blue/green traffic in the log. */
    variant?: string;
}

/** The part of the SDK client this module uses, so tests and benchmarks can share one. */
export type RuntimeClient = Pick<SageMakerRuntimeClient, "send">;

let shared: { key: string; client: SageMakerRuntimeClient } | undefined;

/**
 * The container's client, created on first use and kept for every later request (keep-alive
 * sockets survive between invocations). Recreated only if the region or endpoint URL changes,
 * which happens in tests, never in Lambda.
 */
export function runtimeClient(env: Record<string, string | undefined> = process.env): SageMakerRuntimeClient {
    const key = [env.AWS_REGION, env.AWS_DEFAULT_REGION, env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME, env.AWS_ENDPOINT_URL].join("|");
    if (shared?.key !== key) {
        shared = {
            key,
            client: new SageMakerRuntimeClient({
                // Retries are ours: they must respect the request's deadline, which the SDK does not know.
                maxAttempts: 1,
                requestHandler: {
                    httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }),
                    httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 64 }),
                    connectionTimeout: 3000,
                },
            }),
        };
    }
    return shared.client;
}

export interface InvokeOptions {
    client: RuntimeClient;
    endpointName: string;
    body: Uint8Array;
    contentType: string;
    topK: number;
    /** Epoch ms by which the answer must be back. */
    deadline: number;
    maxAttempts: number;
    now?: () => number;
    sleep?: (ms: number) => Promise<void>;
    random?: () => number;
}

export const BACKOFF_BASE_MS = 50;
export const BACKOFF_CAP_MS = 1000;
/** Below this much time left an attempt cannot succeed against a real endpoint: answer instead. */
export const MIN_ATTEMPT_MS = 50;

interface Classified {
    error: RequestError;
    retryable: boolean;
}

interface SdkError {
    name?: string;
    message?: string;
    OriginalStatusCode?: number;
    OriginalMessage?: string;
    $metadata?: { httpStatusCode?: number };
}

/** What the model's refusal may pass on to the caller: its codes are SCREAMING_SNAKE_CASE words. */
const MODEL_ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;
const MAX_MODEL_MESSAGE = 500;

/**
 * The model's own refusal of the request, when a ModelError carries one: a 4xx status and the
 * endpoint's error body `{"error": {"code", "message"}}` (training/inference.py) in OriginalMessage.
 * A 4xx without that body comes from the serving stack, not from the model's checks, so it is no
 * verdict on the image. Returns undefined for anything that is not such a refusal.
 */
export function modelRefusal(originalStatus: number | undefined, originalMessage: string | undefined): { status: number; code: string; message: string } | undefined {
    if (originalStatus === undefined || originalStatus < 400 || originalStatus > 499 || !originalMessage) return undefined;
    let parsed: unknown;
    try {
        parsed = JSON.parse(originalMessage);
    } catch {
        return undefined;
    }
    const error = (parsed as { error?: unknown } | null)?.error as { code?: unknown; message?: unknown } | undefined;
    if (typeof error?.code !== "string" || !MODEL_ERROR_CODE.test(error.code) || typeof error.message !== "string") return undefined;
    // Printable text only, bounded: the caller's answer must not carry control characters or a novel.
    const message = error.message.replace(/[\s\u0000-\u001f\u007f]+/g, " ").trim().slice(0, MAX_MODEL_MESSAGE);
    return { status: originalStatus, code: error.code, message };
}

/** Maps an SDK failure to what the caller sees, and whether another attempt may help. */
export function classifyEndpointError(e: unknown, endpointName: string): Classified {
    const err = (typeof e === "object" && e !== null ? e : {}) as SdkError;
    const name = err.name ?? "Error";
    const status = err.$metadata?.httpStatusCode;
    const detail = `${name}${status ? ` (HTTP ${status})` : ""}: ${(err.message ?? String(e)).slice(0, 300)}`;
    const make = (s: number, code: string, message: string, retryable: boolean): Classified => ({
        error: new RequestError(s, code, message, detail),
        retryable,
    });
    if (name === "ModelError") {
        const original = err.OriginalStatusCode;
        // The model refusing the image is the caller's fault (a truncated image, an unsupported format): its 4xx and reason.
        const refusal = modelRefusal(original, err.OriginalMessage);
        if (refusal) return make(refusal.status, refusal.code, `the model refused the image: ${refusal.message}`, false);
        return make(502, "MODEL_ERROR", `the model failed to process the image (endpoint status ${original ?? "unknown"})`, false);
    }
    if (name === "ThrottlingException" || status === 429) {
        const code = name === "ModelNotReadyException" ? "ENDPOINT_NOT_READY" : "THROTTLED";
        return make(503, code, "the model endpoint is busy; retry later", true);
    }
    if (name === "ServiceUnavailable" || status === 503) return make(503, "ENDPOINT_UNAVAILABLE", "the model endpoint is unavailable; retry later", true);
    if (name === "ValidationError") {
        if (/not found|not in service|status/i.test(err.message ?? "")) {
            return make(503, "ENDPOINT_NOT_IN_SERVICE", `the model endpoint ${endpointName} is not in service`, false);
        }
        return make(502, "ENDPOINT_REJECTED", "the model endpoint rejected the request", false);
    }
    if (status !== undefined && status >= 500) return make(502, "ENDPOINT_ERROR", `the model endpoint failed (status ${status})`, true);
    if (status === undefined) {
        // No HTTP answer at all: connection refused/reset or socket timeout. Transient by nature.
        return make(502, "ENDPOINT_UNREACHABLE", "the model endpoint could not be reached", true);
    }
    return make(502, "ENDPOINT_CALL_FAILED", `the call to the model endpoint failed (status ${status})`, false);
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Checks the endpoint's answer against the contract and keeps only the documented fields. */
export function parsePredictions(body: Uint8Array | undefined, topK: number): Prediction[] {
    const invalid = (why: string) => new RequestError(502, "MODEL_RESPONSE_INVALID", "the model endpoint returned an invalid response", why);
    let parsed: unknown;
    try {
        parsed = JSON.parse(UTF8.decode(body ?? new Uint8Array()));
    } catch {
        throw invalid("body is not JSON");
    }
    const list = (parsed as { predictions?: unknown } | null)?.predictions;
    if (!Array.isArray(list)) throw invalid("no predictions array");
    const predictions = list.map((p: unknown): Prediction => {
        const { label, index, probability } = (p ?? {}) as Record<string, unknown>;
        if (typeof label !== "string" || !Number.isInteger(index) || (index as number) < 0) throw invalid("prediction without label/index");
        if (typeof probability !== "number" || !(probability >= 0 && probability <= 1)) throw invalid("probability outside 0..1");
        return { label, index: index as number, probability };
    });
    return predictions.sort((a, b) => b.probability - a.probability).slice(0, topK);
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function invokeEndpoint(opts: InvokeOptions): Promise<Inference> {
    const now = opts.now ?? Date.now;
    const sleep = opts.sleep ?? realSleep;
    const random = opts.random ?? Math.random;
    const deadlineError = () => new RequestError(504, "DEADLINE_EXCEEDED", "the function ran out of time waiting for the model endpoint");
    let last: Classified | undefined;
    for (let attempt = 1; attempt <= opts.maxAttempts; attempt++) {
        const timeLeft = opts.deadline - now();
        if (timeLeft < MIN_ATTEMPT_MS) throw last?.error ?? deadlineError();
        const abort = new AbortController();
        const timer = setTimeout(() => abort.abort(), timeLeft);
        try {
            const out = await opts.client.send(
                new InvokeEndpointCommand({
                    EndpointName: opts.endpointName,
                    Body: opts.body,
                    ContentType: opts.contentType,
                    Accept: "application/json",
                    CustomAttributes: `top_k=${opts.topK}`,
                }),
                { abortSignal: abort.signal },
            );
            return { predictions: parsePredictions(out.Body, opts.topK), attempts: attempt, variant: out.InvokedProductionVariant };
        } catch (e) {
            if (e instanceof RequestError) throw e;
            if (abort.signal.aborted) throw deadlineError();
            last = classifyEndpointError(e, opts.endpointName);
            if (!last.retryable || attempt === opts.maxAttempts) throw last.error;
            // Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): spreads retries of many callers.
            const backoff = random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
            if (now() + backoff + MIN_ATTEMPT_MS > opts.deadline) throw last.error;
            await sleep(backoff);
        } finally {
            clearTimeout(timer);
        }
    }
    throw last?.error ?? deadlineError();
}
