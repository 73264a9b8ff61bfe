// The Pulumi engine's part in policy evaluation, played against a pack served by @pulumi/policy's
// own analyzer (policy-pack.ts starts it, analyzer-client.ts speaks to it). What runs the policies
// is the real server; this module does only what the engine does around it (pulumi/pulumi
// pkg/resource/deploy/step_generator.go and analyze_snapshot.go):
//   - `Configure` with the reconciled configuration of every policy (policy-config.ts);
//   - per resource, in registration order: `Remediate` (when some policy is at level
//     "remediate"; its transformed inputs replace the resource's, and a remediation that could not
//     run is an advisory violation), then `Analyze` of the (remediated) inputs;
//   - `AnalyzeStack` once, with every resource's outputs, parent and dependencies;
//   - a diagnostic at level "remediate" counts as "mandatory"; a stack policy's diagnostic belongs
//     to the resource it names when that resource is in the stack, else to the stack as a whole;
//   - a policy that throws fails the request, and the preview with it (`PolicyEvaluationError`).
// Analyze requests are pipelined (several in flight) rather than sent one after the other as the
// engine's step generator does; each is independent, and the answers keep the resources' order.

import {
    AnalyzerDiagnostic,
    AnalyzerError,
    EnforcementLevel,
    indexResources,
    PlanResource,
    PolicyConfig,
    PolicyNotApplicable,
} from "./analyzer-client";
import { withoutLibraryFrames } from "./errors";
import { resolvePolicyPackConfig, ResolvedPackConfig } from "./policy-config";
import type { PolicyPackProcess } from "./policy-pack";

export type { EnforcementLevel, PlanResource, PlanResourceOptions } from "./analyzer-client";
export type { PolicyPackConfig } from "./policy-config";
export { PolicyConfigError } from "./policy-config";

export interface Violation {
    policyName: string;
    /** "mandatory" or "advisory" ("remediate" is reported as "mandatory", as the engine does). */
    enforcementLevel: EnforcementLevel;
    message: string;
    urn?: string;
    resourceName?: string;
    resourceType?: string;
    /** "resource" for `validateResource` (and remediations), "stack" for `validateStack`. */
    kind: "resource" | "stack";
    severity?: string;
}

export interface NotApplicable {
    policyName: string;
    reason: string;
    /** The resource a resource policy was not applicable to; absent for stack policies. */
    urn?: string;
}

export interface Remediation {
    policyName: string;
    urn: string;
    resourceName: string;
    resourceType: string;
    /** The inputs the remediation returned, when it changed them. */
    properties?: Record<string, unknown>;
    /** Why it could not run (unknown values during preview). */
    diagnostic?: string;
}

export interface EvaluationResult {
    violations: Violation[];
    notApplicable: NotApplicable[];
    remediations: Remediation[];
    /** The configuration each policy ran with (level + properties), after defaults and overrides. */
    config: ResolvedPackConfig;
}

/** A policy threw something other than "not applicable" or "unknown value": the preview fails. */
export class PolicyEvaluationError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PolicyEvaluationError";
    }
}

async function served<T>(request: Promise<T>): Promise<T> {
    try {
        return await request;
    } catch (e) {
        if (e instanceof AnalyzerError) throw new PolicyEvaluationError(withoutLibraryFrames(e.message));
        throw e;
    }
}

/**
 * Evaluates `pack` on `resources` (in registration order) with `config` (the content of a
 * `--policy-pack-config` file). Throws `PolicyConfigError` for a config the plan refuses and
 * `PolicyEvaluationError` when a policy crashes.
 */
export async function evaluatePack(pack: PolicyPackProcess, resources: readonly PlanResource[], config: unknown): Promise<EvaluationResult> {
    const resolved = resolvePolicyPackConfig(pack.info, config);
    return { ...(await analyzeWithConfig(pack, resources, resolved.policies)), config: resolved };
}

/** The analysis with an already resolved configuration, as `Configure` will send it. */
export async function analyzeWithConfig(
    pack: PolicyPackProcess,
    resources: readonly PlanResource[],
    configure: ReadonlyMap<string, PolicyConfig>,
): Promise<Omit<EvaluationResult, "config">> {
    const index = indexResources(resources);
    if (index.size !== resources.length) {
        const seen = new Set<string>();
        const duplicate = resources.find((r) => seen.size === seen.add(r.urn).size);
        throw new Error(`two resources share the URN ${duplicate?.urn}`);
    }
    const severityOf = new Map(pack.info.policies.map((p) => [p.name, p.severity]));
    const violation = (d: AnalyzerDiagnostic, kind: Violation["kind"], urn: string | undefined): Violation => {
        const target = urn ? index.get(urn) : undefined;
        // In the order the report has always listed them.
        return {
            policyName: d.policyName,
            enforcementLevel: d.enforcementLevel === "remediate" ? "mandatory" : d.enforcementLevel,
            message: d.message,
            urn: target?.urn,
            kind,
            severity: d.severity ?? severityOf.get(d.policyName),
            resourceName: target?.name,
            resourceType: target?.type,
        };
    };
    const notApplicable = (list: PolicyNotApplicable[], urn?: string): NotApplicable[] =>
        list.map((n) => (urn ? { policyName: n.policyName, reason: n.reason, urn } : { policyName: n.policyName, reason: n.reason }));

    await served(pack.client.configure(configure));

    const violations: Violation[] = [];
    const notApplicables: NotApplicable[] = [];
    const remediations: Remediation[] = [];
    let analyzed: readonly PlanResource[] = resources;
    const remediating = [...configure.values()].some((c) => c.enforcementLevel === "remediate");
    if (remediating) {
        // The engine remediates a resource, then analyzes what the remediations left.
        const updated: PlanResource[] = [];
        for (const r of resources) {
            const result = await served(pack.client.remediate(r, index));
            let current = r;
            for (const m of result.remediations) {
                remediations.push({ urn: r.urn, resourceName: r.name, resourceType: r.type, ...m });
                if (m.diagnostic) {
                    violations.push(violation({ policyName: m.policyName, enforcementLevel: "advisory", message: m.diagnostic }, "resource", r.urn));
                } else if (m.properties) {
                    current = { ...current, props: m.properties, outputs: current.outputs && { ...current.outputs, ...m.properties } };
                }
            }
            notApplicables.push(...notApplicable(result.notApplicable, r.urn));
            const analysis = await served(pack.client.analyze(current, index));
            violations.push(...analysis.diagnostics.map((d) => violation(d, "resource", r.urn)));
            notApplicables.push(...notApplicable(analysis.notApplicable, r.urn));
            updated.push(current);
        }
        analyzed = updated;
    } else {
        const results = await served(pack.client.analyzeAll(resources, index));
        results.forEach((analysis, i) => {
            const urn = resources[i].urn;
            violations.push(...analysis.diagnostics.map((d) => violation(d, "resource", urn)));
            notApplicables.push(...notApplicable(analysis.notApplicable, urn));
        });
    }
    // Remediations replace resources: the stack's providers are then looked up among the new ones.
    const stack = await served(pack.client.analyzeStack(analyzed, analyzed === resources ? index : indexResources(analyzed)));
    violations.push(...stack.diagnostics.map((d) => violation(d, "stack", d.urn)));
    notApplicables.push(...notApplicable(stack.notApplicable));
    return { violations, notApplicable: notApplicables, remediations };
}
