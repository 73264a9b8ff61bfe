// Values the engine does not know yet. During `pulumi preview` the analyzer hands rules their
// resources' properties behind @pulumi/policy's unknown-checking proxy: reading a computed value
// throws the public `UnknownValueError`, and a rule that lets it escape is reported as the advisory
// "can't run policy ... during preview". That is the right answer when nothing can be decided, but a
// rule that joins resources or reads documents can often decide on what is known (an Action "*" is
// a violation whatever the unknown Resource ARN is). `peek` reads one value and returns it, or an
// `Unknown` that keeps the analyzer's error, so the rule can go on and re-throw it at the end if it
// needed that value (rule.ts does that for every rule).

import { UnknownValueError } from "@pulumi/policy";

/** A value unknown during preview; `error` is what the analyzer threw when it was read. */
export class Unknown {
    constructor(readonly error: Error) {}
}

/** `read()`, or an `Unknown` if it touched a value the engine does not know yet. */
export function peek<T>(read: () => T): T | Unknown {
    try {
        return read();
    } catch (e) {
        if (e instanceof UnknownValueError) return new Unknown(e as Error);
        throw e;
    }
}

export function isUnknown(v: unknown): v is Unknown {
    return v instanceof Unknown;
}

/** The elements of a (possibly proxied, possibly unknown) list, each read on its own. */
export function peekEach<T>(list: readonly T[] | undefined | null | Unknown): (T | Unknown)[] {
    if (list === undefined || list === null) return [];
    if (list instanceof Unknown) return [list];
    const out: (T | Unknown)[] = [];
    for (let i = 0; i < list.length; i++) out.push(peek(() => list[i]));
    return out;
}

/** Set to something other than undefined, null or "" (an unknown value counts as set). */
export function isSet(read: () => unknown): boolean {
    const v = peek(read);
    return v instanceof Unknown || (v !== undefined && v !== null && v !== "");
}

/** A value as a rule reads it: known, unknown during preview, or absent. */
export type Read<V> = V | Unknown | undefined;

/** A number (numeric strings accepted: config-derived inputs may arrive as strings), Unknown, or undefined. */
export function readNumber(read: () => unknown): Read<number> {
    const v = peek(read);
    if (v instanceof Unknown || typeof v === "number") return v;
    if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
    return undefined;
}

/** A string, Unknown, or undefined (anything else counts as absent). */
export function readString(read: () => unknown): Read<string> {
    const v = peek(read);
    return v instanceof Unknown || typeof v === "string" ? v : undefined;
}

/** A boolean (the strings "true"/"false" accepted), Unknown, or undefined. */
export function readBoolean(read: () => unknown): Read<boolean> {
    const v = peek(read);
    if (v instanceof Unknown || typeof v === "boolean") return v;
    return v === "true" ? true : v === "false" ? false : undefined;
}


/** A value for a message: the string (or number) itself, "(unknown)" during preview, "(none)" when absent. */
export function shown(read: () => unknown): string {
    const v = peek(read);
    if (v instanceof Unknown) return "(unknown)";
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return String(v);
    return v === undefined || v === null ? "(none)" : JSON.stringify(v);
}
