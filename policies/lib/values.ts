// Reading resource properties the way the policy analyzer hands them over.
//
// During `pulumi preview` the analyzer wraps `props` in @pulumi/policy's `unknownCheckingProxy`:
// touching a computed (unknown) value throws `UnknownValueError`, which the server turns into an
// advisory "can't run policy ... during preview" for the WHOLE policy. Rules that join resources or
// parse documents must be able to look at a value without throwing, decide what is knowable, and
// only fall back to that advisory when nothing can be decided. These helpers read the proxy's
// target directly and recognise the engine's unknown sentinels.

// proxy.d.ts ships without declarations (the class is @internal), hence the typed require.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { UnknownValueError } = require("@pulumi/policy/proxy") as {
    UnknownValueError: new (sentinel: string, props: string[]) => Error;
};

/** The wire sentinels for unknown values (pulumi `sdk/nodejs/runtime/rpc` and @pulumi/policy `proxy.ts`). */
const SENTINELS = {
    boolean: "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    number: "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    string: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    array: "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    asset: "030794c1-ac77-496b-92df-f27374a8bd58",
    archive: "e48ece36-62e2-4504-bad9-02848725956a",
    object: "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
} as const;
const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set(Object.values(SENTINELS));

/** Marker returned by `get` for a value that is not known yet (preview of a computed output). */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Unknown = typeof UNKNOWN;

export function isUnknownSentinel(v: unknown): boolean {
    return typeof v === "string" && UNKNOWN_SENTINELS.has(v);
}

/** The object behind @pulumi/policy's unknown-checking proxy (or the value itself). */
export function unwrap<T>(v: T): T {
    if (v !== null && typeof v === "object" && (v as any).__isSpecialProxy === true) {
        return (v as any).__getSpecialProxyTarget as T;
    }
    return v;
}

/**
 * Reads `path` under `obj` without ever throwing on unknowns: returns UNKNOWN when the value or any
 * object on the way is unknown, `undefined` when absent. Nested values of an unwrapped target are
 * plain values (the proxy only wraps on access), so one unwrap suffices.
 */
export function get(obj: unknown, ...path: (string | number)[]): unknown {
    let cur: unknown = unwrap(obj);
    if (isUnknownSentinel(cur)) return UNKNOWN;
    for (const key of path) {
        if (cur === null || cur === undefined || typeof cur !== "object") return undefined;
        cur = (cur as any)[key];
        if (isUnknownSentinel(cur)) return UNKNOWN;
    }
    return cur;
}

/** A string value, UNKNOWN, or undefined (anything else is treated as absent). */
export function str(obj: unknown, ...path: (string | number)[]): string | Unknown | undefined {
    const v = get(obj, ...path);
    return typeof v === "string" || v === UNKNOWN ? v : undefined;
}

/** A number value (numeric strings accepted: the engine may hand over config-derived strings), UNKNOWN or undefined. */
export function num(obj: unknown, ...path: (string | number)[]): number | Unknown | undefined {
    const v = get(obj, ...path);
    if (v === UNKNOWN || typeof v === "number") return v;
    if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
    return undefined;
}

/** A boolean value (the strings "true"/"false" accepted), UNKNOWN or undefined. */
export function bool(obj: unknown, ...path: (string | number)[]): boolean | Unknown | undefined {
    const v = get(obj, ...path);
    if (v === UNKNOWN || typeof v === "boolean") return v;
    if (v === "true") return true;
    if (v === "false") return false;
    return undefined;
}

/** An array (elements may be UNKNOWN), UNKNOWN, or [] when absent. */
export function arr(obj: unknown, ...path: (string | number)[]): unknown[] | Unknown {
    const v = get(obj, ...path);
    if (v === UNKNOWN) return UNKNOWN;
    if (!Array.isArray(v)) return v === undefined || v === null ? [] : [v];
    return v.map((e) => (isUnknownSentinel(e) ? UNKNOWN : e));
}

/** A string map such as `tags` or `environment.variables`, UNKNOWN, or undefined. */
export function record(obj: unknown, ...path: (string | number)[]): Record<string, unknown> | Unknown | undefined {
    const v = get(obj, ...path);
    if (v === UNKNOWN) return UNKNOWN;
    if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
    return v as Record<string, unknown>;
}

/**
 * Throws the analyzer's own `UnknownValueError` for an unknown value at `path`, so the server
 * reports its honest advisory "can't run policy ... during preview" instead of the rule guessing.
 * (Same module instance as @pulumi/policy's server.js, which checks `instanceof`.)
 */
export function throwUnknown(path: (string | number)[], kind: keyof typeof SENTINELS = "string"): never {
    throw new UnknownValueError(SENTINELS[kind], path.map(String));
}

/** Glob (`*`, `?`) to an anchored case-insensitive RegExp, as IAM matches actions. */
export function globToRegExp(glob: string): RegExp {
    const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    return new RegExp(`^${body}$`, "i");
}
