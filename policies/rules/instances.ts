// Instance types and counts, per kind of resource, from allow-lists in the policy config: what a
// stack may run is a team decision that lives in policies/config/<stack>.json, not in the program.

import { cfg, resourceRule, stackRule } from "../lib/rule";
import { TRAINING_JOB, TUNING_JOB, TrainingSpec, trainingSpecs, tuningLimits } from "../lib/training";
import { UNKNOWN, arr, get, num, str, throwUnknown } from "../lib/values";
import { T as SM } from "./sagemaker";

const EC2_INSTANCE = "aws:ec2/instance:Instance";

function listed(list: string[]): string {
    return list.length === 0 ? "(none allowed)" : list.join(", ");
}

export const notebookInstanceType = resourceRule({
    name: "sagemaker-notebook-instance-type",
    category: "cost",
    description: "Notebook instances use an allowed instance type and a volume no larger than the cap.",
    anchors: [],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "pick an allowed instance type (or extend allowedInstanceTypes in policies/config/<stack>.json after review).",
    config: {
        allowedInstanceTypes: cfg.strings("Notebook instance types allowed.", ["ml.t3.medium", "ml.t3.large", "ml.t3.xlarge", "ml.m5.xlarge"]),
        maxVolumeSizeGb: cfg.integer("Largest notebook volume (GB).", 50, 5),
    },
    types: [SM.notebook],
    validate(props, { config, report }) {
        const type = props.instanceType;
        if (!config.allowedInstanceTypes.includes(type)) report(`instanceType ${type} is not allowed (allowed: ${listed(config.allowedInstanceTypes)}).`);
        const volume = num(props, "volumeSize");
        if (typeof volume === "number" && volume > config.maxVolumeSizeGb) report(`volumeSize ${volume} GB exceeds ${config.maxVolumeSizeGb} GB.`);
    },
});

/** Instance type, count, volume and runtime checks shared by training and tuning jobs. */
function checkTrainingSpec(
    s: TrainingSpec,
    config: { allowedInstanceTypes: string[]; maxInstanceCount: number; maxVolumeSizeGb: number; maxRuntimeSeconds: number },
    report: (p: string) => void,
): void {
    const at = s.where ? `${s.where}: ` : "";
    for (const pool of s.instances) {
        if (pool.instanceType === undefined) report(`${at}no instance type is set.`);
        else if (pool.instanceType !== UNKNOWN && !config.allowedInstanceTypes.includes(pool.instanceType)) {
            report(`${at}instance type ${pool.instanceType} is not allowed (allowed: ${listed(config.allowedInstanceTypes)}).`);
        }
        if (typeof pool.instanceCount === "number" && pool.instanceCount > config.maxInstanceCount) {
            report(`${at}instance count ${pool.instanceCount} exceeds ${config.maxInstanceCount}.`);
        }
        if (typeof pool.volumeSizeInGb === "number" && pool.volumeSizeInGb > config.maxVolumeSizeGb) {
            report(`${at}volume ${pool.volumeSizeInGb} GB exceeds ${config.maxVolumeSizeGb} GB.`);
        }
    }
    if (s.maxRuntimeSeconds === undefined) report(`${at}stoppingCondition.maxRuntimeInSeconds is not set (the AWS default is 1 day).`);
    else if (typeof s.maxRuntimeSeconds === "number" && s.maxRuntimeSeconds > config.maxRuntimeSeconds) {
        report(`${at}stoppingCondition.maxRuntimeInSeconds ${s.maxRuntimeSeconds} exceeds ${config.maxRuntimeSeconds}.`);
    }
}

const TRAINING_TYPES_DEFAULT = ["ml.m5.large", "ml.m5.xlarge", "ml.m5.2xlarge", "ml.c5.xlarge", "ml.c5.2xlarge", "ml.g4dn.xlarge", "ml.g4dn.2xlarge", "ml.g5.xlarge"];

export const trainingLimits = resourceRule({
    name: "sagemaker-training-limits",
    category: "cost",
    description: "Training jobs use allowed instance types, at most maxInstanceCount instances, a bounded volume, and a maximum runtime no longer than the cap.",
    anchors: [],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "use an allowed instance type and count, and set stoppingCondition.maxRuntimeInSeconds within the cap.",
    config: {
        allowedInstanceTypes: cfg.strings("Training instance types allowed.", TRAINING_TYPES_DEFAULT),
        maxInstanceCount: cfg.integer("Most instances per training job.", 4, 1),
        maxVolumeSizeGb: cfg.integer("Largest training volume (GB).", 100, 1),
        maxRuntimeSeconds: cfg.integer("Largest stoppingCondition.maxRuntimeInSeconds.", 86400, 1),
    },
    types: [TRAINING_JOB],
    validate(props, { config, args, report }) {
        for (const s of trainingSpecs(args.type, props)) checkTrainingSpec(s, config, report);
    },
});

export const tuningJobLimits = resourceRule({
    name: "sagemaker-tuning-limits",
    category: "cost",
    description: "Hyperparameter tuning jobs use allowed instance types and counts per training job, at most maxTrainingJobs jobs, at most maxParallelTrainingJobs at once, and bounded runtimes.",
    anchors: [],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "lower config.resourceLimits (maxNumberOfTrainingJobs, maxParallelTrainingJobs) and use an allowed instance type.",
    config: {
        allowedInstanceTypes: cfg.strings("Instance types a tuning job's training jobs may use.", TRAINING_TYPES_DEFAULT),
        maxInstanceCount: cfg.integer("Most instances per training job of the tuning job.", 1, 1),
        maxVolumeSizeGb: cfg.integer("Largest training volume (GB).", 100, 1),
        maxRuntimeSeconds: cfg.integer("Largest maxRuntimeInSeconds of one training job.", 86400, 1),
        maxTrainingJobs: cfg.integer("Largest config.resourceLimits.maxNumberOfTrainingJobs.", 20, 1),
        maxParallelTrainingJobs: cfg.integer("Largest config.resourceLimits.maxParallelTrainingJobs.", 4, 1),
    },
    types: [TUNING_JOB],
    validate(props, { config, args, report }) {
        const specs = trainingSpecs(args.type, props);
        if (specs.length === 0) report("neither trainingJobDefinition nor trainingJobDefinitions is set.");
        for (const s of specs) checkTrainingSpec(s, config, report);
        const limits = tuningLimits(props);
        if (limits.maxJobs === undefined) report("config.resourceLimits.maxNumberOfTrainingJobs is not set.");
        else if (typeof limits.maxJobs === "number" && limits.maxJobs > config.maxTrainingJobs) {
            report(`config.resourceLimits.maxNumberOfTrainingJobs ${limits.maxJobs} exceeds ${config.maxTrainingJobs}.`);
        }
        if (typeof limits.maxParallel === "number" && limits.maxParallel > config.maxParallelTrainingJobs) {
            report(`config.resourceLimits.maxParallelTrainingJobs ${limits.maxParallel} exceeds ${config.maxParallelTrainingJobs}.`);
        }
    },
});

export const trainingSpot = resourceRule({
    name: "sagemaker-training-spot",
    category: "cost",
    description: "Training and tuning jobs use managed spot training where the stack requires it, and spot jobs are resumable: maxWaitTimeInSeconds >= maxRuntimeInSeconds and a checkpoint S3 URI.",
    anchors: [],
    enforcementLevel: "advisory",
    severity: "low",
    remediation: "set enableManagedSpotTraining: true, stoppingCondition.maxWaitTimeInSeconds >= maxRuntimeInSeconds and checkpointConfig.s3Uri.",
    config: {
        requireSpot: cfg.boolean("Require managed spot training on every training job.", false),
    },
    types: [TRAINING_JOB, TUNING_JOB],
    validate(props, { config, args, report }) {
        for (const s of trainingSpecs(args.type, props)) {
            const at = s.where ? `${s.where}: ` : "";
            if (s.spot === UNKNOWN) continue;
            if (s.spot !== true) {
                if (config.requireSpot) report(`${at}enableManagedSpotTraining is not true (spot is required in this stack).`);
                continue;
            }
            if (s.maxWaitSeconds === undefined) report(`${at}spot training without stoppingCondition.maxWaitTimeInSeconds.`);
            else if (typeof s.maxWaitSeconds === "number" && typeof s.maxRuntimeSeconds === "number" && s.maxWaitSeconds < s.maxRuntimeSeconds) {
                report(`${at}maxWaitTimeInSeconds ${s.maxWaitSeconds} < maxRuntimeInSeconds ${s.maxRuntimeSeconds}.`);
            }
            if (s.checkpointS3Uri === undefined || s.checkpointS3Uri === "") report(`${at}spot training without checkpointConfig.s3Uri: an interruption restarts from scratch.`);
        }
    },
});

export const endpointInstanceLimits = resourceRule({
    name: "sagemaker-endpoint-instance-limits",
    category: "cost",
    description: "Endpoint variants use an allowed instance type and initial count, or a serverless configuration within memory and concurrency caps.",
    anchors: [],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "use an allowed instance type with a small initialInstanceCount (scale with autoscaling), or a serverless variant within the caps.",
    config: {
        allowedInstanceTypes: cfg.strings("Endpoint instance types allowed.", ["ml.m5.large", "ml.m5.xlarge", "ml.c5.large", "ml.c5.xlarge", "ml.g4dn.xlarge"]),
        maxInitialInstanceCount: cfg.integer("Largest initialInstanceCount per variant.", 2, 1),
        allowServerless: cfg.boolean("Whether serverless variants are allowed.", true),
        maxServerlessMemoryMb: cfg.integer("Largest serverless memorySizeInMb.", 6144, 1024),
        maxServerlessConcurrency: cfg.integer("Largest serverless maxConcurrency.", 20, 1),
    },
    types: [SM.endpointConfig],
    validate(props, { config, report }) {
        const variants = arr(props, "productionVariants");
        if (variants === UNKNOWN) throwUnknown(["productionVariants"], "array");
        const shadows = arr(props, "shadowProductionVariants");
        const all = [...variants.map((v, i) => ({ v, at: `productionVariants[${i}]` })), ...(shadows === UNKNOWN ? [] : shadows.map((v, i) => ({ v, at: `shadowProductionVariants[${i}]` })))];
        for (const { v, at } of all) {
            const serverless = get(v, "serverlessConfig");
            if (serverless && serverless !== UNKNOWN) {
                if (!config.allowServerless) report(`${at} is serverless, which this stack does not allow.`);
                const mem = num(serverless, "memorySizeInMb");
                const conc = num(serverless, "maxConcurrency");
                if (typeof mem === "number" && mem > config.maxServerlessMemoryMb) report(`${at} serverless memorySizeInMb ${mem} exceeds ${config.maxServerlessMemoryMb}.`);
                if (typeof conc === "number" && conc > config.maxServerlessConcurrency) report(`${at} serverless maxConcurrency ${conc} exceeds ${config.maxServerlessConcurrency}.`);
                continue;
            }
            const type = str(v, "instanceType");
            if (type === undefined) report(`${at} has neither instanceType nor serverlessConfig.`);
            else if (type !== UNKNOWN && !config.allowedInstanceTypes.includes(type)) {
                report(`${at} instanceType ${type} is not allowed (allowed: ${listed(config.allowedInstanceTypes)}).`);
            }
            const count = num(v, "initialInstanceCount");
            if (typeof count === "number" && count > config.maxInitialInstanceCount) report(`${at} initialInstanceCount ${count} exceeds ${config.maxInitialInstanceCount}.`);
        }
    },
});

export const autoscalingBounds = resourceRule({
    name: "sagemaker-autoscaling-bounds",
    category: "cost",
    description: "Application Auto Scaling targets of SageMaker variants keep 1 <= minCapacity <= maxCapacity <= the cap.",
    anchors: [],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "set minCapacity >= 1 and maxCapacity within the stack's cap.",
    config: {
        maxCapacity: cfg.integer("Largest maxCapacity of an endpoint variant.", 4, 1),
    },
    types: [SM.scalingTarget],
    validate(props, { config, args, report }) {
        if (get(props, "serviceNamespace") !== "sagemaker") args.notApplicable("not a SageMaker scalable target");
        const min = num(props, "minCapacity");
        const max = num(props, "maxCapacity");
        if (typeof min === "number" && min < 1) report(`minCapacity ${min} < 1: the variant could scale to zero and stop serving.`);
        if (typeof max === "number" && max > config.maxCapacity) report(`maxCapacity ${max} exceeds ${config.maxCapacity}.`);
        if (typeof min === "number" && typeof max === "number" && max < min) report(`maxCapacity ${max} < minCapacity ${min}.`);
    },
});

export const ec2InstanceType = resourceRule({
    name: "ec2-instance-type",
    category: "cost",
    description: "EC2 instances use an allowed instance type (GPU families only when listed) and a root volume no larger than the cap.",
    anchors: [],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "use an allowed instance type (see allowedInstanceTypes in policies/config/<stack>.json).",
    config: {
        allowedInstanceTypes: cfg.strings("EC2 instance types allowed.", ["g4dn.xlarge", "g4dn.2xlarge", "g5.xlarge", "t3.micro", "t3.small", "t3.medium"]),
        maxRootVolumeGb: cfg.integer("Largest root volume (GB).", 200, 8),
    },
    types: [EC2_INSTANCE],
    validate(props, { config, report }) {
        const type = props.instanceType;
        if (type === undefined) report("instanceType is not set.");
        else if (!config.allowedInstanceTypes.includes(type)) report(`instanceType ${type} is not allowed (allowed: ${listed(config.allowedInstanceTypes)}).`);
        const root = num(props, "rootBlockDevice", "volumeSize");
        if (typeof root === "number" && root > config.maxRootVolumeGb) report(`root volume ${root} GB exceeds ${config.maxRootVolumeGb} GB.`);
    },
});

export const ec2InstanceCount = stackRule({
    name: "ec2-instance-count",
    category: "cost",
    description: "The stack runs at most maxInstances EC2 instances.",
    anchors: [],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "remove instances or raise maxInstances in policies/config/<stack>.json after review.",
    config: {
        maxInstances: cfg.integer("Most EC2 instances in one stack.", 2, 0),
    },
    types: [EC2_INSTANCE],
    validate({ config, index, report }) {
        const instances = index.ofType(EC2_INSTANCE);
        if (instances.length > config.maxInstances) {
            for (let i = config.maxInstances; i < instances.length; i++) {
                report(instances[i].urn, `instance ${instances[i].name} is number ${i + 1} of ${instances.length}; the stack allows ${config.maxInstances}.`);
            }
        }
    },
});

export const instanceRules = [
    notebookInstanceType,
    trainingLimits,
    tuningJobLimits,
    trainingSpot,
    endpointInstanceLimits,
    autoscalingBounds,
    ec2InstanceType,
    ec2InstanceCount,
];
