import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsProviderSettings, flagOf, hyperparameterFlags, readStackConfig, typedFlags } from "./config";
import { lookupAwsContext } from "./components/aws-context";
import { BUCKET_PREFIXES } from "./components/bucket-layout";
import { alertsSomeone, CostBudget } from "./components/cost-budget";
import { DataBucket, dataBucketName } from "./components/data-bucket";
import { DatasetReady, datasetStatus, readDataset, uploadCommand } from "./components/dataset";
import { EncryptionKey } from "./components/encryption-key";
import { GpuTrainer } from "./components/gpu-trainer";
import { sageMakerJobPermissions, trainingJobSourceArns } from "./components/iam";
import { InferenceFunction } from "./components/inference-function";
import { endpointNameFor, ModelEndpoint, VARIANT_NAME } from "./components/model-endpoint";
import { Notebook } from "./components/notebook";
import { ServiceRole } from "./components/service-role";
import { TrainingJob } from "./components/training-job";
import { METRIC_NAMES, pytorchImageTag, QUALITY_METRIC } from "./components/training-spec";
import { ruleImage } from "./components/debugger";
import { Tuning } from "./components/tuning";
import { endpointLinks, functionLinks, notebookConsoleUrl, trainingJobLinks, tuningJobLinks } from "./components/console-links";
import { StackDashboard } from "./components/dashboard";
import { FrontDoor } from "./components/front-door";
import { ModelRelease } from "./components/model-release";

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
    ? new EncryptionKey(`${prefix}-key`, {
        context,
        // The only log group the stack encrypts is its Lambda's (`<prefix>-inference`).
        logGroupNamePattern: `/aws/lambda/${prefix}-*`,
        deletionWindowDays: config.kms.deletionWindowDays,
    }, inStack)
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

// Debugger rules (the profiler report, tensor rules) run as processing jobs on AWS's rule image.
const debuggerRules = config.training.debugger.profilerReport || config.training.debugger.tensorRules.length > 0;
const pytorchImage = (repositoryName: "pytorch-training" | "pytorch-inference", instanceType: string | undefined) =>
    aws.sagemaker.getPrebuiltEcrImageOutput({
        repositoryName,
        imageTag: pytorchImageTag(config.training.frameworkVersion, config.training.pyVersion, instanceType),
    }, { provider }).registryPath;
// The runs that train (a run switched off has no job, and its image is not pulled).
const enabledRuns = config.training.runs.filter(run => run.enabled);
const runImages = enabledRuns.map(run => pytorchImage("pytorch-training", run.instanceType));
const tuningImage = config.tuning.enabled ? pytorchImage("pytorch-training", config.tuning.instanceType) : undefined;

/** One execution role per kind of SageMaker job, each with its own output prefixes and trust. */
const jobRole = (kind: "training" | "tuning", a: { outputs: string[]; readBack: string[]; images: pulumi.Input<string>[]; debugger: boolean }) =>
    new ServiceRole(`${prefix}-${kind}-role`, {
        service: "sagemaker",
        purpose: `SageMaker ${kind} jobs of ${prefix}`,
        // AWS documents aws:SourceArn for training and processing jobs (Debugger rules run as
        // processing jobs), not for tuning jobs: the tuning role's trust names only the service.
        trustedSourceArns: kind === "training"
            ? pulumi.all([context.partition, context.accountId]).apply(([partition, accountId]) =>
                trainingJobSourceArns({ partition, region, accountId }, prefix, a.debugger))
            : undefined,
        policy: pulumi.all([context.partition, context.accountId, data.bucketArn, pulumi.all(a.images), kmsKeyArn])
            .apply(([partition, accountId, bucketArn, imageUris, keyArn]) => sageMakerJobPermissions({ partition, region, accountId }, {
                bucketArn,
                codePrefix: BUCKET_PREFIXES.code,
                datasetPrefix: config.dataset.prefix,
                outputPrefixes: a.outputs,
                readBackPrefixes: a.readBack,
                imageUris,
                logGroups: ["/aws/sagemaker/TrainingJobs", ...(a.debugger ? ["/aws/sagemaker/ProcessingJobs"] : [])],
                metricNamespaces: ["/aws/sagemaker/TrainingJobs", ...(a.debugger ? ["/aws/sagemaker/ProcessingJobs"] : [])],
                kmsKeyArn: keyArn,
            })),
    }, inStack);
const trainingRole = jobRole("training", {
    outputs: [BUCKET_PREFIXES.training, BUCKET_PREFIXES.checkpoints, BUCKET_PREFIXES.debugger],
    // Spot runs resume from their checkpoints; Debugger rule jobs read the tensors.
    readBack: [BUCKET_PREFIXES.checkpoints, BUCKET_PREFIXES.debugger],
    images: [...runImages, ...(debuggerRules ? [ruleImage(region)] : [])],
    debugger: debuggerRules,
});
const tuningRole = tuningImage === undefined ? undefined : jobRole("tuning", {
    // Trials write their models under tuning/ and checkpoint under checkpoints/tuning/.
    outputs: [BUCKET_PREFIXES.tuning, `${BUCKET_PREFIXES.checkpoints}tuning/`],
    readBack: [`${BUCKET_PREFIXES.checkpoints}tuning/`],
    images: [tuningImage],
    debugger: false,
});

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
        jobRoleArns: [trainingRole.arn, ...(tuningRole ? [tuningRole.arn] : [])],
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
            roleArn: tuningRole!.arn,
            trainingImage: tuningImage!,
            instanceType: config.tuning.instanceType,
            maxJobs: config.tuning.maxJobs,
            maxParallelJobs: config.tuning.maxParallelJobs,
            strategy: config.tuning.strategy,
            searchRanges: config.tuning,
            hyperparameters: configuredHyperparameters,
            waitTimeoutMinutes: config.tuning.waitTimeoutMinutes,
            progressMinutes: config.tuning.progressMinutes,
        }, inStack);
        hyperparameters = tuning.bestHyperparameters.apply(best => ({ ...configuredHyperparameters, ...best }));
    }

    const runs = enabledRuns.map((run, i) => ({
        name: run.name,
        job: new TrainingJob(`${prefix}-train-${run.name}`, {
            ...jobBasics,
            runName: run.name,
            trainingImage: runImages[i],
            instanceType: run.instanceType,
            instanceCount: run.instanceCount,
            hyperparameters,
            createTimeoutMinutes: config.training.createTimeoutMinutes,
            debugger: config.training.debugger,
        }, inStack),
    }));

    // --- quality gate (observability): each run's recorded metrics; the endpoint serves the deployed
    // run's model only once it passed the gate, so a failing gate leaves the serving model alone.
    // The config's rules guarantee an enabled endpoint an enabled run to serve.
    const release = config.endpoint.enabled
        ? new ModelRelease(`${prefix}-release`, {
            region,
            endpointName: endpointNameFor(prefix),
            runs: runs.map(({ name, job }) => ({ name, jobName: job.jobName, modelDataUrl: job.modelDataUrl })),
            deployRun: config.training.deployRun,
            minTestAccuracy: config.endpoint.minTestAccuracy,
            requireNoWorseThanServing: config.endpoint.requireNoWorseThanServing,
        }, inStack)
        : undefined;
    // --- end quality gate

    const variant = config.endpoint.variant;
    const endpoint = release
        ? new ModelEndpoint(`${prefix}-endpoint`, {
            context,
            namePrefix: prefix,
            modelDataUrl: release.approvedModelDataUrl,
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

    // --- observability and front door: the stack's dashboard (it watches the endpoint and the
    // function, so it comes with them); the function URL only when enabled.
    const dashboard = endpoint && inference
        ? new StackDashboard(`${prefix}-dashboard`, {
            namePrefix: prefix,
            region,
            endpointName: endpoint.endpointName,
            variantName: VARIANT_NAME,
            instanceVariant: variant.kind === "instance",
            functionName: inference.functionName,
            aliasName: inference.alias?.name,
            runs: runs.map(({ name, job }) => ({ run: name, jobName: job.jobName })),
            runMetrics: release?.metrics,
            tuningJobName: tuning?.jobName,
            metricNames: METRIC_NAMES,
            gate: { metricName: QUALITY_METRIC.name, minimum: config.endpoint.minTestAccuracy, deployRun: config.training.deployRun },
        }, inStack)
        : undefined;
    const frontDoor = config.lambda.url.enabled && inference
        ? new FrontDoor(`${prefix}-front-door`, {
            functionName: inference.functionName,
            qualifier: inference.alias?.name,
            allowOrigins: config.lambda.url.allowOrigins,
            allowCredentials: config.lambda.url.allowCredentials,
            maxAgeSeconds: config.lambda.url.maxAgeSeconds,
        }, inStack)
        : undefined;
    // --- end observability and front door

    return {
        tuningJobName: tuning?.jobName,
        tuningJobLinks: tuning?.jobName.apply(name => tuningJobLinks(region, name)),
        bestHyperparameters: tuning?.bestHyperparameters,
        bestObjectiveValue: tuning?.objectiveValue,
        trainingJobs: Object.fromEntries(runs.map(({ name, job }) => [
            name,
            present({
                jobName: job.jobName, arn: job.arn, modelDataUrl: job.modelDataUrl,
                metrics: release?.metrics.apply(m => m[name]),
                links: job.jobName.apply(jobName => trainingJobLinks(region, jobName)),
            }),
        ])),
        qualityGate: release && {
            run: config.training.deployRun,
            metric: QUALITY_METRIC.name,
            value: release.gate.value,
            minimum: config.endpoint.minTestAccuracy,
            comparedWith: release.gate.comparedWith,
        },
        deployedModelDataUrl: release?.approvedModelDataUrl,
        endpointName: endpoint?.endpointName,
        endpointLinks: endpoint?.endpointName.apply(name => endpointLinks(region, name)),
        functionName: inference?.functionName,
        functionInvokeArn: inference?.invokeArn,
        functionAliasArn: inference?.alias?.arn,
        functionLinks: inference?.functionName.apply(name => functionLinks(region, name)),
        dashboardUrl: dashboard?.url,
        frontDoorUrl: frontDoor?.url,
        trainerInstanceId: trainer?.instanceId,
        trainerOutputUri: trainer?.outputUri,
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
        notebookConsoleUrl: notebook?.name.apply(name => notebookConsoleUrl(region, name)),
        budgetName: budget?.budget.name,
        encryptionKeyArn: kmsKeyArn,
        ...(dataset.ready ? trainAndServe(dataset) : {}),
    });
}

export = main;
