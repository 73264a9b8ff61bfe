import type { z } from "zod";
import { SENTENCE } from "./fields";

/**
 * Rules between keys (`maxInstances >= minInstances`), attached to the smallest section that
 * holds every key they read. A rule runs only when each of its keys passed its own checks: a
 * key with a wrong value is reported once, for itself, never again through a rule that would
 * compare it, and a rule never blames a key for a neighbour's mistake.
 */

type Path = (string | number)[];

/** Reports a problem at `key` (relative to the rule's section: `maxInstances`, `runs.1.name`). */
export type Report = (key: string | Path, message: string) => void;

/** Every rule's sentence for the configuration reference, in schema order. */
export const RULE_DOCS: string[] = [];

const toPath = (key: string | Path): Path => (typeof key === "string" ? key.split(".").map(k => (/^\d+$/.test(k) ? Number(k) : k)) : key);

/** True when one path is a prefix of the other: an issue there concerns the key. */
function overlaps(a: readonly PropertyKey[], b: readonly PropertyKey[]): boolean {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
    return true;
}

/**
 * `section.superRefine(...rule(keys, doc, check))`. `keys` are every key the check reads,
 * relative to the section; `doc` is the rule in words, with full keys, for the reference.
 */
export function rule<T>(keys: string[], doc: string, check: (value: T, report: Report) => void):
    [(value: T, ctx: z.RefinementCtx<T>) => void, { when: (payload: z.core.ParsePayload) => boolean }] {
    RULE_DOCS.push(doc);
    const paths = keys.map(toPath);
    return [
        (value, ctx) => check(value, (key, message) => ctx.addIssue({ code: "custom", path: toPath(key), message, params: SENTENCE, continue: true })),
        { when: payload => !payload.issues.some(issue => paths.some(p => overlaps(issue.path ?? [], p))) },
    ];
}
