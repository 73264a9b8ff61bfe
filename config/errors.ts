import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { nearestName } from "../policies/lib/nearest-name";
import { DOCS } from "./fields";

/**
 * Turns the schema's failures into sentences a person can act on: the full key
 * (`mlops:endpoint.maxInstances`), the value, and what is allowed (the same words the
 * configuration reference prints), with the closest known name for a misspelt one.
 */

/**
 * Every problem of a stack's configuration. A `pulumi.RunError`, so `pulumi preview` prints the
 * message alone: the user's mistake is in a YAML file, not in the program's stack.
 */
export class ConfigError extends pulumi.RunError {
    constructor(readonly problems: string[], stack?: string) {
        super(`invalid configuration${stack ? ` of stack ${stack}` : ""} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
            problems.map(p => `  - ${p}`).join("\n"));
        this.name = "ConfigError";
    }
}

/** A value as the user wrote it, short enough for one line. */
export function show(value: unknown): string {
    const text = typeof value === "string" ? JSON.stringify(value) : value === undefined ? "nothing" : JSON.stringify(value) ?? withoutJson(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** JSON has no text only for functions and symbols: their own. */
function withoutJson(value: unknown): string {
    const functionOrSymbol = value as symbol | (() => unknown);
    return functionOrSymbol.toString();
}

/** The known name closest to a misspelt one, if it is close enough to be the one meant. */
export function closest(name: string, known: readonly string[]): string | undefined {
    // A couple of typos in a name long enough to still be recognisable, or a missing prefix
    // (`m5.xlarge` for `ml.m5.xlarge`).
    const typo = nearestName(name, known, Math.min(2, Math.max(1, Math.floor(name.length / 3))));
    return typo ?? known.find(k => name.includes(".") && k.toLowerCase().endsWith(`.${name.toLowerCase()}`));
}

type Path = readonly PropertyKey[];
type Schema = z.ZodType;

/** The schema inside wrappers (defaults, optional, preprocess and transform pipes). */
function layers(schema: Schema): Schema[] {
    const out: Schema[] = [];
    let s: Schema | undefined = schema;
    while (s) {
        out.push(s);
        const def = s.def as { type: string; innerType?: Schema; in?: Schema; out?: Schema };
        if (def.innerType) s = def.innerType;
        else if (def.type === "pipe") s = def.out!.def.type === "transform" ? def.in : def.out;
        else s = undefined;
    }
    return out;
}

export function unwrap(schema: Schema): Schema {
    return layers(schema).at(-1)!;
}

/** The schema of the key at `path` below `schema`, or undefined when there is none. */
export function schemaAt(schema: Schema, path: Path): Schema | undefined {
    let s: Schema | undefined = schema;
    for (const segment of path) {
        if (!s) return undefined;
        const def = unwrap(s).def as { type: string; shape?: Record<string, Schema>; element?: Schema; valueType?: Schema };
        s = def.type === "object" ? def.shape![String(segment)] : def.type === "array" ? def.element : def.type === "record" ? def.valueType : undefined;
    }
    return s;
}

/** What a schema allows, in the words the reference prints. */
export function allowedBy(schema: Schema | undefined): string | undefined {
    return schema && layers(schema).map(l => DOCS.get(l)?.allowed).find(a => a !== undefined);
}

function whenMissing(schema: Schema | undefined): string | undefined {
    return schema && layers(schema).map(l => DOCS.get(l)?.whenMissing).find(a => a !== undefined);
}

export function knownKeys(schema: Schema | undefined): string[] {
    const def = schema && (unwrap(schema).def as { type: string; shape?: Record<string, unknown> });
    return def?.type === "object" ? Object.keys(def.shape!) : [];
}

/** How the formatter names keys and recognises values that stand for another key's conflict. */
export interface KeyNaming {
    /** `["settings", "endpoint", "maxInstances"]` -> `mlops:endpoint.maxInstances`. */
    name(path: Path): string;
    /** The hint for a flat key such as `endpoint.maxInstances` found at `path` (where `known` keys live), if it is one. */
    flatKeyHint?(path: Path, key: string, value: unknown, known: string[]): string | undefined;
    /** A placeholder value standing for "set together with an exclusive key", and that key. */
    excludedBy?(value: unknown): { key: string; value: unknown } | undefined;
}

/** Where a key stands in the schema (section by section, key by key), for listing problems in file order. */
function position(root: Schema, path: Path): number[] {
    return path.map((segment, i) => (typeof segment === "number" ? segment : knownKeys(schemaAt(root, path.slice(0, i))).indexOf(String(segment))));
}

function byPosition(a: number[], b: number[]): number {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
    return a.length - b.length;
}

/** One sentence per problem, in the order of the keys in the schema (and so in the reference). */
export function describeIssues(issues: readonly z.core.$ZodIssue[], root: Schema, naming: KeyNaming): string[] {
    return issues
        .map(issue => ({ issue, at: position(root, issue.path) }))
        .sort((a, b) => byPosition(a.at, b.at))
        .flatMap(({ issue }) => describeIssue(issue, root, naming));
}

function describeIssue(issue: z.core.$ZodIssue, root: Schema, naming: KeyNaming): string[] {
    const path = issue.path;
    const key = naming.name(path);
    const input = (issue as { input?: unknown }).input;

    if (issue.code === "custom" && (issue.params as { sentence?: boolean } | undefined)?.sentence) return [`${key} ${issue.message}`];

    if (issue.code === "unrecognized_keys") {
        const known = knownKeys(schemaAt(root, path));
        return issue.keys.map(k => {
            const value = typeof input === "object" && input !== null ? (input as Record<string, unknown>)[k] : undefined;
            const flat = naming.flatKeyHint?.(path, k, value, known);
            if (flat) return flat;
            const guess = closest(k, known);
            return `${naming.name([...path, k])} is not a known setting` +
                (guess ? `; did you mean ${naming.name([...path, guess])}?` : ` (known here: ${known.join(", ")})`);
        });
    }

    if (issue.code === "invalid_key") {
        const owner = naming.name(path.slice(0, -1));
        const keyName = String(path.at(-1));
        return issue.issues.map(inner => (inner.code === "custom" && (inner.params as { sentence?: boolean } | undefined)?.sentence
            ? `${key} ${inner.message}`
            : `${owner} has an invalid key ${show(keyName)}: keys must be ${inner.message}`));
    }

    const excluded = naming.excludedBy?.(input);
    if (excluded) {
        return [`${key} cannot be set together with ${excluded.key}: choose a serverless or an instance variant and remove the other's settings (got ${show(excluded.value)})`];
    }

    const schema = schemaAt(root, path);
    const allowed = allowedBy(schema) ?? issue.message;
    if ((issue.code === "invalid_type" || issue.code === "invalid_value") && input === undefined) return [`${key} is required: ${whenMissing(schema) ?? allowed}`];
    let sentence = `${key} must be ${allowed} (got ${show(input)})`;
    if (issue.code === "invalid_value" && typeof input === "string") {
        const guess = closest(input, issue.values.map(String));
        if (guess) sentence += `; did you mean ${guess}?`;
    }
    return [sentence];
}
