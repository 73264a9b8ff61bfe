// Policy pack configuration, resolved the way the Pulumi CLI resolves it before `Configure`.
//
// The CLI (pulumi/pulumi `pkg/resource/analyzer/config.go`, `ReconcilePolicyPackConfig`):
//   1. starts every policy at its advertised level (`policy.enforcementLevel || pack default`, as
//      `GetAnalyzerInfo` reports it) with the `default` of every `configSchema` property;
//   2. applies the pack's programmatic initial config, then the `--policy-pack-config` file; in each
//      layer `"all"` first sets every policy's level, then per-policy entries override the level and
//      shallow-merge their properties over the defaults;
//   3. validates each policy's properties against its schema and refuses to run when one fails.
// The analyzer then sees `{...properties, enforcementLevel}` per policy, and `getConfig()` returns
// the properties. This module reproduces those steps so the offline plan and the real preview agree.

import type * as policy from "@pulumi/policy";
import { validateJsonSchema } from "./json-schema";

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";
export const ENFORCEMENT_LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

/** The `--policy-pack-config` file format: a level, or an object with an optional level and properties. */
export type PolicyPackConfig = Record<
    string,
    EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)
>;

/** One policy's resolved configuration, as the analyzer receives it in `Configure`. */
export interface ResolvedPolicyConfig {
    enforcementLevel: EnforcementLevel;
    properties: Record<string, unknown>;
}

interface ConfigLayerEntry {
    enforcementLevel?: EnforcementLevel;
    properties?: Record<string, unknown>;
}

/** Raised for a config the CLI would refuse; the message names the policy, the key and the value. */
export class PolicyConfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PolicyConfigError";
    }
}

function isLevel(value: unknown): value is EnforcementLevel {
    return typeof value === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(value);
}

/** Parses one config layer exactly as `parsePolicyPackConfig` does, with the CLI's error wording. */
export function parsePolicyPackConfig(config: unknown, source = "policy pack config"): Map<string, ConfigLayerEntry> {
    if (config === undefined || config === null) return new Map();
    if (typeof config !== "object" || Array.isArray(config)) {
        throw new PolicyConfigError(`${source}: must be a JSON object mapping policy names to a level or an object (got ${JSON.stringify(config)})`);
    }
    const result = new Map<string, ConfigLayerEntry>();
    for (const [name, value] of Object.entries(config as Record<string, unknown>)) {
        let entry: ConfigLayerEntry;
        if (typeof value === "string") {
            if (!isLevel(value)) {
                throw new PolicyConfigError(`${source}: parsing enforcement level for "${name}": "${value}" is not a valid enforcement level (allowed: ${ENFORCEMENT_LEVELS.join(", ")})`);
            }
            entry = { enforcementLevel: value };
        } else if (value !== null && typeof value === "object" && !Array.isArray(value)) {
            const { enforcementLevel, ...properties } = value as Record<string, unknown>;
            if (enforcementLevel !== undefined && !isLevel(enforcementLevel)) {
                throw new PolicyConfigError(`${source}: parsing enforcement level for "${name}": ${JSON.stringify(enforcementLevel)} is not a valid enforcement level (allowed: ${ENFORCEMENT_LEVELS.join(", ")})`);
            }
            entry = {
                enforcementLevel: enforcementLevel as EnforcementLevel | undefined,
                properties: Object.keys(properties).length > 0 ? properties : undefined,
            };
        } else {
            throw new PolicyConfigError(`${source}: parsing "${name}": ${JSON.stringify(value)} is not a valid value; must be a string or object`);
        }
        // Like the CLI, an empty entry is no entry.
        if (entry.enforcementLevel === undefined && entry.properties === undefined) continue;
        result.set(name, entry);
    }
    return result;
}

function applyLayer(result: Map<string, ResolvedPolicyConfig>, layer: Map<string, ConfigLayerEntry>): void {
    const all = layer.get("all");
    if (all?.enforcementLevel) {
        for (const [name, cfg] of result) {
            if (name === "all") continue;
            result.set(name, { enforcementLevel: all.enforcementLevel, properties: cfg.properties });
        }
    }
    for (const [name, given] of layer) {
        if (name === "all") continue;
        const current = result.get(name);
        result.set(name, {
            enforcementLevel: given.enforcementLevel ?? current?.enforcementLevel ?? "advisory",
            properties: { ...(current?.properties ?? {}), ...(given.properties ?? {}) },
        });
    }
}

export interface ResolvedPackConfig {
    /** Per policy name (every policy of the pack, plus any extra names the file mentioned). */
    policies: Map<string, ResolvedPolicyConfig>;
    /** Names in the config that match no policy of the pack (the CLI silently ignores them). */
    unknownPolicyNames: string[];
}

/**
 * Resolves the configuration every policy receives, or throws `PolicyConfigError` for a config the
 * CLI would refuse (bad level, bad value type, a schema violation).
 */
export function resolvePolicyPackConfig(
    policies: policy.Policies,
    config: PolicyPackConfig | undefined,
    options: { packEnforcementLevel: EnforcementLevel; initialConfig?: PolicyPackConfig; packLabel: string },
): ResolvedPackConfig {
    const result = new Map<string, ResolvedPolicyConfig>();
    for (const p of policies) {
        const properties: Record<string, unknown> = {};
        for (const [key, schema] of Object.entries(p.configSchema?.properties ?? {})) {
            if (schema && typeof schema === "object" && "default" in schema) {
                properties[key] = (schema as Record<string, unknown>).default;
            }
        }
        result.set(p.name, {
            enforcementLevel: (p.enforcementLevel ?? options.packEnforcementLevel) as EnforcementLevel,
            properties,
        });
    }
    applyLayer(result, parsePolicyPackConfig(options.initialConfig, "initial policy pack config"));
    const fileLayer = parsePolicyPackConfig(config);
    const known = new Set(policies.map((p) => p.name));
    for (const [name, entry] of fileLayer) {
        // The CLI forwards entries for unknown names to Configure, which refuses one without a level.
        if (name !== "all" && !known.has(name) && entry.enforcementLevel === undefined) {
            throw new PolicyConfigError(`invalid enforcement level "" for "${name}": no policy of ${options.packLabel} has that name, so it has no level to inherit`);
        }
    }
    applyLayer(result, fileLayer);

    const errors: string[] = [];
    for (const p of policies) {
        if (!p.configSchema) continue;
        const schema = {
            type: "object",
            properties: p.configSchema.properties,
            required: p.configSchema.required,
        };
        for (const e of validateJsonSchema(schema, result.get(p.name)!.properties)) {
            errors.push(`${p.name}: ${e.replace(/^\(root\): /, "")}`);
        }
    }
    if (errors.length > 0) {
        throw new PolicyConfigError(`validating policy config: ${options.packLabel}\n  ${errors.join("\n  ")}`);
    }
    const unknownPolicyNames = [...fileLayer.keys()].filter((n) => n !== "all" && !known.has(n));
    return { policies: result, unknownPolicyNames };
}
