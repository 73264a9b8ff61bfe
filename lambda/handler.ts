import { ConfigError, LambdaConfig, currentConfig } from "./config";
import { RequestError } from "./errors";
import { Resolver, fetchImage, systemResolver } from "./fetch-image";
import { RuntimeClient, invokeEndpoint, runtimeClient } from "./inference";
import { parseEvent } from "./request";

/**
 * The inference function: validates the event, gets the image (fetching URLs safely), asks the
 * endpoint for the top-K breeds and answers `{"predictions": [...]}` or `{"error": {code, message}}`.
 * One JSON log line per request. Never the Lambda context, a stack trace, image bytes or full URLs.
 */

export interface HttpResponse {
    statusCode: number;
    headers: Record<string, string>;
    body: string;
}

/** The parts of the Lambda context this function reads (direct calls in tests may pass none). */
export interface InvocationContext {
    awsRequestId?: string;
    getRemainingTimeInMillis?: () => number;
}

export interface HandlerDeps {
    /** Host name resolver for URL fetches (default: the system resolver, all addresses). */
    resolve?: Resolver;
    /** SageMaker Runtime client (default: the container's shared client). */
    client?: RuntimeClient;
    /** Where the one log line per request goes (default: stdout). */
    log?: (line: string) => void;
    env?: Record<string, string | undefined>;
    now?: () => number;
}

/** Time kept back from Lambda's own timeout so the function can still answer 504 itself. */
export const DEADLINE_MARGIN_MS = 250;
/** Deadline when invoked without a Lambda context (local calls, tests). */
export const DEFAULT_TIME_BUDGET_MS = 30000;

function headersFor(config: LambdaConfig | undefined, requestId: string, preflight = false): Record<string, string> {
    const headers: Record<string, string> = {
        "Content-Type": "application/json",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "X-Request-Id": requestId,
    };
    if (config?.corsAllowOrigin) {
        headers["Access-Control-Allow-Origin"] = config.corsAllowOrigin;
        headers["Vary"] = "Origin";
        if (preflight) {
            headers["Access-Control-Allow-Methods"] = "POST, OPTIONS";
            headers["Access-Control-Allow-Headers"] = "Content-Type";
            headers["Access-Control-Max-Age"] = "600";
        }
    }
    return headers;
}

const outcomeOf = (status: number) => (status < 400 ? "ok" : status < 500 ? "rejected" : "failed");

export function createHandler(deps: HandlerDeps = {}) {
    const log = deps.log ?? ((line: string) => void process.stdout.write(`${line}\n`));
    const now = deps.now ?? Date.now;
    const resolve = deps.resolve ?? systemResolver;

    return async function handler(event: unknown, context?: InvocationContext): Promise<HttpResponse> {
        const started = now();
        const requestId = typeof context?.awsRequestId === "string" ? context.awsRequestId : `local-${started.toString(36)}`;
        const remaining = typeof context?.getRemainingTimeInMillis === "function" ? context.getRemainingTimeInMillis() : DEFAULT_TIME_BUDGET_MS;
        const deadline = started + remaining - DEADLINE_MARGIN_MS;
        // Lambda's JSON log format reads "level" and an RFC 3339 "timestamp" from lines written to stdout.
        const record: Record<string, unknown> = { timestamp: new Date(started).toISOString(), level: "info", msg: "request", requestId };
        let config: LambdaConfig | undefined;
        let response: HttpResponse;
        try {
            const loaded = currentConfig(deps.env ?? process.env);
            if (loaded instanceof ConfigError) throw new RequestError(500, "CONFIGURATION_ERROR", "the function is not configured correctly", loaded.message);
            config = loaded;
            const request = parseEvent(event, config);
            if (request.kind === "preflight") {
                response = { statusCode: 204, headers: headersFor(config, requestId, true), body: "" };
            } else {
                record.source = request.source.type;
                record.topK = request.topK;
                let bytes: Buffer;
                let contentType: string;
                if (request.source.type === "url") {
                    record.host = new URL(request.source.url).hostname;
                    const fetchStarted = now();
                    const fetched = await fetchImage(request.source.url, {
                        allowHttp: config.allowHttpUrls,
                        allowedCidrs: config.urlFetchAllowedCidrs,
                        maxBytes: config.maxImageBytes,
                        connectTimeoutMs: config.urlFetchConnectTimeoutMs,
                        totalTimeoutMs: config.urlFetchTimeoutMs,
                        deadline,
                        resolve,
                        now,
                    });
                    record.fetchMs = now() - fetchStarted;
                    record.redirects = fetched.redirects;
                    bytes = fetched.bytes;
                    contentType = fetched.kind.contentType;
                    record.imageFormat = fetched.kind.format;
                } else {
                    bytes = request.source.bytes;
                    contentType = request.source.kind.contentType;
                    record.imageFormat = request.source.kind.format;
                }
                record.imageBytes = bytes.length;
                const inferenceStarted = now();
                const inference = await invokeEndpoint({
                    client: deps.client ?? runtimeClient(deps.env ?? process.env),
                    endpointName: config.endpointName,
                    body: bytes,
                    contentType,
                    topK: request.topK,
                    deadline,
                    maxAttempts: config.endpointMaxAttempts,
                    now,
                });
                record.inferenceMs = now() - inferenceStarted;
                record.attempts = inference.attempts;
                if (inference.variant) record.variant = inference.variant;
                response = { statusCode: 200, headers: headersFor(config, requestId), body: JSON.stringify({ predictions: inference.predictions }) };
            }
        } catch (e) {
            const error =
                e instanceof RequestError
                    ? e
                    : new RequestError(500, "INTERNAL_ERROR", "the function failed unexpectedly", `${(e as Error)?.name}: ${String((e as Error)?.message ?? e).slice(0, 300)}`);
            if (error.detail) record.detail = error.detail;
            record.code = error.code;
            if (error.status >= 500) record.level = "error";
            response = {
                statusCode: error.status,
                headers: headersFor(config, requestId),
                body: JSON.stringify({ error: { code: error.code, message: error.message } }),
            };
        }
        record.status = response.statusCode;
        record.outcome = outcomeOf(response.statusCode);
        record.latencyMs = now() - started;
        try {
            log(JSON.stringify(record));
        } catch {
            // A failing log sink must not turn an answer into a crash.
        }
        return response;
    };
}

export const handler = createHandler();
