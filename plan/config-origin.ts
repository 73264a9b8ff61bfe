// Violations in the user's words: when the value a pack rule refused was set in the stack file,
// the plan names the key and its value, and the policy setting that caps it (file, rule, setting,
// cap), beside the rule's own message about the resource property.

import * as path from "path";
import { projectConfig } from "../config";
import { capIn, exceeds, POLICY_CAPS, type CapValue, type PolicyCap } from "../config/policy-caps";
import type { PlanResource, Violation } from "./policy-engine";

export interface ConfigOrigin {
    /** The `mlops:` key as set, list elements by index (`training.runs[1].instanceType`). */
    key: string;
    value: unknown;
    stackFile: string;
    policyFile: string;
    rule: string;
    setting: string;
    cap: CapValue;
}

export type ViolationWithOrigin = Violation & { configOrigin?: ConfigOrigin };

/** Every value at a dotted path with `[]` list steps, with the indices taken. */
function valuesAt(root: unknown, dotted: string): { value: unknown; indices: number[] }[] {
    let found: { value: unknown; indices: number[] }[] = [{ value: root, indices: [] }];
    for (const step of dotted.split(".")) {
        const list = step.endsWith("[]");
        const name = list ? step.slice(0, -2) : step;
        found = found.flatMap(({ value, indices }) => {
            const next = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[name] : undefined;
            if (!list) return next === undefined ? [] : [{ value: next, indices }];
            return Array.isArray(next) ? (next as unknown[]).map((v, i) => ({ value: v, indices: [...indices, i] })) : [];
        });
    }
    return found;
}

/** `training.runs[].instanceType` with indices [1] -> `training.runs[1].instanceType`. */
function keyWithIndices(key: string, indices: number[]): string {
    let i = 0;
    return key.replace(/\[\]/g, () => `[${indices[i++]}]`);
}

/** Does the rule's message speak of this value (one rule may report several properties of a resource)? */
function mentions(message: string, value: unknown): boolean {
    const text = String(value).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`(^|[^\\w.])${text}($|[^\\w.]|\\.(\\s|$))`).test(message);
}

function originOf(v: Violation, resource: PlanResource, settings: Record<string, unknown>, policyConfig: Record<string, unknown>): Omit<ConfigOrigin, "stackFile" | "policyFile"> | undefined {
    const candidates = POLICY_CAPS.filter((c: PolicyCap) => c.policy.name === v.policyName && c.kind.tokens.includes(resource.type));
    for (const c of candidates) {
        const limit = capIn(policyConfig, c);
        if (limit === undefined) continue;
        const landed = valuesAt(resource.props, c.property).map(p => p.value);
        for (const { value, indices } of valuesAt(settings, c.key)) {
            if (exceeds(value, limit) && landed.includes(value) && mentions(v.message, value)) {
                return { key: keyWithIndices(c.key, indices), value, rule: c.policy.name, setting: c.setting, cap: limit };
            }
        }
    }
    return undefined;
}

/**
 * The violations, each refused value that came from the stack file carrying its `configOrigin`.
 * `stackConfig` is the flat map the stack file gives (plan/stack-config.ts).
 */
export function withConfigOrigins(
    violations: Violation[],
    ctx: { resources: PlanResource[]; stackConfig: Record<string, string>; stackFile: string; policyConfig: Record<string, unknown>; policyFile: string },
): ViolationWithOrigin[] {
    const settings = projectConfig(ctx.stackConfig);
    const byUrn = new Map(ctx.resources.map(r => [r.urn, r]));
    const files = { stackFile: path.relative(process.cwd(), ctx.stackFile), policyFile: path.relative(process.cwd(), ctx.policyFile) };
    return violations.map(v => {
        const resource = v.urn === undefined ? undefined : byUrn.get(v.urn);
        const origin = resource && originOf(v, resource, settings, ctx.policyConfig);
        return origin ? { ...v, configOrigin: { ...origin, ...files } } : v;
    });
}

/** The line the reports add under a violation: where the value came from and what capped it. */
export function originLine(v: Violation): string | undefined {
    const o = (v as ViolationWithOrigin).configOrigin;
    if (!o) return undefined;
    const show = (x: unknown) => (Array.isArray(x) ? `[${x.join(", ")}]` : String(x));
    return `from stack config \`mlops:${o.key}\` = ${show(o.value)} (${o.stackFile}); ` +
        `capped by ${o.policyFile}: ${o.rule}.${o.setting} = ${show(o.cap)}`;
}
