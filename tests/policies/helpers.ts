// Test harness for the pack's rules: resources as the engine hands them to the analyzer, evaluated
// with plan/policy-engine.ts (the in-process replica of the Pulumi analyzer server), so the tests
// exercise the same enforcement-level, config-default and not-applicable behaviour as the CLI.

import * as assert from "assert";
import { policies } from "../../policies/pack";
import { evaluatePack as evaluateWithEngine, EvaluationResult, PlanResource, PolicyPackConfig, Violation } from "../../plan/policy-engine";

export type { PlanResource, Violation } from "../../plan/policy-engine";

/** Pulumi's unknown-string sentinel: what a computed value looks like during preview. */
export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function urnOf(type: string, name: string): string {
    return `urn:pulumi:test::mlops::${type}::${name}`;
}

/** A resource with the given inputs/outputs; `deps` are property dependencies (prop -> resources). */
export function res(type: string, name: string, props: Record<string, any>, deps: Record<string, PlanResource[]> = {}): PlanResource {
    const propertyDependencies: Record<string, string[]> = {};
    for (const [k, list] of Object.entries(deps)) propertyDependencies[k] = list.map((r) => r.urn);
    const dependencies = [...new Set(Object.values(propertyDependencies).flat())];
    return { urn: urnOf(type, name), type, name, props, propertyDependencies, dependencies };
}

export function policyNamed(name: string) {
    const p = policies.find((x) => x.name === name);
    if (!p) throw new Error(`no policy named ${name} in the pack`);
    return p;
}

/**
 * Runs ONE policy of the pack on `resources` with the optional per-policy config (the object the
 * stack's JSON file would hold under the policy's name). Returns its violations.
 */
export async function check(policyName: string, resources: PlanResource[], config?: Record<string, unknown> | string): Promise<Violation[]> {
    const packConfig: PolicyPackConfig | undefined = config === undefined ? undefined : ({ [policyName]: config } as PolicyPackConfig);
    const result = await evaluateWithEngine([policyNamed(policyName)], resources, packConfig, { packName: "mlops-guardrails", packVersion: "0.1.0" });
    return result.violations.filter((v) => v.policyName === policyName);
}

/** Same as `check` but also returns the not-applicable reasons. */
export async function checkFull(policyName: string, resources: PlanResource[], config?: Record<string, unknown>) {
    const packConfig = config === undefined ? undefined : ({ [policyName]: config } as PolicyPackConfig);
    return evaluateWithEngine([policyNamed(policyName)], resources, packConfig);
}

/**
 * Evaluates the named policies of the pack (pass `policies` for all of them) on `resources`, with
 * `config` as a `--policy-pack-config` file would hold it.
 */
export function evaluatePack(selected: readonly { name: string }[], resources: PlanResource[], config?: PolicyPackConfig): Promise<EvaluationResult> {
    const names = new Set(selected.map((p) => p.name));
    return evaluateWithEngine(policies.filter((p) => names.has(p.name)), resources, config, { packName: "mlops-guardrails", packVersion: "0.1.0" });
}

export function assertNone(violations: Violation[]): void {
    assert.deepStrictEqual(
        violations.map((v) => v.message),
        [],
        "expected no violations",
    );
}

/** Exactly `count` violations (default: at least one), each message containing every fragment. */
export function assertViolation(violations: Violation[], fragments: string | string[], count?: number): void {
    const list = Array.isArray(fragments) ? fragments : [fragments];
    const matching = violations.filter((v) => list.every((f) => v.message.includes(f)));
    assert.ok(matching.length > 0, `expected a violation mentioning ${JSON.stringify(list)}; got:\n${violations.map((v) => v.message).join("\n---\n") || "(none)"}`);
    if (count !== undefined) assert.strictEqual(violations.length, count, `expected ${count} violation(s); got:\n${violations.map((v) => v.message).join("\n---\n")}`);
}

export const doc = (...statements: Record<string, unknown>[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });

export const trust = (service: string) => doc({ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" });
