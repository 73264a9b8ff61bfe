// The stack config keys whose values the policy pack caps: which rule and which of its settings
// refuses a value, and where in which resource the value lands. The offline plan uses it to say a
// violation in the user's words (the key they set, not the resource property), and the
// configuration reference to show each stack's caps beside the allowed values.
//
// Rules are referenced as the pack's own policy objects (their names live in the rule files), and
// resource types as the pack's kinds (their tokens are read from the @pulumi/aws classes).

import * as fs from "fs";
import * as path from "path";
import { ruleInfo } from "../policies/lib/rule";
import { RESOURCE_TYPES as T, type Kind } from "../policies/lib/resource-types";
import * as instances from "../policies/rules/instances";
import * as lambda from "../policies/rules/lambda";

export interface PolicyCap {
    /** The `mlops:` key, `[]` marking a list element (`training.runs[].instanceType`). */
    key: string;
    /** The pack's policy that refuses the value. */
    policy: { name: string };
    /** The setting of that policy (in policies/config/<stack>.json) that holds the cap. */
    setting: string;
    /** The resources the value lands in. */
    kind: Kind;
    /** Where in their inputs, dotted, `[]` marking a list element (`productionVariants[].instanceType`). */
    property: string;
}

const cap = (key: string, policy: { name: string }, setting: string, kind: Kind, property: string): PolicyCap => ({ key, policy, setting, kind, property });

export const POLICY_CAPS: readonly PolicyCap[] = [
    cap("notebook.instanceType", instances.notebookInstanceType, "allowedInstanceTypes", T.notebook, "instanceType"),
    cap("notebook.volumeSizeGb", instances.notebookInstanceType, "maxVolumeSizeGb", T.notebook, "volumeSize"),
    cap("training.runs[].instanceType", instances.trainingLimits, "allowedInstanceTypes", T.trainingJob, "resourceConfig.instanceType"),
    cap("training.runs[].instanceCount", instances.trainingLimits, "maxInstanceCount", T.trainingJob, "resourceConfig.instanceCount"),
    cap("training.volumeSizeGb", instances.trainingLimits, "maxVolumeSizeGb", T.trainingJob, "resourceConfig.volumeSizeInGb"),
    cap("training.volumeSizeGb", instances.tuningJobLimits, "maxVolumeSizeGb", T.tuningJob, "trainingJobDefinition.resourceConfig.volumeSizeInGb"),
    cap("tuning.instanceType", instances.tuningJobLimits, "allowedInstanceTypes", T.tuningJob, "trainingJobDefinition.resourceConfig.instanceType"),
    cap("tuning.maxJobs", instances.tuningJobLimits, "maxTrainingJobs", T.tuningJob, "config.resourceLimits.maxNumberOfTrainingJobs"),
    cap("tuning.maxParallelJobs", instances.tuningJobLimits, "maxParallelTrainingJobs", T.tuningJob, "config.resourceLimits.maxParallelTrainingJobs"),
    cap("endpoint.instanceType", instances.endpointInstanceLimits, "allowedInstanceTypes", T.endpointConfig, "productionVariants[].instanceType"),
    cap("endpoint.minInstances", instances.endpointInstanceLimits, "maxInitialInstanceCount", T.endpointConfig, "productionVariants[].initialInstanceCount"),
    cap("endpoint.serverless.memorySizeMb", instances.endpointInstanceLimits, "maxServerlessMemoryMb", T.endpointConfig, "productionVariants[].serverlessConfig.memorySizeInMb"),
    cap("endpoint.serverless.maxConcurrency", instances.endpointInstanceLimits, "maxServerlessConcurrency", T.endpointConfig, "productionVariants[].serverlessConfig.maxConcurrency"),
    cap("endpoint.maxInstances", instances.autoscalingBounds, "maxCapacity", T.scalingTarget, "maxCapacity"),
    cap("gpuTrainer.instanceType", instances.ec2InstanceType, "allowedInstanceTypes", T.ec2Instance, "instanceType"),
    cap("gpuTrainer.rootVolumeGb", instances.ec2VolumeSize, "maxVolumeGb", T.ec2Instance, "rootBlockDevice.volumeSize"),
    cap("lambda.memoryMb", lambda.timeoutMemory, "maxMemoryMb", T.lambdaFunction, "memorySize"),
    cap("lambda.timeoutSeconds", lambda.timeoutMemory, "maxTimeoutSeconds", T.lambdaFunction, "timeout"),
    cap("lambda.reservedConcurrency", lambda.reservedConcurrency, "maxReservedConcurrency", T.lambdaFunction, "reservedConcurrentExecutions"),
    cap("lambda.provisionedConcurrency", lambda.provisionedConcurrencyLimit, "maxProvisionedConcurrency", T.provisionedConcurrency, "provisionedConcurrentExecutions"),
];

/** A cap is a largest number or an allow-list. */
export type CapValue = number | string[];

/**
 * The cap a policy config file sets for `c`: the file's value for the setting, else the rule's
 * configSchema default (what the engine would merge). Undefined when the file disables the rule.
 */
export function capIn(policyConfig: Record<string, unknown>, c: PolicyCap): CapValue | undefined {
    const entry = policyConfig[c.policy.name];
    const level = typeof entry === "string" ? entry : (entry as { enforcementLevel?: unknown } | undefined)?.enforcementLevel;
    if (level === "disabled" || (level === undefined && policyConfig.all === "disabled")) return undefined;
    const given = entry !== null && typeof entry === "object" ? (entry as Record<string, unknown>)[c.setting] : undefined;
    return (given ?? ruleInfo(c.policy)?.config[c.setting]?.default) as CapValue | undefined;
}

/** Does `value` go beyond `limit`? */
export function exceeds(value: unknown, limit: CapValue): boolean {
    return Array.isArray(limit) ? !limit.includes(value as string) : typeof value === "number" && value > limit;
}

/** The stacks of a project with a policy config of their own: `Pulumi.<stack>.yaml` beside `policies/config/<stack>.json`. */
export function stacksWithPolicyConfig(projectDir: string): { stack: string; policyFile: string }[] {
    return fs.readdirSync(projectDir)
        .map(f => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .map(stack => ({ stack, policyFile: path.join(projectDir, "policies", "config", `${stack}.json`) }))
        .filter(s => fs.existsSync(s.policyFile))
        .sort((a, b) => a.stack.localeCompare(b.stack));
}
