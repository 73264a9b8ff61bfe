// Builders for the pack's rules. Every rule carries: a stable kebab-case name, a description that
// ends with the anchor IDs (awsguard / cdk-nag / Checkov) it matches, a default enforcement level,
// a configSchema whose every property has a default, and remediation text that is appended to each
// violation message. A rule names the kinds of resource it checks (lib/resource-types.ts) and gets
// their typed inputs (resource rules) or outputs (stack rules), as awsguard's
// `validateResourceOfType(aws.s3.Bucket, ...)` does, for every class of each kind.
//
// Config: outside the Pulumi engine (unit tests, other harnesses) `getConfig()` returns `{}`, so the
// schema defaults are merged here (inside the engine they already are: merging twice is harmless).
// Unknown keys are refused here too: the engine validates a policy's config against the schema's
// `properties` and `required` only (`additionalProperties` does not travel over the analyzer
// protocol), so without this check a misspelt threshold would silently fall back to its default.

import {
    validateResourceOfType,
    type EnforcementLevel,
    type ReportViolation,
    type ResourceValidation,
    type ResourceValidationArgs,
    type ResourceValidationPolicy,
    type Severity,
    type StackValidationArgs,
    type StackValidationPolicy,
} from "@pulumi/policy";
import { nearestName } from "./nearest-name";
import { StackIndex } from "./stack-index";
import { Unknown } from "./preview";
import { type ArgsOf, type AwsClass, type Kind, className } from "./resource-types";

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

export type Category = "security" | "cost" | "governance";

export interface RuleMeta<C> {
    /** Stable kebab-case name: it is the key in policies/config/<stack>.json. */
    name: string;
    /** What the rule checks, one sentence. */
    description: string;
    /** Matching rule IDs of the anchors; empty when none of them has one. */
    anchors: string[];
    enforcementLevel: EnforcementLevel;
    severity: Severity;
    /** How to fix a violation; appended to every message. */
    remediation: string;
    config: ConfigSpec<C>;
    /** "security" (default), "cost" (allow-lists, budgets, limits) or "governance" (tags); sent as the policy's tags. */
    category?: Category;
}

/** Typed helpers so rule files read as a table of thresholds. */
export const cfg = {
    strings: (description: string, def: string[]): ConfigProp<string[]> => ({ type: "array", items: { type: "string" }, description, default: def }),
    number: (description: string, def: number, minimum = 0): ConfigProp<number> => ({ type: "number", minimum, description, default: def }),
    integer: (description: string, def: number, minimum = 0): ConfigProp<number> => ({ type: "integer", minimum, description, default: def }),
    boolean: (description: string, def: boolean): ConfigProp<boolean> => ({ type: "boolean", description, default: def }),
    string: (description: string, def: string, allowed?: string[]): ConfigProp<string> => ({ type: "string", description, default: def, ...(allowed ? { enum: allowed } : {}) }),
};

export function fullDescription(meta: { description: string; anchors: string[] }): string {
    return meta.anchors.length > 0 ? `${meta.description} (anchors: ${meta.anchors.join(", ")})` : meta.description;
}

/** The JSON schema of a rule's config: its properties, nothing else. */
export function configSchema<C>(spec: ConfigSpec<C>): { properties: Record<string, object>; additionalProperties: false } {
    const properties: Record<string, object> = {};
    for (const [k, v] of Object.entries(spec)) properties[k] = { ...(v as object) };
    return { properties, additionalProperties: false };
}

/** What the docs and tests know of a rule beyond the Policy object: its parts before they were joined. */
export interface RuleInfo {
    name: string;
    kind: "resource" | "stack";
    description: string;
    anchors: string[];
    category: Category;
    /** The kinds a resource rule checks, or whose presence makes a stack rule applicable. */
    kinds: readonly Kind[];
    config: Record<string, ConfigProp<unknown>>;
}

const INFO = new WeakMap<object, RuleInfo>();

/** The RuleInfo of a policy built here (undefined for a policy built elsewhere). */
export function ruleInfo(policy: object): RuleInfo | undefined {
    return INFO.get(policy);
}

function registered<P extends object>(policy: P, meta: RuleMeta<unknown> & { kinds: readonly Kind[] }, kind: RuleInfo["kind"]): P {
    INFO.set(policy, {
        name: meta.name,
        kind,
        description: meta.description,
        anchors: meta.anchors,
        category: meta.category ?? "security",
        kinds: meta.kinds,
        config: meta.config,
    });
    return policy;
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

/** Raised for a policy config property the rule does not have (a typo); it fails the preview. */
export class PolicyConfigPropertyError extends Error {
    constructor(
        readonly policyName: string,
        readonly property: string,
        allowed: string[],
    ) {
        // Long rule properties tolerate more typos than short keys.
        const near = nearestName(property, allowed, Math.max(3, Math.floor(property.length / 3)));
        super(
            `policy config of '${policyName}': unknown property '${property}'${near ? ` (did you mean '${near}'?)` : ""}; ` +
                `${allowed.length > 0 ? `its properties are ${allowed.join(", ")}` : "it takes no properties"} (besides enforcementLevel)`,
        );
        this.name = "PolicyConfigPropertyError";
    }
}

/** Schema defaults overlaid with what the engine (or a test) configured; unknown keys are refused. */
export function resolveConfig<C>(policyName: string, spec: ConfigSpec<C>, given: Record<string, unknown>): C {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(spec)) out[k] = (v as ConfigProp<unknown>).default;
    for (const [k, v] of Object.entries(given ?? {})) {
        if (k === "enforcementLevel") continue;
        if (!(k in out)) throw new PolicyConfigPropertyError(policyName, k, Object.keys(out));
        if (v !== undefined) out[k] = v;
    }
    return out as C;
}

function message(problem: string, remediation: string): string {
    return `${problem} Fix: ${remediation}`;
}

/**
 * Collects the values a rule needed but could not read during preview. The rule goes on with what
 * it can decide; at the end the first analyzer error is re-thrown, which the analyzer reports as
 * the advisory "can't run policy ... during preview" next to any violation already found.
 */
class Undecided {
    private first?: Unknown;
    note(u: Unknown): void {
        this.first ??= u;
    }
    rethrow(): void {
        if (this.first) throw this.first.error;
    }
}

export interface ResourceCtx<C> {
    config: C;
    args: ResourceValidationArgs;
    /** The inputs typed as `kind`'s classes, or undefined when the resource is of another kind. */
    as: <K extends Kind>(kind: K) => ArgsOf<K> | undefined;
    /** Reports `problem` with the rule's remediation (or a more specific `fix`). */
    report: (problem: string, fix?: string) => void;
    /** The rule needed this unknown value: after it finishes, preview says it could not run fully. */
    undecided: (u: Unknown) => void;
}

/** What `validateResourceOfType` takes: a class (the type it declares is wider than AwsClass). */
type TypedClass = Parameters<typeof validateResourceOfType>[0];

function kindsLabel(kinds: readonly Kind[]): string {
    return kinds.flatMap((k) => k.tokens).join("', '");
}

/**
 * A rule evaluated on one resource's inputs, for every class of `kinds`. With a single class it is
 * @pulumi/policy's own `validateResourceOfType`, so the analyzer skips other types without calling
 * it; with several, one function checks `args.isType` against each class.
 */
export function resourceRule<C, K extends Kind>(
    meta: RuleMeta<C> & {
        kinds: readonly K[];
        /** May return a promise (a rule that reads IAM action data does). */
        validate(props: ArgsOf<K>, ctx: ResourceCtx<C>): void | Promise<void>;
    },
): ResourceValidationPolicy {
    const classes: AwsClass[] = meta.kinds.flatMap((k) => [...k.classes]);
    // Type tokens read from the classes: comparing them is what `args.isType(cls)` does.
    const tokens = new Set(meta.kinds.flatMap((k) => [...k.tokens]));
    const run = (props: unknown, args: ResourceValidationArgs, reportViolation: ReportViolation): void | Promise<void> => {
        const config = resolveConfig(meta.name, meta.config, args.getConfig<Record<string, unknown>>());
        const undecided = new Undecided();
        const done = meta.validate(props as ArgsOf<K>, {
            config,
            args,
            as: <K2 extends Kind>(kind: K2) => (kind.tokens.includes(args.type) ? (args.props as ArgsOf<K2>) : undefined),
            report: (problem, fix) => reportViolation(message(problem, fix ?? meta.remediation)),
            undecided: (u) => undecided.note(u),
        });
        if (done instanceof Promise) return done.then(() => undecided.rethrow());
        undecided.rethrow();
    };
    let validateResource: ResourceValidation;
    if (classes.length === 1) {
        validateResource = validateResourceOfType(classes[0] as unknown as TypedClass, (props, args, report) => run(props, args, report));
    } else {
        const reason = `Policy only applies to resources of type '${kindsLabel(meta.kinds)}'`;
        validateResource = (args, reportViolation) => {
            if (!tokens.has(args.type)) args.notApplicable(reason);
            return run(args.props, args, reportViolation);
        };
    }
    return registered({ ...policyMetadata(meta), validateResource }, meta as RuleMeta<unknown> & { kinds: readonly Kind[] }, "resource");
}

export interface StackCtx<C> {
    config: C;
    args: StackValidationArgs;
    index: StackIndex;
    /** Reports `problem` against the resource `urn` it concerns (undefined: the stack as a whole). */
    report: (urn: string | undefined, problem: string, fix?: string) => void;
    /** The rule needed this unknown value: after it finishes, preview says it could not run fully. */
    undecided: (u: Unknown) => void;
}

/** A rule over all resources of the stack (outputs); it indexes them once (no pairwise scans). */
export function stackRule<C>(
    meta: RuleMeta<C> & {
        /** Not applicable when the stack holds none of these kinds. */
        kinds: readonly Kind[];
        validate(ctx: StackCtx<C>): void;
    },
): StackValidationPolicy {
    const reason = `No resources of type '${kindsLabel(meta.kinds)}' in the stack`;
    const validateStack = (args: StackValidationArgs, reportViolation: ReportViolation): void => {
        const config = resolveConfig(meta.name, meta.config, args.getConfig<Record<string, unknown>>());
        const index = new StackIndex(args.resources);
        if (!meta.kinds.some((k) => index.of(k).length > 0)) args.notApplicable(reason);
        const undecided = new Undecided();
        meta.validate({
            config,
            args,
            index,
            report: (urn, problem, fix) => reportViolation(message(problem, fix ?? meta.remediation), urn),
            undecided: (u) => undecided.note(u),
        });
        undecided.rethrow();
    };
    return registered({ ...policyMetadata(meta), validateStack }, meta as RuleMeta<unknown> & { kinds: readonly Kind[] }, "stack");
}

/** `aws.s3.Bucket, aws.s3.BucketV2` for remediation texts and docs. */
export function classNames(kind: Kind): string {
    return kind.tokens.map(className).join(" / ");
}
