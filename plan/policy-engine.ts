// Evaluates a policy pack in-process, the way `pulumi preview --policy-pack` evaluates it.
//
// What the Pulumi CLI and the pack's analyzer server (`@pulumi/policy` 1.21 `server.js`) do, and
// this module reproduces step by step:
//   - config: schema defaults, then the pack's initial config, then the `--policy-pack-config` file,
//     validated against each policy's schema (see `plan/policy-config.ts`);
//   - enforcement level = config override > the policy's own level > the pack's default ("advisory");
//     "disabled" skips the policy; "remediate" runs `remediateResource` first and reports whatever is
//     left as "mandatory";
//   - remediations: policies at level "remediate" transform each resource's inputs before analysis,
//     in pack order, and the transformed inputs are what resource and stack policies then see;
//   - `Analyze` per resource (its inputs), `AnalyzeStack` once with every resource (its outputs,
//     with `parent`, `dependencies`, `propertyDependencies`, `provider`, `opts`), in pack order;
//   - a validation function tagged with a Pulumi type (`validateResourceOfType`, ...) is skipped for
//     other types and reported not applicable; `args.notApplicable(reason)` is reported as such;
//   - properties are deserialized with the library's own deserializer and wrapped in its
//     unknown-checking proxy, so touching a value unknown during preview yields the same advisory
//     "can't run policy ... during preview" diagnostic instead of a violation;
//   - the message of a violation is the policy's description, plus "\n" and the reported message.
// A policy that throws anything else makes the CLI fail the preview; here it throws
// `PolicyEvaluationError` with the same wording.

import * as policy from "@pulumi/policy";
import { unknownCheckingProxy, UnknownValueError } from "@pulumi/policy";
import {
    EnforcementLevel,
    PolicyPackConfig,
    ResolvedPackConfig,
    resolvePolicyPackConfig,
} from "./policy-config";

export type { EnforcementLevel, PolicyPackConfig } from "./policy-config";
export { PolicyConfigError } from "./policy-config";

// Internal helpers of @pulumi/policy (exported by its modules, marked @internal in the typings).
// Using them rather than re-implementations keeps type matching and deserialization identical.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const policyInternals: {
    isResourcePolicy(p: unknown): p is policy.ResourceValidationPolicy;
    isStackPolicy(p: unknown): p is policy.StackValidationPolicy;
    getPulumiType(obj: unknown): string | undefined;
} = require("@pulumi/policy/policy");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const deserializer: {
    deserializeProperties(struct: { toJavaScript(): Record<string, unknown> }, proxySecrets: boolean): Record<string, any>;
    serializeProperties(obj: unknown): Promise<Record<string, any>>;
} = require("@pulumi/policy/deserialize");

/** The resource options the analyzer receives (`AnalyzerResourceOptions`). */
export interface PlanResourceOptions {
    protect?: boolean;
    ignoreChanges?: string[];
    deleteBeforeReplace?: boolean;
    aliases?: string[];
    additionalSecretOutputs?: string[];
    customTimeouts?: { createSeconds?: number; updateSeconds?: number; deleteSeconds?: number };
}

/**
 * One resource as the engine hands it to the analyzer. `props` are plain JSON as the engine
 * marshals them: secrets unwrapped, resource references downgraded to ids, unknown values as
 * Pulumi's unknown sentinel string, assets/archives as their signature objects.
 */
export interface PlanResource {
    urn: string;
    type: string;
    name: string;
    /** The resource's inputs: what `Analyze` (resource policies) sees. */
    props: Record<string, any>;
    /**
     * The resource's outputs: what `AnalyzeStack` (stack policies) sees, as the engine sends the
     * resource's state there. Absent: stack policies see `props`.
     */
    outputs?: Record<string, any>;
    parent?: string;
    dependencies?: string[];
    propertyDependencies?: Record<string, string[]>;
    /** Provider reference (`<provider urn>::<id>`) or provider URN. */
    provider?: string;
    opts?: PlanResourceOptions;
}

export interface Violation {
    policyName: string;
    enforcementLevel: EnforcementLevel;
    message: string;
    urn?: string;
    resourceName?: string;
    resourceType?: string;
    /** "resource" for `validateResource`, "stack" for `validateStack`. */
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
    /** The inputs the remediation returned (serialized), when it changed them. */
    properties?: Record<string, any>;
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

export interface EvaluateOptions {
    /** Used in diagnostics (`'<name>@v<version>'`), as the analyzer server does. */
    packName?: string;
    packVersion?: string;
    /** The pack default (`PolicyPackArgs.enforcementLevel`); the library's default is "advisory". */
    packEnforcementLevel?: EnforcementLevel;
    /** The `initialConfig` argument of `new PolicyPack(...)`, if the pack passes one. */
    initialConfig?: PolicyPackConfig;
    /** Stack tags (`ConfigureStack`); empty unless given. */
    stackTags?: Record<string, string>;
}

/** A policy threw something other than "not applicable" or "unknown value": the preview fails. */
export class PolicyEvaluationError extends Error {
    constructor(message: string, readonly policyName: string, readonly urn?: string) {
        super(message);
        this.name = "PolicyEvaluationError";
    }
}

class NotApplicableError extends Error {
    constructor(readonly reason?: string) {
        super(reason ?? "Policy does not apply");
    }
}

function throwNotApplicable(reason?: string): never {
    throw new NotApplicableError(reason);
}

/** Same test as the analyzer server's `isTypeOf`. */
function isTypeOf(type: string, resourceClass: unknown): boolean {
    const pulumiType = policyInternals.getPulumiType(resourceClass);
    if (pulumiType) return type === pulumiType;
    const isInstance = (resourceClass as { isInstance?: unknown })?.isInstance;
    return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

/**
 * Makes `props` what a protobuf Struct would carry: no `undefined` members (the engine drops them),
 * `null` for `undefined` array slots, no functions.
 */
function toStructJson(value: unknown): unknown {
    if (value === undefined || typeof value === "function" || typeof value === "symbol") return undefined;
    if (value === null || typeof value !== "object") {
        if (typeof value === "bigint") return Number(value);
        if (typeof value === "number" && !Number.isFinite(value)) return null;
        return value;
    }
    if (Array.isArray(value)) return value.map((v) => toStructJson(v) ?? null);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const j = toStructJson(v);
        if (j !== undefined) out[k] = j;
    }
    return out;
}

function deserialize(props: Record<string, any>, proxySecrets: boolean): Record<string, any> {
    return deserializer.deserializeProperties({ toJavaScript: () => toStructJson(props) as Record<string, unknown> }, proxySecrets);
}

function resourceOptions(r: PlanResource): policy.PolicyResourceOptions {
    const o = r.opts ?? {};
    const result: policy.PolicyResourceOptions = {
        protect: o.protect ?? false,
        ignoreChanges: o.ignoreChanges ?? [],
        aliases: o.aliases ?? [],
        customTimeouts: {
            createSeconds: o.customTimeouts?.createSeconds ?? 0,
            updateSeconds: o.customTimeouts?.updateSeconds ?? 0,
            deleteSeconds: o.customTimeouts?.deleteSeconds ?? 0,
        },
        additionalSecretOutputs: o.additionalSecretOutputs ?? [],
    };
    if (o.deleteBeforeReplace !== undefined) result.deleteBeforeReplace = o.deleteBeforeReplace;
    if (r.parent) result.parent = r.parent;
    return result;
}

/** Splits a provider reference `<urn>::<id>` into its URN (a bare URN is returned as is). */
export function providerUrn(ref: string): string {
    // A URN has the form urn:pulumi:<stack>::<project>::<type>::<name>; a reference appends ::<id>.
    const parts = ref.split("::");
    return parts.length > 4 ? parts.slice(0, 4).join("::") : ref;
}

function urnName(urn: string): string {
    return urn.split("::").slice(3).join("::");
}

function urnType(urn: string): string {
    const qualified = urn.split("::")[2] ?? "";
    return qualified.split("$").pop() ?? "";
}

function providerResource(r: PlanResource, byUrn: Map<string, PlanResource>): policy.PolicyProviderResource | undefined {
    if (!r.provider) return undefined;
    const urn = providerUrn(r.provider);
    const known = byUrn.get(urn);
    return {
        type: known?.type ?? urnType(urn),
        name: known?.name ?? urnName(urn),
        urn,
        props: unknownCheckingProxy(deserialize(known?.props ?? {}, false)),
    };
}

function freezeMap(map: Map<string, string>): ReadonlyMap<string, string> {
    return Object.freeze({
        entries: map.entries.bind(map),
        forEach: map.forEach.bind(map),
        get: map.get.bind(map),
        has: map.has.bind(map),
        keys: map.keys.bind(map),
        size: map.size,
        values: map.values.bind(map),
        [Symbol.iterator]: map[Symbol.iterator].bind(map),
    }) as ReadonlyMap<string, string>;
}

function errorText(e: unknown): string {
    return e instanceof Error ? String(e.stack ?? e.message) : String(e);
}

/**
 * Evaluates `policies` on `resources` (in registration order) with `config` (the
 * `--policy-pack-config` file's content). Throws `PolicyConfigError` for a config the CLI would
 * refuse and `PolicyEvaluationError` when a policy crashes.
 */
export async function evaluatePack(
    policies: policy.Policies,
    resources: PlanResource[],
    config?: PolicyPackConfig,
    options: EvaluateOptions = {},
): Promise<EvaluationResult> {
    const packName = options.packName ?? "policy-pack";
    const packVersion = options.packVersion ?? "0.0.0";
    const packLevel: EnforcementLevel = options.packEnforcementLevel ?? "advisory";
    const packLabel = `'${packName}@v${packVersion}'`;

    // The checks the analyzer server makes before serving (it exits the process; we throw).
    const seen = new Set<string>();
    for (const p of policies) {
        if (p.name === "all") throw new PolicyEvaluationError(`Invalid policy name "all". "all" is a reserved name.`, p.name);
        if (p.configSchema?.properties && "enforcementLevel" in p.configSchema.properties) {
            throw new PolicyEvaluationError(`${p.name}: enforcementLevel cannot be explicitly specified in properties.`, p.name);
        }
        if (p.configSchema?.required?.includes("enforcementLevel")) {
            throw new PolicyEvaluationError(`${p.name}: "enforcementLevel" cannot be specified in required.`, p.name);
        }
        if (seen.has(p.name)) {
            // The CLI keys config by name, so two policies with one name would share a config.
            throw new PolicyEvaluationError(`Duplicate policy name "${p.name}" in ${packLabel}.`, p.name);
        }
        seen.add(p.name);
    }

    const resolved = resolvePolicyPackConfig(policies, config, {
        packEnforcementLevel: packLevel,
        initialConfig: options.initialConfig,
        packLabel,
    });
    // What the server holds after `Configure`: properties plus the level, per policy name.
    const levelOf = (p: policy.Policy): EnforcementLevel =>
        resolved.policies.get(p.name)?.enforcementLevel || (p.enforcementLevel as EnforcementLevel) || packLevel;
    const getConfigFor = (name: string) => <T extends object>(): T => {
        const c = resolved.policies.get(name);
        return (c ? { ...c.properties } : {}) as T;
    };
    const stackTags = freezeMap(new Map(Object.entries(options.stackTags ?? {})));

    const violations: Violation[] = [];
    const notApplicable: NotApplicable[] = [];
    const remediations: Remediation[] = [];
    const byUrn = new Map<string, PlanResource>();
    for (const r of resources) {
        if (byUrn.has(r.urn)) throw new PolicyEvaluationError(`Duplicate resource URN ${r.urn}`, "", r.urn);
        byUrn.set(r.urn, r);
    }

    const reporter = (
        p: policy.Policy,
        level: EnforcementLevel,
        kind: Violation["kind"],
        fixedUrn: string | undefined,
    ): policy.ReportViolation => (message: unknown, urn?: string) => {
        let v: Omit<Violation, "resourceName" | "resourceType">;
        if (message !== null && typeof message === "object") {
            // The server also accepts a policy-info object as the message.
            const info = message as Record<string, any>;
            v = {
                policyName: info.name || p.name,
                enforcementLevel: info.enforcementLevel || level,
                message: info.message || info.description || p.description,
                urn: fixedUrn ?? info.urn,
                kind,
                severity: info.severity || p.severity,
            };
        } else {
            v = {
                policyName: p.name,
                enforcementLevel: level,
                message: message ? `${p.description}\n${message}` : p.description,
                urn: fixedUrn ?? urn,
                kind,
                severity: p.severity,
            };
        }
        const target = v.urn ? byUrn.get(v.urn) : undefined;
        violations.push({ ...v, resourceName: target?.name, resourceType: target?.type });
    };

    const unknownDiagnostic = (p: policy.Policy, kind: Violation["kind"], e: Error, urn?: string) => {
        const target = urn ? byUrn.get(urn) : undefined;
        violations.push({
            policyName: p.name,
            enforcementLevel: "advisory",
            message: `can't run policy '${p.name}' from policy pack ${packLabel} during preview: ${(e as Error).message}`,
            urn,
            resourceName: target?.name,
            resourceType: target?.type,
            kind,
            severity: p.severity,
        });
    };

    const anyRemediation = policies.some((p) => levelOf(p) === "remediate");
    // Pass 1 (per resource): remediations, then analysis of the remediated inputs.
    const analyzed: PlanResource[] = [];
    for (const r of resources) {
        const current = await remediate(r);
        analyzed.push(current);
        await analyze(current);
    }
    // Pass 2: stack policies on every resource.
    await analyzeStack(analyzed);

    return { violations, notApplicable, remediations, config: resolved };

    /** What a resource policy (validation or remediation) receives, as the analyzer server builds it. */
    function resourceArgs(r: PlanResource, props: Record<string, any>, policyName: string): policy.ResourceValidationArgs {
        const args: policy.ResourceValidationArgs = {
            type: r.type,
            props,
            urn: r.urn,
            name: r.name,
            opts: resourceOptions(r),
            stackTags,
            isType: (cls: unknown) => isTypeOf(r.type, cls),
            asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as policy.ResourceValidationArgs["asType"],
            getConfig: getConfigFor(policyName),
            notApplicable: throwNotApplicable,
        };
        const provider = providerResource(r, byUrn);
        if (provider) args.provider = provider;
        return args;
    }

    async function remediate(r: PlanResource): Promise<PlanResource> {
        if (!anyRemediation) return r;
        let props: Record<string, any> = unknownCheckingProxy(deserialize(r.props, true));
        let changed = false;
        for (const p of policies) {
            if (levelOf(p) !== "remediate" || !policyInternals.isResourcePolicy(p)) continue;
            if (!p.remediateResource) {
                notApplicable.push({ policyName: p.name, reason: "Policy does not implement remediateResource", urn: r.urn });
                continue;
            }
            const pulumiType = policyInternals.getPulumiType(p.remediateResource);
            if (pulumiType && r.type !== pulumiType) {
                notApplicable.push({ policyName: p.name, reason: `Policy only applies to resources of type '${pulumiType}'`, urn: r.urn });
                continue;
            }
            const args = resourceArgs(r, props, p.name);
            try {
                const result = await Promise.resolve(p.remediateResource(args));
                if (result) {
                    props = result as Record<string, any>;
                    changed = true;
                    remediations.push({
                        policyName: p.name,
                        urn: r.urn,
                        resourceName: r.name,
                        resourceType: r.type,
                        properties: await deserializer.serializeProperties(result),
                    });
                }
            } catch (e) {
                if (e instanceof UnknownValueError) {
                    remediations.push({
                        policyName: p.name,
                        urn: r.urn,
                        resourceName: r.name,
                        resourceType: r.type,
                        diagnostic: `can't run remediation '${p.name}' from policy pack ${packLabel} during preview: ${(e as Error).message}`,
                    });
                } else if (e instanceof NotApplicableError) {
                    notApplicable.push({ policyName: p.name, reason: e.reason ?? "", urn: r.urn });
                } else {
                    throw new PolicyEvaluationError(
                        `Error remediating resource with remediation '${p.name}' from policy pack ${packLabel}:\n${errorText(e)}`,
                        p.name,
                        r.urn,
                    );
                }
            }
        }
        if (!changed) return r;
        // The engine re-marshals the remediated inputs (secrets kept as secrets) before analysis.
        return { ...r, props: await deserializer.serializeProperties(props) };
    }

    async function analyze(r: PlanResource): Promise<void> {
        for (const p of policies) {
            let level = levelOf(p);
            if (level === "disabled" || !policyInternals.isResourcePolicy(p)) continue;
            if (!p.validateResource) {
                notApplicable.push({ policyName: p.name, reason: "Policy does not implement validateResource", urn: r.urn });
                continue;
            }
            if (level === "remediate") level = "mandatory";
            if (!Array.isArray(p.validateResource)) {
                const pulumiType = policyInternals.getPulumiType(p.validateResource);
                if (pulumiType && r.type !== pulumiType) {
                    notApplicable.push({ policyName: p.name, reason: `Policy only applies to resources of type '${pulumiType}'`, urn: r.urn });
                    continue;
                }
            }
            const report = reporter(p, level, "resource", r.urn);
            const validations = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
            for (const validation of validations) {
                try {
                    const args = resourceArgs(r, unknownCheckingProxy(deserialize(r.props, false)), p.name);
                    await Promise.resolve(validation(args, report));
                } catch (e) {
                    if (e instanceof UnknownValueError) {
                        unknownDiagnostic(p, "resource", e as Error, r.urn);
                    } else if (e instanceof NotApplicableError) {
                        notApplicable.push({ policyName: p.name, reason: e.reason ?? "", urn: r.urn });
                    } else {
                        throw new PolicyEvaluationError(
                            `Error validating resource with policy '${p.name}' from policy pack ${packLabel}:\n${errorText(e)}`,
                            p.name,
                            r.urn,
                        );
                    }
                }
            }
        }
    }

    async function analyzeStack(all: PlanResource[]): Promise<void> {
        for (const p of policies) {
            let level = levelOf(p);
            if (level === "disabled" || !policyInternals.isStackPolicy(p)) continue;
            if (level === "remediate") level = "mandatory";
            const pulumiType = policyInternals.getPulumiType(p.validateStack);
            if (pulumiType && !all.some((r) => r.type === pulumiType)) {
                notApplicable.push({ policyName: p.name, reason: `Policy only applies to resources of type '${pulumiType}'` });
                continue;
            }
            const report = reporter(p, level, "stack", undefined);
            try {
                // Built afresh for each policy, as the server does, so no policy sees another's edits.
                const stackResources = all.map((r) => {
                    const props = unknownCheckingProxy(deserialize(r.outputs ?? r.props, false));
                    const resource: policy.PolicyResource = {
                        type: r.type,
                        props,
                        urn: r.urn,
                        name: r.name,
                        opts: resourceOptions(r),
                        dependencies: [],
                        propertyDependencies: {},
                        isType: (cls: unknown) => isTypeOf(r.type, cls),
                        asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as policy.PolicyResource["asType"],
                    };
                    const provider = providerResource(r, byUrn);
                    if (provider) resource.provider = provider;
                    return resource;
                });
                const index = new Map<string, policy.PolicyResource>();
                stackResources.forEach((res) => index.set(res.urn, res));
                all.forEach((r, i) => {
                    const res = stackResources[i];
                    if (r.parent) {
                        const parent = index.get(r.parent);
                        if (parent) res.parent = parent;
                    }
                    res.dependencies = (r.dependencies ?? []).map((d) => index.get(d)).filter((d): d is policy.PolicyResource => !!d);
                    for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
                        res.propertyDependencies[k] = urns.map((d) => index.get(d)).filter((d): d is policy.PolicyResource => !!d);
                    }
                });
                const args: policy.StackValidationArgs = {
                    resources: stackResources,
                    getConfig: getConfigFor(p.name),
                    stackTags,
                    notApplicable: throwNotApplicable,
                };
                await Promise.resolve(p.validateStack(args, report));
            } catch (e) {
                if (e instanceof UnknownValueError) {
                    unknownDiagnostic(p, "stack", e as Error);
                } else if (e instanceof NotApplicableError) {
                    notApplicable.push({ policyName: p.name, reason: e.reason ?? "" });
                } else {
                    throw new PolicyEvaluationError(
                        `Error validating resource with policy '${p.name}' from policy pack ${packLabel}:\n${errorText(e)}`,
                        p.name,
                    );
                }
            }
        }
    }
}
