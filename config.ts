import * as pulumi from "@pulumi/pulumi";

/**
 * The stack's configuration: one typed object, validated in one place. Every bad value fails at
 * preview with a message that names the key, the value and what is allowed, and all problems
 * are reported at once so a user fixes their stack file in one pass.
 */

export const PROJECT = "mlops";

// ---------------------------------------------------------------------------------------------
// Instance types AWS offers for each kind of resource (what the config accepts). Which of them a
// team *allows* is the policy pack's business (policies/config/<stack>.json), not this list's.
// ---------------------------------------------------------------------------------------------
const sizes = (family: string, list: string[]) => list.map(s => `${family}.${s}`);
export const INSTANCE_TYPES = {
    notebook: [
        ...sizes("ml.t3", ["medium", "large", "xlarge", "2xlarge"]),
        ...sizes("ml.m5", ["xlarge", "2xlarge", "4xlarge"]),
        ...sizes("ml.c5", ["xlarge", "2xlarge"]),
        ...sizes("ml.g4dn", ["xlarge", "2xlarge"]),
        ...sizes("ml.g5", ["xlarge", "2xlarge"]),
    ],
    training: [
        ...sizes("ml.m5", ["large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"]),
        ...sizes("ml.c5", ["xlarge", "2xlarge", "4xlarge", "9xlarge", "18xlarge"]),
        ...sizes("ml.g4dn", ["xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"]),
        ...sizes("ml.g5", ["xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "24xlarge", "48xlarge"]),
        ...sizes("ml.p3", ["2xlarge", "8xlarge", "16xlarge"]),
        "ml.p4d.24xlarge",
    ],
    // ml.t2 is left out on purpose: SageMaker cannot autoscale burstable endpoint variants.
    endpoint: [
        ...sizes("ml.m5", ["large", "xlarge", "2xlarge", "4xlarge"]),
        ...sizes("ml.c5", ["large", "xlarge", "2xlarge", "4xlarge"]),
        ...sizes("ml.g4dn", ["xlarge", "2xlarge"]),
        ...sizes("ml.g5", ["xlarge", "2xlarge"]),
        "ml.p3.2xlarge",
        "ml.p4d.24xlarge",
    ],
    ec2: [
        ...sizes("g4dn", ["xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge"]),
        ...sizes("g5", ["xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge"]),
        ...sizes("g6", ["xlarge", "2xlarge"]),
        ...sizes("p3", ["2xlarge", "8xlarge"]),
    ],
} as const;
export type InstanceKind = keyof typeof INSTANCE_TYPES;

/** GPU families, for choosing the GPU or CPU build of the PyTorch containers. */
export function isGpuInstance(instanceType: string): boolean {
    return /^(ml\.)?(g4dn|g5|g6|p3|p4d|p5)\./.test(instanceType);
}

// ---------------------------------------------------------------------------------------------
// The typed configuration
// ---------------------------------------------------------------------------------------------
export interface Hyperparameters {
    epochs: number;
    batchSize: number;
    learningRate: number;
    arch: string;
    imageSize: number;
    patience: number;
    seed: number;
    pretrained: boolean;
}

export interface TrainingRun {
    name: string;
    instanceType: string;
    instanceCount: number;
}

export interface InstanceVariant {
    kind: "instance";
    instanceType: string;
    minInstances: number;
    maxInstances: number;
    targetInvocationsPerInstance: number;
    scaleInCooldownSeconds: number;
    scaleOutCooldownSeconds: number;
}

export interface ServerlessVariant {
    kind: "serverless";
    memorySizeMb: number;
    maxConcurrency: number;
}

export type TrafficShift = "ALL_AT_ONCE" | "CANARY" | "LINEAR";

export interface StackConfig {
    project: string;
    stack: string;
    /** Prefix of every physical name this stack chooses itself (`mlops-dev`). */
    namePrefix: string;
    region: string;
    tags: Record<string, string>;
    kms: { enabled: boolean; deletionWindowDays: number };
    bucket: { forceDestroy: boolean; noncurrentVersionDays: number };
    dataset: { prefix: string };
    notebook: {
        enabled: boolean;
        instanceType: string;
        idleMinutes: number;
        volumeSizeGb: number;
        directInternetAccess: boolean;
        vpcId?: string;
        subnetId?: string;
    };
    training: {
        frameworkVersion: string;
        pyVersion: string;
        hyperparameters: Hyperparameters;
        spot: boolean;
        maxRuntimeMinutes: number;
        maxWaitMinutes: number;
        createTimeoutMinutes: number;
        volumeSizeGb: number;
        debugger: boolean;
        runs: TrainingRun[];
        deployRun: string;
    };
    tuning: {
        enabled: boolean;
        instanceType: string;
        maxJobs: number;
        maxParallelJobs: number;
        strategy: "Bayesian" | "Random";
        learningRate: { min: number; max: number };
        batchSizes: number[];
        waitTimeoutMinutes: number;
    };
    endpoint: {
        variant: InstanceVariant | ServerlessVariant;
        trafficShift: TrafficShift;
        canaryPercent: number;
        waitIntervalSeconds: number;
        terminationWaitSeconds: number;
        latencyAlarmMs: number;
        errorAlarmCount: number;
    };
    gpuTrainer: {
        enabled: boolean;
        instanceType: string;
        spot: boolean;
        rootVolumeGb: number;
        vpcId?: string;
        subnetId?: string;
        epochs: number;
    };
    lambda: {
        memoryMb: number;
        timeoutSeconds: number;
        reservedConcurrency: number;
        provisionedConcurrency: number;
        logRetentionDays: number;
        corsAllowOrigin?: string;
        allowHttpUrls: boolean;
        xrayTracing: boolean;
    };
    budget: { monthlyUsd: number; alertEmails: string[] };
}

// ---------------------------------------------------------------------------------------------
// Defaults: the seeds' choices (DESIGN.md section 3), cheapest sensible where they were silent.
// ---------------------------------------------------------------------------------------------
export const DEFAULTS = {
    tags: {},
    kms: { enabled: false, deletionWindowDays: 30 },
    bucket: { forceDestroy: false, noncurrentVersionDays: 30 },
    dataset: { prefix: "datasets/dogImages/" },
    notebook: { enabled: true, instanceType: "ml.t3.medium", idleMinutes: 60, volumeSizeGb: 5, directInternetAccess: true },
    training: {
        frameworkVersion: "2.5.1",
        pyVersion: "py311",
        hyperparameters: { epochs: 10, batchSize: 64, learningRate: 0.003, arch: "resnet50", imageSize: 224, patience: 3, seed: 42, pretrained: true },
        spot: true,
        maxRuntimeMinutes: 120,
        maxWaitMinutes: 240,
        createTimeoutMinutes: 300,
        volumeSizeGb: 30,
        debugger: true,
        runs: [
            { name: "single", instanceType: "ml.m5.xlarge", instanceCount: 1 },
            { name: "multi", instanceType: "ml.m5.xlarge", instanceCount: 3 },
        ],
        deployRun: "single",
    },
    tuning: {
        enabled: true,
        instanceType: "ml.m5.xlarge",
        maxJobs: 2,
        maxParallelJobs: 2,
        strategy: "Bayesian",
        learningRate: { min: 0.001, max: 0.1 },
        batchSizes: [32, 64, 128, 256, 512],
        waitTimeoutMinutes: 600,
    },
    endpoint: {
        instanceType: "ml.m5.large",
        minInstances: 1,
        maxInstances: 4,
        targetInvocationsPerInstance: 5,
        scaleInCooldownSeconds: 30,
        scaleOutCooldownSeconds: 30,
        trafficShift: "ALL_AT_ONCE",
        canaryPercent: 25,
        waitIntervalSeconds: 300,
        terminationWaitSeconds: 300,
        latencyAlarmMs: 2000,
        errorAlarmCount: 5,
    },
    gpuTrainer: { enabled: true, instanceType: "g4dn.xlarge", spot: true, rootVolumeGb: 100, epochs: 10 },
    lambda: {
        memoryMb: 512,
        timeoutSeconds: 30,
        reservedConcurrency: 5,
        provisionedConcurrency: 0,
        logRetentionDays: 30,
        allowHttpUrls: false,
        xrayTracing: false,
    },
    budget: { monthlyUsd: 300, alertEmails: [] as string[] },
};

const ARCHES = ["resnet18", "resnet34", "resnet50", "resnet101"];
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const TOP_LEVEL_KEYS = ["tags", "kms", "bucket", "dataset", "notebook", "training", "tuning", "endpoint", "gpuTrainer", "lambda", "budget"] as const;
type TopLevelKey = typeof TOP_LEVEL_KEYS[number];

export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(`invalid stack configuration:\n  - ${problems.join("\n  - ")}`);
        this.name = "ConfigError";
    }
}

/**
 * Reads one section of raw config with type and range checks, collecting problems instead of
 * throwing at the first one. Keys are reported fully qualified (`mlops:endpoint.maxInstances`).
 */
class Section {
    private readonly seen = new Set<string>();
    constructor(
        private readonly problems: string[],
        readonly key: string,
        private readonly raw: Record<string, unknown>,
    ) {}

    private qualified(field: string): string {
        return `${PROJECT}:${this.key}.${field}`;
    }

    problem(field: string, message: string): void {
        this.problems.push(`${this.qualified(field)} ${message}`);
    }

    keys(): string[] {
        return Object.keys(this.raw);
    }

    /** A nested section reported under this one's problems (list items, sub-objects). */
    child(key: string, raw: unknown): Section {
        return new Section(this.problems, key, isPlainObject(raw) ? raw : {});
    }

    has(field: string): boolean {
        return this.raw[field] !== undefined;
    }

    value(field: string): unknown {
        this.seen.add(field);
        return this.raw[field];
    }

    bool(field: string, fallback: boolean): boolean {
        const v = this.value(field);
        if (v === undefined) return fallback;
        if (typeof v === "boolean") return v;
        if (v === "true" || v === "false") return v === "true";
        this.problem(field, `must be true or false (got ${show(v)})`);
        return fallback;
    }

    number(field: string, fallback: number, opts: { min?: number; max?: number; integer?: boolean; exclusiveMin?: number } = {}): number {
        const v = this.value(field);
        if (v === undefined) return fallback;
        const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
        if (typeof n !== "number" || !Number.isFinite(n)) {
            this.problem(field, `must be a number (got ${show(v)})`);
            return fallback;
        }
        if (opts.integer && !Number.isInteger(n)) this.problem(field, `must be a whole number (got ${show(v)})`);
        if (opts.min !== undefined && n < opts.min) this.problem(field, `must be >= ${opts.min} (got ${show(v)})`);
        if (opts.exclusiveMin !== undefined && n <= opts.exclusiveMin) this.problem(field, `must be > ${opts.exclusiveMin} (got ${show(v)})`);
        if (opts.max !== undefined && n > opts.max) this.problem(field, `must be <= ${opts.max} (got ${show(v)})`);
        return n;
    }

    string(field: string, fallback: string, opts: { oneOf?: readonly string[]; pattern?: RegExp; describe?: string } = {}): string {
        const v = this.value(field);
        if (v === undefined) return fallback;
        if (typeof v !== "string" || v === "") {
            this.problem(field, `must be a non-empty string (got ${show(v)})`);
            return fallback;
        }
        if (opts.oneOf && !opts.oneOf.includes(v)) {
            this.problem(field, `must be one of ${opts.oneOf.join(", ")} (got ${show(v)})`);
        } else if (opts.pattern && !opts.pattern.test(v)) {
            this.problem(field, `must be ${opts.describe ?? `a string matching ${opts.pattern}`} (got ${show(v)})`);
        }
        return v;
    }

    optionalString(field: string, opts: { pattern?: RegExp; describe?: string } = {}): string | undefined {
        return this.has(field) ? this.string(field, "", opts) : (this.value(field), undefined);
    }

    instanceType(field: string, fallback: string, kind: InstanceKind): string {
        return this.string(field, fallback, { oneOf: INSTANCE_TYPES[kind] });
    }

    section(field: string): Section {
        const v = this.value(field);
        if (v !== undefined && !isPlainObject(v)) {
            this.problem(field, `must be an object (got ${show(v)})`);
        }
        return this.child(`${this.key}.${field}`, v);
    }

    list(field: string): unknown[] | undefined {
        const v = this.value(field);
        if (v === undefined) return undefined;
        if (!Array.isArray(v)) {
            this.problem(field, `must be a list (got ${show(v)})`);
            return undefined;
        }
        return v;
    }

    /** Typos in key names are the commonest config bug: name the unknown key and the known ones. */
    rejectUnknownKeys(): void {
        for (const field of Object.keys(this.raw)) {
            if (!this.seen.has(field)) {
                this.problems.push(`${this.qualified(field)} is not a known setting (known: ${[...this.seen].sort().join(", ")})`);
            }
        }
    }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
    return typeof v === "string" ? `"${v}"` : JSON.stringify(v);
}

const VPC_ID = { pattern: /^vpc-[0-9a-f]{8,17}$/, describe: "a VPC id like vpc-0123456789abcdef0" };
const SUBNET_ID = { pattern: /^subnet-[0-9a-f]{8,17}$/, describe: "a subnet id like subnet-0123456789abcdef0" };

export interface ConfigContext {
    stack: string;
    region: string;
}

/**
 * Validates raw config (top-level key -> already-parsed value) into a StackConfig, or throws a
 * ConfigError listing every problem. Pure: the tests call it directly.
 */
export function parseStackConfig(raw: Record<string, unknown>, ctx: ConfigContext): StackConfig {
    const problems: string[] = [];
    for (const key of Object.keys(raw)) {
        if (!(TOP_LEVEL_KEYS as readonly string[]).includes(key)) {
            problems.push(`${PROJECT}:${key} is not a known setting (known: ${TOP_LEVEL_KEYS.join(", ")})`);
        }
    }
    const sections = {} as Record<TopLevelKey, Section>;
    for (const key of TOP_LEVEL_KEYS) {
        const v = raw[key];
        if (v !== undefined && !isPlainObject(v)) {
            problems.push(`${PROJECT}:${key} must be an object (got ${show(v)})`);
        }
        sections[key] = new Section(problems, key, isPlainObject(v) ? v : {});
    }
    if (!/^[a-z0-9][a-z0-9-]{0,11}$/.test(ctx.stack)) {
        problems.push(`stack name "${ctx.stack}" must be 1-12 lowercase letters, digits or '-' (it prefixes job and bucket names, which AWS limits)`);
    }

    const tags = readTags(sections.tags, problems);
    const config: StackConfig = {
        project: PROJECT,
        stack: ctx.stack,
        namePrefix: `${PROJECT}-${ctx.stack}`,
        region: ctx.region,
        tags: { ...tags, project: PROJECT, stack: ctx.stack, "managed-by": "pulumi" },
        kms: readKms(sections.kms),
        bucket: readBucket(sections.bucket),
        dataset: readDataset(sections.dataset),
        notebook: readNotebook(sections.notebook),
        training: readTraining(sections.training),
        tuning: readTuning(sections.tuning),
        endpoint: readEndpoint(sections.endpoint),
        gpuTrainer: readGpuTrainer(sections.gpuTrainer),
        lambda: readLambda(sections.lambda),
        budget: readBudget(sections.budget),
    };
    for (const key of TOP_LEVEL_KEYS) {
        if (key !== "tags") sections[key].rejectUnknownKeys();
    }
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return config;
}

function readTags(s: Section, problems: string[]): Record<string, string> {
    const tags: Record<string, string> = {};
    const reserved = ["project", "stack", "managed-by"];
    for (const key of s.keys()) {
        const v = s.value(key);
        if (reserved.includes(key)) {
            s.problem(key, `is set by the program itself and cannot be overridden (reserved tags: ${reserved.join(", ")})`);
        } else if (typeof v !== "string" || v.length > 256) {
            s.problem(key, `must be a string of at most 256 characters (got ${show(v)})`);
        } else if (!/^[\w .:/=+\-@]{1,128}$/.test(key)) {
            problems.push(`${PROJECT}:tags has an invalid tag key ${show(key)} (1-128 letters, digits, spaces and _.:/=+-@)`);
        } else {
            tags[key] = v;
        }
    }
    return tags;
}

function readKms(s: Section): StackConfig["kms"] {
    return {
        enabled: s.bool("enabled", DEFAULTS.kms.enabled),
        deletionWindowDays: s.number("deletionWindowDays", DEFAULTS.kms.deletionWindowDays, { integer: true, min: 7, max: 30 }),
    };
}

function readBucket(s: Section): StackConfig["bucket"] {
    return {
        forceDestroy: s.bool("forceDestroy", DEFAULTS.bucket.forceDestroy),
        noncurrentVersionDays: s.number("noncurrentVersionDays", DEFAULTS.bucket.noncurrentVersionDays, { integer: true, min: 1 }),
    };
}

function readDataset(s: Section): StackConfig["dataset"] {
    return {
        prefix: s.string("prefix", DEFAULTS.dataset.prefix, {
            pattern: /^(?!\/)[A-Za-z0-9!_.*'()\-/]+\/$/,
            describe: "an S3 key prefix without a leading '/' that ends with '/'",
        }),
    };
}

function readNotebook(s: Section): StackConfig["notebook"] {
    const d = DEFAULTS.notebook;
    const notebook = {
        enabled: s.bool("enabled", d.enabled),
        instanceType: s.instanceType("instanceType", d.instanceType, "notebook"),
        idleMinutes: s.number("idleMinutes", d.idleMinutes, { integer: true, min: 5, max: 1440 }),
        volumeSizeGb: s.number("volumeSizeGb", d.volumeSizeGb, { integer: true, min: 5, max: 16384 }),
        directInternetAccess: s.bool("directInternetAccess", d.directInternetAccess),
        vpcId: s.optionalString("vpcId", VPC_ID),
        subnetId: s.optionalString("subnetId", SUBNET_ID),
    };
    if (!notebook.directInternetAccess && (!notebook.subnetId || !notebook.vpcId)) {
        s.problem("subnetId", `and ${PROJECT}:notebook.vpcId are required when notebook.directInternetAccess is false (a notebook without direct internet lives in a VPC subnet)`);
    }
    if ((notebook.subnetId === undefined) !== (notebook.vpcId === undefined)) {
        s.problem("vpcId", "and notebook.subnetId must be given together");
    }
    return notebook;
}

function readHyperparameters(s: Section): Hyperparameters {
    const d = DEFAULTS.training.hyperparameters;
    return {
        epochs: s.number("epochs", d.epochs, { integer: true, min: 1, max: 500 }),
        batchSize: s.number("batchSize", d.batchSize, { integer: true, min: 1, max: 4096 }),
        learningRate: s.number("learningRate", d.learningRate, { exclusiveMin: 0, max: 1 }),
        arch: s.string("arch", d.arch, { oneOf: ARCHES }),
        imageSize: s.number("imageSize", d.imageSize, { integer: true, min: 32, max: 1024 }),
        patience: s.number("patience", d.patience, { integer: true, min: 1 }),
        seed: s.number("seed", d.seed, { integer: true, min: 0 }),
        pretrained: s.bool("pretrained", d.pretrained),
    };
}

function readTraining(s: Section): StackConfig["training"] {
    const d = DEFAULTS.training;
    const hp = s.section("hyperparameters");
    const hyperparameters = readHyperparameters(hp);
    hp.rejectUnknownKeys();
    const runs = readRuns(s);
    const training = {
        frameworkVersion: s.string("frameworkVersion", d.frameworkVersion, { pattern: /^\d+\.\d+(\.\d+)?$/, describe: "a PyTorch version like 2.5.1" }),
        pyVersion: s.string("pyVersion", d.pyVersion, { pattern: /^py3\d{1,2}$/, describe: "a Python tag like py311" }),
        hyperparameters,
        spot: s.bool("spot", d.spot),
        maxRuntimeMinutes: s.number("maxRuntimeMinutes", d.maxRuntimeMinutes, { integer: true, min: 1, max: 40320 }),
        maxWaitMinutes: s.number("maxWaitMinutes", d.maxWaitMinutes, { integer: true, min: 1, max: 40320 }),
        createTimeoutMinutes: s.number("createTimeoutMinutes", d.createTimeoutMinutes, { integer: true, min: 10 }),
        volumeSizeGb: s.number("volumeSizeGb", d.volumeSizeGb, { integer: true, min: 1, max: 16384 }),
        debugger: s.bool("debugger", d.debugger),
        runs,
        deployRun: s.string("deployRun", d.deployRun),
    };
    if (training.spot && training.maxWaitMinutes < training.maxRuntimeMinutes) {
        s.problem("maxWaitMinutes", `must be >= training.maxRuntimeMinutes with spot training (got ${training.maxWaitMinutes} < ${training.maxRuntimeMinutes})`);
    }
    const longest = training.spot ? training.maxWaitMinutes : training.maxRuntimeMinutes;
    if (training.createTimeoutMinutes < longest) {
        s.problem("createTimeoutMinutes", `must be >= the longest a job may take (${training.spot ? "maxWaitMinutes" : "maxRuntimeMinutes"}) or pulumi up gives up on a healthy job (got ${training.createTimeoutMinutes} < ${longest})`);
    }
    if (!runs.some(r => r.name === training.deployRun)) {
        s.problem("deployRun", `must name one of the training runs (${runs.map(r => r.name).join(", ") || "none defined"}) (got ${show(training.deployRun)})`);
    }
    return training;
}

function readRuns(s: Section): TrainingRun[] {
    const list = s.list("runs");
    if (list === undefined) return DEFAULTS.training.runs.map(r => ({ ...r }));
    if (list.length === 0) s.problem("runs", "must list at least one training run (got [])");
    const seen = new Set<string>();
    return list.map((item, i) => {
        const run = s.child(`training.runs[${i}]`, item);
        if (!isPlainObject(item)) s.problem(`runs[${i}]`, `must be an object with name, instanceType, instanceCount (got ${show(item)})`);
        const parsed = {
            name: run.string("name", "", { pattern: /^[a-z0-9](-?[a-z0-9])*$/, describe: "lowercase letters, digits and single '-'" }),
            instanceType: run.instanceType("instanceType", DEFAULTS.training.runs[0].instanceType, "training"),
            instanceCount: run.number("instanceCount", 1, { integer: true, min: 1, max: 20 }),
        };
        if (parsed.name === "") run.problem("name", "is required");
        else if (parsed.name.length > 20) run.problem("name", `must be at most 20 characters (it goes into the job name) (got ${show(parsed.name)})`);
        if (seen.has(parsed.name)) run.problem("name", `is used twice: training run names must be unique (got ${show(parsed.name)})`);
        seen.add(parsed.name);
        run.rejectUnknownKeys();
        return parsed;
    });
}

function readTuning(s: Section): StackConfig["tuning"] {
    const d = DEFAULTS.tuning;
    const lr = s.section("learningRate");
    const learningRate = {
        min: lr.number("min", d.learningRate.min, { exclusiveMin: 0, max: 1 }),
        max: lr.number("max", d.learningRate.max, { exclusiveMin: 0, max: 1 }),
    };
    lr.rejectUnknownKeys();
    if (learningRate.min >= learningRate.max) {
        s.problem("learningRate.max", `must be > tuning.learningRate.min (got ${learningRate.max} <= ${learningRate.min})`);
    }
    const rawSizes = s.list("batchSizes");
    let batchSizes = d.batchSizes;
    if (rawSizes !== undefined) {
        batchSizes = rawSizes as number[];
        if (rawSizes.length === 0) {
            s.problem("batchSizes", "must list at least one batch size (got [])");
        } else if (!rawSizes.every(b => Number.isInteger(b) && (b as number) >= 1)) {
            s.problem("batchSizes", `must be whole numbers >= 1 (got ${show(rawSizes)})`);
        } else if (new Set(rawSizes).size !== rawSizes.length) {
            s.problem("batchSizes", `must not repeat a value (got ${show(rawSizes)})`);
        }
    }
    const tuning = {
        enabled: s.bool("enabled", d.enabled),
        instanceType: s.instanceType("instanceType", d.instanceType, "training"),
        maxJobs: s.number("maxJobs", d.maxJobs, { integer: true, min: 1, max: 500 }),
        maxParallelJobs: s.number("maxParallelJobs", d.maxParallelJobs, { integer: true, min: 1, max: 100 }),
        strategy: s.string("strategy", d.strategy, { oneOf: ["Bayesian", "Random"] }) as "Bayesian" | "Random",
        learningRate,
        batchSizes,
        waitTimeoutMinutes: s.number("waitTimeoutMinutes", d.waitTimeoutMinutes, { integer: true, min: 10 }),
    };
    if (tuning.maxParallelJobs > tuning.maxJobs) {
        s.problem("maxParallelJobs", `must be <= tuning.maxJobs (got ${tuning.maxParallelJobs} > ${tuning.maxJobs})`);
    }
    return tuning;
}

function readEndpoint(s: Section): StackConfig["endpoint"] {
    const d = DEFAULTS.endpoint;
    const instanceKeys = ["instanceType", "minInstances", "maxInstances", "targetInvocationsPerInstance", "scaleInCooldownSeconds", "scaleOutCooldownSeconds"];
    let variant: InstanceVariant | ServerlessVariant;
    if (s.has("serverless")) {
        const given = instanceKeys.filter(k => s.has(k));
        if (given.length > 0) {
            s.problem("serverless", `and instance settings (${given.map(k => `endpoint.${k}`).join(", ")}) are both given: choose a serverless or an instance variant`);
            given.forEach(k => s.value(k));
        }
        const sv = s.section("serverless");
        variant = {
            kind: "serverless",
            memorySizeMb: sv.number("memorySizeMb", 2048, { integer: true, min: 1024, max: 6144 }),
            maxConcurrency: sv.number("maxConcurrency", 5, { integer: true, min: 1, max: 200 }),
        };
        if (variant.memorySizeMb % 1024 !== 0) {
            sv.problem("memorySizeMb", `must be a multiple of 1024 between 1024 and 6144 (got ${variant.memorySizeMb})`);
        }
        sv.rejectUnknownKeys();
    } else {
        const v: InstanceVariant = {
            kind: "instance",
            instanceType: s.instanceType("instanceType", d.instanceType, "endpoint"),
            minInstances: s.number("minInstances", d.minInstances, { integer: true, min: 1 }),
            maxInstances: s.number("maxInstances", d.maxInstances, { integer: true, min: 1 }),
            targetInvocationsPerInstance: s.number("targetInvocationsPerInstance", d.targetInvocationsPerInstance, { exclusiveMin: 0 }),
            scaleInCooldownSeconds: s.number("scaleInCooldownSeconds", d.scaleInCooldownSeconds, { integer: true, min: 0 }),
            scaleOutCooldownSeconds: s.number("scaleOutCooldownSeconds", d.scaleOutCooldownSeconds, { integer: true, min: 0 }),
        };
        if (v.maxInstances < v.minInstances) {
            s.problem("maxInstances", `must be >= endpoint.minInstances (got ${v.maxInstances} < ${v.minInstances})`);
        }
        variant = v;
    }
    const endpoint = {
        variant,
        trafficShift: s.string("trafficShift", d.trafficShift, { oneOf: ["ALL_AT_ONCE", "CANARY", "LINEAR"] }) as TrafficShift,
        canaryPercent: s.number("canaryPercent", d.canaryPercent, { integer: true, min: 1, max: 99 }),
        waitIntervalSeconds: s.number("waitIntervalSeconds", d.waitIntervalSeconds, { integer: true, min: 0, max: 3600 }),
        terminationWaitSeconds: s.number("terminationWaitSeconds", d.terminationWaitSeconds, { integer: true, min: 0, max: 3600 }),
        latencyAlarmMs: s.number("latencyAlarmMs", d.latencyAlarmMs, { exclusiveMin: 0 }),
        errorAlarmCount: s.number("errorAlarmCount", d.errorAlarmCount, { integer: true, min: 1 }),
    };
    if (variant.kind === "serverless" && endpoint.trafficShift !== "ALL_AT_ONCE") {
        s.problem("trafficShift", `must be ALL_AT_ONCE for a serverless endpoint (SageMaker shifts serverless traffic at once) (got ${show(endpoint.trafficShift)})`);
    }
    return endpoint;
}

function readGpuTrainer(s: Section): StackConfig["gpuTrainer"] {
    const d = DEFAULTS.gpuTrainer;
    const trainer = {
        enabled: s.bool("enabled", d.enabled),
        instanceType: s.instanceType("instanceType", d.instanceType, "ec2"),
        spot: s.bool("spot", d.spot),
        rootVolumeGb: s.number("rootVolumeGb", d.rootVolumeGb, { integer: true, min: 75, max: 16384 }),
        vpcId: s.optionalString("vpcId", VPC_ID),
        subnetId: s.optionalString("subnetId", SUBNET_ID),
        epochs: s.number("epochs", d.epochs, { integer: true, min: 1, max: 500 }),
    };
    if ((trainer.subnetId === undefined) !== (trainer.vpcId === undefined)) {
        s.problem("vpcId", "and gpuTrainer.subnetId must be given together");
    }
    return trainer;
}

function readLambda(s: Section): StackConfig["lambda"] {
    const d = DEFAULTS.lambda;
    const lambda = {
        memoryMb: s.number("memoryMb", d.memoryMb, { integer: true, min: 128, max: 10240 }),
        timeoutSeconds: s.number("timeoutSeconds", d.timeoutSeconds, { integer: true, min: 3, max: 900 }),
        reservedConcurrency: s.number("reservedConcurrency", d.reservedConcurrency, { integer: true, min: 1 }),
        provisionedConcurrency: s.number("provisionedConcurrency", d.provisionedConcurrency, { integer: true, min: 0 }),
        logRetentionDays: s.number("logRetentionDays", d.logRetentionDays, { integer: true }),
        corsAllowOrigin: s.optionalString("corsAllowOrigin", {
            pattern: /^https:\/\/[A-Za-z0-9.-]+(:\d+)?$/,
            describe: "one https origin like https://app.example.com ('*' is refused: CORS must name who may call)",
        }),
        allowHttpUrls: s.bool("allowHttpUrls", d.allowHttpUrls),
        xrayTracing: s.bool("xrayTracing", d.xrayTracing),
    };
    if (!LOG_RETENTION_DAYS.includes(lambda.logRetentionDays)) {
        s.problem("logRetentionDays", `must be one of ${LOG_RETENTION_DAYS.join(", ")} (got ${lambda.logRetentionDays})`);
    }
    if (lambda.provisionedConcurrency > lambda.reservedConcurrency) {
        s.problem("provisionedConcurrency", `must be <= lambda.reservedConcurrency (got ${lambda.provisionedConcurrency} > ${lambda.reservedConcurrency})`);
    }
    return lambda;
}

function readBudget(s: Section): StackConfig["budget"] {
    const monthlyUsd = s.number("monthlyUsd", DEFAULTS.budget.monthlyUsd, { exclusiveMin: 0 });
    const emails = s.list("alertEmails") ?? DEFAULTS.budget.alertEmails;
    emails.forEach((e, i) => {
        if (typeof e !== "string" || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e)) {
            s.problem(`alertEmails[${i}]`, `must be an email address (got ${show(e)})`);
        }
    });
    return { monthlyUsd, alertEmails: emails as string[] };
}

/**
 * The project's keys of a flat config map (`mlops:endpoint` -> `endpoint`), with structured
 * values JSON-decoded: what parseStackConfig takes. Flat maps come from the engine or from
 * plan/stack-config.ts, which reads a stack file the same way.
 */
export function projectConfig(flat: Record<string, string>): Record<string, unknown> {
    const raw: Record<string, unknown> = {};
    for (const [fullKey, value] of Object.entries(flat)) {
        const [namespace, key] = fullKey.split(":");
        if (namespace !== PROJECT) continue;
        try {
            raw[key] = JSON.parse(value);
        } catch {
            raw[key] = value;
        }
    }
    return raw;
}

/** Reads and validates the current stack's configuration from the Pulumi engine. */
export function readStackConfig(): StackConfig {
    const all = pulumi.runtime.allConfig();
    const raw = projectConfig(all);
    const problems: string[] = [];
    const region = all["aws:region"];
    if (!region) {
        problems.push(`aws:region is not set: run \`pulumi config set aws:region us-east-1\` (or your region)`);
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return parseStackConfig(raw, { stack: pulumi.getStack(), region: region! });
}
