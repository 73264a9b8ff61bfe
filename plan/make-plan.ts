// The offline plan as data: run the program under mocks while the policy pack starts in its own
// process (as `pulumi preview --policy-pack` starts it), evaluate the pack on what the program
// registered, estimate its cost. `plan/cli.ts` is the command line around it; tests and benchmarks
// may call it directly (once per process: the Pulumi runtime holds one program's state).

import * as fs from "fs";
import * as path from "path";
import type { CostEstimate } from "../policies/cost/estimate";
import type * as CostEstimateModule from "../policies/cost/estimate";
import type { EnforcementLevel } from "./analyzer-client";
import type * as ConfigOriginModule from "./config-origin";
import type { ViolationWithOrigin } from "./config-origin";
import { UsageError } from "./errors";
import type { NotApplicable, PlanResource, Remediation } from "./policy-engine";
import type * as PolicyEngine from "./policy-engine";
import { PolicyPackProcess } from "./policy-pack";
import type * as RunProgram from "./run-program";
import { findProjectDir, loadStackConfig, readProjectName } from "./stack-config";

export const REPO_ROOT = path.resolve(__dirname, "..");
export const PACK_DIR = path.join(REPO_ROOT, "policies");

export interface PlanOptions {
    stack: string;
    /** Program file; default `index.ts` of the repository. */
    program?: string;
    /** `--policy-pack` folder; default `policies/` of the repository. */
    policyPack?: string;
    /** `--policy-pack-config` file; default `<pack>/config/<stack>.json`. */
    policyConfig?: string;
    /**
     * A dataset manifest file the stack's bucket is assumed to hold, so that the plan shows the jobs
     * and their cost; default none, as on a new stack (the program then plans no job, and says why).
     */
    datasetManifest?: string;
}

export interface PolicySummary {
    name: string;
    kind: "resource" | "stack";
    enforcementLevel: EnforcementLevel;
    /** Resources the policy ran on (resource policies), or 1/0 for a stack policy that ran or not. */
    evaluated: number;
    violations: number;
}

export interface NotApplicableGroup {
    policyName: string;
    reason: string;
    /** Resources it was not applicable to (empty for a stack policy). */
    urns: string[];
}

export interface PlanReport {
    schemaVersion: 1;
    project: string;
    stack: string;
    program: string;
    region: string;
    policyPack: { name: string; version: string; config: string };
    summary: {
        resources: number;
        mandatory: number;
        advisory: number;
        remediations: number;
        /** True when no violation is mandatory: the exit code is 0. */
        passed: boolean;
    };
    resources: PlanResource[];
    violations: ViolationWithOrigin[];
    notApplicable: NotApplicableGroup[];
    remediations: Remediation[];
    policies: PolicySummary[];
    cost: CostEstimate;
    outputs: Record<string, unknown>;
    warnings: string[];
}

export { UsageError };

export interface LoadedPack {
    name: string;
    version: string;
    policies: readonly { name: string; configSchema?: unknown }[];
}

/**
 * The pack's own module (`pack.ts`: its name and policy objects) loaded in this process, for code
 * that reads the rules' declarations (the caps table's tests). The plan itself never evaluates
 * policies here: it asks the pack's analyzer (policy-pack.ts).
 */
export function loadPack(packDir = PACK_DIR): LoadedPack {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the pack folder is known only at run time
    const pack = require(path.join(packDir, "pack")) as { packName?: unknown; policies?: unknown };
    if (typeof pack.packName !== "string" || !Array.isArray(pack.policies)) {
        throw new Error(`${packDir}/pack.ts must export packName (string) and policies (array)`);
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(packDir, "package.json"), "utf8")) as { version?: string };
    return { name: pack.packName, version: pkg.version ?? "", policies: pack.policies as LoadedPack["policies"] };
}

export function readPolicyConfig(file: string): unknown {
    if (!fs.existsSync(file)) throw new UsageError(`policy config ${file} does not exist`);
    const text = fs.readFileSync(file, "utf8");
    // The CLI accepts an empty file as no configuration.
    if (text.trim() === "") return {};
    try {
        return JSON.parse(text);
    } catch (e) {
        throw new UsageError(`policy config ${file} is not valid JSON: ${(e as Error).message}`);
    }
}

function groupNotApplicable(entries: NotApplicable[]): NotApplicableGroup[] {
    const groups = new Map<string, NotApplicableGroup>();
    for (const e of entries) {
        const key = `${e.policyName}\u0000${e.reason}`;
        let g = groups.get(key);
        if (!g) {
            g = { policyName: e.policyName, reason: e.reason, urns: [] };
            groups.set(key, g);
        }
        if (e.urn) g.urns.push(e.urn);
    }
    return [...groups.values()];
}

const relative = (file: string) => path.relative(process.cwd(), path.resolve(file)) || file;

export async function makePlan(opts: PlanOptions): Promise<PlanReport> {
    const program = opts.program ?? path.join(REPO_ROOT, "index.ts");
    if (!fs.existsSync(program)) throw new UsageError(`program ${program} does not exist`);
    let project: string;
    let projectDir: string;
    let stackConfig: Record<string, string>;
    try {
        projectDir = findProjectDir(program);
        project = readProjectName(projectDir);
        stackConfig = loadStackConfig(opts.stack, projectDir);
    } catch (e) {
        throw new UsageError((e as Error).message);
    }
    const packDir = path.resolve(opts.policyPack ?? PACK_DIR);
    if (!fs.existsSync(path.join(packDir, "PulumiPolicy.yaml"))) {
        throw new UsageError(`policy pack ${relative(packDir)} has no PulumiPolicy.yaml: not a policy pack folder`);
    }
    const configFile = opts.policyConfig ?? path.join(packDir, "config", `${opts.stack}.json`);
    const policyConfig = readPolicyConfig(configFile);

    let datasetManifest: string | undefined;
    if (opts.datasetManifest !== undefined) {
        if (!fs.existsSync(opts.datasetManifest)) throw new UsageError(`dataset manifest ${opts.datasetManifest} does not exist`);
        datasetManifest = fs.readFileSync(opts.datasetManifest, "utf8");
    }

    // The pack starts in its own process first, then the Pulumi SDK loads and the program runs here.
    const launching = PolicyPackProcess.launch({ packDir, stack: { stack: opts.stack, project, dryRun: true, config: stackConfig } });
    launching.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded after the pack has started, so that both load at once */
    const { runProgram } = require("./run-program") as typeof RunProgram;
    const { evaluatePack, PolicyConfigError } = require("./policy-engine") as typeof PolicyEngine;
    const { estimateStackCost } = require("../policies/cost/estimate") as typeof CostEstimateModule;
    const { withConfigOrigins } = require("./config-origin") as typeof ConfigOriginModule;
    /* eslint-enable @typescript-eslint/no-require-imports */
    let pack: PolicyPackProcess | undefined;
    try {
        const run = await runProgram({ stack: opts.stack, program, projectDir, datasetManifest });
        pack = await launching;
        let evaluation;
        try {
            evaluation = await evaluatePack(pack, run.resources, policyConfig);
        } catch (e) {
            if (e instanceof PolicyConfigError) throw new UsageError(`${relative(configFile)}:\n${e.message}`);
            throw e;
        }
        const { notApplicable, remediations, config } = evaluation;
        const violations = withConfigOrigins(evaluation.violations, {
            resources: run.resources,
            stackConfig,
            stackFile: path.join(projectDir, `Pulumi.${opts.stack}.yaml`),
            policyConfig: policyConfig as Record<string, unknown>,
            policyFile: configFile,
        });
        // Counted in one pass each: a large stack has tens of not-applicable entries per resource.
        const notApplicableUrns = new Map<string, Set<string | undefined>>();
        for (const n of notApplicable) {
            const urns = notApplicableUrns.get(n.policyName) ?? new Set();
            notApplicableUrns.set(n.policyName, urns.add(n.urn));
        }
        const violationCount = new Map<string, number>();
        for (const v of violations) violationCount.set(v.policyName, (violationCount.get(v.policyName) ?? 0) + 1);
        const policies: PolicySummary[] = pack.info.policies.map((p) => {
            const kind = p.kind === "stack" ? "stack" : "resource";
            const level = config.policies.get(p.name)!.enforcementLevel;
            const naUrns = notApplicableUrns.get(p.name);
            const evaluated = level === "disabled"
                ? 0
                : kind === "stack"
                    ? (naUrns ? 0 : 1)
                    : run.resources.length - (naUrns?.size ?? 0);
            return { name: p.name, kind, enforcementLevel: level, evaluated, violations: violationCount.get(p.name) ?? 0 };
        });
        const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
        return {
            schemaVersion: 1,
            project: run.project,
            stack: run.stack,
            program: relative(program),
            region: run.region,
            policyPack: { name: pack.info.name, version: pack.info.version, config: relative(configFile) },
            summary: {
                resources: run.resources.length,
                mandatory,
                advisory: violations.length - mandatory,
                remediations: remediations.length,
                passed: mandatory === 0,
            },
            resources: run.resources,
            violations,
            notApplicable: groupNotApplicable(notApplicable),
            remediations,
            policies,
            cost: estimateStackCost(run.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.props }))),
            outputs: run.outputs,
            warnings: [],
        };
    } finally {
        if (pack) pack.close();
        else launching.then((p) => p.close(), () => undefined);
    }
}
