import { z } from "zod";

/**
 * The building blocks of the stack-config schema. Each field knows, in words, what it allows;
 * the configuration reference prints that text and every error about the field ends with it, so
 * the docs and the errors cannot disagree.
 */

export interface FieldDoc {
    /** What the field accepts, as the end of "must be ...": `a whole number from 1 to 20`. */
    allowed?: string;
    /** What the field means (the reference's last column). */
    description?: string;
    /** What to do when a required field is missing, if more than "it is required". */
    whenMissing?: string;
}

/** Marks an issue whose message is a whole sentence about the key (a rule), not a zod check. */
export const SENTENCE = { sentence: true } as const;

/** Docs of fields and sections, read by the reference generator and the error messages. */
export const DOCS = z.registry<FieldDoc>();

export function documented<S extends z.ZodType>(schema: S, doc: FieldDoc): S {
    DOCS.add(schema, doc);
    return schema;
}

// `pulumi config set --path` stores some numbers and booleans as text; accept those spellings.
const numberFromText = (v: unknown) => (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v);
const booleanFromText = (v: unknown) => (v === "true" ? true : v === "false" ? false : v);

export interface Range {
    min?: number;
    max?: number;
    /** Lower bound that is not allowed itself (`> 0`). */
    exclusiveMin?: number;
}

export function rangeText(r: Range, integer: boolean): string {
    const kind = integer ? "a whole number" : "a number";
    if (r.min !== undefined && r.max !== undefined) return `${kind} from ${r.min} to ${r.max}`;
    const low = r.exclusiveMin !== undefined ? `> ${r.exclusiveMin}` : r.min !== undefined ? `>= ${r.min}` : undefined;
    if (low !== undefined && r.max !== undefined) return `${kind} ${low} and <= ${r.max}`;
    if (low !== undefined) return `${kind} ${low}`;
    if (r.max !== undefined) return `${kind} <= ${r.max}`;
    return kind;
}

function bounded(base: z.ZodNumber, r: Range): z.ZodNumber {
    let s = base;
    if (r.min !== undefined) s = s.min(r.min);
    if (r.exclusiveMin !== undefined) s = s.gt(r.exclusiveMin);
    if (r.max !== undefined) s = s.max(r.max);
    return s;
}

export function integer(r: Range, description?: string) {
    return documented(z.preprocess(numberFromText, bounded(z.number().int(), r)), { allowed: rangeText(r, true), description });
}

export function decimal(r: Range, description?: string) {
    return documented(z.preprocess(numberFromText, bounded(z.number(), r)), { allowed: rangeText(r, false), description });
}

/** A whole number that is a multiple of `step` within a range (serverless memory sizes). */
export function steps(r: { min: number; max: number; step: number }, description?: string) {
    return documented(z.preprocess(numberFromText, z.number().int().min(r.min).max(r.max).multipleOf(r.step)), {
        allowed: `a multiple of ${r.step} from ${r.min} to ${r.max}`,
        description,
    });
}

export function flag(description?: string) {
    return documented(z.preprocess(booleanFromText, z.boolean()), { allowed: "true or false", description });
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T, description?: string, allowed = `one of ${values.join(", ")}`) {
    return documented(z.enum(values), { allowed, description });
}

/** One of a list of numbers (CloudWatch Logs retention days). */
export function oneOfNumbers(values: readonly number[], description?: string) {
    const allowed = `one of ${values.join(", ")}`;
    return documented(
        z.preprocess(numberFromText, z.number().refine(v => values.includes(v), { error: allowed })),
        { allowed, description },
    );
}

export function text(pattern: RegExp, allowed: string, description?: string) {
    return documented(z.string().regex(pattern), { allowed, description });
}

/** A list of `element`s, at least one unless `optional`, never the same value twice. */
export function distinctList<E extends z.ZodType>(element: E, allowed: string, opts: { nonEmpty: boolean; description?: string }) {
    const base = opts.nonEmpty ? z.array(element).min(1) : z.array(element);
    const list = base.superRefine((items, ctx) => {
        const seen = new Set<string>();
        items.forEach((item, i) => {
            const key = JSON.stringify(item);
            if (seen.has(key)) ctx.addIssue({ code: "custom", path: [i], input: item, message: `repeats ${key}: every value may appear once`, params: SENTENCE, continue: true });
            seen.add(key);
        });
    });
    return documented(list, { allowed, description: opts.description });
}

/** A group of keys (`mlops:endpoint`): unknown keys are refused, defaults fill what is unset. */
export function section<S extends z.ZodRawShape>(shape: S, description?: string) {
    return documented(z.strictObject(shape), { allowed: "an object", description });
}

/** Compact instance-type lists for messages and docs: `ml.m5.{large,xlarge}, ml.c5.xlarge`. */
export function compactTypes(types: readonly string[]): string {
    const families = new Map<string, string[]>();
    for (const t of types) {
        const cut = t.lastIndexOf(".");
        const family = t.slice(0, cut);
        families.set(family, [...(families.get(family) ?? []), t.slice(cut + 1)]);
    }
    return [...families].map(([family, list]) => (list.length === 1 ? `${family}.${list[0]}` : `${family}.{${list.join(",")}}`)).join(", ");
}
