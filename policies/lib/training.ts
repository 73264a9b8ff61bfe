// The training-job specifications inside a TrainingJob and inside a HyperParameterTuningJob (its
// `trainingJobDefinition` or `trainingJobDefinitions[]`), read once in the same shape so that the
// instance, runtime, spot, encryption and cost rules treat both alike.

import { type Read, Unknown, peek, peekEach, readBoolean as bool, readNumber as num, readString as str } from "./preview";
import { type ArgsOf, RESOURCE_TYPES as T } from "./resource-types";

type TrainingJobArgs = ArgsOf<typeof T.trainingJob>;
type TuningJobArgs = ArgsOf<typeof T.tuningJob>;
type TuningDefinition = NonNullable<TuningJobArgs["trainingJobDefinition"]>;

export interface InstancePool {
    instanceType: Read<string>;
    instanceCount: Read<number>;
    volumeSizeInGb: Read<number>;
    volumeKmsKeyId: Read<string>;
}

export interface TrainingSpec {
    /** Where in the resource this spec lives, for messages: "" or "trainingJobDefinitions[1]". */
    where: string;
    /** Instance pools: one for a plain resource config, several for instance groups/configs. */
    instances: InstancePool[];
    maxRuntimeSeconds: Read<number>;
    maxWaitSeconds: Read<number>;
    spot: Read<boolean>;
    checkpointS3Uri: Read<string>;
    interContainerEncryption: Read<boolean>;
    networkIsolation: Read<boolean>;
    /** Subnets of the job's VPC config ([] when it has none). */
    vpcSubnets: Read<string>[];
    outputKmsKeyId: Read<string>;
    /** The container environment (secrets are looked for there). */
    environment: Read<Record<string, Read<string>>>;
}

interface PoolSource {
    instanceType?: string;
    instanceCount?: number;
    volumeSizeInGb?: number;
    volumeKmsKeyId?: string;
    instanceGroups?: { instanceType?: string; instanceCount?: number }[];
    instanceConfigs?: { instanceType?: string; instanceCount?: number; volumeSizeInGb?: number }[];
}

function pools(config: PoolSource | undefined | Unknown, defaultCount: number | undefined): InstancePool[] {
    if (config instanceof Unknown) return [{ instanceType: config, instanceCount: config, volumeSizeInGb: config, volumeKmsKeyId: config }];
    const groups = peekEach(peek(() => config?.instanceGroups ?? config?.instanceConfigs));
    const volumeSizeInGb = num(() => config?.volumeSizeInGb);
    const volumeKmsKeyId = str(() => config?.volumeKmsKeyId);
    if (groups.length > 0) {
        return groups.map((g) =>
            g instanceof Unknown
                ? { instanceType: g, instanceCount: g, volumeSizeInGb, volumeKmsKeyId }
                : {
                      instanceType: str(() => g.instanceType),
                      instanceCount: num(() => g.instanceCount),
                      volumeSizeInGb: num(() => (g as { volumeSizeInGb?: number }).volumeSizeInGb) ?? volumeSizeInGb,
                      volumeKmsKeyId,
                  },
        );
    }
    return [{ instanceType: str(() => config?.instanceType), instanceCount: num(() => config?.instanceCount) ?? defaultCount, volumeSizeInGb, volumeKmsKeyId }];
}

function environment(read: () => Record<string, string> | undefined): TrainingSpec["environment"] {
    const env = peek(read);
    if (env === undefined || env === null || env instanceof Unknown) return env ?? undefined;
    return Object.fromEntries(Object.keys(env).map((k) => [k, str(() => env[k])]));
}

/** What a TrainingJob and one definition of a tuning job have in common. */
type JobFields = Pick<TrainingJobArgs, "stoppingCondition" | "enableManagedSpotTraining" | "checkpointConfig" | "enableInterContainerTrafficEncryption" | "enableNetworkIsolation" | "vpcConfig" | "outputDataConfig" | "environment">;

function spec(where: string, job: JobFields, instances: InstancePool[]): TrainingSpec {
    return {
        where,
        instances,
        maxRuntimeSeconds: num(() => job.stoppingCondition?.maxRuntimeInSeconds),
        maxWaitSeconds: num(() => job.stoppingCondition?.maxWaitTimeInSeconds),
        spot: bool(() => job.enableManagedSpotTraining),
        checkpointS3Uri: str(() => job.checkpointConfig?.s3Uri),
        interContainerEncryption: bool(() => job.enableInterContainerTrafficEncryption),
        networkIsolation: bool(() => job.enableNetworkIsolation),
        vpcSubnets: peekEach(peek(() => job.vpcConfig?.subnets)).map((s) => (s instanceof Unknown || typeof s === "string" ? s : undefined)),
        outputKmsKeyId: str(() => job.outputDataConfig?.kmsKeyId),
        environment: environment(() => job.environment),
    };
}

/** The one specification of a TrainingJob (inputs or outputs). */
export function trainingJobSpecs(job: TrainingJobArgs): TrainingSpec[] {
    return [spec("", job, pools(peek(() => job.resourceConfig), 1))];
}

function definitionSpec(where: string, def: TuningDefinition): TrainingSpec {
    const resources = peek(() => def.resourceConfig ?? def.hyperParameterTuningResourceConfig);
    return spec(where, def, pools(resources, 1));
}

/** Every training specification of a HyperParameterTuningJob (inputs or outputs). */
export function tuningJobSpecs(job: TuningJobArgs): TrainingSpec[] {
    const out: TrainingSpec[] = [];
    const single = peek(() => job.trainingJobDefinition);
    if (single instanceof Unknown) out.push(spec("trainingJobDefinition", {}, pools(single, undefined)));
    else if (single) out.push(definitionSpec("trainingJobDefinition", single));
    peekEach(peek(() => job.trainingJobDefinitions)).forEach((d, i) => {
        const where = `trainingJobDefinitions[${i}]`;
        if (d instanceof Unknown) out.push(spec(where, {}, pools(d, undefined)));
        else out.push(definitionSpec(where, d));
    });
    return out;
}

export interface TuningLimits {
    maxJobs: Read<number>;
    maxParallel: Read<number>;
    maxRuntimeSeconds: Read<number>;
}

/** Resource limits of a tuning job. */
export function tuningLimits(job: TuningJobArgs): TuningLimits {
    return {
        maxJobs: num(() => job.config.resourceLimits?.maxNumberOfTrainingJobs),
        maxParallel: num(() => job.config.resourceLimits?.maxParallelTrainingJobs),
        maxRuntimeSeconds: num(() => job.config.resourceLimits?.maxRuntimeInSeconds),
    };
}
