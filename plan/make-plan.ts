// The offline plan as data: run the program under mocks, evaluate the pack on what it registered,
// estimate its cost. `plan/cli.ts` is the command line around it; tests and benchmarks may call
// it directly (once per process: the Pulumi runtime holds one program's state).

import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import type * as policy from "@pulumi/policy";
import {
    EnforcementLevel,
    evaluatePack,
    NotApplicable,
    PlanResource,
    PolicyPackConfig,
    Remediation,
} from "./policy-engine";
import { PolicyConfigError } from "./policy-config";
import { estimateStackCost, type CostEstimate } from "../policies/cost/estimate";
import { UsageError } from "./errors";
import { findProjectDir, runProgram } from "./run-program";
import { loadStackConfig } from "./stack-config";
import { withConfigOrigins, type ViolationWithOrigin } from "./config-origin";

export const REPO_ROOT = path.resolve(__dirname, "..");
export const PACK_DIR = path.join(REPO_ROOT, "policies");

export interface PlanOptions {
    stack: string;
    /** Program file; default `index.ts` of the repository. */
    program?: string;
    /** `--policy-pack-config` file; default `policies/config/<stack>.json`. */
    policyConfig?: string;
    /**
     * A dataset manifest file the stack's bucket is assumed to hold, so that the plan shows the jobs
     * and their cost; default none, as on a new stack (the program then plans no job, and says why).
     */
    datasetManifest?: string;
}

/** The sample manifest pull-request plans use: a small dataset in the dogImages layout. */
export const SAMPLE_DATASET_MANIFEST = path.join(REPO_ROOT, "plan", "sample-dataset-manifest.json");

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
    policies: policy.Policies;
}

/** The pack as `pulumi preview --policy-pack policies` would load it, minus the gRPC server. */
export function loadPack(packDir = PACK_DIR): LoadedPack {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const pack = require(path.join(packDir, "pack"));
    if (typeof pack.packName !== "string" || !Array.isArray(pack.policies)) {
        throw new Error(`${packDir}/pack.ts must export packName (string) and policies (array)`);
    }
    // The CLI prefers PulumiPolicy.yaml's version over package.json's.
    const project = YAML.parse(fs.readFileSync(path.join(packDir, "PulumiPolicy.yaml"), "utf8")) ?? {};
    const pkg = JSON.parse(fs.readFileSync(path.join(packDir, "package.json"), "utf8"));
    const version = String(project.version ?? pkg.version ?? "");
    if (!version) throw new Error(`${packDir}/package.json has no version; the analyzer refuses to start without one`);
    return { name: pack.packName, version, policies: pack.policies };
}

export function readPolicyConfig(file: string): PolicyPackConfig {
    if (!fs.existsSync(file)) throw new UsageError(`policy config ${file} does not exist`);
    const text = fs.readFileSync(file, "utf8");
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

export async function makePlan(opts: PlanOptions): Promise<PlanReport> {
    const program = opts.program ?? path.join(REPO_ROOT, "index.ts");
    if (!fs.existsSync(program)) throw new UsageError(`program ${program} does not exist`);
    const stackFile = path.join(findProjectDir(program), `Pulumi.${opts.stack}.yaml`);
    let stackConfig: Record<string, string>;
    try {
        stackConfig = loadStackConfig(opts.stack, findProjectDir(program));
    } catch (e) {
        throw new UsageError((e as Error).message);
    }
    const configFile = opts.policyConfig ?? path.join(PACK_DIR, "config", `${opts.stack}.json`);
    const policyConfig = readPolicyConfig(configFile);
    const pack = loadPack();

    let datasetManifest: string | undefined;
    if (opts.datasetManifest !== undefined) {
        if (!fs.existsSync(opts.datasetManifest)) throw new UsageError(`dataset manifest ${opts.datasetManifest} does not exist`);
        datasetManifest = fs.readFileSync(opts.datasetManifest, "utf8");
    }
    const run = await runProgram({ stack: opts.stack, program, datasetManifest });
    let evaluation;
    try {
        evaluation = await evaluatePack(pack.policies, run.resources, policyConfig, {
            packName: pack.name,
            packVersion: pack.version,
        });
    } catch (e) {
        if (e instanceof PolicyConfigError) throw new UsageError(`${path.relative(process.cwd(), configFile)}: ${e.message}`);
        throw e;
    }
    const { notApplicable, remediations, config } = evaluation;
    const violations = withConfigOrigins(evaluation.violations, { resources: run.resources, stackConfig, stackFile, policyConfig, policyFile: configFile });

    const policies: PolicySummary[] = pack.policies.map((p) => {
        const kind = "validateStack" in p ? "stack" : "resource";
        const level = config.policies.get(p.name)?.enforcementLevel ?? "advisory";
        const na = notApplicable.filter((n) => n.policyName === p.name);
        const evaluated = level === "disabled"
            ? 0
            : kind === "stack"
                ? (na.length > 0 ? 0 : 1)
                : run.resources.length - new Set(na.map((n) => n.urn)).size;
        return { name: p.name, kind, enforcementLevel: level, evaluated, violations: violations.filter((v) => v.policyName === p.name).length };
    });
    const warnings = config.unknownPolicyNames.map(
        (n) => `${path.relative(process.cwd(), configFile)} configures "${n}", which is not a policy of ${pack.name}; the CLI ignores it`,
    );
    const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
    return {
        schemaVersion: 1,
        project: run.project,
        stack: run.stack,
        program: path.relative(process.cwd(), path.resolve(program)) || program,
        region: run.region,
        policyPack: { name: pack.name, version: pack.version, config: path.relative(process.cwd(), configFile) },
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
        warnings,
    };
}
