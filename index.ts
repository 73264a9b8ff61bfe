import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsProviderSettings, flagOf, hyperparameterFlags, readStackConfig, typedFlags } from "./config";
import { lookupAwsContext } from "./components/aws-context";
import { BUCKET_PREFIXES } from "./components/bucket-layout";
import { endpointLinks, functionLinks, sageMakerConsoleUrl, trainingJobLinks, tuningJobLinks } from "./components/console-links";
import { alertsSomeone, CostBudget } from "./components/cost-budget";
import { DataBucket, dataBucketName } from "./components/data-bucket";
import { DatasetReady, datasetStatus, readDataset, uploadCommand } from "./components/dataset";
import { EncryptionKey } from "./components/encryption-key";
import { GpuTrainer } from "./components/gpu-trainer";
import { trainingJobPermissions } from "./components/iam";
import { InferenceFunction } from "./components/inference-function";
import { ModelEndpoint } from "./components/model-endpoint";
import { Notebook } from "./components/notebook";
import { ServiceRole } from "./components/service-role";
import { TrainingJob } from "./components/training-job";
import { pytorchImageTag } from "./components/training-spec";
import { Tuning } from "./components/tuning";

const config = readStackConfig();
const { namePrefix: prefix, region } = config;

// One provider for the whole stack: its default tags (the program's and `mlops:tags`) reach every
// taggable resource, so no component handles tags.
const provider = new aws.Provider(`${prefix}-aws`, {
    ...awsProviderSettings(),
    region: region as aws.Region,
    defaultTags: { tags: config.tags },
});
const inStack: pulumi.ComponentResourceOptions = { providers: [provider] };
const context = lookupAwsContext(region, provider);

const key = config.kms.enabled
    ? new EncryptionKey(`${prefix}-key`, { context, deletionWindowDays: config.kms.deletionWindowDays }, inStack)
    : undefined;
const kmsKeyArn = key?.arn;

// The bucket's name is known before the bucket exists: a preview of a new stack can look for the
// dataset manifest in it (and find none) instead of waiting for a generated name.
const bucketName = aws.getCallerIdentity({}, { provider }).then(identity => dataBucketName(prefix, identity.accountId, region));
const data = new DataBucket(`${prefix}-data`, {
    bucketName: pulumi.output(bucketName),
    kmsKeyArn,
    forceDestroy: config.bucket.forceDestroy,
    noncurrentVersionDays: config.bucket.noncurrentVersionDays,
}, inStack);

const trainingRole = new ServiceRole(`${prefix}-training-role`, {
    service: "sagemaker",
    purpose: `SageMaker training and tuning jobs of ${prefix}`,
    accountId: context.accountId,
    policy: pulumi.all([context.partition, context.accountId, data.bucketArn, kmsKeyArn]).apply(([partition, accountId, bucketArn, keyArn]) =>
        trainingJobPermissions({ partition, region, accountId }, bucketArn, {
            code: BUCKET_PREFIXES.code,
            dataset: config.dataset.prefix,
            outputs: [BUCKET_PREFIXES.training, BUCKET_PREFIXES.tuning, BUCKET_PREFIXES.checkpoints, BUCKET_PREFIXES.debugger],
            kmsKeyArn: keyArn,
        })),
}, inStack);

const pytorchImage = (repositoryName: "pytorch-training" | "pytorch-inference", instanceType: string | undefined) =>
    aws.sagemaker.getPrebuiltEcrImageOutput({
        repositoryName,
        imageTag: pytorchImageTag(config.training.frameworkVersion, config.training.pyVersion, instanceType),
    }, { provider }).registryPath;

const notebook = config.notebook.enabled
    ? new Notebook(`${prefix}-notebook`, {
        context,
        namePrefix: prefix,
        instanceType: config.notebook.instanceType,
        idleMinutes: config.notebook.idleMinutes,
        volumeSizeGb: config.notebook.volumeSizeGb,
        directInternetAccess: config.notebook.directInternetAccess,
        vpcId: config.notebook.vpcId,
        subnetId: config.notebook.subnetId,
        bucketArn: data.bucketArn,
        trainingRoleArn: trainingRole.arn,
        kmsKeyArn,
    }, inStack)
    : undefined;

const budget = config.budget.enabled
    ? new CostBudget(`${prefix}-budget`, {
        namePrefix: prefix,
        monthlyUsd: config.budget.monthlyUsd,
        scope: config.budget.scope,
        stackTag: { key: "stack", value: config.stack },
        activateStackTag: config.budget.activateStackTag,
        alertEmails: config.budget.alertEmails,
        alertTopicArn: config.budget.alertTopicArn,
    }, inStack)
    : undefined;

/**
 * Everything that trains on the dataset and everything that serves what it trained: created only
 * once the dataset's manifest is in the bucket. Returns the stack outputs of these parts.
 */
function trainAndServe(dataset: DatasetReady): Record<string, unknown> {
    const jobBasics = {
        namePrefix: prefix,
        region,
        roleArn: trainingRole.arn,
        bucketName: data.bucketName,
        codeUri: data.codeUri,
        datasetPrefix: config.dataset.prefix,
        datasetContentHash: dataset.manifest.contentHash,
        volumeSizeGb: config.training.volumeSizeGb,
        spot: config.training.spot,
        maxRuntimeMinutes: config.training.maxRuntimeMinutes,
        maxWaitMinutes: config.training.maxWaitMinutes,
        kmsKeyArn,
    };

    // train.py's flags: the configured values, with the tuned ones replaced by the tuning job's best.
    const configuredHyperparameters = hyperparameterFlags(config.training.hyperparameters);
    let tuning: Tuning | undefined;
    let hyperparameters: pulumi.Output<Record<string, string>> = pulumi.output(configuredHyperparameters);
    if (config.tuning.enabled) {
        tuning = new Tuning(`${prefix}-tuning`, {
            ...jobBasics,
            trainingImage: pytorchImage("pytorch-training", config.tuning.instanceType),
            instanceType: config.tuning.instanceType,
            maxJobs: config.tuning.maxJobs,
            maxParallelJobs: config.tuning.maxParallelJobs,
            strategy: config.tuning.strategy,
            searchRanges: config.tuning,
            hyperparameters: configuredHyperparameters,
            waitTimeoutMinutes: config.tuning.waitTimeoutMinutes,
        }, inStack);
        hyperparameters = tuning.bestHyperparameters.apply(best => ({ ...configuredHyperparameters, ...best }));
    }

    const runs = new Map(config.training.runs.filter(run => run.enabled).map(run => [run.name, new TrainingJob(`${prefix}-train-${run.name}`, {
        ...jobBasics,
        runName: run.name,
        trainingImage: pytorchImage("pytorch-training", run.instanceType),
        instanceType: run.instanceType,
        instanceCount: run.instanceCount,
        hyperparameters,
        createTimeoutMinutes: config.training.createTimeoutMinutes,
        debugger: config.training.debugger,
    }, inStack)]));
    // The config's rules guarantee an enabled endpoint an enabled run to serve.
    const deployedRun = runs.get(config.training.deployRun);

    const variant = config.endpoint.variant;
    const endpoint = config.endpoint.enabled && deployedRun
        ? new ModelEndpoint(`${prefix}-endpoint`, {
            context,
            namePrefix: prefix,
            modelDataUrl: deployedRun.modelDataUrl,
            inferenceImage: pytorchImage("pytorch-inference", variant.kind === "instance" ? variant.instanceType : undefined),
            variant,
            trafficShift: config.endpoint.trafficShift,
            canaryPercent: config.endpoint.canaryPercent,
            waitIntervalSeconds: config.endpoint.waitIntervalSeconds,
            terminationWaitSeconds: config.endpoint.terminationWaitSeconds,
            latencyAlarmMs: config.endpoint.latencyAlarmMs,
            errorAlarmCount: config.endpoint.errorAlarmCount,
            kmsKeyArn,
        }, inStack)
        : undefined;

    // The function only forwards to the endpoint: without one it is not created (the config's rules say so).
    const inference = config.lambda.enabled && endpoint
        ? new InferenceFunction(`${prefix}-inference`, {
            context,
            namePrefix: prefix,
            endpointName: endpoint.endpointName,
            endpointArn: endpoint.endpointArn,
            memoryMb: config.lambda.memoryMb,
            timeoutSeconds: config.lambda.timeoutSeconds,
            reservedConcurrency: config.lambda.reservedConcurrency,
            provisionedConcurrency: config.lambda.provisionedConcurrency,
            logRetentionDays: config.lambda.logRetentionDays,
            corsAllowOrigin: config.lambda.corsAllowOrigin,
            allowHttpUrls: config.lambda.allowHttpUrls,
            xrayTracing: config.lambda.xrayTracing,
            kmsKeyArn,
        }, inStack)
        : undefined;

    const trainer = config.gpuTrainer.enabled
        ? new GpuTrainer(`${prefix}-gpu-trainer`, {
            context,
            namePrefix: prefix,
            instanceType: config.gpuTrainer.instanceType,
            spot: config.gpuTrainer.spot,
            rootVolumeGb: config.gpuTrainer.rootVolumeGb,
            vpcId: config.gpuTrainer.vpcId,
            subnetId: config.gpuTrainer.subnetId,
            bucketName: data.bucketName,
            bucketArn: data.bucketArn,
            codeKey: data.codeKey,
            datasetPrefix: config.dataset.prefix,
            datasetContentHash: dataset.manifest.contentHash,
            // The EC2 run trains its own number of epochs with the same (tuned) hyperparameters.
            trainArgs: hyperparameters.apply(hp => typedFlags({ ...hp, [flagOf("epochs")]: String(config.gpuTrainer.epochs) })),
            kmsKeyArn,
        }, inStack)
        : undefined;

    const jobs = [...runs];
    return {
        tuningJobName: tuning?.jobName,
        bestHyperparameters: tuning?.bestHyperparameters,
        bestObjectiveValue: tuning?.objectiveValue,
        trainingJobs: Object.fromEntries(jobs.map(([run, job]) => [run, { jobName: job.jobName, arn: job.arn, modelDataUrl: job.modelDataUrl }])),
        deployedModelDataUrl: deployedRun?.modelDataUrl,
        endpointName: endpoint?.endpointName,
        functionName: inference?.functionName,
        functionInvokeArn: inference?.invokeArn,
        functionAliasArn: inference?.alias?.arn,
        trainerInstanceId: trainer?.instanceId,
        trainerOutputUri: trainer?.outputUri,
        // Where to follow what `pulumi up` waits for; the names are known before the jobs start.
        watch: present({
            tuning: tuning?.jobName.apply(name => tuningJobLinks(region, name)),
            training: Object.fromEntries(jobs.map(([run, job]) => [run, job.jobName.apply(name => trainingJobLinks(region, name))])),
            endpoint: endpoint?.endpointName.apply(name => endpointLinks(region, name)),
            inferenceFunction: inference?.functionName.apply(name => functionLinks(region, name)),
            // The EC2 run writes train.log and exit-status next to its model when it ends.
            gpuTrainer: trainer?.outputUri.apply(uri => ({ log: `${uri}train.log`, exitStatus: `${uri}exit-status` })),
        }),
    };
}

/** The entries of `values` that are set: a part that is switched off has no output (rather than an empty one). */
function present(values: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

/** Reads the dataset's manifest, then creates what needs it; the stack's outputs. */
async function main(): Promise<Record<string, unknown>> {
    const dataset = await readDataset({ bucket: await bucketName, prefix: config.dataset.prefix, stack: config.stack }, { provider });
    const status = datasetStatus(dataset, config.stack);
    if (!dataset.ready) void pulumi.log.warn(status);
    if (budget && !alertsSomeone(config.budget)) {
        // Production stacks cannot get here: their config requires a recipient.
        void pulumi.log.warn(`budget ${prefix}-monthly alerts nobody: set mlops:budget.alertEmails (or mlops:budget.alertTopicArn), ` +
            `e.g. \`pulumi config set --path 'mlops:budget.alertEmails[0]' you@example.com --stack ${config.stack}\``);
    }

    // The engine warns about every top-level undefined output; present() leaves those out instead.
    return present({
        bucketName: data.bucketName,
        datasetUri: pulumi.interpolate`s3://${data.bucketName}/${config.dataset.prefix}`,
        dataset: present({
            status,
            manifestUri: dataset.manifestUri,
            contentHash: dataset.ready ? dataset.manifest.contentHash : undefined,
            uploadCommand: uploadCommand(config.stack),
        }),
        trainingCodeUri: data.codeUri,
        notebookName: notebook?.name,
        notebookUrl: notebook?.url,
        notebookConsoleUrl: notebook?.name.apply(name => sageMakerConsoleUrl(region, "notebook", name)),
        budgetName: budget?.budget.name,
        encryptionKeyArn: kmsKeyArn,
        ...(dataset.ready ? trainAndServe(dataset) : {}),
    });
}

export = main;
