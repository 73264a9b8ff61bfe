import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { isGpuInstance } from "../config";
import { s3Uri } from "./bucket-layout";

/**
 * Plain functions that turn configuration into what SageMaker expects: image tags, script-mode
 * and launcher hyperparameters, content-addressed job names, metric definitions. The components
 * call them; the tests call them directly.
 */

/** The metric definitions train.py's output is scraped with; defined once, in training/metrics.json. */
interface MetricsFile {
    objective: { name: string; type: "Minimize" | "Maximize" };
    qualityGate: { name: string; type: "Maximize" };
    definitions: { Name: string; Regex: string }[];
}
const METRICS = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "training", "metrics.json"), "utf8")) as MetricsFile;

export const OBJECTIVE = METRICS.objective;
/** The metric a run must reach before the endpoint serves its model (higher is better). */
export const QUALITY_METRIC = METRICS.qualityGate;
export const METRIC_DEFINITIONS = METRICS.definitions.map(d => ({ name: d.Name, regex: d.Regex }));
/** The names of the metrics train.py reports, in the order of training/metrics.json. */
export const METRIC_NAMES = METRIC_DEFINITIONS.map(d => d.name);

/**
 * Tag of the AWS PyTorch Deep Learning Container for an instance type: `2.5.1-gpu-py311`.
 * Serverless endpoints (no instance type) run on CPU.
 */
export function pytorchImageTag(frameworkVersion: string, pyVersion: string, instanceType: string | undefined): string {
    return `${frameworkVersion}-${instanceType !== undefined && isGpuInstance(instanceType) ? "gpu" : "cpu"}-${pyVersion}`;
}

/**
 * The container's own launcher for GPU hosts: with `sagemaker_torch_distributed_enabled` the
 * SageMaker PyTorch container starts train.py through torchrun, one process per GPU of every
 * host (sagemaker-training-toolkit `torch_distributed.py`; `runner.py` sizes it to the host's
 * GPUs). CPU hosts keep the container's default: one train.py process per host.
 */
export const TORCH_DISTRIBUTED = "sagemaker_torch_distributed_enabled";

export function launcherHyperparameters(instanceType: string): Record<string, string> {
    return isGpuInstance(instanceType) ? { [TORCH_DISTRIBUTED]: "true" } : {};
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
    /**
     * The dataset manifest's contentHash: part of every job's content address, so new data under
     * the same prefix trains anew and unchanged data never does.
     */
    datasetContentHash: string;
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
