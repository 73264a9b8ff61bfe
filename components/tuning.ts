import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BUCKET_PREFIXES, s3Uri } from "./bucket-layout";
import {
    contentAddressedName, METRIC_DEFINITIONS, OBJECTIVE, SageMakerJobArgs, scriptModeHyperparameters, stoppingCondition, trainingChannel,
} from "./training-spec";
import { TuningResult } from "./tuning-result";

/** The hyperparameters the tuner searches, named as train.py's flags. */
export const TUNED = { learningRate: "learning-rate", batchSize: "batch-size" } as const;

export interface TuningArgs extends SageMakerJobArgs {
    maxJobs: number;
    maxParallelJobs: number;
    strategy: "Bayesian" | "Random";
    /** Searched on a logarithmic scale (the seeds' 0.001-0.1). */
    learningRate: { min: number; max: number };
    /** Searched as categories (the seeds' 32..512). */
    batchSizes: number[];
    /** train.py's other hyperparameters, fixed for every trial. */
    staticHyperparameters: Record<string, string>;
    /** How long `pulumi up` waits for the tuning job's result. */
    waitTimeoutMinutes: number;
}

/**
 * A SageMaker hyperparameter tuning job over train.py, minimising the `Test Loss` train.py logs,
 * and the result reader that waits for it and outputs the best trial.
 */
export class Tuning extends pulumi.ComponentResource {
    readonly job: aws.sagemaker.HyperParameterTuningJob;
    readonly jobName: pulumi.Output<string>;
    readonly bestTrainingJobName: pulumi.Output<string>;
    /** The winning `learning-rate` and `batch-size`, as strings train.py accepts. */
    readonly bestHyperparameters: pulumi.Output<Record<string, string>>;
    readonly objectiveValue: pulumi.Output<number>;

    constructor(name: string, args: TuningArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlops:training:Tuning", name, {}, opts);
        validate(name, args);
        for (const key of Object.values(TUNED)) {
            if (key in args.staticHyperparameters) {
                throw new Error(`Tuning ${name}: staticHyperparameters must not fix ${key}, which the tuner searches`);
            }
        }

        const spec = pulumi.all([args.roleArn, args.bucketName, args.codeUri, args.trainingImage, args.kmsKeyArn])
            .apply(([roleArn, bucket, codeUri, image, kmsKeyArn]) => ({
                config: {
                    strategy: args.strategy,
                    objective: { metricName: OBJECTIVE.name, type: OBJECTIVE.type },
                    resourceLimits: { maxNumberOfTrainingJobs: args.maxJobs, maxParallelTrainingJobs: args.maxParallelJobs },
                    parameterRanges: {
                        continuousParameterRanges: [{
                            name: TUNED.learningRate,
                            minValue: String(args.learningRate.min),
                            maxValue: String(args.learningRate.max),
                            scalingType: "Logarithmic",
                        }],
                        categoricalParameterRanges: [{ name: TUNED.batchSize, values: args.batchSizes.map(String) }],
                    },
                    trainingJobEarlyStoppingType: "Off",
                },
                trainingJobDefinition: {
                    roleArn,
                    algorithmSpecification: { trainingImage: image, trainingInputMode: "File", metricDefinitions: METRIC_DEFINITIONS },
                    staticHyperParameters: { ...args.staticHyperparameters, ...scriptModeHyperparameters(codeUri, args.region) },
                    inputDataConfigs: [trainingChannel(bucket, args.datasetPrefix)],
                    outputDataConfig: { s3OutputPath: s3Uri(bucket, BUCKET_PREFIXES.tuning), kmsKeyId: kmsKeyArn },
                    resourceConfig: { instanceType: args.instanceType, instanceCount: 1, volumeSizeInGb: args.volumeSizeGb, volumeKmsKeyId: kmsKeyArn },
                    stoppingCondition: stoppingCondition(args),
                    enableManagedSpotTraining: args.spot,
                    // Each trial checkpoints under its own job name inside this prefix.
                    checkpointConfig: args.spot ? { s3Uri: s3Uri(bucket, `${BUCKET_PREFIXES.checkpoints}tuning/`), localPath: "/opt/ml/checkpoints" } : undefined,
                },
            }));
        this.jobName = spec.apply(s => contentAddressedName(`${args.namePrefix}-hpo`, s, 32, 8));

        this.job = new aws.sagemaker.HyperParameterTuningJob(name, {
            name: this.jobName,
            config: spec.config,
            trainingJobDefinition: spec.trainingJobDefinition,
            tags: args.tags,
        }, { parent: this });

        const result = new TuningResult(`${name}-result`, {
            tuningJobName: this.job.name,
            region: args.region,
            waitTimeoutMinutes: args.waitTimeoutMinutes,
        }, { parent: this, customTimeouts: { create: `${args.waitTimeoutMinutes + 5}m` } });

        this.bestTrainingJobName = result.bestTrainingJobName;
        this.bestHyperparameters = result.bestHyperparameters;
        this.objectiveValue = result.objectiveValue;
        this.registerOutputs({
            jobName: this.jobName,
            bestTrainingJobName: this.bestTrainingJobName,
            bestHyperparameters: this.bestHyperparameters,
            objectiveValue: this.objectiveValue,
        });
    }
}

function validate(name: string, args: TuningArgs): void {
    const bad = (field: string, value: unknown, allowed: string) => {
        throw new Error(`Tuning ${name}: ${field} must be ${allowed} (got ${JSON.stringify(value)})`);
    };
    if (!(args.learningRate.min > 0 && args.learningRate.min < args.learningRate.max)) bad("learningRate", args.learningRate, "0 < min < max");
    if (args.batchSizes.length === 0) bad("batchSizes", args.batchSizes, "a non-empty list");
    if (!Number.isInteger(args.maxJobs) || args.maxJobs < 1) bad("maxJobs", args.maxJobs, "a whole number >= 1");
    if (!Number.isInteger(args.maxParallelJobs) || args.maxParallelJobs < 1 || args.maxParallelJobs > args.maxJobs) {
        bad("maxParallelJobs", args.maxParallelJobs, `a whole number from 1 to maxJobs (${args.maxJobs})`);
    }
}
