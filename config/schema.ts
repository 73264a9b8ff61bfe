import * as aws from "@pulumi/aws";
import { z } from "zod";
import { imageFeedsTensorRules, LAST_PYTORCH_WITH_SMDEBUG, RULE_IMAGE_REGIONS, TENSOR_RULES } from "../components/debugger";
import { compactTypes, decimal, distinctList, DOCS, documented, flag, integer, oneOf, oneOfNumbers, section, SENTENCE, steps, text } from "./fields";
import { hyperparameter, hyperparameterField, hyperparametersSection, tuningKey, tuningRangeFields } from "./hyperparameters";
import { INSTANCE_TYPES, InstanceKind, processesPerHost } from "./instance-types";
import { rule, RULE_DOCS } from "./rules";

/**
 * The stack configuration, declared once: every key's type, default, allowed values and the
 * rules between keys. The typed config the program uses is inferred from it, the configuration
 * reference (docs/configuration.md) is generated from it, and its failures become the messages
 * of config/errors.ts.
 */

export const PROJECT = "mlops";

/** Tags the program puts on every resource itself; `mlops:tags` cannot override them. */
export const programTags = (stack: string) => ({ project: PROJECT, stack, "managed-by": "pulumi" });
export const PROGRAM_TAGS = Object.keys(programTags(""));

const instanceType = (kind: InstanceKind, description?: string) =>
    oneOf(INSTANCE_TYPES[kind] as unknown as [string, ...string[]], description, `one of ${compactTypes(INSTANCE_TYPES[kind])}`);
const vpcId = (description: string) => text(/^vpc-[0-9a-f]{8,17}$/, "a VPC id like vpc-0123456789abcdef0", description);
const subnetId = (description: string) => text(/^subnet-[0-9a-f]{8,17}$/, "a subnet id like subnet-0123456789abcdef0", description);

const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

const tags = documented(z.record(
    z.string()
        .regex(/^[\w .:/=+\-@]{1,128}$/, { error: "1-128 letters, digits, spaces and _.:/=+-@" })
        .refine(key => !PROGRAM_TAGS.includes(key), {
            error: `is set by the program itself and cannot be overridden (reserved tags: ${PROGRAM_TAGS.join(", ")})`,
            params: SENTENCE,
        }),
    documented(z.string().max(256), { allowed: "a string of at most 256 characters" }),
), {
    allowed: `tag keys (1-128 letters, digits, spaces and _.:/=+-@; not ${PROGRAM_TAGS.join(", ")}) with string values of at most 256 characters`,
    description: `added to the tags every resource carries (${PROGRAM_TAGS.join(", ")}, set by the program)`,
});

const kms = section({
    enabled: flag("a customer-managed KMS key for the bucket, volumes, endpoint storage, logs and the Lambda environment").default(false),
    deletionWindowDays: integer({ min: 7, max: 30 }, "days a deleted key waits before it is gone").default(30),
});

const bucket = section({
    forceDestroy: flag("let `pulumi destroy` delete a bucket that still holds objects").default(false),
    noncurrentVersionDays: integer({ min: 1 }, "days before noncurrent object versions expire").default(30),
});

const dataset = section({
    prefix: text(/^(?!\/)[A-Za-z0-9!_.*'()\-/]+\/$/, "an S3 key prefix without a leading '/' that ends with '/'",
        "where the dataset's train/ valid/ test/ folders live in the bucket").default("datasets/dogImages/"),
});

const notebook = section({
    enabled: flag("create the SageMaker notebook").default(true),
    instanceType: instanceType("notebook", "the notebook instance").default("ml.t3.medium"),
    idleMinutes: integer({ min: 5, max: 1440 }, "the notebook stops itself after this many idle minutes").default(60),
    volumeSizeGb: integer({ min: 5, max: 16384 }, "the notebook's ML storage volume, GB").default(5),
    directInternetAccess: flag("off: the notebook lives in `subnetId` and reaches AWS through the VPC").default(true),
    vpcId: vpcId("the notebook's VPC (with `subnetId`)").optional(),
    subnetId: subnetId("the notebook's subnet (with `vpcId`)").optional(),
})
    .superRefine(...rule<{ directInternetAccess: boolean; vpcId?: string; subnetId?: string }>(["directInternetAccess", "vpcId", "subnetId"],
        "`notebook.vpcId` and `notebook.subnetId` are required when `notebook.directInternetAccess` is false",
        (n, report) => {
            if (!n.directInternetAccess && (!n.subnetId || !n.vpcId)) {
                report("subnetId", `and ${PROJECT}:notebook.vpcId are required when notebook.directInternetAccess is false (a notebook without direct internet lives in a VPC subnet)`);
            }
        }))
    .superRefine(...rule<{ vpcId?: string; subnetId?: string }>(["vpcId", "subnetId"], "`notebook.vpcId` and `notebook.subnetId` are given together",
        (n, report) => {
            if ((n.subnetId === undefined) !== (n.vpcId === undefined)) report("vpcId", "and notebook.subnetId must be given together");
        }));

const run = section({
    enabled: flag("off: the run is not trained (its job is not created); it cannot then be `training.deployRun` of an enabled endpoint").default(true),
    name: text(/^(?=.{1,20}$)[a-z0-9](-?[a-z0-9])*$/, "1-20 lowercase letters, digits and single '-' (it goes into the job name)", "the run's name: the job is `<prefix>-<name>-<hash of its spec>`"),
    instanceType: instanceType("training", "the run's instance type; GPU types run one training process per GPU").default("ml.m5.xlarge"),
    instanceCount: integer({ min: 1, max: 20 }, "> 1 trains data-parallel across hosts").default(1),
});

const debuggerSection = section({
    profilerReport: flag("SageMaker's system profiler and its ProfilerReport rule (CPU, GPU, I/O bottlenecks); works with every image").default(true),
    tensorRules: distinctList(oneOf(TENSOR_RULES), `a list of ${TENSOR_RULES.join(", ")}`, {
        nonEmpty: false,
        description: `Debugger's built-in tensor rules; they need smdebug in the training image, which only PyTorch ${LAST_PYTORCH_WITH_SMDEBUG} and older have`,
    }).prefault([]),
}, "SageMaker Debugger: only what the training image can feed");
DOCS.add(debuggerSection, {
    ...DOCS.get(debuggerSection),
    // Stacks written for the former on/off switch get told where it went.
    allowed: "an object with profilerReport and tensorRules (the former true/false switch is now training.debugger.profilerReport)",
});

interface Timing { spot: boolean; maxRuntimeMinutes: number; maxWaitMinutes: number; createTimeoutMinutes: number }
interface Run { enabled: boolean; name: string; instanceType: string; instanceCount: number }

const training = section({
    frameworkVersion: text(/^\d+\.\d+(\.\d+)?$/, "a PyTorch version like 2.5.1", "PyTorch version of the AWS training and inference images").default("2.5.1"),
    pyVersion: text(/^py3\d{1,2}$/, "a Python tag like py311", "Python tag of those images").default("py311"),
    hyperparameters: hyperparametersSection().prefault({}),
    spot: flag("managed spot training, with checkpoints so an interruption loses at most an epoch").default(true),
    maxRuntimeMinutes: integer({ min: 1, max: 40320 }, "a training job (and each tuning trial) is stopped after this long").default(120),
    maxWaitMinutes: integer({ min: 1, max: 40320 }, "spot only: total time including waiting for capacity").default(240),
    createTimeoutMinutes: integer({ min: 10 }, "how long `pulumi up` waits for a training job").default(300),
    volumeSizeGb: integer({ min: 1, max: 16384 }, "each training host's volume, GB").default(30),
    debugger: debuggerSection.prefault({}),
    runs: documented(z.array(run).min(1), { allowed: "a non-empty list of runs", description: "the training runs; each is one SageMaker training job" })
        .prefault([{ name: "single" }, { name: "multi", instanceCount: 3 }]),
    deployRun: text(/^.+$/, "the name of one training run", "the run whose model the endpoint serves").default("single"),
})
    .superRefine(...rule<Timing>(["spot", "maxWaitMinutes", "maxRuntimeMinutes"],
        "`training.maxWaitMinutes` >= `training.maxRuntimeMinutes` with spot training",
        (t, report) => {
            if (t.spot && t.maxWaitMinutes < t.maxRuntimeMinutes) {
                report("maxWaitMinutes", `must be >= training.maxRuntimeMinutes with spot training (got ${t.maxWaitMinutes} < ${t.maxRuntimeMinutes})`);
            }
        }))
    .superRefine(...rule<Timing>(["spot", "maxWaitMinutes", "maxRuntimeMinutes", "createTimeoutMinutes"],
        "`training.createTimeoutMinutes` >= the longest a job may take (`maxWaitMinutes` with spot, else `maxRuntimeMinutes`)",
        (t, report) => {
            const longest = t.spot ? t.maxWaitMinutes : t.maxRuntimeMinutes;
            if (t.createTimeoutMinutes < longest) {
                report("createTimeoutMinutes", `must be >= the longest a job may take (${t.spot ? "maxWaitMinutes" : "maxRuntimeMinutes"}) or pulumi up gives up on a healthy job (got ${t.createTimeoutMinutes} < ${longest})`);
            }
        }))
    .superRefine(...rule<{ runs: Run[] }>(["runs"], "`training.runs[].name` values are unique", (t, report) => {
        const seen = new Set<string>();
        t.runs.forEach((r, i) => {
            if (seen.has(r.name)) report(["runs", i, "name"], `is used twice: training run names must be unique (got "${r.name}")`);
            seen.add(r.name);
        });
    }))
    .superRefine(...rule<{ runs: Run[]; deployRun: string }>(["runs", "deployRun"], "`training.deployRun` names one of `training.runs`", (t, report) => {
        if (!t.runs.some(r => r.name === t.deployRun)) {
            report("deployRun", `must name one of the training runs (${t.runs.map(r => r.name).join(", ")}) (got "${t.deployRun}")`);
        }
    }))
    .superRefine(...rule<{ frameworkVersion: string; debugger: { tensorRules: string[] } }>(["frameworkVersion", "debugger.tensorRules"],
        `\`training.debugger.tensorRules\` only with a \`training.frameworkVersion\` whose image has smdebug (${LAST_PYTORCH_WITH_SMDEBUG} or older)`,
        (t, report) => {
            if (t.debugger.tensorRules.length > 0 && !imageFeedsTensorRules(t.frameworkVersion)) {
                report("debugger.tensorRules", `cannot get tensors from the PyTorch ${t.frameworkVersion} image set by training.frameworkVersion: it has no smdebug ` +
                    `(only ${LAST_PYTORCH_WITH_SMDEBUG} and older images do), so the rules would run on no data; remove them ` +
                    `(the profiler report needs no hook) (got ${JSON.stringify(t.debugger.tensorRules)})`);
            }
        }));

const tuning = section({
    enabled: flag("run the hyperparameter tuning job; the training runs then use its best values").default(true),
    instanceType: instanceType("training", "one instance per trial").default("ml.m5.xlarge"),
    maxJobs: integer({ min: 1, max: 500 }, "trials in total").default(2),
    maxParallelJobs: integer({ min: 1, max: 100 }, "trials at a time").default(2),
    strategy: oneOf(["Bayesian", "Random"], "how the tuner picks the next trial").default("Bayesian"),
    ...tuningRangeFields(),
    waitTimeoutMinutes: integer({ min: 10 }, "how long `pulumi up` waits for the tuning result").default(600),
    progressMinutes: integer({ min: 1, max: 60 }, "while `pulumi up` waits for tuning, a line with trials completed of total and the best objective so far every this many minutes").default(5),
})
    .superRefine(...rule<{ maxJobs: number; maxParallelJobs: number }>(["maxJobs", "maxParallelJobs"], "`tuning.maxParallelJobs` <= `tuning.maxJobs`",
        (t, report) => {
            if (t.maxParallelJobs > t.maxJobs) report("maxParallelJobs", `must be <= tuning.maxJobs (got ${t.maxParallelJobs} > ${t.maxJobs})`);
        }));

/** Instance-variant settings of the endpoint; `endpoint.serverless` replaces all of them. */
const INSTANCE_SETTINGS = ["instanceType", "minInstances", "maxInstances", "targetInvocationsPerInstance", "scaleInCooldownSeconds", "scaleOutCooldownSeconds"];

/** An instance setting given together with `endpoint.serverless`: its own check then fails, and says so. */
export class ExcludedBy {
    constructor(readonly key: string, readonly value: unknown) {}
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const endpointSettings = section({
    enabled: flag("create the model endpoint (with its autoscaling and alarms), serving `training.deployRun`'s model").default(true),
    instanceType: instanceType("endpoint", "instance variant (no ml.t2: SageMaker cannot autoscale burstable variants)").default("ml.m5.large"),
    minInstances: integer({ min: 1 }, "autoscaling floor (and the initial count)").default(1),
    maxInstances: integer({ min: 1 }, "autoscaling ceiling").default(4),
    targetInvocationsPerInstance: decimal({ exclusiveMin: 0 }, "autoscaling target: average invocations per instance per minute").default(5),
    scaleInCooldownSeconds: integer({ min: 0 }, "autoscaling: seconds between scale-in steps").default(30),
    scaleOutCooldownSeconds: integer({ min: 0 }, "autoscaling: seconds between scale-out steps").default(30),
    serverless: section({
        memorySizeMb: steps({ min: 1024, max: 6144, step: 1024 }, "memory of the serverless variant").default(2048),
        maxConcurrency: integer({ min: 1, max: 200 }, "concurrent invocations of the serverless variant").default(5),
    }, "a serverless variant instead of instances: excludes every instance setting above").optional(),
    trafficShift: oneOf(["ALL_AT_ONCE", "CANARY", "LINEAR"], "how blue/green shifts traffic to a new fleet (serverless: ALL_AT_ONCE)").default("ALL_AT_ONCE"),
    canaryPercent: integer({ min: 1, max: 99 }, "canary size or linear step, % of capacity").default(25),
    waitIntervalSeconds: integer({ min: 0, max: 3600 }, "baking time between traffic steps, watched by the rollback alarms").default(300),
    terminationWaitSeconds: integer({ min: 0, max: 3600 }, "how long the old fleet stays after the shift, for a fast rollback").default(300),
    latencyAlarmMs: decimal({ exclusiveMin: 0 }, "roll back when model latency averages above this over a minute").default(2000),
    errorAlarmCount: integer({ min: 1 }, "roll back at this many 5XX errors in a minute").default(5),
    minTestAccuracy: decimal({ min: 0, max: 1 }, "quality gate: the endpoint serves a run's model only when the run's recorded Test Accuracy is at least this; otherwise `pulumi up` fails and the serving model stays").default(0.5),
    requireNoWorseThanServing: flag("quality gate: also require the run's Test Accuracy to be no lower than that of the model the endpoint serves now").default(false),
})
    .superRefine(...rule<{ minInstances: number; maxInstances: number }>(["minInstances", "maxInstances"], "`endpoint.maxInstances` >= `endpoint.minInstances`",
        (e, report) => {
            if (e.maxInstances < e.minInstances) report("maxInstances", `must be >= endpoint.minInstances (got ${e.maxInstances} < ${e.minInstances})`);
        }))
    .superRefine(...rule<{ serverless?: object; trafficShift: string }>(["serverless", "trafficShift"],
        "a serverless endpoint shifts traffic `ALL_AT_ONCE`",
        (e, report) => {
            if (e.serverless !== undefined && e.trafficShift !== "ALL_AT_ONCE") {
                report("trafficShift", `must be ALL_AT_ONCE for a serverless endpoint (SageMaker shifts serverless traffic at once) (got "${e.trafficShift}")`);
            }
        }))
    .transform(({
        enabled, serverless, trafficShift, canaryPercent, waitIntervalSeconds, terminationWaitSeconds, latencyAlarmMs, errorAlarmCount,
        minTestAccuracy, requireNoWorseThanServing, ...instance
    }) => ({
        enabled,
        variant: serverless !== undefined
            ? { kind: "serverless" as const, ...serverless }
            : { kind: "instance" as const, ...instance },
        trafficShift, canaryPercent, waitIntervalSeconds, terminationWaitSeconds, latencyAlarmMs, errorAlarmCount,
        minTestAccuracy, requireNoWorseThanServing,
    }));

const endpoint = z.preprocess(raw => (isObject(raw) && raw.serverless !== undefined
    ? Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, INSTANCE_SETTINGS.includes(k) && v !== undefined ? new ExcludedBy("endpoint.serverless", v) : v]))
    : raw), endpointSettings);
RULE_DOCS.push(`\`endpoint.serverless\` excludes every instance setting (${INSTANCE_SETTINGS.map(k => `\`endpoint.${k}\``).join(", ")})`);

const gpuTrainer = section({
    enabled: flag("create the one-shot EC2 GPU training run").default(true),
    instanceType: instanceType("ec2", "the EC2 GPU instance").default("g4dn.xlarge"),
    spot: flag("one-time spot (terminated on interruption; the next run resumes from S3 checkpoints)").default(true),
    rootVolumeGb: integer({ min: 75, max: 16384 }, "the Deep Learning AMI itself needs 75").default(100),
    vpcId: vpcId("with `subnetId`: a private subnet, no public IP (default VPC with a public IP otherwise)").optional(),
    subnetId: subnetId("with `vpcId`").optional(),
    epochs: hyperparameterField(hyperparameter("epochs"), "`--epochs` of the EC2 run (its other hyperparameters are the tuned or configured ones)"),
})
    .superRefine(...rule<{ vpcId?: string; subnetId?: string }>(["vpcId", "subnetId"], "`gpuTrainer.vpcId` and `gpuTrainer.subnetId` are given together",
        (g, report) => {
            if ((g.subnetId === undefined) !== (g.vpcId === undefined)) report("vpcId", "and gpuTrainer.subnetId must be given together");
        }));

const HTTPS_ORIGIN = /^https:\/\/[A-Za-z0-9.-]+(:\d+)?$/;

interface FunctionUrlSettings { enabled: boolean; allowOrigins: string[]; allowCredentials: boolean }

/** The front door: off unless enabled, and then only with AWS_IAM (SigV4-signed) requests. */
const functionUrl = section({
    enabled: flag("an HTTPS function URL in front of the inference function; every request must be SigV4-signed (AWS_IAM auth)").default(false),
    allowOrigins: distinctList(text(HTTPS_ORIGIN, "an https origin like https://app.example.com ('*' is refused: CORS must name who may call)"),
        "a list of https origins like https://app.example.com ('*' is refused)", {
            nonEmpty: false,
            description: "browser origins allowed to call the URL (CORS, answered by Lambda); none: no CORS at all",
        }).prefault([]),
    allowCredentials: flag("CORS: let browsers send credentials (cookies, Authorization) from the allowed origins").default(false),
    maxAgeSeconds: integer({ min: 0, max: 86400 }, "CORS: how long browsers may cache a preflight answer").default(300),
}, "the inference function's front door (docs/lambda.md)")
    .superRefine(...rule<FunctionUrlSettings>(["enabled", "allowOrigins", "allowCredentials"],
        "`lambda.url.allowOrigins` and `lambda.url.allowCredentials` only with `lambda.url.enabled`",
        (u, report) => {
            if (!u.enabled && u.allowOrigins.length > 0) report("allowOrigins", `has no effect unless lambda.url.enabled is true: there is no URL to call (got ${JSON.stringify(u.allowOrigins)})`);
            if (!u.enabled && u.allowCredentials) report("allowCredentials", "has no effect unless lambda.url.enabled is true: there is no URL to call");
        }))
    .superRefine(...rule<FunctionUrlSettings>(["allowCredentials", "allowOrigins"],
        "`lambda.url.allowCredentials` needs at least one `lambda.url.allowOrigins` entry",
        (u, report) => {
            if (u.enabled && u.allowCredentials && u.allowOrigins.length === 0) report("allowCredentials", "needs at least one origin in lambda.url.allowOrigins: credentials are only ever allowed for named origins");
        }));

const lambda = section({
    enabled: flag("create the inference function in front of the endpoint (needs `endpoint.enabled`)").default(true),
    memoryMb: integer({ min: 128, max: 10240 }, "the inference function's memory (and CPU share)").default(512),
    timeoutSeconds: integer({ min: 3, max: 900 }, "the inference function's time limit per request").default(30),
    reservedConcurrency: integer({ min: 1 }, "caps concurrent executions (and so what the endpoint sees)").default(5),
    provisionedConcurrency: integer({ min: 0 }, "> 0 publishes a version behind the alias `live`, kept warm").default(0),
    logRetentionDays: oneOfNumbers(LOG_RETENTION_DAYS, "CloudWatch Logs retention").default(30),
    url: functionUrl.prefault({}),
    allowHttpUrls: flag("also fetch `http://` image URLs").default(false),
    xrayTracing: flag("AWS X-Ray active tracing of the inference function").default(false),
})
    .superRefine(...rule<{ reservedConcurrency: number; provisionedConcurrency: number }>(["reservedConcurrency", "provisionedConcurrency"],
        "`lambda.provisionedConcurrency` <= `lambda.reservedConcurrency`",
        (l, report) => {
            if (l.provisionedConcurrency > l.reservedConcurrency) {
                report("provisionedConcurrency", `must be <= lambda.reservedConcurrency (got ${l.provisionedConcurrency} > ${l.reservedConcurrency})`);
            }
        }));

const BUDGET_SCOPES = ["stackTag", "account"] as const;

const budget = section({
    enabled: flag("create the AWS Budget that alerts on the stack's spend").default(true),
    monthlyUsd: decimal({ exclusiveMin: 0 }, "the monthly limit of the AWS Budget, USD").default(300),
    scope: oneOf(BUDGET_SCOPES, "what the budget counts: `stackTag` the spend tagged `stack=<stack>` (counts only once that tag is active for cost allocation: " +
        "see `budget.activateStackTag` and docs/costs.md), `account` all spend of the account (counts at once; for an account that holds only this stack)").default("stackTag"),
    activateStackTag: flag("activate the `stack` tag for cost allocation from this stack (`aws.costexplorer.CostAllocationTag`): only from the management " +
        "account or a standalone account, and only once AWS billing has seen the tag (up to 24 h after the first `pulumi up`)").default(false),
    alertEmails: documented(z.array(text(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, "an email address")).max(10), {
        allowed: "a list of at most 10 email addresses",
        description: "told at 80% actual and 100% forecast spend",
    }).prefault([]),
    alertTopicArn: text(/^arn:aws(-cn|-us-gov)?:sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}$/, "an SNS topic ARN like arn:aws:sns:us-east-1:123456789012:budget-alerts",
        "an SNS topic told as well (its access policy must let budgets.amazonaws.com publish)").optional(),
})
    .superRefine(...rule<{ scope: string; activateStackTag: boolean }>(["scope", "activateStackTag"],
        "`budget.activateStackTag` only with `budget.scope` stackTag",
        (b, report) => {
            if (b.activateStackTag && b.scope !== "stackTag") {
                report("activateStackTag", `activates the tag a stackTag budget filters on, and budget.scope is "${b.scope}": set budget.scope to stackTag or activateStackTag to false`);
            }
        }));

const BATCH_SIZE = hyperparameter("batch-size");

/** Every `mlops:` key. */
export const SETTINGS = section({
    tags: tags.prefault({}),
    kms: kms.prefault({}),
    bucket: bucket.prefault({}),
    dataset: dataset.prefault({}),
    notebook: notebook.prefault({}),
    training: training.prefault({}),
    tuning: tuning.prefault({}),
    endpoint: endpoint.prefault({}),
    gpuTrainer: gpuTrainer.prefault({}),
    lambda: lambda.prefault({}),
    budget: budget.prefault({}),
})
    .superRefine(...rule<{ lambda: { enabled: boolean }; endpoint: { enabled: boolean } }>(["lambda.enabled", "endpoint.enabled"],
        "`lambda.enabled` needs `endpoint.enabled`: the function only forwards to the endpoint",
        (s, report) => {
            if (s.lambda.enabled && !s.endpoint.enabled) {
                report("lambda.enabled", `needs ${PROJECT}:endpoint.enabled: the inference function only forwards requests to the endpoint; turn it off too (${PROJECT}:lambda.enabled false)`);
            }
        }))
    .superRefine(...rule<{ lambda: { enabled: boolean; url: { enabled: boolean } } }>(["lambda.enabled", "lambda.url.enabled"],
        "`lambda.url.enabled` needs `lambda.enabled`: the URL is the function's",
        (s, report) => {
            if (s.lambda.url.enabled && !s.lambda.enabled) {
                report("lambda.url.enabled", `needs ${PROJECT}:lambda.enabled: the URL is the inference function's own; turn it off too (${PROJECT}:lambda.url.enabled false)`);
            }
        }))
    .superRefine(...rule<{ endpoint: { enabled: boolean }; training: { runs: Run[]; deployRun: string } }>(["endpoint.enabled", "training.runs", "training.deployRun"],
        "an enabled endpoint serves an enabled run: `training.deployRun` names a run whose `enabled` is true",
        (s, report) => {
            const run = s.training.runs.find(r => r.name === s.training.deployRun);
            if (s.endpoint.enabled && run !== undefined && !run.enabled) {
                report("training.deployRun", `names run "${run.name}", which is switched off (its enabled is false), and the endpoint serves its model: ` +
                    `enable the run, deploy another (${s.training.runs.filter(r => r.enabled).map(r => r.name).join(", ") || "no run is enabled"}), or turn the endpoint off (${PROJECT}:endpoint.enabled false)`);
            }
        }))
    .superRefine(...rule<{ training: { runs: Run[]; hyperparameters: Record<string, unknown> }; tuning: Record<string, unknown> }>(
        ["training.runs", `training.hyperparameters.${BATCH_SIZE.configKey}`, "tuning.enabled", "tuning.instanceType", `tuning.${tuningKey(BATCH_SIZE)}`],
        `every batch size an enabled run may use (\`tuning.${tuningKey(BATCH_SIZE)}\` with tuning, else \`training.hyperparameters.${BATCH_SIZE.configKey}\`) ` +
        "is at least the number of training processes of that run (one per GPU, or one per CPU host)",
        (s, report) => {
            // The batch size is global: train.py splits it over every process of the run.
            const trials = { enabled: true, name: "of the tuning trials", instanceType: String(s.tuning.instanceType), instanceCount: 1 };
            const groups = [...s.training.runs.filter(r => r.enabled).map(r => ({ ...r, name: `of run ${r.name}` })), ...(s.tuning.enabled ? [trials] : [])];
            if (groups.length === 0) return;
            const processes = (g: Run) => g.instanceCount * processesPerHost(g.instanceType);
            const widest = groups.reduce((a, b) => (processes(b) > processes(a) ? b : a));
            const need = processes(widest);
            const why = `the batch size is global, split over every training process, and the ${need} processes ${widest.name} ` +
                `(${widest.instanceCount} x ${widest.instanceType}, ${processesPerHost(widest.instanceType)} per host) each need at least one sample`;
            const tuned = s.tuning.enabled && BATCH_SIZE.tuning !== undefined;
            if (tuned) {
                const sizes = s.tuning[tuningKey(BATCH_SIZE)] as number[];
                const small = sizes.filter(b => b < need);
                if (small.length > 0) report(["tuning", tuningKey(BATCH_SIZE)], `must all be >= ${need}: ${why} (got ${small.join(", ")} in ${JSON.stringify(sizes)})`);
            } else {
                const size = s.training.hyperparameters[BATCH_SIZE.configKey] as number;
                if (size < need) report(["training", "hyperparameters", BATCH_SIZE.configKey], `must be >= ${need}: ${why} (got ${size})`);
            }
        }));

/**
 * A production stack (`prod`, `production`, or either followed by `-<name>`): its budget must alert
 * someone. Other stacks without recipients get a warning at every preview instead.
 */
export const isProductionStack = (stack: string) => /^(prod|production)(-[a-z0-9-]+)?$/.test(stack);

/** Regions as the AWS provider knows them (its `Region` enum), not a list of our own. */
export const REGIONS = Object.values(aws.Region) as [string, ...string[]];

/** The whole stack configuration: the stack's name, `aws:region` and the `mlops:` settings. */
export const STACK_CONFIG = z.object({
    stack: text(/^[a-z0-9][a-z0-9-]{0,11}$/, "1-12 lowercase letters, digits or '-' (it prefixes job and bucket names, which AWS limits)"),
    region: documented(z.enum(REGIONS), {
        allowed: `one of the regions @pulumi/aws knows (${REGIONS.join(", ")})`,
        description: "the region every resource of the stack lives in",
        whenMissing: "run `pulumi config set aws:region us-east-1` (or your region)",
    }),
    settings: SETTINGS,
})
    .superRefine(...rule<{ region: string; settings: { training: { debugger: { profilerReport: boolean; tensorRules: string[] } } } }>(
        ["region", "settings.training.debugger"],
        "Debugger's profiler report and tensor rules only where AWS publishes the Debugger rule image",
        (c, report) => {
            const d = c.settings.training.debugger;
            if ((d.profilerReport || d.tensorRules.length > 0) && !RULE_IMAGE_REGIONS.includes(c.region)) {
                report(d.profilerReport ? "settings.training.debugger.profilerReport" : "settings.training.debugger.tensorRules",
                    `needs SageMaker Debugger's rule image, which AWS does not publish in ${c.region} (it does in ${RULE_IMAGE_REGIONS.join(", ")}): ` +
                    "set training.debugger.profilerReport to false and leave training.debugger.tensorRules empty there");
            }
        }))
    .superRefine(...rule<{ stack: string; settings: { budget: { enabled: boolean; alertEmails: string[]; alertTopicArn?: string } } }>(
        ["stack", "settings.budget.enabled", "settings.budget.alertEmails", "settings.budget.alertTopicArn"],
        "a production stack (`prod`, `production`, or either followed by `-<name>`) keeps its budget and it alerts someone: `budget.alertEmails` or `budget.alertTopicArn`",
        (c, report) => {
            const b = c.settings.budget;
            if (!isProductionStack(c.stack)) return;
            if (!b.enabled) {
                report("settings.budget.enabled", `cannot be false in production stack ${c.stack}: its spend must alert someone`);
            } else if (b.alertEmails.length === 0 && b.alertTopicArn === undefined) {
                report("settings.budget.alertEmails", `needs at least one address (or ${PROJECT}:budget.alertTopicArn) in production stack ${c.stack}: ` +
                    `a budget that alerts nobody counts spend in silence; set one with \`pulumi config set --path '${PROJECT}:budget.alertEmails[0]' you@example.com --stack ${c.stack}\``);
            }
        }))
    .transform(({ stack, region, settings }) => ({
        project: PROJECT,
        stack,
        /** Prefix of every physical name this stack chooses itself (`mlops-dev`). */
        namePrefix: `${PROJECT}-${stack}`,
        region,
        ...settings,
        /** Every resource's tags: the user's plus the program's own. */
        tags: { ...settings.tags, ...programTags(stack) },
    }));

export type StackConfig = z.output<typeof STACK_CONFIG>;
