import { Cidr, parseCidr } from "./ip";

/**
 * The function's configuration, read from its environment (set by the InferenceFunction
 * component). Every bad value is reported with the variable, the value and what is allowed; the
 * handler answers 500 CONFIGURATION_ERROR instead of crashing.
 */
export interface LambdaConfig {
    endpointName: string;
    /** Access-Control-Allow-Origin for responses; undefined = no CORS headers at all. */
    corsAllowOrigin?: string;
    maxImageBytes: number;
    allowHttpUrls: boolean;
    /** Blocks exempted from the private-address refusal (how tests reach a loopback image server). */
    urlFetchAllowedCidrs: Cidr[];
    /** Number of classes the model knows: the upper bound of topK. */
    modelNumClasses: number;
    defaultTopK: number;
    urlFetchConnectTimeoutMs: number;
    urlFetchTimeoutMs: number;
    endpointMaxAttempts: number;
}

export class ConfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ConfigError";
    }
}

/** SageMaker real-time InvokeEndpoint takes payloads up to 25 MB; stay well below it. */
export const MAX_IMAGE_BYTES_LIMIT = 20 * 1024 * 1024;

export const DEFAULTS = {
    maxImageBytes: 5 * 1024 * 1024,
    modelNumClasses: 133,
    defaultTopK: 5,
    urlFetchConnectTimeoutMs: 3000,
    urlFetchTimeoutMs: 10000,
    endpointMaxAttempts: 3,
};

/** The environment variables this function reads: the whole configuration surface. */
export const ENV = {
    endpointName: "ENDPOINT_NAME",
    corsAllowOrigin: "CORS_ALLOW_ORIGIN",
    maxImageBytes: "MAX_IMAGE_BYTES",
    allowHttpUrls: "ALLOW_HTTP_URLS",
    urlFetchAllowedCidrs: "URL_FETCH_ALLOWED_CIDRS",
    modelNumClasses: "MODEL_NUM_CLASSES",
    defaultTopK: "DEFAULT_TOP_K",
    urlFetchConnectTimeoutMs: "URL_FETCH_CONNECT_TIMEOUT_MS",
    urlFetchTimeoutMs: "URL_FETCH_TIMEOUT_MS",
    endpointMaxAttempts: "ENDPOINT_MAX_ATTEMPTS",
} as const;

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
    const raw = env[name];
    if (raw === undefined || raw.trim() === "") return fallback;
    const value = Number(raw.trim());
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
        throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
    }
    return value;
}

function boolean(env: Env, name: string): boolean {
    const raw = env[name];
    if (raw === undefined || raw.trim() === "") return false;
    const v = raw.trim().toLowerCase();
    if (v === "true") return true;
    if (v === "false") return false;
    throw new ConfigError(`${name} must be "true" or "false" (got "${raw}")`);
}

function origin(env: Env, name: string): string | undefined {
    const raw = env[name];
    if (raw === undefined || raw.trim() === "") return undefined;
    const v = raw.trim();
    // One exact origin (scheme://host[:port]); "*" is deliberately not allowed (the by-hand project's mistake).
    let parsed: URL | undefined;
    try {
        parsed = new URL(v);
    } catch {
        parsed = undefined;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== v) {
        throw new ConfigError(`${name} must be one origin such as https://app.example.com, without path or "*" (got "${raw}")`);
    }
    return v;
}

/** Reads and validates the configuration; throws ConfigError naming the variable on a bad value. */
export function loadConfig(env: Env): LambdaConfig {
    const endpointName = (env[ENV.endpointName] ?? "").trim();
    if (endpointName === "") throw new ConfigError(`${ENV.endpointName} is not set: the function does not know which endpoint to call`);
    // SageMaker endpoint names: 1-63 characters, alphanumerics and hyphens.
    if (!/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(endpointName)) {
        throw new ConfigError(`${ENV.endpointName} must be a SageMaker endpoint name (letters, digits, hyphens; 1-63 characters) (got "${endpointName}")`);
    }
    const cidrsRaw = env[ENV.urlFetchAllowedCidrs] ?? "";
    const urlFetchAllowedCidrs = cidrsRaw
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "")
        .map((s) => {
            try {
                return parseCidr(s);
            } catch (e) {
                throw new ConfigError(`${ENV.urlFetchAllowedCidrs}: ${(e as Error).message}`);
            }
        });
    const modelNumClasses = integer(env, ENV.modelNumClasses, DEFAULTS.modelNumClasses, 1, 100000);
    const defaultTopK = integer(env, ENV.defaultTopK, Math.min(DEFAULTS.defaultTopK, modelNumClasses), 1, modelNumClasses);
    const urlFetchTimeoutMs = integer(env, ENV.urlFetchTimeoutMs, DEFAULTS.urlFetchTimeoutMs, 1, 900000);
    return {
        endpointName,
        corsAllowOrigin: origin(env, ENV.corsAllowOrigin),
        maxImageBytes: integer(env, ENV.maxImageBytes, DEFAULTS.maxImageBytes, 1, MAX_IMAGE_BYTES_LIMIT),
        allowHttpUrls: boolean(env, ENV.allowHttpUrls),
        urlFetchAllowedCidrs,
        modelNumClasses,
        defaultTopK,
        urlFetchConnectTimeoutMs: integer(env, ENV.urlFetchConnectTimeoutMs, Math.min(DEFAULTS.urlFetchConnectTimeoutMs, urlFetchTimeoutMs), 1, urlFetchTimeoutMs),
        urlFetchTimeoutMs,
        endpointMaxAttempts: integer(env, ENV.endpointMaxAttempts, DEFAULTS.endpointMaxAttempts, 1, 10),
    };
}

let cached: { key: string; result: LambdaConfig | ConfigError } | undefined;

/** loadConfig memoized on the raw values, so a warm container parses its environment once. */
export function currentConfig(env: Env = process.env): LambdaConfig | ConfigError {
    const key = Object.values(ENV).map((name) => env[name] ?? "\u0000").join("\u0001");
    if (cached?.key !== key) {
        let result: LambdaConfig | ConfigError;
        try {
            result = loadConfig(env);
        } catch (e) {
            if (!(e instanceof ConfigError)) throw e;
            result = e;
        }
        cached = { key, result };
    }
    return cached.result;
}
