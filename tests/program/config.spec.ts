import * as assert from "assert";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseFlatStackConfig, parseStackConfig, projectConfig, REGIONS } from "../../config";
import { loadStackConfig } from "../../plan/stack-config";
import { runPlan } from "../plan/run-plan";
import { runStack } from "../support/program";

const ctx = { stack: "dev", region: "us-east-1" };

function problemsOf(parse: () => unknown): string[] {
    try {
        parse();
        return [];
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
        return (e).problems;
    }
}

/** The problems of the project settings `raw` (what `mlops:<key>` holds), or [] when valid. */
const problems = (raw: Record<string, unknown>) => problemsOf(() => parseStackConfig(raw, ctx));
/** The problems of a whole flat stack config (`aws:region`, `mlops:endpoint`, ... -> text). */
const flatProblems = (flat: Record<string, string>) => problemsOf(() => parseFlatStackConfig(flat, "dev"));

const TRAINING_TYPES = "ml.m5.{large,xlarge,2xlarge,4xlarge,12xlarge,24xlarge}, ml.c5.{xlarge,2xlarge,4xlarge,9xlarge,18xlarge}, " +
    "ml.g4dn.{xlarge,2xlarge,4xlarge,8xlarge,12xlarge,16xlarge}, ml.g5.{xlarge,2xlarge,4xlarge,8xlarge,12xlarge,24xlarge,48xlarge}, " +
    "ml.p3.{2xlarge,8xlarge,16xlarge}, ml.p4d.24xlarge";

describe("stack configuration", () => {
    it("defaults to the by-hand project's choices", () => {
        const c = parseStackConfig({}, ctx);
        assert.strictEqual(c.notebook.instanceType, "ml.t3.medium");
        assert.strictEqual(c.tuning.instanceType, "ml.m5.xlarge");
        assert.deepStrictEqual((c.tuning as Record<string, unknown>).learningRate, { min: 0.001, max: 0.1 });
        assert.deepStrictEqual((c.tuning as Record<string, unknown>).batchSizes, [32, 64, 128, 256, 512]);
        assert.deepStrictEqual(c.training.runs, [
            { enabled: true, name: "single", instanceType: "ml.m5.xlarge", instanceCount: 1 },
            { enabled: true, name: "multi", instanceType: "ml.m5.xlarge", instanceCount: 3 },
        ]);
        assert.deepStrictEqual(c.endpoint.variant, {
            kind: "instance", instanceType: "ml.m5.large", minInstances: 1, maxInstances: 4,
            targetInvocationsPerInstance: 5, scaleInCooldownSeconds: 30, scaleOutCooldownSeconds: 30,
        });
        assert.strictEqual(c.lambda.reservedConcurrency, 5);
        assert.strictEqual(c.gpuTrainer.instanceType, "g4dn.xlarge");
        assert.deepStrictEqual(c.training.debugger, { profilerReport: true, tensorRules: [] });
        assert.deepStrictEqual(c.tags, { project: "mlops", stack: "dev", "managed-by": "pulumi" });
        assert.strictEqual(c.namePrefix, "mlops-dev");
    });

    it("accepts numbers and booleans written as text, as `pulumi config set --path` may store them", () => {
        const c = parseStackConfig({ endpoint: { maxInstances: "6" }, training: { spot: "false" }, tuning: { learningRate: { min: "0.002" } } }, ctx);
        assert.strictEqual(c.endpoint.variant.kind === "instance" && c.endpoint.variant.maxInstances, 6);
        assert.strictEqual(c.training.spot, false);
        assert.deepStrictEqual((c.tuning as Record<string, unknown>).learningRate, { min: 0.002, max: 0.1 });
    });

    describe("refuses bad values, naming the full key, the value and what is allowed", () => {
        const cases: [string, Record<string, unknown>, string][] = [
            ["an unknown notebook instance type", { notebook: { instanceType: "ml.t3.huge" } },
                `mlops:notebook.instanceType must be one of ml.t3.{medium,large,xlarge,2xlarge}, ml.m5.{xlarge,2xlarge,4xlarge}, ml.c5.{xlarge,2xlarge}, ml.g4dn.{xlarge,2xlarge}, ml.g5.{xlarge,2xlarge} (got "ml.t3.huge")`],
            ["a training instance type without its ml. prefix", { training: { runs: [{ name: "single", instanceType: "m5.xlarge", instanceCount: 1 }] } },
                `mlops:training.runs[0].instanceType must be one of ${TRAINING_TYPES} (got "m5.xlarge"); did you mean ml.m5.xlarge?`],
            ["a notebook type for tuning", { tuning: { instanceType: "ml.t3.medium" } },
                `mlops:tuning.instanceType must be one of ${TRAINING_TYPES} (got "ml.t3.medium")`],
            ["a burstable endpoint type", { endpoint: { instanceType: "ml.t2.medium" } },
                `mlops:endpoint.instanceType must be one of ml.m5.{large,xlarge,2xlarge,4xlarge}, ml.c5.{large,xlarge,2xlarge,4xlarge}, ml.g4dn.{xlarge,2xlarge}, ml.g5.{xlarge,2xlarge}, ml.p3.2xlarge, ml.p4d.24xlarge (got "ml.t2.medium")`],
            ["a CPU EC2 type for the GPU trainer", { gpuTrainer: { instanceType: "t2.micro" } },
                `mlops:gpuTrainer.instanceType must be one of g4dn.{xlarge,2xlarge,4xlarge,8xlarge,12xlarge}, g5.{xlarge,2xlarge,4xlarge,8xlarge,12xlarge}, g6.{xlarge,2xlarge}, p3.{2xlarge,8xlarge} (got "t2.micro")`],
            ["an instance count below 1", { training: { runs: [{ name: "single", instanceType: "ml.m5.xlarge", instanceCount: 0 }] } },
                "mlops:training.runs[0].instanceCount must be a whole number from 1 to 20 (got 0)"],
            ["min instances below 1", { endpoint: { minInstances: 0, maxInstances: 2 } }, "mlops:endpoint.minInstances must be a whole number >= 1 (got 0)"],
            ["max instances below min", { endpoint: { minInstances: 3, maxInstances: 2 } }, "mlops:endpoint.maxInstances must be >= endpoint.minInstances (got 2 < 3)"],
            ["max tuning jobs below 1", { tuning: { maxJobs: 0, maxParallelJobs: 1 } }, "mlops:tuning.maxJobs must be a whole number from 1 to 500 (got 0)"],
            ["more parallel tuning jobs than jobs", { tuning: { maxJobs: 2, maxParallelJobs: 3 } }, "mlops:tuning.maxParallelJobs must be <= tuning.maxJobs (got 3 > 2)"],
            ["a negative scale-in cooldown", { endpoint: { scaleInCooldownSeconds: -1 } }, "mlops:endpoint.scaleInCooldownSeconds must be a whole number >= 0 (got -1)"],
            ["a negative scale-out cooldown", { endpoint: { scaleOutCooldownSeconds: -30 } }, "mlops:endpoint.scaleOutCooldownSeconds must be a whole number >= 0 (got -30)"],
            ["an inverted learning-rate range", { tuning: { learningRate: { min: 0.1, max: 0.001 } } },
                "mlops:tuning.learningRate.max must be > tuning.learningRate.min (got 0.001 <= 0.1)"],
            ["a learning rate outside the hyperparameter's own range", { tuning: { learningRate: { max: 2 } } },
                "mlops:tuning.learningRate.max must be a number > 0 and <= 1 (got 2)"],
            ["an empty batch-size list", { tuning: { batchSizes: [] } },
                "mlops:tuning.batchSizes must be a non-empty list of distinct values, each a whole number from 1 to 4096 (got [])"],
            ["a batch size given twice", { tuning: { batchSizes: [32, 64, 32] } }, "mlops:tuning.batchSizes[2] repeats 32: every value may appear once"],
            ["a training run name used twice", { training: { runs: [
                { name: "single", instanceType: "ml.m5.xlarge", instanceCount: 1 },
                { name: "single", instanceType: "ml.m5.xlarge", instanceCount: 2 },
            ] } }, `mlops:training.runs[1].name is used twice: training run names must be unique (got "single")`],
            ["a training run without a name", { training: { runs: [{ instanceCount: 1 }] } },
                "mlops:training.runs[0].name is required: 1-20 lowercase letters, digits and single '-' (it goes into the job name)"],
            ["no training runs", { training: { runs: [] } }, "mlops:training.runs must be a non-empty list of runs (got [])"],
            ["a deployed run that is not a run", { training: { deployRun: "huge" } },
                `mlops:training.deployRun must name one of the training runs (single, multi) (got "huge")`],
            ["serverless and instance settings together", { endpoint: { instanceType: "ml.m5.large", serverless: { memorySizeMb: 2048, maxConcurrency: 5 } } },
                `mlops:endpoint.instanceType cannot be set together with mlops:endpoint.serverless: choose a serverless or an instance variant and remove the other's settings (got "ml.m5.large")`],
            ["a budget of zero", { budget: { monthlyUsd: 0 } }, "mlops:budget.monthlyUsd must be a number > 0 (got 0)"],
            ["a negative budget", { budget: { monthlyUsd: -5 } }, "mlops:budget.monthlyUsd must be a number > 0 (got -5)"],
            ["an alert address that is not one", { budget: { alertEmails: ["ops@example.com", "ops"] } }, `mlops:budget.alertEmails[1] must be an email address (got "ops")`],
            ["a spot wait shorter than the runtime", { training: { maxRuntimeMinutes: 120, maxWaitMinutes: 60 } },
                "mlops:training.maxWaitMinutes must be >= training.maxRuntimeMinutes with spot training (got 60 < 120)"],
            ["a create timeout shorter than the job", { training: { createTimeoutMinutes: 100 } },
                "mlops:training.createTimeoutMinutes must be >= the longest a job may take (maxWaitMinutes) or pulumi up gives up on a healthy job (got 100 < 240)"],
            ["serverless memory off the 1 GB steps", { endpoint: { serverless: { memorySizeMb: 1500 } } },
                "mlops:endpoint.serverless.memorySizeMb must be a multiple of 1024 from 1024 to 6144 (got 1500)"],
            ["canary traffic on a serverless endpoint", { endpoint: { serverless: {}, trafficShift: "CANARY" } },
                `mlops:endpoint.trafficShift must be ALL_AT_ONCE for a serverless endpoint (SageMaker shifts serverless traffic at once) (got "CANARY")`],
            ["provisioned above reserved concurrency", { lambda: { reservedConcurrency: 2, provisionedConcurrency: 3 } },
                "mlops:lambda.provisionedConcurrency must be <= lambda.reservedConcurrency (got 3 > 2)"],
            ["a log retention CloudWatch does not offer", { lambda: { logRetentionDays: 31 } },
                "mlops:lambda.logRetentionDays must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (got 31)"],
            ["CORS open to everyone", { lambda: { url: { enabled: true, allowOrigins: ["*"] } } },
                `mlops:lambda.url.allowOrigins[0] must be an https origin like https://app.example.com ('*' is refused: CORS must name who may call) (got "*")`],
            ["CORS origins without a front door", { lambda: { url: { allowOrigins: ["https://app.example.com"] } } },
                `mlops:lambda.url.allowOrigins has no effect unless lambda.url.enabled is true: there is no URL to call (got ["https://app.example.com"])`],
            ["CORS credentials for no named origin", { lambda: { url: { enabled: true, allowCredentials: true } } },
                "mlops:lambda.url.allowCredentials needs at least one origin in lambda.url.allowOrigins: credentials are only ever allowed for named origins"],
            ["the former one-origin CORS key", { lambda: { corsAllowOrigin: "https://app.example.com" } },
                "mlops:lambda.corsAllowOrigin is not a known setting (known here: enabled, memoryMb, timeoutSeconds, reservedConcurrency, provisionedConcurrency, logRetentionDays, url, allowHttpUrls, xrayTracing)"],
            ["an accuracy bar above 1", { endpoint: { minTestAccuracy: 80 } }, "mlops:endpoint.minTestAccuracy must be a number from 0 to 1 (got 80)"],
            ["progress lines less often than hourly", { tuning: { progressMinutes: 90 } }, "mlops:tuning.progressMinutes must be a whole number from 1 to 60 (got 90)"],
            ["a notebook without internet and without a subnet", { notebook: { directInternetAccess: false } },
                "mlops:notebook.subnetId and mlops:notebook.vpcId are required when notebook.directInternetAccess is false (a notebook without direct internet lives in a VPC subnet)"],
            ["a malformed subnet id", { notebook: { vpcId: "vpc-0123456789abcdef0", subnetId: "subnet-xyz" } },
                `mlops:notebook.subnetId must be a subnet id like subnet-0123456789abcdef0 (got "subnet-xyz")`],
            ["a VPC without its subnet", { gpuTrainer: { vpcId: "vpc-0123456789abcdef0" } }, "mlops:gpuTrainer.vpcId and gpuTrainer.subnetId must be given together"],
            ["a number given as text", { endpoint: { maxInstances: "four" } }, `mlops:endpoint.maxInstances must be a whole number >= 1 (got "four")`],
            ["a boolean given as text", { training: { spot: "yes" } }, `mlops:training.spot must be true or false (got "yes")`],
            ["a section given as a value", { kms: true }, "mlops:kms must be an object (got true)"],
            ["a misspelt key", { endpoint: { maxInstance: 4 } }, "mlops:endpoint.maxInstance is not a known setting; did you mean mlops:endpoint.maxInstances?"],
            ["a key nothing resembles", { training: { hyperparameters: { optimizer: "sgd" } } },
                "mlops:training.hyperparameters.optimizer is not a known setting (known here: epochs, batchSize, learningRate, arch, imageSize, pretrained, patience, seed)"],
            ["a misspelt section", { endpiont: {} }, "mlops:endpiont is not a known setting; did you mean mlops:endpoint?"],
            ["a reserved tag", { tags: { project: "other" } }, "mlops:tags.project is set by the program itself and cannot be overridden (reserved tags: project, stack, managed-by)"],
            ["a tag key AWS refuses", { tags: { "cost*center": "x" } }, `mlops:tags has an invalid key "cost*center": keys must be 1-128 letters, digits, spaces and _.:/=+-@`],
            ["a tag value that is not text", { tags: { costCenter: 1234 } }, "mlops:tags.costCenter must be a string of at most 256 characters (got 1234)"],
            ["a dataset prefix without a trailing slash", { dataset: { prefix: "datasets/dogImages" } },
                `mlops:dataset.prefix must be an S3 key prefix without a leading '/' that ends with '/' (got "datasets/dogImages")`],
            ["the former Debugger switch", { training: { debugger: true } },
                "mlops:training.debugger must be an object with profilerReport and tensorRules (the former true/false switch is now training.debugger.profilerReport) (got true)"],
            ["a tensor rule Debugger does not have", { training: { debugger: { tensorRules: ["Underfit"] } } },
                `mlops:training.debugger.tensorRules[0] must be one of VanishingGradient, Overfit, Overtraining, PoorWeightInitialization (got "Underfit")`],
        ];
        for (const [what, raw, expected] of cases) {
            it(what, () => assert.deepStrictEqual(problems(raw), [expected]));
        }
    });

    describe("Debugger: only what the training image can feed", () => {
        it("refuses tensor rules with a PyTorch 2 image, naming training.frameworkVersion", () => {
            assert.deepStrictEqual(problems({ training: { debugger: { tensorRules: ["Overfit", "VanishingGradient"] } } }), [
                "mlops:training.debugger.tensorRules cannot get tensors from the PyTorch 2.5.1 image set by training.frameworkVersion: " +
                "it has no smdebug (only 1.12 and older images do), so the rules would run on no data; remove them " +
                `(the profiler report needs no hook) (got ["Overfit","VanishingGradient"])`,
            ]);
        });

        it("accepts tensor rules with an image that has smdebug", () => {
            const c = parseStackConfig({ training: { frameworkVersion: "1.12.1", pyVersion: "py38", debugger: { tensorRules: ["Overfit"] } } }, ctx);
            assert.deepStrictEqual(c.training.debugger, { profilerReport: true, tensorRules: ["Overfit"] });
        });

        it("refuses Debugger rules where AWS publishes no rule image, and allows turning them off there", () => {
            const where = { stack: "dev", region: "ap-southeast-5" };
            assert.deepStrictEqual(problemsOf(() => parseStackConfig({}, where)), [
                "mlops:training.debugger.profilerReport needs SageMaker Debugger's rule image, which AWS does not publish in ap-southeast-5 " +
                "(it does in ap-east-1, ap-northeast-1, ap-northeast-2, ap-south-1, ap-southeast-1, ap-southeast-2, ca-central-1, cn-north-1, " +
                "cn-northwest-1, eu-central-1, eu-north-1, eu-west-1, eu-west-2, eu-west-3, me-south-1, sa-east-1, us-east-1, us-east-2, us-west-1, " +
                "us-west-2): set training.debugger.profilerReport to false and leave training.debugger.tensorRules empty there",
            ]);
            assert.strictEqual(parseStackConfig({ training: { debugger: { profilerReport: false } } }, where).region, "ap-southeast-5");
        });
    });

    describe("batch sizes are global: at least one sample per training process", () => {
        const gpuRuns = { runs: [{ name: "big", instanceType: "ml.g5.12xlarge", instanceCount: 2 }], deployRun: "big" };

        it("counts one process per GPU (2 x ml.g5.12xlarge = 8) for every tunable batch size", () => {
            assert.deepStrictEqual(problems({ training: gpuRuns, tuning: { batchSizes: [4, 8, 64] } }), [
                "mlops:tuning.batchSizes must all be >= 8: the batch size is global, split over every training process, and the 8 processes " +
                "of run big (2 x ml.g5.12xlarge, 4 per host) each need at least one sample (got 4 in [4,8,64])",
            ]);
            assert.deepStrictEqual(problems({ training: gpuRuns, tuning: { batchSizes: [8, 64] } }), []);
        });

        it("counts one process per CPU host for the configured batch size when tuning is off", () => {
            assert.deepStrictEqual(problems({ tuning: { enabled: false }, training: { hyperparameters: { batchSize: 2 } } }), [
                "mlops:training.hyperparameters.batchSize must be >= 3: the batch size is global, split over every training process, and the 3 " +
                "processes of run multi (3 x ml.m5.xlarge, 1 per host) each need at least one sample (got 2)",
            ]);
            assert.deepStrictEqual(problems({ tuning: { enabled: false }, training: { hyperparameters: { batchSize: 3 } } }), []);
        });

        it("counts the tuning trials' processes too (one multi-GPU host)", () => {
            const raw = { training: { runs: [{ name: "one", instanceCount: 1 }], deployRun: "one" }, tuning: { instanceType: "ml.p3.16xlarge", batchSizes: [4, 16] } };
            assert.deepStrictEqual(problems(raw), [
                "mlops:tuning.batchSizes must all be >= 8: the batch size is global, split over every training process, and the 8 processes " +
                "of the tuning trials (1 x ml.p3.16xlarge, 8 per host) each need at least one sample (got 4 in [4,16])",
            ]);
        });
    });

    describe("reports each mistake once, never a follow-on", () => {
        it("skips a rule whose keys are wrong themselves", () => {
            assert.deepStrictEqual(problems({ endpoint: { minInstances: "one", maxInstances: 0 } }), [
                `mlops:endpoint.minInstances must be a whole number >= 1 (got "one")`,
                "mlops:endpoint.maxInstances must be a whole number >= 1 (got 0)",
            ]);
            assert.deepStrictEqual(problems({ training: { maxRuntimeMinutes: "long" } }), [
                `mlops:training.maxRuntimeMinutes must be a whole number from 1 to 40320 (got "long")`,
            ]);
            assert.deepStrictEqual(problems({ endpoint: 5 }), ["mlops:endpoint must be an object (got 5)"]);
        });

        it("does not report a misspelt aws:region as missing too", () => {
            assert.deepStrictEqual(flatProblems({ "aws:regoin": "us-east-1" }), ["aws:regoin is not a setting of the AWS provider; did you mean aws:region?"]);
        });
    });

    describe("keys outside the project's settings", () => {
        it("answers a flat key (pulumi config set without --path) with the --path command", () => {
            assert.deepStrictEqual(flatProblems({ "aws:region": "us-east-1", "mlops:endpoint.maxInstances": "6" }), [
                "mlops:endpoint.maxInstances is one flat key, so the program never reads it: `pulumi config set` without --path wrote it. " +
                "Replace it with the nested setting: `pulumi config rm 'mlops:endpoint.maxInstances'` then `pulumi config set --path 'mlops:endpoint.maxInstances' 6`",
            ]);
        });

        it("names the closest namespace for an unknown one", () => {
            assert.deepStrictEqual(flatProblems({ "aws:region": "us-east-1", "mlop:training": JSON.stringify({ spot: false }) }), [
                `mlop:training is not read by this program: its namespace "mlop" is unknown; did you mean mlops:training?`,
            ]);
            assert.deepStrictEqual(flatProblems({ "aws:region": "us-east-1", "random:length": "8" }), [
                `random:length is not read by this program: its namespace "random" is unknown (namespaces: mlops, aws)`,
            ]);
        });

        it("checks aws: keys against the provider's own settings, and leaves pulumi: keys to the engine", () => {
            assert.deepStrictEqual(flatProblems({ "aws:region": "us-east-1", "aws:profil": "ml" }), ["aws:profil is not a setting of the AWS provider; did you mean aws:profile?"]);
            assert.deepStrictEqual(flatProblems({ "aws:region": "us-east-1", "aws:profile": "ml", "aws:skipMetadataApiCheck": "false", "pulumi:disable-default-providers": `["*"]` }), []);
            assert.deepStrictEqual(flatProblems({ "aws:region": "us-east-1", "aws:defaultTags": JSON.stringify({ tags: { team: "ml" } }) }), [
                `aws:defaultTags is not used: this program's AWS provider tags every resource itself; put your tags under mlops:tags (got "{\\"tags\\":{\\"team\\":\\"ml\\"}}")`,
            ]);
        });

        it("checks the region against the regions @pulumi/aws knows, and requires one", () => {
            const [problem] = flatProblems({ "aws:region": "us-east1" });
            assert.strictEqual(problem, `aws:region must be one of the regions @pulumi/aws knows (${Object.values(aws.Region).join(", ")}) (got "us-east1"); did you mean us-east-1?`);
            assert.deepStrictEqual(REGIONS, Object.values(aws.Region));
            assert.ok(REGIONS.includes(aws.Region.EUWest1) && REGIONS.includes(aws.Region.APSoutheast5));
            assert.deepStrictEqual(flatProblems({}), ["aws:region is required: run `pulumi config set aws:region us-east-1` (or your region)"]);
        });

        it("rejects a stack name too long for job names", () => {
            assert.deepStrictEqual(problemsOf(() => parseStackConfig({}, { stack: "a-very-long-stack-name", region: "us-east-1" })), [
                `stack name must be 1-12 lowercase letters, digits or '-' (it prefixes job and bucket names, which AWS limits) (got "a-very-long-stack-name")`,
            ]);
        });
    });

    it("reports every problem at once, in the order of the keys, as one RunError (printed without a stack trace)", () => {
        let error: unknown;
        try {
            parseFlatStackConfig({
                "aws:region": "us-east-1",
                "mlops:endpoint": JSON.stringify({ minInstances: 0, maxInstance: 3 }),
                "mlops:budget": JSON.stringify({ monthlyUsd: "a lot" }),
                "mlops:tuning": JSON.stringify({ batchSizes: [] }),
            }, "dev");
        } catch (e) {
            error = e;
        }
        assert.ok(pulumi.RunError.isInstance(error), "pulumi preview prints a RunError's message alone");
        assert.strictEqual((error).message, [
            "invalid configuration of stack dev (4 problems):",
            "  - mlops:tuning.batchSizes must be a non-empty list of distinct values, each a whole number from 1 to 4096 (got [])",
            "  - mlops:endpoint.maxInstance is not a known setting; did you mean mlops:endpoint.maxInstances?",
            "  - mlops:endpoint.minInstances must be a whole number >= 1 (got 0)",
            `  - mlops:budget.monthlyUsd must be a number > 0 (got "a lot")`,
        ].join("\n"));
    });

    it("keeps the committed dev and prod stack files valid", () => {
        for (const stack of ["dev", "prod"]) {
            const flat = loadStackConfig(stack);
            assert.strictEqual(parseFlatStackConfig(flat, stack).stack, stack);
            assert.strictEqual(parseStackConfig(projectConfig(flat), { stack, region: flat["aws:region"] }).stack, stack);
        }
    });

    it("fails the program at preview with the message, before any resource is created", async () => {
        await assert.rejects(runStack("dev", { "mlops:endpoint": { minInstances: 3, maxInstances: 2 } }),
            (e: Error) => /mlops:endpoint\.maxInstances must be >= endpoint\.minInstances \(got 2 < 3\)/.test(String(e?.message ?? e)));
    });

    it("fails the offline plan with every problem of a new user's stack file and no stack trace", async () => {
        const program = path.join("tests", "program", "fixtures", "bad-config", "index.ts");
        const run = await runPlan(["--stack", "typos", "--program", program, "--policy-config", path.join("policies", "config", "dev.json")]);
        assert.strictEqual(run.code, 3);
        assert.strictEqual(run.stdout, "");
        assert.strictEqual(run.stderr, [
            "error: the plan could not run: invalid configuration of stack typos (4 problems):",
            `  - aws:region must be one of the regions @pulumi/aws knows (${REGIONS.join(", ")}) (got "us-east1"); did you mean us-east-1?`,
            "  - mlops:endpoint.maxInstances is one flat key, so the program never reads it: `pulumi config set` without --path wrote it. " +
            "Replace it with the nested setting: `pulumi config rm 'mlops:endpoint.maxInstances'` then `pulumi config set --path 'mlops:endpoint.maxInstances' 6`",
            `  - mlops:notebook.idleMinutes must be a whole number from 5 to 1440 (got "an hour")`,
            "  - mlops:endpoint.maxInstance is not a known setting; did you mean mlops:endpoint.maxInstances?",
            "",
        ].join("\n"));
        assert.doesNotMatch(run.stderr, /^\s+at /m, "no JavaScript stack trace");
    });
});
