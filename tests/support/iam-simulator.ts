// Evaluates one AWS request against identity and resource policies with @cloud-copilot/iam-simulate,
// an IAM policy simulator published on npm and developed independently of this project: AWS's
// evaluation logic (explicit deny wins, every condition operator, same- and cross-account rules,
// the trust-policy and KMS key-policy rules), with validation of action names, resource ARN shapes
// and the context keys each action accepts.

import { runSimulation, runUnsafeSimulation, type EvaluationResult, type Simulation } from "@cloud-copilot/iam-simulate";
import { createValidatedPolicy, validateResourcePolicy } from "@cloud-copilot/iam-policy";
import type { PolicyDocument } from "../../components/iam";

/** "Allowed", "ExplicitlyDenied" or "ImplicitlyDenied". */
export type Decision = EvaluationResult;

export interface SimulatedRequest {
    /** An IAM principal ARN (a role session, a role) or a service principal (`sagemaker.amazonaws.com`). */
    principal: string;
    action: string;
    resource: string;
    /** The account that owns the resource. */
    resourceAccount: string;
    context: Record<string, string | string[]>;
}

export interface Policies {
    identity: { name: string; policy: PolicyDocument }[];
    resource?: PolicyDocument;
}

/**
 * The simulator (0.1.173) recognises context keys with a variable part only when the part follows
 * a '/', as in `aws:ResourceTag/<key>`: it drops `kms:EncryptionContext:<key>` as "not valid for
 * the action" although AWS sends it. Requests carrying such keys are validated first (action,
 * resource, policies, every other key), then evaluated by the simulator's unvalidated entry point
 * with their full context.
 */
const COLON_VARIABLE_KEYS = /^kms:EncryptionContext:/i;

export async function simulate(request: SimulatedRequest, policies: Policies): Promise<Decision> {
    const simulation: Simulation = {
        request: {
            principal: request.principal,
            action: request.action,
            resource: { resource: request.resource, accountId: request.resourceAccount },
            contextVariables: request.context,
        },
        identityPolicies: policies.identity,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: policies.resource,
    };
    const result = await runSimulation(simulation, {});
    const where = `${request.principal} ${request.action} ${request.resource}`;
    if (result.resultType === "error") {
        throw new Error(`the IAM simulator rejected ${where}: ${JSON.stringify(result.errors)}`);
    }
    const ignored = result.resultType === "single"
        ? result.result.ignoredContextKeys ?? []
        : result.results.flatMap(r => r.ignoredContextKeys ?? []);
    const unexpected = ignored.filter(k => !COLON_VARIABLE_KEYS.test(k));
    if (unexpected.length > 0) {
        throw new Error(`context keys ${unexpected.join(", ")} do not apply to ${request.action} on ${request.resource}: the contract names a key AWS does not send`);
    }
    if (ignored.length === 0) return result.overallResult;
    return runUnsafeSimulation({
        ...simulation,
        // The unvalidated entry point needs the resource policy's name, which a validated policy carries.
        resourcePolicy: policies.resource
            ? createValidatedPolicy(policies.resource, validateResourcePolicy, { name: "resource-policy" })
            : undefined,
    }, {});
}
