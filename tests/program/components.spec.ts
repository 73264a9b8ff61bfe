import * as assert from "assert";
import * as fs from "fs";
import * as zlib from "zlib";
import * as aws from "@pulumi/aws";
import type { ProgramRun } from "../../plan/run-program";
import {
    allOf, defined, ofType, one, oneOf, outputsOfOne, parentTypeOf, parseJson, runStack, serializedAsset, stackOutputs,
} from "../support/program";
import METRICS from "../../training/metrics.json";

/** The statements of a bucket policy, as the tests read them. */
interface BucketPolicyDocument { Statement: unknown[] }

describe("components", () => {
    let dev: ProgramRun;
    let prod: ProgramRun;
    before(async () => {
        dev = await runStack("dev");
        prod = await runStack("prod");
    });

    describe("DataBucket", () => {
        it("blocks all four kinds of public access", () => {
            const pab = oneOf(dev, aws.s3.BucketPublicAccessBlock).props;
            assert.deepStrictEqual([pab.blockPublicAcls, pab.blockPublicPolicy, pab.ignorePublicAcls, pab.restrictPublicBuckets], [true, true, true, true]);
            assert.strictEqual(pab.bucket, outputsOfOne(dev, aws.s3.Bucket).bucket);
        });

        it("encrypts by default: SSE-S3 in dev, the stack's KMS key in prod", () => {
            const rule = (run: ProgramRun) => oneOf(run, aws.s3.BucketServerSideEncryptionConfiguration).props.rules[0];
            assert.deepStrictEqual(rule(dev).applyServerSideEncryptionByDefault, { sseAlgorithm: "AES256" });
            const keyArn = outputsOfOne(prod, aws.kms.Key).arn;
            assert.deepStrictEqual(rule(prod).applyServerSideEncryptionByDefault, { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyArn });
            assert.strictEqual(rule(prod).bucketKeyEnabled, true);
            assert.strictEqual(oneOf(prod, aws.kms.Key).props.enableKeyRotation, true);
        });

        it("versions, enforces bucket ownership, refuses plain HTTP and cleans up after itself", () => {
            assert.strictEqual(oneOf(dev, aws.s3.BucketVersioning).props.versioningConfiguration.status, "Enabled");
            assert.strictEqual(oneOf(dev, aws.s3.BucketOwnershipControls).props.rule.objectOwnership, "BucketOwnerEnforced");
            const policy = parseJson<BucketPolicyDocument>(oneOf(dev, aws.s3.BucketPolicy).props.policy, "the bucket policy");
            const bucketArn = outputsOfOne(dev, aws.s3.Bucket).arn;
            assert.deepStrictEqual(policy.Statement, [{
                Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*",
                Resource: [bucketArn, `${bucketArn}/*`], Condition: { Bool: { "aws:SecureTransport": false } },
            }]);
            const rules = defined(oneOf(dev, aws.s3.BucketLifecycleConfiguration).props.rules, "lifecycle rules");
            assert.deepStrictEqual(rules.map(r => [r.id, r.status]), [["abort-incomplete-uploads", "Enabled"], ["expire-noncurrent-versions", "Enabled"]]);
            assert.strictEqual(rules[0].abortIncompleteMultipartUpload?.daysAfterInitiation, 7);
            assert.strictEqual(rules[1].noncurrentVersionExpiration?.noncurrentDays, 30);
        });

        it("uploads the training code as a content-addressed sourcedir.tar.gz", () => {
            const object = oneOf(dev, aws.s3.BucketObjectv2).props;
            const key = defined(object.key, "the archive's key");
            assert.match(key, /^code\/sourcedir-[0-9a-f]{16}\.tar\.gz$/);
            assert.strictEqual(object.contentType, "application/gzip");
            const outputs = stackOutputs(dev);
            assert.strictEqual(outputs.trainingCodeUri, `s3://${outputs.bucketName}/${key}`);
        });
    });

    describe("Notebook", () => {
        it("is an ml.t3.medium, without root access, on IMDSv2, with its own role", () => {
            const nb = oneOf(dev, aws.sagemaker.NotebookInstance).props;
            assert.strictEqual(nb.instanceType, "ml.t3.medium");
            assert.strictEqual(nb.rootAccess, "Disabled");
            assert.strictEqual(nb.directInternetAccess, "Enabled");
            assert.deepStrictEqual(nb.instanceMetadataServiceConfiguration, { minimumInstanceMetadataServiceVersion: "2" });
            assert.strictEqual(nb.roleArn, outputsOfOne(dev, aws.iam.Role, "notebook-role").arn);
        });

        it("stops itself after the configured idle minutes", () => {
            const lc = oneOf(dev, aws.sagemaker.NotebookInstanceLifecycleConfiguration).props;
            const script = Buffer.from(defined(lc.onStart, "onStart"), "base64").toString("utf8");
            assert.match(script, /IDLE_SECONDS = 3600\n/);
            assert.match(script, /stop-notebook-instance/);
            assert.match(script, /\/etc\/cron\.d\/mlops-idle-stop/);
            const prodScript = Buffer.from(defined(oneOf(prod, aws.sagemaker.NotebookInstanceLifecycleConfiguration).props.onStart, "prod onStart"), "base64").toString();
            assert.match(prodScript, /IDLE_SECONDS = 1800\n/);
            assert.strictEqual(oneOf(dev, aws.sagemaker.NotebookInstance).props.lifecycleConfigName, lc.name);
        });

        it("in prod has no direct internet, lives in the subnet, admits nothing and is encrypted", () => {
            const nb = oneOf(prod, aws.sagemaker.NotebookInstance).props;
            assert.strictEqual(nb.directInternetAccess, "Disabled");
            assert.strictEqual(nb.subnetId, "subnet-0a1b2c3d4e5f60718");
            assert.strictEqual(nb.kmsKeyId, outputsOfOne(prod, aws.kms.Key).arn);
            const sg = oneOf(prod, aws.ec2.SecurityGroup, "notebook");
            assert.deepStrictEqual(nb.securityGroups, [outputsOfOne(prod, aws.ec2.SecurityGroup, "notebook").id]);
            assert.deepStrictEqual(sg.props.ingress ?? [], []);
            assert.strictEqual(sg.props.vpcId, "vpc-0a1b2c3d4e5f60718");
        });
    });

    describe("Tuning", () => {
        it("searches the by-hand project's ranges for the lowest Test Loss, scraped with the shared regex", () => {
            const job = oneOf(dev, aws.sagemaker.HyperParameterTuningJob).props;
            assert.deepStrictEqual(job.config.objective, { metricName: "Test Loss", type: "Minimize" });
            assert.deepStrictEqual(job.config.parameterRanges?.continuousParameterRanges,
                [{ name: "learning-rate", minValue: "0.001", maxValue: "0.1", scalingType: "Logarithmic" }]);
            assert.deepStrictEqual(job.config.parameterRanges?.categoricalParameterRanges,
                [{ name: "batch-size", values: ["32", "64", "128", "256", "512"] }]);
            assert.deepStrictEqual(job.config.resourceLimits, { maxNumberOfTrainingJobs: 2, maxParallelTrainingJobs: 2 });
            const spec = defined(job.trainingJobDefinition, "the trials' definition");
            assert.deepStrictEqual(spec.algorithmSpecification.metricDefinitions,
                METRICS.definitions.map((d: { Name: string; Regex: string }) => ({ name: d.Name, regex: d.Regex })));
            assert.strictEqual(spec.resourceConfig?.instanceType, "ml.m5.xlarge");
            const fixed = defined(spec.staticHyperParameters, "the trials' static hyperparameters");
            assert.ok(!("batch-size" in fixed) && !("learning-rate" in fixed), "tuned values are not fixed");
            assert.strictEqual(fixed.sagemaker_program, "train.py");
            const name = defined(job.name, "the tuning job's name");
            assert.match(name, /^mlops-dev-hpo-[0-9a-f]{8}$/);
            assert.ok(name.length <= 32);
        });

        it("waits for the result with a dynamic resource and feeds the best values to every training run", () => {
            const reader = one(dev, "pulumi-nodejs:dynamic:Resource", "tuning-result");
            assert.strictEqual(reader.props.tuningJobName, oneOf(dev, aws.sagemaker.HyperParameterTuningJob).props.name);
            assert.strictEqual(parentTypeOf(reader), "mlops:training:Tuning");
            for (const job of allOf(dev, aws.sagemaker.TrainingJob)) {
                assert.strictEqual(job.props.hyperParameters?.["batch-size"], "64", "mocked best batch size");
                assert.strictEqual(job.props.hyperParameters?.["learning-rate"], "0.0042", "mocked best learning rate");
            }
        });

        it("takes hyperparameters from config when tuning is disabled", async () => {
            const run = await runStack("dev", { "mlops:tuning": { enabled: false }, "mlops:training": { hyperparameters: { batchSize: 128, learningRate: 0.01 } } });
            assert.strictEqual(allOf(run, aws.sagemaker.HyperParameterTuningJob).length, 0);
            assert.strictEqual(ofType(run, "pulumi-nodejs:dynamic:Resource").filter(r => r.name.includes("tuning-result")).length, 0);
            const job = oneOf(run, aws.sagemaker.TrainingJob, "single").props;
            assert.strictEqual(job.hyperParameters?.["batch-size"], "128");
            assert.strictEqual(job.hyperParameters?.["learning-rate"], "0.01");
        });
    });

    describe("TrainingJob", () => {
        it("runs train.py in script mode from the uploaded archive on the region's PyTorch image", () => {
            const job = oneOf(dev, aws.sagemaker.TrainingJob, "single").props;
            const outputs = stackOutputs(dev);
            assert.strictEqual(job.algorithmSpecification?.trainingImage, "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.5.1-cpu-py311");
            assert.strictEqual(job.hyperParameters?.sagemaker_program, "train.py");
            assert.strictEqual(job.hyperParameters?.sagemaker_submit_directory, outputs.trainingCodeUri);
            assert.deepStrictEqual(defined(job.inputDataConfigs, "input channels").map(c => [c.channelName, c.dataSource?.s3DataSource?.s3Uri]),
                [["training", `s3://${outputs.bucketName}/datasets/dogImages/`]]);
            assert.strictEqual(job.outputDataConfig?.s3OutputPath, `s3://${outputs.bucketName}/training/`);
            assert.match(job.trainingJobName, /^mlops-dev-single-[0-9a-f]{10}$/);
        });

        it("runs the by-hand project's single and multi-instance comparison, every host on its shard", () => {
            const single = oneOf(dev, aws.sagemaker.TrainingJob, "single").props;
            const multi = oneOf(dev, aws.sagemaker.TrainingJob, "multi").props;
            assert.deepStrictEqual([single.resourceConfig?.instanceType, single.resourceConfig?.instanceCount], ["ml.m5.xlarge", 1]);
            assert.deepStrictEqual([multi.resourceConfig?.instanceType, multi.resourceConfig?.instanceCount], ["ml.m5.xlarge", 3]);
            assert.strictEqual(multi.inputDataConfigs?.[0].dataSource?.s3DataSource?.s3DataDistributionType, "FullyReplicated");
            assert.strictEqual(multi.enableInterContainerTrafficEncryption, true);
        });

        it("trains on spot with a wait limit and a checkpoint prefix of its own", () => {
            const job = oneOf(dev, aws.sagemaker.TrainingJob, "single").props;
            assert.strictEqual(job.enableManagedSpotTraining, true);
            assert.deepStrictEqual(job.stoppingCondition, { maxRuntimeInSeconds: 7200, maxWaitTimeInSeconds: 14400 });
            assert.strictEqual(job.checkpointConfig?.s3Uri, `s3://${stackOutputs(dev).bucketName}/checkpoints/single/${defined(job.trainingJobName, "the job's name")}/`);
            assert.strictEqual(job.checkpointConfig?.localPath, "/opt/ml/checkpoints");
            assert.deepStrictEqual(job.timeouts, { create: "300m" });
        });

        it("runs only what a PyTorch 2 image can feed: the profiler report, with the region's rule image, and no tensor rules", () => {
            const job = oneOf(dev, aws.sagemaker.TrainingJob, "single").props;
            const image = "503895931360.dkr.ecr.us-east-1.amazonaws.com/sagemaker-debugger-rules:latest";
            assert.deepStrictEqual(defined(job.profilerRuleConfigurations, "profiler rules").map(r => [r.ruleConfigurationName, r.ruleEvaluatorImage, r.ruleParameters?.rule_to_invoke]),
                [["ProfilerReport", image, "ProfilerReport"]]);
            assert.match(defined(job.profilerConfig?.s3OutputPath, "the profiler's output path"), /\/debugger\/single\/mlops-dev-single-[0-9a-f]{10}\/profiler\/$/);
            assert.strictEqual(job.profilerConfig?.profilingIntervalInMilliseconds, 500);
            // No smdebug in the image: no hook to configure, no tensor rules running on no data.
            assert.strictEqual(job.debugHookConfig, undefined);
            assert.strictEqual(job.debugRuleConfigurations, undefined);
        });

        it("configures the tensor hook and rules only for an image with smdebug, and nothing when the profiler is off too", async () => {
            const old = await runStack("dev", { "mlops:training": { frameworkVersion: "1.12.1", pyVersion: "py38", debugger: { tensorRules: ["Overfit", "VanishingGradient"] } } });
            const job = oneOf(old, aws.sagemaker.TrainingJob, "single").props;
            assert.strictEqual(job.algorithmSpecification?.trainingImage, "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:1.12.1-cpu-py38");
            assert.deepStrictEqual(defined(job.debugRuleConfigurations, "tensor rules").map(r => [r.ruleConfigurationName, r.ruleParameters?.rule_to_invoke]),
                [["Overfit", "Overfit"], ["VanishingGradient", "VanishingGradient"]]);
            const hook = defined(job.debugHookConfig, "the tensor hook");
            assert.match(hook.s3OutputPath, /\/debugger\/single\/mlops-dev-single-[0-9a-f]{10}\/$/);
            assert.deepStrictEqual(defined(hook.collectionConfigurations, "the hook's collections").map(c => c.collectionName), ["weights", "gradients", "losses"]);

            const off = await runStack("dev", { "mlops:training": { debugger: { profilerReport: false } } });
            const quiet = oneOf(off, aws.sagemaker.TrainingJob, "single").props;
            for (const key of ["debugHookConfig", "debugRuleConfigurations", "profilerConfig", "profilerRuleConfigurations"] as const) {
                assert.strictEqual(quiet[key], undefined, key);
            }
        });

        it("resolves the images of another region", async () => {
            const run = await runStack("dev", { "aws:region": "eu-west-1" });
            const job = oneOf(run, aws.sagemaker.TrainingJob, "single").props;
            assert.strictEqual(job.algorithmSpecification?.trainingImage, "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-training:2.5.1-cpu-py311");
            assert.strictEqual(job.profilerRuleConfigurations?.[0].ruleEvaluatorImage, "929884845733.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-debugger-rules:latest");
        });

        it("uses the GPU image on GPU instances", async () => {
            const run = await runStack("dev", { "mlops:training": { runs: [{ name: "single", instanceType: "ml.g4dn.xlarge", instanceCount: 1 }] } });
            const job = oneOf(run, aws.sagemaker.TrainingJob, "single").props;
            assert.strictEqual(job.algorithmSpecification?.trainingImage, "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.5.1-gpu-py311");
        });

        it("starts train.py through the container's torchrun launcher on GPU types (one process per GPU), and once per host on CPU types", async () => {
            for (const job of allOf(dev, aws.sagemaker.TrainingJob)) {
                assert.strictEqual(defined(job.props.hyperParameters, `${job.name} hyperparameters`).sagemaker_torch_distributed_enabled, undefined, `${job.name} runs on CPU hosts`);
            }
            const cpuTrials = defined(oneOf(dev, aws.sagemaker.HyperParameterTuningJob).props.trainingJobDefinition, "the trials' definition");
            assert.strictEqual(defined(cpuTrials.staticHyperParameters, "the trials' static hyperparameters").sagemaker_torch_distributed_enabled, undefined);

            const gpu = await runStack("dev", {
                "mlops:training": { runs: [{ name: "single", instanceCount: 1 }, { name: "multi", instanceType: "ml.g5.12xlarge", instanceCount: 2 }] },
                "mlops:tuning": { instanceType: "ml.g4dn.xlarge" },
            });
            const multi = oneOf(gpu, aws.sagemaker.TrainingJob, "multi").props;
            assert.strictEqual(multi.hyperParameters?.sagemaker_torch_distributed_enabled, "true");
            assert.deepStrictEqual([multi.resourceConfig?.instanceType, multi.resourceConfig?.instanceCount], ["ml.g5.12xlarge", 2]);
            assert.strictEqual(multi.algorithmSpecification?.trainingImage, "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.5.1-gpu-py311");
            const single = oneOf(gpu, aws.sagemaker.TrainingJob, "single").props;
            assert.strictEqual(defined(single.hyperParameters, "single's hyperparameters").sagemaker_torch_distributed_enabled, undefined);
            const trials = oneOf(gpu, aws.sagemaker.HyperParameterTuningJob).props.trainingJobDefinition;
            assert.strictEqual(trials?.staticHyperParameters?.sagemaker_torch_distributed_enabled, "true");
        });
    });

    describe("ModelEndpoint", () => {
        it("serves the deployed run's artifact with network isolation on the region's inference image", () => {
            const model = oneOf(dev, aws.sagemaker.Model).props;
            const outputs = stackOutputs(dev);
            assert.strictEqual(model.enableNetworkIsolation, true);
            assert.strictEqual(model.primaryContainer?.modelDataUrl, outputs.deployedModelDataUrl);
            assert.strictEqual(model.primaryContainer?.image, "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5.1-cpu-py311");
            assert.strictEqual(model.primaryContainer?.environment?.SAGEMAKER_PROGRAM, "inference.py");
            const deployed = defined(outputs.trainingJobs, "dev's training jobs").single.modelDataUrl;
            assert.strictEqual(outputs.deployedModelDataUrl, deployed);
            assert.strictEqual(oneOf(prod, aws.sagemaker.Model).props.primaryContainer?.modelDataUrl,
                defined(stackOutputs(prod).trainingJobs, "prod's training jobs").multi.modelDataUrl);
        });

        it("auto-names the endpoint configuration and encrypts it in prod", () => {
            const config = oneOf(dev, aws.sagemaker.EndpointConfiguration).props;
            assert.strictEqual(config.name, undefined, "no fixed name: Pulumi auto-names it so every change rolls out");
            assert.deepStrictEqual(config.productionVariants.map(v => [v.variantName, v.instanceType, v.initialInstanceCount]), [["primary", "ml.m5.large", 1]]);
            assert.strictEqual(config.productionVariants[0].modelName, outputsOfOne(dev, aws.sagemaker.Model).name);
            assert.strictEqual(oneOf(prod, aws.sagemaker.EndpointConfiguration).props.kmsKeyArn, outputsOfOne(prod, aws.kms.Key).arn);
        });

        it("rolls out blue/green and rolls back on alarms that watch this endpoint", () => {
            const endpoint = oneOf(dev, aws.sagemaker.Endpoint).props;
            const alarms = allOf(dev, aws.cloudwatch.MetricAlarm);
            assert.deepStrictEqual(alarms.map(a => a.props.metricName).sort(), ["Invocation5XXErrors", "ModelLatency"]);
            for (const a of alarms) {
                assert.deepStrictEqual(a.props.dimensions, { EndpointName: endpoint.name, VariantName: "primary" });
                assert.strictEqual(a.props.namespace, "AWS/SageMaker");
            }
            const deployment = defined(endpoint.deploymentConfig, "the endpoint's deployment config");
            assert.deepStrictEqual(defined(deployment.autoRollbackConfiguration?.alarms, "rollback alarms").map(a => a.alarmName).sort(),
                alarms.map(a => a.props.name).sort());
            assert.strictEqual(deployment.blueGreenUpdatePolicy?.trafficRoutingConfiguration.type, "ALL_AT_ONCE");
            assert.strictEqual(endpoint.endpointConfigName, outputsOfOne(dev, aws.sagemaker.EndpointConfiguration).name);
        });

        it("scales the instance variant on invocations per instance (by-hand defaults 1..4, target 5, cooldowns 30 s)", () => {
            const target = oneOf(dev, aws.appautoscaling.Target).props;
            assert.deepStrictEqual(target, {
                ...target,
                serviceNamespace: "sagemaker",
                resourceId: "endpoint/mlops-dev-endpoint/variant/primary",
                scalableDimension: "sagemaker:variant:DesiredInstanceCount",
                minCapacity: 1,
                maxCapacity: 4,
            });
            const policy = oneOf(dev, aws.appautoscaling.Policy).props;
            assert.strictEqual(policy.policyType, "TargetTrackingScaling");
            assert.strictEqual(policy.resourceId, target.resourceId);
            assert.deepStrictEqual(policy.targetTrackingScalingPolicyConfiguration, {
                targetValue: 5,
                predefinedMetricSpecification: { predefinedMetricType: "SageMakerVariantInvocationsPerInstance" },
                scaleInCooldown: 30,
                scaleOutCooldown: 30,
            });
        });

        it("can be serverless instead, without autoscaling", async () => {
            const endpoint = { instanceType: undefined, minInstances: undefined, maxInstances: undefined, targetInvocationsPerInstance: undefined,
                scaleInCooldownSeconds: undefined, scaleOutCooldownSeconds: undefined, serverless: { memorySizeMb: 3072, maxConcurrency: 8 } };
            const run = await runStack("dev", { "mlops:endpoint": endpoint });
            const variant = oneOf(run, aws.sagemaker.EndpointConfiguration).props.productionVariants[0];
            assert.deepStrictEqual(variant.serverlessConfig, { memorySizeInMb: 3072, maxConcurrency: 8 });
            assert.strictEqual(variant.instanceType, undefined);
            assert.strictEqual(allOf(run, aws.appautoscaling.Target).length, 0);
        });
    });

    describe("InferenceFunction", () => {
        it("deploys the bundled handler on the newest Node.js runtime with explicit limits", () => {
            const fn = oneOf(dev, aws.lambda.Function).props;
            assert.strictEqual(fn.runtime, "nodejs24.x");
            assert.strictEqual(fn.handler, "index.handler");
            assert.deepStrictEqual([fn.memorySize, fn.timeout, fn.reservedConcurrentExecutions], [512, 30, 5]);
            assert.deepStrictEqual(fn.environment?.variables, { ENDPOINT_NAME: "mlops-dev-endpoint" });
            assert.strictEqual(fn.publish, false);
            assert.strictEqual(fn.role, outputsOfOne(dev, aws.iam.Role, "inference-role").arn);
            const code = defined(serializedAsset(fn.code, "the function's code").assets?.["index.js"], "the bundle's index.js");
            const text = defined(code.text, "index.js's text");
            // Only the SDK's optional CRT signers stay external (it loads them inside try/catch).
            assert.ok(text.length > 100_000, "the SDK is bundled");
            assert.ok(!/require\(["'](@aws-sdk\/client-|@smithy\/)/.test(text), "the SDK client is bundled, not required");
            const log = oneOf(dev, aws.cloudwatch.LogGroup).props;
            assert.deepStrictEqual([log.name, log.retentionInDays], ["/aws/lambda/mlops-dev-inference", 30]);
        });

        it("in prod publishes a version behind the live alias with provisioned concurrency 2", () => {
            const fn = oneOf(prod, aws.lambda.Function).props;
            assert.strictEqual(fn.publish, true);
            const alias = oneOf(prod, aws.lambda.Alias).props;
            assert.strictEqual(alias.name, "live");
            assert.strictEqual(alias.functionVersion, "1");
            const pc = oneOf(prod, aws.lambda.ProvisionedConcurrencyConfig).props;
            assert.deepStrictEqual([pc.qualifier, pc.provisionedConcurrentExecutions], ["live", 2]);
            assert.strictEqual(fn.tracingConfig?.mode, "Active");
        });
    });

    describe("GpuTrainer", () => {
        it("boots the newest Amazon Deep Learning AMI with PyTorch on a g4dn.xlarge spot instance", () => {
            const instance = oneOf(dev, aws.ec2.Instance).props;
            assert.strictEqual(instance.ami, "ami-0d3b5e4c2a1f09876");
            assert.strictEqual(instance.instanceType, "g4dn.xlarge");
            assert.deepStrictEqual(instance.instanceMarketOptions, { marketType: "spot", spotOptions: { spotInstanceType: "one-time", instanceInterruptionBehavior: "terminate" } });
            assert.strictEqual(oneOf(prod, aws.ec2.Instance).props.instanceMarketOptions, undefined, "prod trains on demand");
        });

        it("has no key pair, no inbound rule, IMDSv2, an encrypted root and terminates on shutdown", () => {
            const instance = oneOf(dev, aws.ec2.Instance).props;
            assert.strictEqual(instance.keyName, undefined);
            assert.strictEqual(instance.metadataOptions?.httpTokens, "required");
            assert.strictEqual(instance.rootBlockDevice?.encrypted, true);
            assert.strictEqual(instance.instanceInitiatedShutdownBehavior, "terminate");
            assert.strictEqual(instance.userDataReplaceOnChange, true);
            const sg = oneOf(dev, aws.ec2.SecurityGroup, "gpu-trainer");
            assert.deepStrictEqual(sg.props.ingress ?? [], []);
            assert.deepStrictEqual(instance.vpcSecurityGroupIds, [outputsOfOne(dev, aws.ec2.SecurityGroup, "gpu-trainer").id]);
            assert.strictEqual(instance.iamInstanceProfile, outputsOfOne(dev, aws.iam.InstanceProfile).name);
            const prodInstance = oneOf(prod, aws.ec2.Instance).props;
            assert.strictEqual(prodInstance.associatePublicIpAddress, false);
            assert.strictEqual(prodInstance.rootBlockDevice?.kmsKeyId, outputsOfOne(prod, aws.kms.Key).arn);
        });

        it("runs the same train.py with the tuned hyperparameters, uploads model.tar.gz and powers off", () => {
            const script = defined(oneOf(dev, aws.ec2.Instance).props.userData, "the trainer's user data");
            const outputs = stackOutputs(dev);
            const bucket = outputs.bucketName;
            const codeKey = outputs.trainingCodeUri.replace(`s3://${bucket}/`, "");
            assert.ok(script.includes(`aws s3 cp "s3://${bucket}/${codeKey}"`));
            assert.ok(script.includes(`aws s3 sync "s3://${bucket}/datasets/dogImages/" "$WORK/data/"`));
            assert.match(script, /python "\$WORK\/code\/train\.py" --data "\$WORK\/data" --model-dir "\$WORK\/model" --checkpoint-dir "\$WORK\/checkpoints" --epochs 10 --batch-size 64 --learning-rate 0\.0042 --arch resnet50 --image-size 224 --pretrained --patience 3 --seed 42\n/);
            assert.ok(script.includes(`OUT=${defined(outputs.trainerOutputUri, "the trainer's output URI")}`.replace(/\/$/, "/")));
            assert.match(script, /aws s3 cp "\$WORK\/model\.tar\.gz" "\$OUT\/model\.tar\.gz"/);
            assert.match(script, /trap finish EXIT/);
            assert.match(script, /shutdown -h now/);
        });
    });

    it("gzips the training archive deterministically (the uploaded file)", () => {
        const object = oneOf(dev, aws.s3.BucketObjectv2).props;
        const file = defined(serializedAsset(object.source, "the archive's source").path, "the archive's file");
        const bytes = fs.readFileSync(file);
        const tar = zlib.gunzipSync(bytes);
        assert.ok(tar.includes(Buffer.from("train.py")), "the archive holds train.py");
        assert.ok(!tar.includes(Buffer.from("tests/")), "tests stay out of the archive");
    });
});
