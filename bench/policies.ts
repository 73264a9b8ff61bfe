// `npm run bench:policies`: evaluates the whole pack (every resource and stack policy, dev config)
// through @pulumi/policy's own analyzer, launched and driven as the offline plan drives it (the
// pack in its own process, Configure, Analyze per resource, AnalyzeStack), on generated stacks of
// 1,000 and 10,000 resources in the same run, and prints both side by side: seconds, resources per
// second, and the ratio of the times. If every rule is linear, time(10,000) / time(1,000) is about
// 10; a quadratic join would make it about 100.
//
// The stacks repeat the pipeline's own mix (a data bucket with its six side resources, service
// roles with inline policies and attachments, notebook, training and tuning jobs, model, endpoint
// configuration, endpoint, autoscaling target and policy, alarms, Lambda, log group, EC2 trainer
// and security group, KMS key, budget) with the joins the stack policies resolve: side resources
// name their bucket, attachments their role, the scaling target its endpoint, with property
// dependencies as the CLI sends them.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { evaluatePack, PlanResource } from "../plan/policy-engine";
import { PolicyPackProcess } from "../plan/policy-pack";

const TAGS = { project: "mlops", stack: "bench", "managed-by": "pulumi" };
const ACCOUNT = "123456789012";

function urn(type: string, name: string): string {
    return `urn:pulumi:bench::mlops::${type}::${name}`;
}

/** One copy of the pipeline (unit `u`): returns its resources. */
function pipelineUnit(u: number): PlanResource[] {
    const out: PlanResource[] = [];
    const add = (type: string, name: string, props: Record<string, unknown>, deps: Record<string, PlanResource[]> = {}): PlanResource => {
        const propertyDependencies: Record<string, string[]> = {};
        for (const [k, list] of Object.entries(deps)) propertyDependencies[k] = list.map((r) => r.urn);
        const r: PlanResource = { urn: urn(type, name), type, name, props, propertyDependencies, dependencies: [...new Set(Object.values(propertyDependencies).flat())] };
        out.push(r);
        return r;
    };
    const p = `u${u}`;
    const bucketName = `mlops-bench-${p}-data`;
    const bucket = add("aws:s3/bucket:Bucket", `${p}-data`, { bucket: bucketName, id: bucketName, arn: `arn:aws:s3:::${bucketName}`, tags: TAGS });
    const side = (type: string, suffix: string, props: Record<string, unknown>) => add(type, `${p}-data-${suffix}`, { bucket: bucketName, ...props }, { bucket: [bucket] });
    side("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "pab", { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    side("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "sse", { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] });
    side("aws:s3/bucketVersioning:BucketVersioning", "versioning", { versioningConfiguration: { status: "Enabled" } });
    side("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "ownership", { rule: { objectOwnership: "BucketOwnerEnforced" } });
    side("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "lifecycle", { rules: [{ id: "abort", status: "Enabled", abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } }] });
    side("aws:s3/bucketPolicy:BucketPolicy", "policy", {
        policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [`arn:aws:s3:::${bucketName}`, `arn:aws:s3:::${bucketName}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } }] }),
    });
    side("aws:s3/bucketObjectv2:BucketObjectv2", "code", { key: "code/sourcedir.tar.gz" });

    const role = (kind: string, service: string, statements: Record<string, unknown>[]) => {
        const name = `mlops-bench-${p}-${kind}`;
        const r = add("aws:iam/role:Role", `${p}-${kind}-role`, {
            name,
            arn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
            assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] }),
            tags: TAGS,
        });
        add("aws:iam/rolePolicy:RolePolicy", `${p}-${kind}-permissions`, { role: name, policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) }, { role: [r] });
        return r;
    };
    const objects = { Effect: "Allow", Action: ["s3:GetObject"], Resource: `arn:aws:s3:::${bucketName}/datasets/*` };
    role("sagemaker", "sagemaker.amazonaws.com", [objects]);
    role("notebook", "sagemaker.amazonaws.com", [objects]);
    const endpointName = `mlops-bench-${p}-endpoint`;
    const endpointArn = `arn:aws:sagemaker:us-east-1:${ACCOUNT}:endpoint/${endpointName}`;
    role("inference", "lambda.amazonaws.com", [
        { Effect: "Allow", Action: "sagemaker:InvokeEndpoint", Resource: endpointArn },
        { Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/${p}:*` },
    ]);
    const trainerRole = role("trainer", "ec2.amazonaws.com", [objects]);
    add("aws:iam/rolePolicyAttachment:RolePolicyAttachment", `${p}-trainer-ssm`, { role: `mlops-bench-${p}-trainer`, policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" }, { role: [trainerRole] });
    add("aws:iam/instanceProfile:InstanceProfile", `${p}-trainer-profile`, { name: `mlops-bench-${p}-trainer`, role: `mlops-bench-${p}-trainer`, tags: TAGS }, { role: [trainerRole] });

    const sagemakerArn = `arn:aws:iam::${ACCOUNT}:role/mlops-bench-${p}-sagemaker`;
    add("aws:sagemaker/notebookInstance:NotebookInstance", `${p}-notebook`, {
        instanceType: "ml.t3.medium", roleArn: sagemakerArn, rootAccess: "Disabled", directInternetAccess: "Enabled", volumeSize: 5,
        instanceMetadataServiceConfiguration: { minimumInstanceMetadataServiceVersion: "2" }, tags: TAGS,
    });
    const trainingSpec = (count: number) => ({
        resourceConfig: { instanceType: "ml.m5.xlarge", instanceCount: count, volumeSizeInGb: 30 },
        stoppingCondition: { maxRuntimeInSeconds: 7200, maxWaitTimeInSeconds: 14400 },
        enableManagedSpotTraining: true,
        checkpointConfig: { s3Uri: `s3://${bucketName}/checkpoints/` },
    });
    add("aws:sagemaker/trainingJob:TrainingJob", `${p}-train-single`, { trainingJobName: `${p}-single`, roleArn: sagemakerArn, ...trainingSpec(1), tags: TAGS });
    add("aws:sagemaker/trainingJob:TrainingJob", `${p}-train-multi`, { trainingJobName: `${p}-multi`, roleArn: sagemakerArn, ...trainingSpec(3), tags: TAGS });
    add("aws:sagemaker/hyperParameterTuningJob:HyperParameterTuningJob", `${p}-tuning`, {
        config: { strategy: "Bayesian", resourceLimits: { maxNumberOfTrainingJobs: 2, maxParallelTrainingJobs: 2 } },
        trainingJobDefinition: { roleArn: sagemakerArn, ...trainingSpec(1) }, tags: TAGS,
    });
    add("aws:sagemaker/model:Model", `${p}-model`, { executionRoleArn: sagemakerArn, enableNetworkIsolation: true, tags: TAGS });
    const configName = `mlops-bench-${p}-config`;
    const config = add("aws:sagemaker/endpointConfiguration:EndpointConfiguration", `${p}-config`, {
        name: configName, productionVariants: [{ variantName: "primary", instanceType: "ml.m5.large", initialInstanceCount: 1 }], tags: TAGS,
    });
    const endpoint = add("aws:sagemaker/endpoint:Endpoint", `${p}-endpoint`, { name: endpointName, endpointConfigName: configName, tags: TAGS }, { endpointConfigName: [config] });
    const resourceId = `endpoint/${endpointName}/variant/primary`;
    add("aws:appautoscaling/target:Target", `${p}-scaling`, { serviceNamespace: "sagemaker", scalableDimension: "sagemaker:variant:DesiredInstanceCount", resourceId, minCapacity: 1, maxCapacity: 4, tags: TAGS }, { resourceId: [endpoint] });
    add("aws:appautoscaling/policy:Policy", `${p}-invocations`, {
        serviceNamespace: "sagemaker", scalableDimension: "sagemaker:variant:DesiredInstanceCount", resourceId, policyType: "TargetTrackingScaling",
        targetTrackingScalingPolicyConfiguration: { targetValue: 5, scaleInCooldown: 30, scaleOutCooldown: 30, predefinedMetricSpecification: { predefinedMetricType: "SageMakerVariantInvocationsPerInstance" } },
    }, { resourceId: [endpoint] });
    add("aws:cloudwatch/metricAlarm:MetricAlarm", `${p}-5xx`, { metricName: "Invocation5XXErrors", tags: TAGS });
    add("aws:cloudwatch/metricAlarm:MetricAlarm", `${p}-latency`, { metricName: "ModelLatency", tags: TAGS });
    add("aws:cloudwatch/logGroup:LogGroup", `${p}-logs`, { name: `/aws/lambda/${p}`, retentionInDays: 30, tags: TAGS });
    add("aws:lambda/function:Function", `${p}-inference`, {
        runtime: "nodejs24.x", memorySize: 512, timeout: 30, reservedConcurrentExecutions: 5, role: `arn:aws:iam::${ACCOUNT}:role/mlops-bench-${p}-inference`,
        environment: { variables: { ENDPOINT_NAME: endpointName } }, tags: TAGS,
    });
    add("aws:ec2/securityGroup:SecurityGroup", `${p}-trainer-sg`, { egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }], tags: TAGS });
    add("aws:ec2/instance:Instance", `${p}-trainer`, {
        instanceType: "g4dn.xlarge", iamInstanceProfile: `mlops-bench-${p}-trainer`, associatePublicIpAddress: false, instanceInitiatedShutdownBehavior: "terminate",
        metadataOptions: { httpTokens: "required" }, rootBlockDevice: { encrypted: true, volumeSize: 100 }, tags: TAGS,
    });
    return out;
}

export function generateStack(size: number): PlanResource[] {
    const resources: PlanResource[] = [];
    for (let u = 0; resources.length < size; u++) resources.push(...pipelineUnit(u));
    return resources.slice(0, size);
}

interface Measurement {
    size: number;
    seconds: number;
    violations: number;
}

async function measure(pack: PolicyPackProcess, resources: PlanResource[], config: unknown, repeats: number): Promise<Measurement> {
    let best = Infinity;
    let violations = 0;
    for (let i = 0; i < repeats; i++) {
        const start = performance.now();
        const result = await evaluatePack(pack, resources, config);
        best = Math.min(best, (performance.now() - start) / 1000);
        violations = result.violations.length;
    }
    return { size: resources.length, seconds: best, violations };
}

/** Targets the pack must meet on this path. */
const MIN_RATE_AT_10000 = 5000;
const MAX_TIME_RATIO = 11;

async function main(): Promise<void> {
    const config: unknown = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "policies", "config", "dev.json"), "utf8"));
    const launchStart = performance.now();
    const pack = await PolicyPackProcess.launch({ packDir: path.join(__dirname, "..", "policies"), stack: { stack: "bench", project: "mlops", dryRun: true } });
    const launchSeconds = (performance.now() - launchStart) / 1000;
    try {
        await measure(pack, generateStack(500), config, 2); // warm-up: JIT and module caches on both sides
        // Best of N: the machine is shared.
        const stacks = [generateStack(1000), generateStack(10000)];
        const [small, large] = [await measure(pack, stacks[0], config, 5), await measure(pack, stacks[1], config, 3)];
        // Baseline: the same requests with every policy disabled, what the protocol and the
        // analyzer server cost before any rule runs.
        const [bareSmall, bareLarge] = [await measure(pack, stacks[0], { all: "disabled" }, 5), await measure(pack, stacks[1], { all: "disabled" }, 3)];
        const rate = (m: Measurement) => m.size / m.seconds;
        console.log(`bench:policies: ${pack.info.policies.length} policies of ${pack.info.name} (dev config), served by @pulumi/policy in its own process (${pack.loader} loader, started in ${launchSeconds.toFixed(2)} s)`);
        console.log(`  node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "unknown"}), load average ${os.loadavg()[0].toFixed(1)}`);
        console.log(`  ${"resources".padStart(10)}  ${"seconds".padStart(8)}  ${"resources/s".padStart(12)}  ${"violations".padStart(10)}  |  baseline, every policy disabled: ${"seconds".padStart(8)}  ${"resources/s".padStart(12)}`);
        for (const [m, bare] of [[small, bareSmall], [large, bareLarge]]) {
            console.log(
                `  ${String(m.size).padStart(10)}  ${m.seconds.toFixed(3).padStart(8)}  ${Math.round(rate(m)).toString().padStart(12)}  ${String(m.violations).padStart(10)}  |  ${" ".repeat(32)} ${bare.seconds.toFixed(3).padStart(8)}  ${Math.round(rate(bare)).toString().padStart(12)}`,
            );
        }
        const ratio = large.seconds / small.seconds;
        console.log(`  time(10000) / time(1000) = ${ratio.toFixed(2)}  (10 = linear; target <= ${MAX_TIME_RATIO})`);
        console.log(`  resources/s at 10000 = ${Math.round(rate(large))}  (target >= ${MIN_RATE_AT_10000})`);
    } finally {
        pack.close();
    }
}

if (require.main === module) {
    main().catch((e) => {
        console.error(e instanceof Error ? e.message : e);
        process.exit(1);
    });
}
