// `npm run bench:policies`: evaluates the whole pack (every resource and stack policy, dev config)
// through @pulumi/policy's own analyzer, launched and driven as the offline plan drives it (the
// pack in its own process, Configure, Analyze per resource, AnalyzeStack), on generated stacks of
// 1,000 and 10,000 resources in the same run, and prints both side by side: seconds, resources per
// second, the CPU each side used per resource, and the ratio of the times. If every rule is
// linear, time(10,000) / time(1,000) is about 10; a quadratic join would make it about 100.
//
// Two baselines run in the same process on the same stacks: the pack with every policy disabled
// (the @pulumi/policy server decoding each request and answering, no rule run) and the plan's own
// Analyzer client against a server that answers every request empty without decoding it
// (analyzer-echo-server.js): what the gRPC protocol costs on this machine before any policy code.
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
import { spawn } from "child_process";
import { AnalyzerClient, indexResources } from "../plan/analyzer-client";
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
    /** CPU seconds of the plan's side (this process) and of the server's, in the best run. */
    clientCpu: number;
    serverCpu: number;
    violations?: number;
}

/** User + system CPU seconds a process has used so far (Linux). */
function processCpuSeconds(pid: number): number {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    // utime and stime, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Best of `repeats` runs of `run` (the machine is shared), with both sides' CPU time. */
async function measure(size: number, serverPid: number, repeats: number, run: () => Promise<number | undefined>): Promise<Measurement> {
    let best: Measurement | undefined;
    for (let i = 0; i < repeats; i++) {
        const cpu = process.cpuUsage();
        const server = processCpuSeconds(serverPid);
        const start = performance.now();
        const violations = await run();
        const seconds = (performance.now() - start) / 1000;
        const used = process.cpuUsage(cpu);
        if (!best || seconds < best.seconds) {
            best = { size, seconds, clientCpu: (used.user + used.system) / 1e6, serverCpu: processCpuSeconds(serverPid) - server, violations };
        }
    }
    return best!;
}

/** The echo server (analyzer-echo-server.js) in its own process, and a client of the plan's kind for it. */
async function startEcho(): Promise<{ client: AnalyzerClient; pid: number; close: () => void }> {
    const child = spawn(process.execPath, [path.join(__dirname, "analyzer-echo-server.js")], { stdio: ["ignore", "pipe", "inherit"] });
    const port = await new Promise<string>((resolve, reject) => {
        child.stdout.once("data", (data: Buffer) => resolve(data.toString().trim()));
        child.once("exit", (code) => reject(new Error(`the echo server exited (${code}) before serving`)));
    });
    const client = new AnalyzerClient(`127.0.0.1:${port}`);
    return { client, pid: child.pid!, close: () => (client.close(), child.kill()) };
}

/** Targets the pack must meet on this path. */
const MIN_RATE_AT_10000 = 5000;
const MAX_TIME_RATIO = 11;

function row(label: string, m: Measurement): string {
    const rate = Math.round(m.size / m.seconds).toString();
    const perResource = (seconds: number) => ((seconds / m.size) * 1e6).toFixed(0).padStart(6);
    return `  ${label.padEnd(48)} ${String(m.size).padStart(6)}  ${m.seconds.toFixed(3).padStart(8)}  ${rate.padStart(11)}  ${perResource(m.clientCpu)}  ${perResource(m.serverCpu)}  ${m.violations === undefined ? "" : String(m.violations).padStart(10)}`;
}

async function main(): Promise<void> {
    const config: unknown = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "policies", "config", "dev.json"), "utf8"));
    const launchStart = performance.now();
    const pack = await PolicyPackProcess.launch({ packDir: path.join(__dirname, "..", "policies"), stack: { stack: "bench", project: "mlops", dryRun: true } });
    const launchSeconds = (performance.now() - launchStart) / 1000;
    const echo = await startEcho();
    try {
        const evaluate = async (resources: PlanResource[], packConfig: unknown) => (await evaluatePack(pack, resources, packConfig)).violations.length;
        const echoAll = async (resources: PlanResource[]) => {
            await echo.client.analyzeAll(resources, indexResources(resources));
            return undefined;
        };
        const warmUp = generateStack(500);
        await measure(500, pack.pid, 2, () => evaluate(warmUp, config)); // JIT and module caches on both sides
        await measure(500, echo.pid, 2, () => echoAll(warmUp));
        /** Per size: the pack with the dev config, and the two baselines. */
        const sizes = [
            { size: 1000, repeats: 5 },
            { size: 10000, repeats: 3 },
        ];
        const measured: { size: number; pack: Measurement; disabled: Measurement; transport: Measurement }[] = [];
        for (const { size, repeats } of sizes) {
            const stack = generateStack(size);
            measured.push({
                size,
                pack: await measure(size, pack.pid, repeats, () => evaluate(stack, config)),
                disabled: await measure(size, pack.pid, repeats, () => evaluate(stack, { all: "disabled" })),
                transport: await measure(size, echo.pid, repeats, () => echoAll(stack)),
            });
        }
        const rate = (m: Measurement) => Math.round(m.size / m.seconds);
        console.log(`bench:policies: ${pack.info.policies.length} policies of ${pack.info.name}, served by @pulumi/policy in its own process (${pack.loader} loader, started in ${launchSeconds.toFixed(2)} s)`);
        console.log(`  node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "unknown"}), load average ${os.loadavg()[0].toFixed(1)}; best of ${sizes.map((s) => `${s.repeats} runs (${s.size.toLocaleString("en-US")})`).join(" and ")}`);
        console.log(`  ${"".padEnd(48)} ${"size".padStart(6)}  ${"seconds".padStart(8)}  ${"resources/s".padStart(11)}  ${"CPU µs per resource".padStart(14)}  ${"violations".padStart(10)}`);
        console.log(`  ${"".padEnd(48)} ${"".padStart(6)}  ${"".padStart(8)}  ${"".padStart(11)}  ${"plan".padStart(6)}  ${"server".padStart(6)}`);
        for (const m of measured) {
            console.log(row("pack, dev config", m.pack));
            console.log(row("  baseline: pack, every policy disabled", m.disabled));
            console.log(row("  baseline: Analyze to a server answering empty", m.transport));
        }
        const [small, large] = [measured[0], measured[measured.length - 1]];
        console.log(`  time(${large.size}) / time(${small.size}) = ${(large.pack.seconds / small.pack.seconds).toFixed(2)}  (10 = linear; target <= ${MAX_TIME_RATIO})`);
        console.log(`  resources/s at ${large.size} = ${rate(large.pack)}  (target >= ${MIN_RATE_AT_10000}; the protocol alone, to a server that answers empty: ${rate(large.transport)})`);
    } finally {
        echo.close();
        pack.close();
    }
}

if (require.main === module) {
    main().catch((e) => {
        console.error(e instanceof Error ? e.message : e);
        process.exit(1);
    });
}
