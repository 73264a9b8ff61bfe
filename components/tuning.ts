import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { parameterRanges, TUNABLE } from "../config";
import { BUCKET_PREFIXES, s3Uri } from "./bucket-layout";
import {
    contentAddressedName, launcherHyperparameters, METRIC_DEFINITIONS, OBJECTIVE, SageMakerJobArgs, scriptModeHyperparameters,
    stoppingCondition, trainingChannel,
} from "./training-spec";
import { TuningResult } from "./tuning-result";

export interface TuningArgs extends SageMakerJobArgs {
    maxJobs: number;
    maxParallelJobs: number;
    strategy: "Bayesian" | "Random";
    /**
     * The configured search ranges (`tuning.batchSizes`, `tuning.learningRate`, ...): which
     * hyperparameters they are and how they are searched comes from training/hyperparameters.json.
     */
    searchRanges: Record<string, unknown>;
    /** train.py's hyperparameters (flag -> value): the tuned ones are searched, the others fixed for every trial. */
    hyperparameters: Record<string, string>;
    /** How long `pulumi up` waits for the tuning job's result. */
    waitTimeoutMinutes: number;
    /** While waiting, a progress line every this many minutes (default 5). */
    progressMinutes?: number;
}

/**
 * A SageMaker hyperparameter tuning job over train.py, minimising the `Test Loss` train.py logs,
 * and the result reader that waits for it and outputs the best trial.
 */
export class Tuning extends pulumi.ComponentResource {
    readonly job: aws.sagemaker.HyperParameterTuningJob;
    readonly jobName: pulumi.Output<string>;
    readonly bestTrainingJobName: pulumi.Output<string>;
    /** The winning values of the tuned hyperparameters (flag -> value), as strings train.py accepts. */
    readonly bestHyperparameters: pulumi.Output<Record<string, string>>;
    readonly objectiveValue: pulumi.Output<number>;

    constructor(name: string, args: TuningArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlops:training:Tuning", name, {}, opts);
        const tuned = new Set(TUNABLE.map(h => h.name));
        const fixed = Object.fromEntries(Object.entries(args.hyperparameters).filter(([flag]) => !tuned.has(flag)));

        const spec = pulumi.all([args.roleArn, args.bucketName, args.codeUri, args.trainingImage, args.kmsKeyArn])
            .apply(([roleArn, bucket, codeUri, image, kmsKeyArn]) => ({
                config: {
                    strategy: args.strategy,
                    objective: { metricName: OBJECTIVE.name, type: OBJECTIVE.type },
                    resourceLimits: { maxNumberOfTrainingJobs: args.maxJobs, maxParallelTrainingJobs: args.maxParallelJobs },
                    parameterRanges: parameterRanges(args.searchRanges),
                    trainingJobEarlyStoppingType: "Off",
                },
                trainingJobDefinition: {
                    roleArn,
                    algorithmSpecification: { trainingImage: image, trainingInputMode: "File", metricDefinitions: METRIC_DEFINITIONS },
                    staticHyperParameters: {
                        ...fixed, ...scriptModeHyperparameters(codeUri, args.region), ...launcherHyperparameters(args.instanceType),
                    },
                    inputDataConfigs: [trainingChannel(bucket, args.datasetPrefix)],
                    outputDataConfig: { s3OutputPath: s3Uri(bucket, BUCKET_PREFIXES.tuning), kmsKeyId: kmsKeyArn },
                    resourceConfig: { instanceType: args.instanceType, instanceCount: 1, volumeSizeInGb: args.volumeSizeGb, volumeKmsKeyId: kmsKeyArn },
                    stoppingCondition: stoppingCondition(args),
                    enableManagedSpotTraining: args.spot,
                    // Each trial checkpoints under its own job name inside this prefix.
                    checkpointConfig: args.spot ? { s3Uri: s3Uri(bucket, `${BUCKET_PREFIXES.checkpoints}tuning/`), localPath: "/opt/ml/checkpoints" } : undefined,
                },
            }));
        // The job's name also covers its data: a new dataset under the same prefix tunes anew.
        this.jobName = spec.apply(s => contentAddressedName(`${args.namePrefix}-hpo`, { ...s, datasetContentHash: args.datasetContentHash }, 32, 8));

        this.job = new aws.sagemaker.HyperParameterTuningJob(name, {
            name: this.jobName,
            config: spec.config,
            trainingJobDefinition: spec.trainingJobDefinition,
        }, { parent: this });

        const result = new TuningResult(`${name}-result`, {
            tuningJobName: this.job.name,
            region: args.region,
            waitTimeoutMinutes: args.waitTimeoutMinutes,
            progressMinutes: args.progressMinutes,
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
