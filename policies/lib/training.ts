// The training-job specifications inside a TrainingJob and inside a HyperParameterTuningJob (its
// `trainingJobDefinition` or `trainingJobDefinitions[]`), read once in the same shape so that the
// instance, runtime, spot and cost rules treat both alike.

import { UNKNOWN, Unknown, arr, bool, get, num, str } from "./values";

export const TRAINING_JOB = "aws:sagemaker/trainingJob:TrainingJob";
export const TUNING_JOB = "aws:sagemaker/hyperParameterTuningJob:HyperParameterTuningJob";

export interface TrainingSpec {
    /** Where in the resource this spec lives, for messages: "" or "trainingJobDefinitions[1]". */
    where: string;
    /** Instance pools: one for a plain resourceConfig, several for instance groups/configs. */
    instances: { instanceType: string | Unknown | undefined; instanceCount: number | Unknown | undefined; volumeSizeInGb: number | Unknown | undefined }[];
    maxRuntimeSeconds: number | Unknown | undefined;
    maxWaitSeconds: number | Unknown | undefined;
    spot: boolean | Unknown | undefined;
    checkpointS3Uri: string | Unknown | undefined;
    interContainerEncryption: boolean | Unknown | undefined;
    outputKmsKeyId: string | Unknown | undefined;
    /** Volume key of every pool's resource config (one entry per config object). */
    volumeKmsKeyIds: (string | Unknown | undefined)[];
}

type Pool = TrainingSpec["instances"][number];

function pools(resourceConfig: unknown, at: string): Pool[] {
    const groups = arr(resourceConfig, at === "instanceConfigs" ? "instanceConfigs" : "instanceGroups");
    if (groups !== UNKNOWN && groups.length > 0) {
        return groups.map((g) => ({ instanceType: str(g, "instanceType"), instanceCount: num(g, "instanceCount"), volumeSizeInGb: num(g, "volumeSizeInGb") }));
    }
    return [{ instanceType: str(resourceConfig, "instanceType"), instanceCount: num(resourceConfig, "instanceCount") ?? 1, volumeSizeInGb: num(resourceConfig, "volumeSizeInGb") }];
}

function spec(where: string, def: unknown, resourceConfigKey: string): TrainingSpec {
    const hpoResources = get(def, "hyperParameterTuningResourceConfig");
    const instances = hpoResources && !get(def, "resourceConfig") ? pools(hpoResources, "instanceConfigs") : pools(get(def, resourceConfigKey), "instanceGroups");
    return {
        where,
        instances,
        maxRuntimeSeconds: num(def, "stoppingCondition", "maxRuntimeInSeconds"),
        maxWaitSeconds: num(def, "stoppingCondition", "maxWaitTimeInSeconds"),
        spot: bool(def, "enableManagedSpotTraining"),
        checkpointS3Uri: str(def, "checkpointConfig", "s3Uri"),
        interContainerEncryption: bool(def, "enableInterContainerTrafficEncryption"),
        outputKmsKeyId: str(def, "outputDataConfig", "kmsKeyId"),
        volumeKmsKeyIds: [str(hpoResources && !get(def, "resourceConfig") ? hpoResources : get(def, resourceConfigKey), "volumeKmsKeyId")],
    };
}

/** Every training specification a TrainingJob or HyperParameterTuningJob resource carries. */
export function trainingSpecs(type: string, props: unknown): TrainingSpec[] {
    if (type === TRAINING_JOB) return [spec("", props, "resourceConfig")];
    if (type !== TUNING_JOB) return [];
    const out: TrainingSpec[] = [];
    const single = get(props, "trainingJobDefinition");
    if (single && single !== UNKNOWN) out.push(spec("trainingJobDefinition", single, "resourceConfig"));
    const many = arr(props, "trainingJobDefinitions");
    if (many !== UNKNOWN) many.forEach((d, i) => out.push(spec(`trainingJobDefinitions[${i}]`, d, "resourceConfig")));
    return out;
}

/** Resource limits of a tuning job. */
export function tuningLimits(props: unknown): { maxJobs: number | Unknown | undefined; maxParallel: number | Unknown | undefined; maxRuntimeSeconds: number | Unknown | undefined } {
    return {
        maxJobs: num(props, "config", "resourceLimits", "maxNumberOfTrainingJobs"),
        maxParallel: num(props, "config", "resourceLimits", "maxParallelTrainingJobs"),
        maxRuntimeSeconds: num(props, "config", "resourceLimits", "maxRuntimeInSeconds"),
    };
}
