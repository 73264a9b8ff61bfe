// Instance types and counts, per kind of resource, from allow-lists in the policy config: what a
// stack may run is a team decision that lives in policies/config/<stack>.json, not in the program.

import { cfg, resourceRule, stackRule } from "../lib/rule";
import { type TrainingSpec, trainingJobSpecs, tuningJobSpecs, tuningLimits } from "../lib/training";
import { launchedFromTemplate, volumesOf } from "../lib/ec2";
import { Unknown, peek, peekEach, readNumber, readString } from "../lib/preview";
import { RESOURCE_TYPES as T } from "../lib/resource-types";

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
    kinds: [T.notebook],
    validate(notebook, { config, report }) {
        const type = notebook.instanceType;
        if (!config.allowedInstanceTypes.includes(type)) report(`instanceType ${type} is not allowed (allowed: ${listed(config.allowedInstanceTypes)}).`);
        const volume = readNumber(() => notebook.volumeSize);
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
        else if (!(pool.instanceType instanceof Unknown) && !config.allowedInstanceTypes.includes(pool.instanceType)) {
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
    kinds: [T.trainingJob],
    validate(job, { config, report }) {
        for (const s of trainingJobSpecs(job)) checkTrainingSpec(s, config, report);
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
    kinds: [T.tuningJob],
    validate(job, { config, report }) {
        const specs = tuningJobSpecs(job);
        if (specs.length === 0) report("neither trainingJobDefinition nor trainingJobDefinitions is set.");
        for (const s of specs) checkTrainingSpec(s, config, report);
        const limits = tuningLimits(job);
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
    kinds: [T.trainingJob, T.tuningJob],
    validate(_, { config, as, report }) {
        const training = as(T.trainingJob);
        const tuning = as(T.tuningJob);
        const specs = training ? trainingJobSpecs(training) : tuning ? tuningJobSpecs(tuning) : [];
        for (const s of specs) {
            const at = s.where ? `${s.where}: ` : "";
            if (s.spot instanceof Unknown) continue;
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
    kinds: [T.endpointConfig],
    validate(endpointConfig, { config, report, undecided }) {
        const variants = peek(() => endpointConfig.productionVariants);
        if (variants instanceof Unknown) return undecided(variants);
        const all = [
            ...peekEach(variants).map((v, i) => ({ v, at: `productionVariants[${i}]` })),
            ...peekEach(peek(() => endpointConfig.shadowProductionVariants)).map((v, i) => ({ v, at: `shadowProductionVariants[${i}]` })),
        ];
        for (const { v, at } of all) {
            if (v instanceof Unknown) {
                undecided(v);
                continue;
            }
            const serverless = peek(() => v.serverlessConfig);
            if (serverless && !(serverless instanceof Unknown)) {
                if (!config.allowServerless) report(`${at} is serverless, which this stack does not allow.`);
                const mem = readNumber(() => serverless.memorySizeInMb);
                const conc = readNumber(() => serverless.maxConcurrency);
                if (typeof mem === "number" && mem > config.maxServerlessMemoryMb) report(`${at} serverless memorySizeInMb ${mem} exceeds ${config.maxServerlessMemoryMb}.`);
                if (typeof conc === "number" && conc > config.maxServerlessConcurrency) report(`${at} serverless maxConcurrency ${conc} exceeds ${config.maxServerlessConcurrency}.`);
                continue;
            }
            const type = readString(() => v.instanceType);
            if (type === undefined) report(`${at} has neither instanceType nor serverlessConfig.`);
            else if (!(type instanceof Unknown) && !config.allowedInstanceTypes.includes(type)) {
                report(`${at} instanceType ${type} is not allowed (allowed: ${listed(config.allowedInstanceTypes)}).`);
            }
            const count = readNumber(() => v.initialInstanceCount);
            if (typeof count === "number" && count > config.maxInitialInstanceCount) report(`${at} initialInstanceCount ${count} exceeds ${config.maxInitialInstanceCount}.`);
        }
    },
});

export const autoscalingBounds = resourceRule({
    name: "sagemaker-autoscaling-bounds",
    category: "cost",
    description: "Application Auto Scaling targets of SageMaker variants keep 1 <= minCapacity <= maxCapacity <= the cap, and so does every scheduled scaling action on them.",
    anchors: [],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "set minCapacity >= 1 and maxCapacity within the stack's cap (on the target and in each scheduled action's scalableTargetAction).",
    config: {
        maxCapacity: cfg.integer("Largest maxCapacity of an endpoint variant.", 4, 1),
    },
    kinds: [T.scalingTarget, T.scheduledAction],
    validate(_, { config, args, as, report }) {
        const target = as(T.scalingTarget);
        const action = as(T.scheduledAction);
        if (readString(() => (target ?? action)?.serviceNamespace) !== "sagemaker") args.notApplicable("not a SageMaker scalable target");
        const at = action ? "scalableTargetAction." : "";
        const min = readNumber(() => (target ? target.minCapacity : action?.scalableTargetAction.minCapacity));
        const max = readNumber(() => (target ? target.maxCapacity : action?.scalableTargetAction.maxCapacity));
        if (typeof min === "number" && min < 1) report(`${at}minCapacity ${min} < 1: the variant could scale to zero and stop serving.`);
        if (typeof max === "number" && max > config.maxCapacity) report(`${at}maxCapacity ${max} exceeds ${config.maxCapacity}.`);
        if (typeof min === "number" && typeof max === "number" && max < min) report(`${at}maxCapacity ${max} < minCapacity ${min}.`);
    },
});

export const ec2InstanceType = resourceRule({
    name: "ec2-instance-type",
    category: "cost",
    description: "EC2 instances, spot requests and launch templates use an allowed instance type (GPU families only when listed).",
    anchors: [],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "use an allowed instance type (see allowedInstanceTypes in policies/config/<stack>.json).",
    config: {
        allowedInstanceTypes: cfg.strings("EC2 instance types allowed.", ["g4dn.xlarge", "g4dn.2xlarge", "g5.xlarge", "t3.micro", "t3.small", "t3.medium"]),
    },
    kinds: [T.ec2Instance, T.launchTemplate],
    validate(_, { config, as, report }) {
        const instance = as(T.ec2Instance);
        const type = readString(() => (instance ?? as(T.launchTemplate))?.instanceType);
        if (type instanceof Unknown) return;
        // A launch template may leave the type to whoever launches from it.
        if (type === undefined) return void (instance && !launchedFromTemplate(instance) && report("instanceType is not set."));
        if (!config.allowedInstanceTypes.includes(type)) report(`instanceType ${type} is not allowed (allowed: ${listed(config.allowedInstanceTypes)}).`);
    },
});

export const ec2VolumeSize = resourceRule({
    name: "ec2-volume-size",
    category: "cost",
    description: "Every EBS volume stays within the size cap: an instance's or spot request's root and extra devices, a launch template's mappings, standalone volumes.",
    anchors: [],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "shrink the volume (keep datasets in S3 and stream them), or raise maxVolumeGb in policies/config/<stack>.json after review.",
    config: {
        maxVolumeGb: cfg.integer("Largest EBS volume (GB).", 200, 8),
    },
    kinds: [T.ec2Instance, T.launchTemplate, T.ebsVolume],
    validate(_, { config, args, report }) {
        for (const v of volumesOf(args.type, args.props)) {
            if (typeof v.sizeGb === "number" && v.sizeGb > config.maxVolumeGb) report(`${v.root ? "root volume" : v.where} ${v.sizeGb} GB exceeds ${config.maxVolumeGb} GB.`);
        }
    },
});

export const ec2InstanceCount = stackRule({
    name: "ec2-instance-count",
    category: "cost",
    description: "The stack runs at most maxInstances EC2 instances (instances and spot requests together).",
    anchors: [],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "remove instances or raise maxInstances in policies/config/<stack>.json after review.",
    config: {
        maxInstances: cfg.integer("Most EC2 instances in one stack.", 2, 0),
    },
    kinds: [T.ec2Instance],
    validate({ config, index, report }) {
        const instances = index.of(T.ec2Instance);
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
    ec2VolumeSize,
    ec2InstanceCount,
];
