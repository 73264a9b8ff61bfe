import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DebuggerSettings } from "../config";
import { BUCKET_PREFIXES, modelArtifactUri, s3Uri } from "./bucket-layout";
import { PROFILER_RULE, ruleImage } from "./debugger";
import {
    contentAddressedName, launcherHyperparameters, METRIC_DEFINITIONS, SageMakerJobArgs, scriptModeHyperparameters, stoppingCondition,
    trainingChannel,
} from "./training-spec";

export interface TrainingJobArgs extends SageMakerJobArgs {
    /** The run's name in config (`single`, `multi`); the job is `<prefix>-<run>-<spec hash>`. */
    runName: string;
    /**
     * > 1 runs data-parallel: every host joins one torch.distributed process group (train.py);
     * on GPU types every GPU of every host runs a process of it (the container's torchrun).
     */
    instanceCount: number;
    /** train.py's own hyperparameters, as strings (may come from the tuning job). */
    hyperparameters: pulumi.Input<Record<string, string>>;
    /** How long `pulumi up` waits for the job to finish. */
    createTimeoutMinutes: number;
    /** The profiler report, and tensor rules (only for images with smdebug; the stack config checks). */
    debugger: DebuggerSettings;
}

/**
 * One SageMaker training run of train.py in script mode. `pulumi up` waits for it to finish; its
 * name is a hash of everything that defines it, so an unchanged spec is never retrained and any
 * change (code, data, hyperparameters, instances) trains anew.
 */
export class TrainingJob extends pulumi.ComponentResource {
    readonly job: aws.sagemaker.TrainingJob;
    readonly jobName: pulumi.Output<string>;
    readonly arn: pulumi.Output<string>;
    /** `s3://<bucket>/training/<job>/output/model.tar.gz`. */
    readonly modelDataUrl: pulumi.Output<string>;

    constructor(name: string, args: TrainingJobArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlops:training:TrainingJob", name, {}, opts);

        // Everything that defines the run, and so its name. Locations derived from the name
        // (output, checkpoints, Debugger) are added afterwards.
        const intent = pulumi.all([args.roleArn, args.bucketName, args.codeUri, args.trainingImage, args.hyperparameters, args.kmsKeyArn])
            .apply(([roleArn, bucket, codeUri, image, hyperparameters, kmsKeyArn]) => ({
                roleArn,
                algorithmSpecification: { trainingImage: image, trainingInputMode: "File", metricDefinitions: METRIC_DEFINITIONS },
                hyperParameters: { ...hyperparameters, ...scriptModeHyperparameters(codeUri, args.region), ...launcherHyperparameters(args.instanceType) },
                inputDataConfigs: [trainingChannel(bucket, args.datasetPrefix)],
                resourceConfig: {
                    instanceType: args.instanceType,
                    instanceCount: args.instanceCount,
                    volumeSizeInGb: args.volumeSizeGb,
                    volumeKmsKeyId: kmsKeyArn,
                },
                stoppingCondition: stoppingCondition(args),
                enableManagedSpotTraining: args.spot,
                // Gradients crossing hosts are training data too: encrypt them between containers.
                enableInterContainerTrafficEncryption: args.instanceCount > 1,
                debugger: args.debugger,
                bucket,
                kmsKeyArn,
                datasetContentHash: args.datasetContentHash,
            }));
        this.jobName = intent.apply(spec => contentAddressedName(`${args.namePrefix}-${args.runName}`, spec, 63));

        const spec = pulumi.all([intent, this.jobName]).apply(([i, jobName]) => {
            const { debugger: debug, bucket, kmsKeyArn, datasetContentHash: _data, ...request } = i;
            const under = (prefix: string) => s3Uri(bucket, `${prefix}${args.runName}/${jobName}/`);
            const tensors = debug.tensorRules.length > 0;
            const rule = (name: string) => ({ ruleConfigurationName: name, ruleEvaluatorImage: ruleImage(args.region), ruleParameters: { rule_to_invoke: name } });
            return {
                ...request,
                outputDataConfig: { s3OutputPath: s3Uri(bucket, BUCKET_PREFIXES.training), kmsKeyId: kmsKeyArn },
                checkpointConfig: args.spot ? { s3Uri: under(BUCKET_PREFIXES.checkpoints), localPath: "/opt/ml/checkpoints" } : undefined,
                // The hook that saves tensors lives in the image (smdebug): configured only with rules that read them.
                debugHookConfig: tensors ? {
                    s3OutputPath: under(BUCKET_PREFIXES.debugger),
                    hookParameters: { "train.save_interval": "100", "eval.save_interval": "10" },
                    collectionConfigurations: [{ collectionName: "weights" }, { collectionName: "gradients" }, { collectionName: "losses" }],
                } : undefined,
                debugRuleConfigurations: tensors ? debug.tensorRules.map(rule) : undefined,
                profilerConfig: debug.profilerReport ? { s3OutputPath: `${under(BUCKET_PREFIXES.debugger)}profiler/`, profilingIntervalInMilliseconds: 500 } : undefined,
                profilerRuleConfigurations: debug.profilerReport ? [rule(PROFILER_RULE)] : undefined,
            };
        });

        const timeout = `${args.createTimeoutMinutes}m`;
        this.job = new aws.sagemaker.TrainingJob(name, {
            trainingJobName: this.jobName,
            roleArn: spec.roleArn,
            algorithmSpecification: spec.algorithmSpecification,
            hyperParameters: spec.hyperParameters,
            inputDataConfigs: spec.inputDataConfigs,
            outputDataConfig: spec.outputDataConfig,
            resourceConfig: spec.resourceConfig,
            stoppingCondition: spec.stoppingCondition,
            enableManagedSpotTraining: spec.enableManagedSpotTraining,
            enableInterContainerTrafficEncryption: spec.enableInterContainerTrafficEncryption,
            checkpointConfig: spec.checkpointConfig,
            debugHookConfig: spec.debugHookConfig,
            debugRuleConfigurations: spec.debugRuleConfigurations,
            profilerConfig: spec.profilerConfig,
            profilerRuleConfigurations: spec.profilerRuleConfigurations,
            timeouts: { create: timeout },
        }, { parent: this, customTimeouts: { create: timeout } });

        this.arn = this.job.arn;
        this.modelDataUrl = pulumi.all([args.bucketName, this.job.trainingJobName]).apply(([b, job]) => modelArtifactUri(b, job));
        this.registerOutputs({ jobName: this.jobName, arn: this.arn, modelDataUrl: this.modelDataUrl });
    }
}
