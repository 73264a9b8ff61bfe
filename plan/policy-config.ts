// Policy pack configuration, resolved the way the Pulumi CLI resolves it before `Configure`
// (pulumi/pulumi pkg/resource/analyzer/config.go):
//   1. parse the `--policy-pack-config` file: each entry a level, or an object with an optional
//      `enforcementLevel` and properties (`parsePolicyPackConfig`, with the CLI's wording);
//   2. start every policy at the level `GetAnalyzerInfo` advertises, with the `default` of every
//      property of its config schema (`createConfigWithDefaults`);
//   3. apply the pack's initial config, then the file: in each layer `"all"` first sets every
//      level, then each entry overrides a level and shallow-merges properties (`applyConfig`);
//   4. validate each policy's properties against `{type: "object", properties, required}` built
//      from its advertised schema (the CLI uses gojsonschema; the plan uses ajv).
// The result, one entry per name, is what `Configure` sends.
//
// The plan is stricter than the CLI in one respect: a name that is no policy of the pack, and a
// property a policy's schema does not declare, are refused as typos, naming the closest known one.
// (The CLI forwards both to the pack, which ignores them; the schema a pack advertises carries no
// `additionalProperties`, so the CLI has no way to tell.)

import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import { AnalyzerInfo, AnalyzerPolicyInfo, ENFORCEMENT_LEVELS, EnforcementLevel, PolicyConfig } from "./analyzer-client";
import { nearestName } from "../policies/lib/nearest-name";

/** The `--policy-pack-config` file format: a level, or an object with an optional level and properties. */
export type PolicyPackConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

export type { PolicyConfig as ResolvedPolicyConfig } from "./analyzer-client";

/** Raised for a config the plan refuses; the message names the policy, the key and the value. */
export class PolicyConfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PolicyConfigError";
    }
}

interface ConfigLayerEntry {
    enforcementLevel?: EnforcementLevel;
    properties?: Record<string, unknown>;
}

function isLevel(value: unknown): value is EnforcementLevel {
    return typeof value === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(value);
}

const ALLOWED_LEVELS = `allowed: ${ENFORCEMENT_LEVELS.join(", ")}`;

/** Parses one config layer as `parsePolicyPackConfig` does, with the CLI's error wording. */
export function parsePolicyPackConfig(config: unknown): Map<string, ConfigLayerEntry> {
    if (config === undefined || config === null) return new Map();
    if (typeof config !== "object" || Array.isArray(config)) {
        throw new PolicyConfigError(`must be a JSON object mapping policy names to a level or an object (got ${JSON.stringify(config)})`);
    }
    const result = new Map<string, ConfigLayerEntry>();
    for (const [name, value] of Object.entries(config as Record<string, unknown>)) {
        let entry: ConfigLayerEntry;
        if (typeof value === "string") {
            if (!isLevel(value)) {
                throw new PolicyConfigError(`parsing enforcement level for "${name}": "${value}" is not a valid enforcement level (${ALLOWED_LEVELS})`);
            }
            entry = { enforcementLevel: value };
        } else if (value !== null && typeof value === "object" && !Array.isArray(value)) {
            const { enforcementLevel, ...properties } = value as Record<string, unknown>;
            if (enforcementLevel !== undefined && !isLevel(enforcementLevel)) {
                throw new PolicyConfigError(`parsing enforcement level for "${name}": ${JSON.stringify(enforcementLevel)} is not a valid enforcement level (${ALLOWED_LEVELS})`);
            }
            entry = { enforcementLevel: enforcementLevel, properties: Object.keys(properties).length > 0 ? properties : undefined };
        } else {
            throw new PolicyConfigError(`parsing "${name}": ${JSON.stringify(value)} is not a valid value; must be a string or object`);
        }
        // Like the CLI, an empty entry is no entry.
        if (entry.enforcementLevel === undefined && entry.properties === undefined) continue;
        result.set(name, entry);
    }
    return result;
}

function applyLayer(result: Map<string, PolicyConfig>, layer: ReadonlyMap<string, ConfigLayerEntry>): void {
    const all = layer.get("all");
    if (all?.enforcementLevel) {
        for (const [name, cfg] of result) result.set(name, { enforcementLevel: all.enforcementLevel, properties: cfg.properties });
    }
    // "all" itself is applied as an entry too, as the CLI does; the pack ignores a name it lacks.
    for (const [name, given] of layer) {
        const current = result.get(name);
        const level = given.enforcementLevel ?? current?.enforcementLevel;
        if (level === undefined) {
            // What the CLI's Configure refuses: an entry with no level to inherit.
            throw new PolicyConfigError(`invalid enforcement level "" for "${name}"`);
        }
        result.set(name, { enforcementLevel: level, properties: { ...(current?.properties ?? {}), ...(given.properties ?? {}) } });
    }
}

export function closest(name: string, known: readonly string[]): string | undefined {
    // Only a plausible typo: a few edits, relative to the name's length.
    return nearestName(name, known, Math.max(2, Math.floor(name.length / 3)));
}

function didYouMean(name: string, known: readonly string[]): string {
    const c = closest(name, known);
    return c ? ` (did you mean "${c}"?)` : "";
}

const ajv = new Ajv({ allErrors: true, strict: false });
/** Compiled validators by schema text: most policies share a schema (many take no properties). */
const validators = new Map<string, ValidateFunction>();

/** The schema the CLI validates a policy's properties against, closed to undeclared properties. */
function validatorOf(policy: AnalyzerPolicyInfo): ValidateFunction {
    const schema = policy.configSchema!;
    const closed = {
        type: "object",
        properties: schema.properties,
        ...(schema.required && schema.required.length > 0 ? { required: schema.required } : {}),
    };
    const key = JSON.stringify(closed);
    let validate = validators.get(key);
    if (!validate) {
        validate = ajv.compile(closed);
        validators.set(key, validate);
    }
    return validate;
}

function show(value: unknown): string {
    return JSON.stringify(value) ?? String(value);
}

/** One ajv error in the user's terms: the property's path, its value and what the schema allows. */
function describe(error: ErrorObject, properties: Record<string, unknown>): string {
    const segments = error.instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    const where = segments.join(".");
    let value: unknown = properties;
    for (const s of segments) value = (value as Record<string, unknown> | undefined)?.[s];
    const p = error.params as Record<string, unknown>;
    switch (error.keyword) {
        case "required":
            return `${[where, String(p.missingProperty)].filter(Boolean).join(".")} is required`;
        case "additionalProperties":
            return `${[where, String(p.additionalProperty)].filter(Boolean).join(".")} is not allowed here`;
        case "type":
            return `${where}: must be ${String(p.type)} (got ${show(value)})`;
        case "enum":
            return `${where}: must be one of ${(p.allowedValues as unknown[]).map(show).join(", ")} (got ${show(value)})`;
        default:
            return `${where || "(config)"}: ${error.message} (got ${show(value)})`;
    }
}

/** Every problem with one policy's resolved properties, each naming the property. */
function validatePolicy(policy: AnalyzerPolicyInfo, properties: Record<string, unknown>, refuseUndeclared: boolean): string[] {
    const declared = Object.keys(policy.configSchema?.properties ?? {});
    const problems: string[] = [];
    for (const key of refuseUndeclared ? Object.keys(properties) : []) {
        if (!declared.includes(key)) {
            const allowed = declared.length > 0 ? `its properties: ${declared.join(", ")}` : "it takes no properties";
            problems.push(`"${key}" is not a property of this rule${didYouMean(key, declared)}; ${allowed}`);
        }
    }
    if (policy.configSchema) {
        const validate = validatorOf(policy);
        if (!validate(properties)) problems.push(...(validate.errors ?? []).map((e) => describe(e, properties)));
    }
    return problems;
}

export interface ResolveOptions {
    /** Names the pack (when resolving from policy objects). */
    packLabel?: string;
    /** The pack's default level (when resolving from policy objects); "advisory" by default. */
    packEnforcementLevel?: EnforcementLevel;
    /**
     * "refuse" (the plan): a rule name the pack lacks and a property a rule does not declare are
     * errors. "forward" (exactly the CLI): they go to the pack, as `pulumi preview` sends them.
     */
    typos?: "refuse" | "forward";
}

/** What the resolution needs of `GetAnalyzerInfo`. */
export type PackDescription = Pick<AnalyzerInfo, "name" | "policies" | "initialConfig">;

/** The parts of a @pulumi/policy policy object that `GetAnalyzerInfo` advertises. */
export interface PolicyObject {
    name: string;
    description?: string;
    enforcementLevel?: EnforcementLevel;
    configSchema?: { properties: Record<string, unknown>; required?: string[] };
    tags?: string[];
}

/**
 * The pack's policies as @pulumi/policy's server advertises them (`makeAnalyzerInfo`): a policy's
 * own level, else the pack's (default "advisory"), its schema's properties and required list.
 * For callers that have the policy objects and no served pack (the docs generator).
 */
export function describePolicies(policies: readonly PolicyObject[], packName: string, packLevel: EnforcementLevel = "advisory"): PackDescription {
    return {
        name: packName,
        initialConfig: new Map(),
        policies: policies.map((p) => ({
            name: p.name,
            description: p.description ?? "",
            enforcementLevel: p.enforcementLevel ?? packLevel,
            kind: "validateStack" in p ? "stack" : "resource",
            tags: p.tags ?? [],
            configSchema: p.configSchema && { properties: p.configSchema.properties as Record<string, Record<string, unknown>>, required: p.configSchema.required },
        })),
    };
}

export interface ResolvedPackConfig {
    /** What `Configure` sends: every policy of the pack (and "all" when a layer set it). */
    policies: Map<string, PolicyConfig>;
    /** Names the file configures that are no policy of the pack (only when typos are forwarded). */
    unknownPolicyNames: string[];
}

/**
 * Resolves the configuration every policy receives from the pack's advertised policies, its
 * initial config and the `--policy-pack-config` file content, or throws `PolicyConfigError`
 * listing every problem, each naming the rule and the property.
 */
export function resolvePolicyPackConfig(info: PackDescription, config: unknown, options?: ResolveOptions): ResolvedPackConfig;
/** The same from the pack's own policy objects (no process started), as `GetAnalyzerInfo` would describe them. */
export function resolvePolicyPackConfig(policies: readonly PolicyObject[], config: unknown, options: ResolveOptions & { packLabel: string }): ResolvedPackConfig;
export function resolvePolicyPackConfig(pack: PackDescription | readonly PolicyObject[], config: unknown, options: ResolveOptions = {}): ResolvedPackConfig {
    const info = Array.isArray(pack)
        ? describePolicies(pack as readonly PolicyObject[], options.packLabel ?? "policy pack", options.packEnforcementLevel)
        : (pack as PackDescription);
    const refuseTypos = (options.typos ?? "refuse") === "refuse";
    const result = new Map<string, PolicyConfig>();
    for (const p of info.policies) {
        const properties: Record<string, unknown> = {};
        for (const [key, schema] of Object.entries(p.configSchema?.properties ?? {})) {
            if (schema && typeof schema === "object" && "default" in schema) properties[key] = schema.default;
        }
        result.set(p.name, { enforcementLevel: p.enforcementLevel, properties });
    }
    const initial = new Map<string, ConfigLayerEntry>([...info.initialConfig].map(([k, v]) => [k, { enforcementLevel: v.enforcementLevel, properties: v.properties }]));
    applyLayer(result, initial);

    const fileLayer = parsePolicyPackConfig(config);
    const names = info.policies.map((p) => p.name);
    const problems: string[] = [];
    for (const name of fileLayer.keys()) {
        if (refuseTypos && name !== "all" && !names.includes(name)) {
            problems.push(`"${name}" is not a rule of ${info.name}${didYouMean(name, names)}`);
            fileLayer.delete(name);
        }
    }
    applyLayer(result, fileLayer);
    for (const p of info.policies) {
        for (const problem of validatePolicy(p, result.get(p.name)!.properties, refuseTypos)) problems.push(`rule "${p.name}": ${problem}`);
    }
    if (problems.length > 0) throw new PolicyConfigError(problems.join("\n"));
    const unknownPolicyNames = [...fileLayer.keys()].filter((n) => n !== "all" && !names.includes(n));
    return { policies: result, unknownPolicyNames };
}
