// Test harness for the pack's rules: resources as the engine hands them to the analyzer, evaluated
// by the pack itself, served by @pulumi/policy's own analyzer in its own process and driven as the
// offline plan drives it (plan/policy-pack.ts, plan/policy-engine.ts). The pack starts once per
// mocha process; each check configures it (the policy under test at its level and config, every
// other policy disabled) and analyzes the given resources, so the tests see exactly the
// enforcement-level, config-default, not-applicable and message behaviour of a real preview.

import * as assert from "assert";
import * as path from "path";
import { analyzeWithConfig, EvaluationResult, PlanResource, PolicyPackConfig, Violation } from "../../plan/policy-engine";
import { resolvePolicyPackConfig } from "../../plan/policy-config";
import { PolicyPackProcess } from "../../plan/policy-pack";

export type { PlanResource, Violation } from "../../plan/policy-engine";

/** Pulumi's unknown-string sentinel: what a computed value looks like during preview. */
export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function urnOf(type: string, name: string): string {
    return `urn:pulumi:test::mlops::${type}::${name}`;
}

/** A resource with the given inputs/outputs; `deps` are property dependencies (prop -> resources). */
export function res(type: string, name: string, props: Record<string, unknown>, deps: Record<string, PlanResource[]> = {}): PlanResource {
    const propertyDependencies: Record<string, string[]> = {};
    for (const [k, list] of Object.entries(deps)) propertyDependencies[k] = list.map((r) => r.urn);
    const dependencies = [...new Set(Object.values(propertyDependencies).flat())];
    return { urn: urnOf(type, name), type, name, props, propertyDependencies, dependencies };
}

let launched: Promise<PolicyPackProcess> | undefined;

/** The pack, started on first use and stopped when the process exits. */
function servedPack(): Promise<PolicyPackProcess> {
    launched ??= PolicyPackProcess.launch({
        packDir: path.join(__dirname, "..", "..", "policies"),
        stack: { stack: "test", project: "mlops", dryRun: true },
    });
    return launched;
}

// The pack holds one configuration at a time: evaluations run one after the other.
let queue: Promise<unknown> = Promise.resolve();
function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = queue.then(work);
    queue = result.catch(() => undefined);
    return result;
}

/**
 * Evaluates the named policies of the pack (every other one disabled) on `resources`, with
 * `config` as a `--policy-pack-config` file would hold it. The configuration is resolved against
 * the whole pack as the CLI resolves it (typos are forwarded to the pack, not refused first as the
 * plan refuses them, so that the rules' own refusal is what the tests see).
 */
export function evaluatePack(
    selected: readonly { name: string }[],
    resources: PlanResource[],
    config?: unknown,
    expect: { packName?: string; packVersion?: string } = {},
): Promise<EvaluationResult> {
    return exclusive(async () => {
        const pack = await servedPack();
        if (expect.packName !== undefined) assert.strictEqual(pack.info.name, expect.packName, "the served pack's name");
        if (expect.packVersion !== undefined) assert.strictEqual(pack.info.version, expect.packVersion, "the served pack's version");
        const names = new Set(selected.map((p) => p.name));
        for (const name of names) {
            if (!pack.info.policies.some((p) => p.name === name)) throw new Error(`no policy named ${name} in the pack`);
        }
        // Exactly what the CLI sends: a typo reaches the pack, whose rules refuse it themselves.
        const resolved = resolvePolicyPackConfig(pack.info, config, { typos: "forward" });
        const configure = new Map(resolved.policies);
        for (const p of pack.info.policies) {
            if (!names.has(p.name)) configure.set(p.name, { ...configure.get(p.name)!, enforcementLevel: "disabled" });
        }
        return { ...(await analyzeWithConfig(pack, resources, configure)), config: resolved };
    });
}

/**
 * Runs ONE policy of the pack on `resources` with the optional per-policy config (the object the
 * stack's JSON file would hold under the policy's name). Returns its violations.
 */
export async function check(policyName: string, resources: PlanResource[], config?: Record<string, unknown> | string): Promise<Violation[]> {
    const packConfig = config === undefined ? undefined : ({ [policyName]: config } as PolicyPackConfig);
    const result = await evaluatePack([{ name: policyName }], resources, packConfig);
    return result.violations.filter((v) => v.policyName === policyName);
}

/** Same as `check` but also returns the not-applicable reasons. */
export async function checkFull(policyName: string, resources: PlanResource[], config?: Record<string, unknown>) {
    const packConfig = config === undefined ? undefined : ({ [policyName]: config } as PolicyPackConfig);
    return evaluatePack([{ name: policyName }], resources, packConfig);
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
