// Fidelity: the offline plan's verdict equals the real policy pack's, served the way the Pulumi CLI
// serves it. The pack is launched with @pulumi/pulumi/cmd/run-policy-pack in policies/ (ts-node
// compiles index.ts, as under `pulumi preview --policy-pack policies`), and fed over gRPC the very
// resources the plan evaluated, with the stack's policy config. Its diagnostics (policy, level,
// urn, message) and not-applicable reports must equal the plan's, in the same order.

import * as assert from "assert";
import * as path from "path";
import { loadPack, PACK_DIR, readPolicyConfig } from "../../plan/make-plan";
import { resolvePolicyPackConfig } from "../../plan/policy-config";
import type { PlanResource } from "../../plan/policy-engine";
import { Diagnostic, LaunchedPack, LEVEL_FROM_PROTO, NotApplicableEntry } from "./analyzer-client";
import { INSECURE, planJson } from "./run-plan";

const pack = loadPack();

async function servedVerdict(launched: LaunchedPack, report: any) {
    const resources: PlanResource[] = report.resources;
    const all = new Map(resources.map((r) => [r.urn, r]));
    const resolved = resolvePolicyPackConfig(pack.policies, readPolicyConfig(path.resolve(report.policyPack.config)), {
        packEnforcementLevel: "advisory",
        packLabel: `'${pack.name}@v${pack.version}'`,
    });
    await launched.configureStack(report.stack, report.project);
    await launched.configure(resolved.policies);
    const diagnostics: Diagnostic[] = [];
    const notApplicable: NotApplicableEntry[] = [];
    let remediations = 0;
    for (const r of resources) {
        remediations += await launched.remediate(r, all);
        const a = await launched.analyze(r, all);
        diagnostics.push(...a.diagnostics);
        notApplicable.push(...a.notApplicable);
    }
    const s = await launched.analyzeStack(resources);
    diagnostics.push(...s.diagnostics);
    notApplicable.push(...s.notApplicable);
    return { diagnostics, notApplicable, remediations };
}

function planDiagnostics(report: any): Diagnostic[] {
    return report.violations.map((v: any) => ({ policyName: v.policyName, enforcementLevel: v.enforcementLevel, urn: v.urn, message: v.message }));
}

function planNotApplicable(report: any): string[] {
    const flat: string[] = [];
    for (const g of report.notApplicable) {
        if (g.urns.length === 0) flat.push(`${g.policyName}|${g.reason}|`);
        for (const urn of g.urns) flat.push(`${g.policyName}|${g.reason}|${urn}`);
    }
    return flat.sort();
}

describe("fidelity: the pack served as the Pulumi CLI serves it agrees with the offline plan", function () {
    this.timeout(300000);
    let launched: LaunchedPack | undefined;

    before(async () => {
        launched = await LaunchedPack.launch(PACK_DIR);
    });
    after(() => {
        launched?.close();
    });

    it("GetAnalyzerInfo describes the pack the plan evaluates (name, version, policies, levels, schemas)", async () => {
        const info = await launched!.getAnalyzerInfo();
        assert.strictEqual(info.getName(), pack.name);
        assert.strictEqual(info.getVersion(), pack.version);
        assert.strictEqual(info.getSupportsconfig(), true);
        const served = info.getPoliciesList().map((p: any) => ({
            name: p.getName(),
            level: LEVEL_FROM_PROTO[p.getEnforcementlevel()],
            schemaKeys: Object.keys(p.getConfigschema()?.getProperties()?.toJavaScript() ?? {}).sort(),
        }));
        assert.deepStrictEqual(
            served,
            pack.policies.map((p) => ({
                name: p.name,
                level: p.enforcementLevel ?? "advisory",
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
            const served = await servedVerdict(launched!, report);
            assert.deepStrictEqual(served.diagnostics, planDiagnostics(report));
            assert.deepStrictEqual(
                served.notApplicable.map((n) => `${n.policyName}|${n.reason}|${n.urn ?? ""}`).sort(),
                planNotApplicable(report),
            );
            assert.strictEqual(served.remediations, report.remediations.length);
            if (label === "the insecure variant") assert.ok(served.diagnostics.some((d) => d.enforcementLevel === "mandatory"));
        });
    }
});
