// Fidelity: the offline plan's verdict equals what the pack reports when it is started exactly as
// the Pulumi CLI starts it and driven as the CLI's engine drives it.
//
// The plan starts the pack through plan/pack-entry.js (the esbuild loader), pipelines Analyze
// requests and reports. Here, the pack folder itself is started by run-policy-pack with the CLI's
// ts-node loader and full type checking (PLAN_PACK_LOADER=cli), and a client that plays the CLI's
// part one request at a time, in the engine's order (per resource: Remediate, then Analyze; then
// AnalyzeStack), is fed the very resources the plan evaluated with the stack's policy config. The
// diagnostics (policy, level, urn, message) and not-applicable reports must equal the plan's, in
// the same order.

import * as assert from "assert";
import * as path from "path";
import { AnalyzerDiagnostic, indexResources, PlanResource } from "../../plan/analyzer-client";
import { PACK_DIR, PlanReport, readPolicyConfig } from "../../plan/make-plan";
import { resolvePolicyPackConfig } from "../../plan/policy-config";
import { PolicyPackProcess } from "../../plan/policy-pack";
import { policies as packPolicies } from "../../policies/pack";
import { INSECURE, planJson } from "./run-plan";

interface Served {
    diagnostics: { policyName: string; enforcementLevel: string; urn?: string; message: string }[];
    notApplicable: string[];
    remediations: number;
}

/** The CLI's engine, one request at a time. */
async function servedVerdict(pack: PolicyPackProcess, report: PlanReport): Promise<Served> {
    const resources: PlanResource[] = report.resources;
    const index = indexResources(resources);
    const config = resolvePolicyPackConfig(pack.info, readPolicyConfig(path.resolve(report.policyPack.config)));
    await pack.client.configure(config.policies);
    const diagnostics: Served["diagnostics"] = [];
    const notApplicable: string[] = [];
    let remediations = 0;
    const level = (d: AnalyzerDiagnostic) => (d.enforcementLevel === "remediate" ? "mandatory" : d.enforcementLevel);
    for (const r of resources) {
        remediations += (await pack.client.remediate(r, index)).remediations.length;
        const a = await pack.client.analyze(r, index);
        // The engine attributes a resource policy's diagnostic to the analyzed resource.
        diagnostics.push(...a.diagnostics.map((d) => ({ policyName: d.policyName, enforcementLevel: level(d), urn: r.urn, message: d.message })));
        notApplicable.push(...a.notApplicable.map((n) => `${n.policyName}|${n.reason}|${r.urn}`));
    }
    const s = await pack.client.analyzeStack(resources, index);
    diagnostics.push(...s.diagnostics.map((d) => ({ policyName: d.policyName, enforcementLevel: level(d), urn: index.has(d.urn ?? "") ? d.urn : undefined, message: d.message })));
    notApplicable.push(...s.notApplicable.map((n) => `${n.policyName}|${n.reason}|`));
    return { diagnostics, notApplicable: notApplicable.sort(), remediations };
}

function planNotApplicable(report: PlanReport): string[] {
    const flat: string[] = [];
    for (const g of report.notApplicable) {
        if (g.urns.length === 0) flat.push(`${g.policyName}|${g.reason}|`);
        for (const urn of g.urns) flat.push(`${g.policyName}|${g.reason}|${urn}`);
    }
    return flat.sort();
}

describe("fidelity: the pack started and driven as the Pulumi CLI does agrees with the offline plan", function () {
    this.timeout(600000);
    let pack: PolicyPackProcess | undefined;

    before(async () => {
        pack = await PolicyPackProcess.launch({ packDir: PACK_DIR, loader: "cli", stack: { stack: "dev", project: "mlops", dryRun: true } });
    });
    after(() => pack?.close());

    it("is the CLI's launch: run-policy-pack with the pack folder, compiled by ts-node with type checking", () => {
        assert.strictEqual(pack!.loader, "cli");
    });

    it("GetAnalyzerInfo describes the pack's policies as policies/pack.ts declares them (name, level, schema)", () => {
        assert.strictEqual(pack!.info.name, "mlops-guardrails");
        assert.strictEqual(pack!.info.supportsConfig, true);
        assert.deepStrictEqual(
            pack!.info.policies.map((p) => ({ name: p.name, level: p.enforcementLevel, kind: p.kind, schemaKeys: Object.keys(p.configSchema?.properties ?? {}).sort() })),
            packPolicies.map((p) => ({
                name: p.name,
                level: p.enforcementLevel ?? "advisory",
                kind: "validateStack" in p ? "stack" : "resource",
                schemaKeys: Object.keys(p.configSchema?.properties ?? {}).sort(),
            })),
        );
    });

    for (const [label, args] of [
        ["the dev stack", ["--stack", "dev"]],
        ["the prod stack", ["--stack", "prod"]],
        ["the insecure variant", ["--stack", "dev", "--program", INSECURE]],
    ] as const) {
        it(`${label}: same diagnostics (policy, level, urn, message) in the same order, same not-applicable set`, async () => {
            const { report } = await planJson([...args]);
            const served = await servedVerdict(pack!, report);
            assert.deepStrictEqual(
                served.diagnostics,
                report.violations.map((v) => ({ policyName: v.policyName, enforcementLevel: v.enforcementLevel, urn: v.urn, message: v.message })),
            );
            assert.deepStrictEqual(served.notApplicable, planNotApplicable(report));
            assert.strictEqual(served.remediations, report.remediations.length);
            if (label === "the insecure variant") assert.ok(served.diagnostics.some((d) => d.enforcementLevel === "mandatory"));
        });
    }
});
