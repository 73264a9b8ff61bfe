import * as assert from "assert";
import { ConfigError, INSTANCE_TYPES, parseStackConfig, projectConfig } from "../../config";
import { loadStackConfig } from "../../plan/stack-config";
import { runStack } from "../support/program";

const ctx = { stack: "dev", region: "us-east-1" };

/** The problems parseStackConfig reports for a raw config, or [] when it is valid. */
function problemsOf(raw: Record<string, unknown>): string[] {
    try {
        parseStackConfig(raw, ctx);
        return [];
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
        return (e as ConfigError).problems;
    }
}

function assertProblem(raw: Record<string, unknown>, expected: string): void {
    const problems = problemsOf(raw);
    assert.ok(problems.includes(expected), `expected the problem\n  ${expected}\ngot\n  ${problems.join("\n  ") || "(none)"}`);
}

describe("stack configuration", () => {
    it("defaults to the seeds' choices", () => {
        const c = parseStackConfig({}, ctx);
        assert.strictEqual(c.notebook.instanceType, "ml.t3.medium");
        assert.strictEqual(c.tuning.instanceType, "ml.m5.xlarge");
        assert.deepStrictEqual(c.tuning.learningRate, { min: 0.001, max: 0.1 });
        assert.deepStrictEqual(c.tuning.batchSizes, [32, 64, 128, 256, 512]);
        assert.deepStrictEqual(c.training.runs, [
            { name: "single", instanceType: "ml.m5.xlarge", instanceCount: 1 },
            { name: "multi", instanceType: "ml.m5.xlarge", instanceCount: 3 },
        ]);
        assert.deepStrictEqual(c.endpoint.variant, {
            kind: "instance", instanceType: "ml.m5.large", minInstances: 1, maxInstances: 4,
            targetInvocationsPerInstance: 5, scaleInCooldownSeconds: 30, scaleOutCooldownSeconds: 30,
        });
        assert.strictEqual(c.lambda.reservedConcurrency, 5);
        assert.strictEqual(c.gpuTrainer.instanceType, "g4dn.xlarge");
        assert.deepStrictEqual(c.tags, { project: "mlops", stack: "dev", "managed-by": "pulumi" });
        assert.strictEqual(c.namePrefix, "mlops-dev");
    });

    describe("refuses bad values, naming the key, the value and what is allowed", () => {
        const cases: [string, Record<string, unknown>, string][] = [
            ["an unknown notebook instance type", { notebook: { instanceType: "ml.t3.huge" } },
                `mlops:notebook.instanceType must be one of ${INSTANCE_TYPES.notebook.join(", ")} (got "ml.t3.huge")`],
            ["an unknown training instance type", { training: { runs: [{ name: "single", instanceType: "m5.xlarge", instanceCount: 1 }] } },
                `mlops:training.runs[0].instanceType must be one of ${INSTANCE_TYPES.training.join(", ")} (got "m5.xlarge")`],
            ["an unknown tuning instance type", { tuning: { instanceType: "ml.t3.medium" } },
                `mlops:tuning.instanceType must be one of ${INSTANCE_TYPES.training.join(", ")} (got "ml.t3.medium")`],
            ["an unknown endpoint instance type", { endpoint: { instanceType: "ml.t2.medium" } },
                `mlops:endpoint.instanceType must be one of ${INSTANCE_TYPES.endpoint.join(", ")} (got "ml.t2.medium")`],
            ["an unknown EC2 instance type", { gpuTrainer: { instanceType: "t2.micro" } },
                `mlops:gpuTrainer.instanceType must be one of ${INSTANCE_TYPES.ec2.join(", ")} (got "t2.micro")`],
            ["an instance count below 1", { training: { runs: [{ name: "single", instanceType: "ml.m5.xlarge", instanceCount: 0 }] } },
                "mlops:training.runs[0].instanceCount must be >= 1 (got 0)"],
            ["min instances below 1", { endpoint: { minInstances: 0, maxInstances: 2 } },
                "mlops:endpoint.minInstances must be >= 1 (got 0)"],
            ["max instances below min", { endpoint: { minInstances: 1, maxInstances: 0 } },
                "mlops:endpoint.maxInstances must be >= endpoint.minInstances (got 0 < 1)"],
            ["max tuning jobs below 1", { tuning: { maxJobs: 0, maxParallelJobs: 1 } }, "mlops:tuning.maxJobs must be >= 1 (got 0)"],
            ["more parallel tuning jobs than jobs", { tuning: { maxJobs: 2, maxParallelJobs: 3 } },
                "mlops:tuning.maxParallelJobs must be <= tuning.maxJobs (got 3 > 2)"],
            ["a negative scale-in cooldown", { endpoint: { scaleInCooldownSeconds: -1 } }, "mlops:endpoint.scaleInCooldownSeconds must be >= 0 (got -1)"],
            ["a negative scale-out cooldown", { endpoint: { scaleOutCooldownSeconds: -30 } }, "mlops:endpoint.scaleOutCooldownSeconds must be >= 0 (got -30)"],
            ["an inverted learning-rate range", { tuning: { learningRate: { min: 0.1, max: 0.001 } } },
                "mlops:tuning.learningRate.max must be > tuning.learningRate.min (got 0.001 <= 0.1)"],
            ["an empty batch-size list", { tuning: { batchSizes: [] } }, "mlops:tuning.batchSizes must list at least one batch size (got [])"],
            ["a training run name used twice", { training: { runs: [
                { name: "single", instanceType: "ml.m5.xlarge", instanceCount: 1 },
                { name: "single", instanceType: "ml.m5.xlarge", instanceCount: 2 },
            ] } }, `mlops:training.runs[1].name is used twice: training run names must be unique (got "single")`],
            ["a deployed run that is not a run", { training: { deployRun: "huge" } },
                `mlops:training.deployRun must name one of the training runs (single, multi) (got "huge")`],
            ["serverless and instance settings together", { endpoint: { instanceType: "ml.m5.large", serverless: { memorySizeMb: 2048, maxConcurrency: 5 } } },
                "mlops:endpoint.serverless and instance settings (endpoint.instanceType) are both given: choose a serverless or an instance variant"],
            ["a budget of zero", { budget: { monthlyUsd: 0 } }, "mlops:budget.monthlyUsd must be > 0 (got 0)"],
            ["a negative budget", { budget: { monthlyUsd: -5 } }, "mlops:budget.monthlyUsd must be > 0 (got -5)"],
            ["a spot wait shorter than the runtime", { training: { maxRuntimeMinutes: 120, maxWaitMinutes: 60 } },
                "mlops:training.maxWaitMinutes must be >= training.maxRuntimeMinutes with spot training (got 60 < 120)"],
            ["a create timeout shorter than the job", { training: { createTimeoutMinutes: 100 } },
                "mlops:training.createTimeoutMinutes must be >= the longest a job may take (maxWaitMinutes) or pulumi up gives up on a healthy job (got 100 < 240)"],
            ["serverless memory off the 1 GB steps", { endpoint: { serverless: { memorySizeMb: 1500 } } },
                "mlops:endpoint.serverless.memorySizeMb must be a multiple of 1024 between 1024 and 6144 (got 1500)"],
            ["canary traffic on a serverless endpoint", { endpoint: { serverless: {}, trafficShift: "CANARY" } },
                `mlops:endpoint.trafficShift must be ALL_AT_ONCE for a serverless endpoint (SageMaker shifts serverless traffic at once) (got "CANARY")`],
            ["provisioned above reserved concurrency", { lambda: { reservedConcurrency: 2, provisionedConcurrency: 3 } },
                "mlops:lambda.provisionedConcurrency must be <= lambda.reservedConcurrency (got 3 > 2)"],
            ["CORS open to everyone", { lambda: { corsAllowOrigin: "*" } },
                `mlops:lambda.corsAllowOrigin must be one https origin like https://app.example.com ('*' is refused: CORS must name who may call) (got "*")`],
            ["a notebook without internet and without a subnet", { notebook: { directInternetAccess: false } },
                "mlops:notebook.subnetId and mlops:notebook.vpcId are required when notebook.directInternetAccess is false (a notebook without direct internet lives in a VPC subnet)"],
            ["a malformed subnet id", { notebook: { vpcId: "vpc-0123456789abcdef0", subnetId: "subnet-xyz" } },
                `mlops:notebook.subnetId must be a subnet id like subnet-0123456789abcdef0 (got "subnet-xyz")`],
            ["a number given as text", { endpoint: { maxInstances: "four" } }, `mlops:endpoint.maxInstances must be a number (got "four")`],
            ["a misspelt key", { endpoint: { maxInstance: 4 } }, "mlops:endpoint.maxInstance is not a known setting (known: canaryPercent, errorAlarmCount, instanceType, latencyAlarmMs, maxInstances, minInstances, scaleInCooldownSeconds, scaleOutCooldownSeconds, targetInvocationsPerInstance, terminationWaitSeconds, trafficShift, waitIntervalSeconds)"],
            ["an unknown section", { endpiont: {} }, "mlops:endpiont is not a known setting (known: tags, kms, bucket, dataset, notebook, training, tuning, endpoint, gpuTrainer, lambda, budget)"],
            ["a reserved tag", { tags: { project: "other" } }, "mlops:tags.project is set by the program itself and cannot be overridden (reserved tags: project, stack, managed-by)"],
            ["a dataset prefix without a trailing slash", { dataset: { prefix: "datasets/dogImages" } },
                `mlops:dataset.prefix must be an S3 key prefix without a leading '/' that ends with '/' (got "datasets/dogImages")`],
        ];
        for (const [what, raw, expected] of cases) {
            it(what, () => assertProblem(raw, expected));
        }
    });

    it("reports every problem at once", () => {
        const problems = problemsOf({ endpoint: { minInstances: 0 }, budget: { monthlyUsd: 0 }, tuning: { batchSizes: [] } });
        assert.strictEqual(problems.length, 3, problems.join("\n"));
    });

    it("accepts a serverless endpoint", () => {
        const c = parseStackConfig({ endpoint: { serverless: { memorySizeMb: 3072, maxConcurrency: 10 } } }, ctx);
        assert.deepStrictEqual(c.endpoint.variant, { kind: "serverless", memorySizeMb: 3072, maxConcurrency: 10 });
    });

    it("rejects a stack name too long for job names", () => {
        assert.throws(() => parseStackConfig({}, { stack: "a-very-long-stack-name", region: "us-east-1" }),
            /stack name "a-very-long-stack-name" must be 1-12 lowercase letters/);
    });

    it("keeps the committed dev and prod stack files valid", () => {
        for (const stack of ["dev", "prod"]) {
            const flat = loadStackConfig(stack);
            const c = parseStackConfig(projectConfig(flat), { stack, region: flat["aws:region"] });
            assert.strictEqual(c.stack, stack);
        }
    });

    it("fails the program at preview with the message, before any resource is created", async () => {
        await assert.rejects(runStack("dev", { "mlops:endpoint": { minInstances: 2, maxInstances: 1 } }),
            (e: Error) => /mlops:endpoint\.maxInstances must be >= endpoint\.minInstances \(got 1 < 2\)/.test(String(e?.message ?? e)));
    });
});
