import * as crypto from "crypto";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Hyperparameters, isGpuInstance } from "../config";
import { s3Uri } from "./bucket-layout";

/**
 * Plain functions that turn configuration into what SageMaker expects: image tags, script-mode
 * hyperparameters, content-addressed job names, metric definitions, Debugger rules. The
 * components call them; the tests call them directly.
 */

/** The metric definitions train.py's output is scraped with; defined once, in training/metrics.json. */
interface MetricsFile {
    objective: { name: string; type: "Minimize" | "Maximize" };
    definitions: { Name: string; Regex: string }[];
}
// eslint-disable-next-line @typescript-eslint/no-var-requires
const METRICS: MetricsFile = require(path.join(__dirname, "..", "training", "metrics.json"));

export const OBJECTIVE = METRICS.objective;
export const METRIC_DEFINITIONS = METRICS.definitions.map(d => ({ name: d.Name, regex: d.Regex }));

/** Tag of the AWS PyTorch Deep Learning Container for an instance type: `2.5.1-gpu-py311`. */
export function pytorchImageTag(frameworkVersion: string, pyVersion: string, instanceType: string): string {
    return `${frameworkVersion}-${isGpuInstance(instanceType) ? "gpu" : "cpu"}-${pyVersion}`;
}

/**
 * Accounts that publish the SageMaker Debugger built-in rule images, per region (AWS docs,
 * "Amazon SageMaker Debugger Registry URLs for Built-in Rule Evaluators").
 */
const DEBUGGER_RULE_ACCOUNTS: Record<string, string> = {
    "ap-east-1": "199566480951",
    "ap-northeast-1": "430734990657",
    "ap-northeast-2": "578805364391",
    "ap-south-1": "904829902805",
    "ap-southeast-1": "972752614525",
    "ap-southeast-2": "184798709955",
    "ca-central-1": "519511493484",
    "cn-north-1": "618459771430",
    "cn-northwest-1": "658757709296",
    "eu-central-1": "482524230118",
    "eu-north-1": "314864569078",
    "eu-west-1": "929884845733",
    "eu-west-2": "250201462417",
    "eu-west-3": "447278800020",
    "me-south-1": "986000313247",
    "sa-east-1": "818342061345",
    "us-east-1": "503895931360",
    "us-east-2": "915447279597",
    "us-west-1": "685455198987",
    "us-west-2": "895741380848",
};

export function debuggerRuleImage(region: string): string {
    const account = DEBUGGER_RULE_ACCOUNTS[region];
    if (!account) {
        throw new Error(`SageMaker Debugger has no built-in rule image in region ${region} (regions: ${Object.keys(DEBUGGER_RULE_ACCOUNTS).join(", ")}); set mlops:training.debugger to false there`);
    }
    const suffix = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
    return `${account}.dkr.ecr.${region}.${suffix}/sagemaker-debugger-rules:latest`;
}

/** The seeds' Debugger rules; each is a built-in rule run by the rule image. */
export const DEBUGGER_RULES = ["VanishingGradient", "Overfit", "Overtraining", "PoorWeightInitialization"] as const;
export const PROFILER_RULES = ["ProfilerReport"] as const;

/** Hyperparameters train.py understands, named exactly as its CLI flags (DESIGN.md section 4). */
export function trainingHyperparameters(hp: Hyperparameters): Record<string, string> {
    return {
        "epochs": String(hp.epochs),
        "batch-size": String(hp.batchSize),
        "learning-rate": String(hp.learningRate),
        "arch": hp.arch,
        "image-size": String(hp.imageSize),
        "patience": String(hp.patience),
        "seed": String(hp.seed),
        "pretrained": String(hp.pretrained),
    };
}

/** The hyperparameters that put the PyTorch container in script mode, running our archive's train.py. */
export function scriptModeHyperparameters(codeUri: string, region: string): Record<string, string> {
    return {
        sagemaker_program: "train.py",
        sagemaker_submit_directory: codeUri,
        sagemaker_region: region,
        sagemaker_container_log_level: "20",
    };
}

/** JSON with sorted keys, so that equal specs hash equally whatever order they were built in. */
export function canonicalJson(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
    if (value !== null && typeof value === "object") {
        const entries = Object.entries(value as Record<string, unknown>)
            .filter(([, v]) => v !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
    }
    return JSON.stringify(value);
}

export function specHash(spec: unknown, length: number): string {
    return crypto.createHash("sha256").update(canonicalJson(spec)).digest("hex").slice(0, length);
}

/**
 * A job name derived from the job's whole spec: the same spec gives the same name (nothing to
 * do), any change gives a new name (a new job), since SageMaker jobs are immutable.
 */
export function contentAddressedName(prefix: string, spec: unknown, maxLength: number, hashLength = 10): string {
    const name = `${prefix}-${specHash(spec, hashLength)}`;
    if (name.length > maxLength || !/^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/.test(name)) {
        throw new Error(`job name ${name} is not a valid SageMaker name of at most ${maxLength} characters; shorten the stack or run name`);
    }
    return name;
}

/** What every SageMaker job of the stack (tuning trials and training runs) is built from. */
export interface SageMakerJobArgs {
    /** Stack name prefix (`mlops-dev`): job names start with it, which the notebook's role relies on. */
    namePrefix: string;
    region: string;
    /** The training execution role. */
    roleArn: pulumi.Input<string>;
    bucketName: pulumi.Input<string>;
    /** S3 URI of the training code archive (`sourcedir.tar.gz`). */
    codeUri: pulumi.Input<string>;
    /** Key prefix of the dataset (`datasets/dogImages/`), holding train/ valid/ test/. */
    datasetPrefix: string;
    /** PyTorch training image URI for the instance type. */
    trainingImage: pulumi.Input<string>;
    instanceType: string;
    volumeSizeGb: number;
    /** Managed spot training, with checkpoints so an interruption loses at most an epoch. */
    spot: boolean;
    maxRuntimeMinutes: number;
    /** Spot only: total time including waiting for capacity; >= maxRuntimeMinutes. */
    maxWaitMinutes: number;
    kmsKeyArn?: pulumi.Input<string>;
    tags: Record<string, string>;
}

/** The `training` channel: the dataset prefix, whole on every host (train.py shards it itself). */
export function trainingChannel(bucket: string, datasetPrefix: string) {
    return {
        channelName: "training",
        dataSource: { s3DataSource: { s3DataType: "S3Prefix", s3Uri: s3Uri(bucket, datasetPrefix), s3DataDistributionType: "FullyReplicated" } },
    };
}

export function stoppingCondition(args: Pick<SageMakerJobArgs, "spot" | "maxRuntimeMinutes" | "maxWaitMinutes">) {
    return {
        maxRuntimeInSeconds: args.maxRuntimeMinutes * 60,
        maxWaitTimeInSeconds: args.spot ? args.maxWaitMinutes * 60 : undefined,
    };
}
