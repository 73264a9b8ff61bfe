// Builders for the pack's rules. Every rule carries: a stable kebab-case name, a description that
// ends with the anchor IDs (awsguard / cdk-nag / Checkov) it matches, a default enforcement level,
// a configSchema whose every property has a default, and remediation text that is appended to each
// violation message. The builders also merge the schema defaults into `getConfig()`, because
// outside the Pulumi engine (unit tests, other harnesses) `getConfig()` returns `{}`; inside it the
// engine has already applied the same defaults, so merging twice is harmless.

import type {
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { StackIndex } from "./stack-index";
import { throwUnknown } from "./values";

/** One configSchema property. `default` is mandatory: every threshold and allow-list has one. */
export type ConfigProp<T> = {
    description: string;
    default: T;
} & (T extends boolean
    ? { type: "boolean" }
    : T extends number
      ? { type: "number" | "integer"; minimum?: number; maximum?: number }
      : T extends string
        ? { type: "string"; enum?: string[] }
        : T extends string[]
          ? { type: "array"; items: { type: "string" } }
          : { type: "object" });

export type ConfigSpec<C> = { [K in keyof C]: ConfigProp<C[K]> };

export interface RuleMeta<C> {
    /** Stable kebab-case name: it is the key in policies/config/<stack>.json. */
    name: string;
    /** What the rule checks, one sentence. */
    description: string;
    /** Matching rule IDs of the anchors (policy-anchors.md); empty when none of them has one. */
    anchors: string[];
    enforcementLevel: EnforcementLevel;
    severity: Severity;
    /** How to fix a violation; appended to every message. */
    remediation: string;
    config: ConfigSpec<C>;
    /** "security" (default), "cost" (allow-lists, budgets, limits) or "governance" (tags); sent as the policy's tags. */
    category?: Category;
}

export type Category = "security" | "cost" | "governance";

/** Typed helpers so rule files read as a table of thresholds. */
export const cfg = {
    strings: (description: string, def: string[]): ConfigProp<string[]> =>
        ({ type: "array", items: { type: "string" }, description, default: def }) as ConfigProp<string[]>,
    number: (description: string, def: number, minimum = 0): ConfigProp<number> =>
        ({ type: "number", minimum, description, default: def }) as ConfigProp<number>,
    integer: (description: string, def: number, minimum = 0): ConfigProp<number> =>
        ({ type: "integer", minimum, description, default: def }) as ConfigProp<number>,
    boolean: (description: string, def: boolean): ConfigProp<boolean> =>
        ({ type: "boolean", description, default: def }) as ConfigProp<boolean>,
    string: (description: string, def: string, allowed?: string[]): ConfigProp<string> =>
        ({ type: "string", description, default: def, ...(allowed ? { enum: allowed } : {}) }) as ConfigProp<string>,
};

export function fullDescription(meta: { description: string; anchors: string[] }): string {
    return meta.anchors.length > 0 ? `${meta.description} (anchors: ${meta.anchors.join(", ")})` : meta.description;
}

/** What the engine and `pulumi preview` show of a rule, the same for resource and stack rules. */
function policyMetadata<C>(meta: RuleMeta<C>) {
    return {
        name: meta.name,
        description: fullDescription(meta),
        enforcementLevel: meta.enforcementLevel,
        severity: meta.severity,
        remediationSteps: meta.remediation,
        tags: [meta.category ?? "security"],
        configSchema: configSchema(meta.config),
    };
}

function configSchema<C>(spec: ConfigSpec<C>) {
    const properties: Record<string, any> = {};
    for (const [k, v] of Object.entries(spec)) properties[k] = { ...(v as object) };
    return { properties };
}

/** Schema defaults overlaid with what the engine (or a test) configured. */
export function resolveConfig<C>(spec: ConfigSpec<C>, given: Record<string, unknown>): C {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(spec)) out[k] = (v as ConfigProp<unknown>).default;
    for (const [k, v] of Object.entries(given ?? {})) {
        if (k !== "enforcementLevel" && v !== undefined) out[k] = v;
    }
    return out as C;
}

function message(problem: string, remediation: string): string {
    return `${problem} Fix: ${remediation}`;
}

export interface ResourceCtx<C> {
    config: C;
    args: ResourceValidationArgs;
    /** Reports `problem` with the rule's remediation (or a more specific `fix`). */
    report(problem: string, fix?: string): void;
}

/**
 * A rule evaluated on one resource's inputs. With one type token the validate function carries
 * `__pulumiType`, so the analyzer skips other types without calling it (server.ts fast path);
 * with several, non-matching types are reported not-applicable the same way.
 */
export function resourceRule<C>(
    meta: RuleMeta<C> & {
        types: string[];
        validate(props: Record<string, any>, ctx: ResourceCtx<C>): void;
    },
): ResourceValidationPolicy {
    const types = new Set(meta.types);
    const notApplicableReason = `Policy only applies to resources of type '${meta.types.join("', '")}'`;
    const validate = (args: ResourceValidationArgs, reportViolation: ReportViolation): void => {
        if (!types.has(args.type)) args.notApplicable(notApplicableReason);
        const config = resolveConfig(meta.config, args.getConfig<Record<string, unknown>>());
        meta.validate(args.props, {
            config,
            args,
            report: (problem, fix) => reportViolation(message(problem, fix ?? meta.remediation)),
        });
    };
    if (types.size === 1) (validate as any).__pulumiType = meta.types[0];
    return { ...policyMetadata(meta), validateResource: validate };
}

export interface StackCtx<C> {
    config: C;
    args: StackValidationArgs;
    index: StackIndex;
    /** Reports `problem` against the resource `urn` it concerns (undefined: the stack as a whole). */
    report(urn: string | undefined, problem: string, fix?: string): void;
    /**
     * Records that something this rule needed is unknown (preview). The rule goes on with what it
     * can decide; at the end the analyzer is told it could not run completely, which it reports as
     * the advisory "can't run policy ... during preview" next to any violation already found.
     */
    unknown(path: string): void;
}

/** A rule over all resources of the stack (outputs); it indexes them once (no pairwise scans). */
export function stackRule<C>(
    meta: RuleMeta<C> & {
        /** Not applicable when the stack holds none of these types. */
        types: string[];
        validate(ctx: StackCtx<C>): void;
    },
): StackValidationPolicy {
    const validateStack = (args: StackValidationArgs, reportViolation: ReportViolation): void => {
        const index = new StackIndex(args.resources as PolicyResource[]);
        if (!meta.types.some((t) => index.ofType(t).length > 0)) {
            args.notApplicable(`No resources of type '${meta.types.join("', '")}' in the stack`);
        }
        const config = resolveConfig(meta.config, args.getConfig<Record<string, unknown>>());
        const unknowns: string[] = [];
        meta.validate({
            config,
            args,
            index,
            report: (urn, problem, fix) => reportViolation(message(problem, fix ?? meta.remediation), urn),
            unknown: (path) => void unknowns.push(path),
        });
        if (unknowns.length > 0) throwUnknown([unknowns[0]]);
    };
    return { ...policyMetadata(meta), validateStack };
}
