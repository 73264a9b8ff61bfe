import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DatasetError, UsageError, describe } from "./errors";
import { ConfigError, parseStackConfig, projectConfig } from "../config";

export const REGION_KEY = "aws:region";
/** The Pulumi program's stack output naming the data bucket. */
export const BUCKET_OUTPUT = "bucketName";

export interface Target {
    bucket: string;
    prefix: string;
    region: string;
}

export interface TargetInputs {
    stack: string;
    bucket?: string;
    prefix?: string;
    region?: string;
}

export interface TargetDeps {
    /** plan/stack-config.ts loadStackConfig: flat `namespace:key` -> string. */
    loadStackConfig(stack: string): Record<string, string>;
    /** Reads the bucket from the stack's outputs; undefined when the Pulumi CLI is not available. */
    readBucketOutput(stack: string): Promise<string | undefined>;
}

/**
 * Where the dataset goes. Flags win; otherwise the stack config (prefix, region) and the stack's
 * `bucketName` output, which is exactly where the training jobs' `training` channel points.
 */
export async function resolveTarget(inputs: TargetInputs, deps: TargetDeps): Promise<Target> {
    let config: Record<string, string>;
    try {
        config = deps.loadStackConfig(inputs.stack);
    } catch (err) {
        throw new UsageError(`cannot read the configuration of stack "${inputs.stack}": ${describe(err)}`);
    }

    const region = inputs.region ?? config[REGION_KEY];
    if (!region) {
        throw new UsageError(`no region: set ${REGION_KEY} in Pulumi.${inputs.stack}.yaml or pass --region`);
    }
    if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
        throw new UsageError(`region "${region}" is not an AWS region name (for example us-east-1)`);
    }
    const prefix = inputs.prefix !== undefined
        ? validatePrefix(inputs.prefix, "--prefix")
        : configuredPrefix(config, inputs.stack, region);

    let bucket = inputs.bucket;
    if (bucket === undefined) {
        bucket = await deps.readBucketOutput(inputs.stack);
        if (bucket === undefined) {
            throw new UsageError(
                `no bucket: pass --bucket <name> (the stack output: \`pulumi stack output ${BUCKET_OUTPUT} --stack ${inputs.stack}\`), ` +
                "or put the Pulumi CLI on PATH so it is read for you");
        }
    }
    validateBucketName(bucket);
    return { bucket, prefix, region };
}

/**
 * `mlops:dataset.prefix` exactly as the Pulumi program reads it: the stack's whole project config
 * goes through config.ts's parseStackConfig, so the default and the validation live in one place
 * and the upload lands where the training channel points. A stack whose config the program would
 * reject is refused here too.
 */
function configuredPrefix(flat: Record<string, string>, stack: string, region: string): string {
    try {
        return parseStackConfig(projectConfig(flat), { stack, region }).dataset.prefix;
    } catch (err) {
        const problems = err instanceof ConfigError ? err.problems.join("; ") : describe(err);
        throw new UsageError(`the configuration of stack "${stack}" is invalid (pulumi up would fail too): ${problems}`);
    }
}

/** A key prefix that names a folder: non-empty, relative, ends with "/", no empty or dot segments. */
export function validatePrefix(prefix: string, source: string): string {
    const segments = prefix.split("/").slice(0, -1);
    const ok = prefix.endsWith("/") && !prefix.startsWith("/") && segments.length > 0
        && segments.every(s => s !== "" && s !== "." && s !== "..")
        && !/[\x00-\x1f\\]/.test(prefix);
    if (!ok) {
        throw new UsageError(`${source} must be a key prefix like "datasets/dogImages/": relative, ending with "/", ` +
            `without empty, "." or ".." segments (got "${prefix}")`);
    }
    return prefix;
}

/** S3's bucket naming rules, checked here so a typo fails before any request. */
export function validateBucketName(bucket: string): void {
    const ok = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) && !bucket.includes("..") && !/^\d+\.\d+\.\d+\.\d+$/.test(bucket);
    if (!ok) {
        throw new UsageError(`bucket "${bucket}" is not a valid S3 bucket name (3-63 characters: a-z, 0-9, "." and "-")`);
    }
}

/** The absolute path of an executable on PATH, if any. */
export function findOnPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
    const exts = process.platform === "win32" ? (env.PATHEXT ?? ".EXE;.CMD").split(";") : [""];
    for (const dir of (env.PATH ?? "").split(path.delimiter)) {
        if (!dir) continue;
        for (const ext of exts) {
            const candidate = path.join(dir, command + ext);
            try {
                fs.accessSync(candidate, fs.constants.X_OK);
                if (fs.statSync(candidate).isFile()) return candidate;
            } catch {
                // not here; keep looking
            }
        }
    }
    return undefined;
}

/**
 * `pulumi stack output bucketName --stack <s>` when the Pulumi CLI is on PATH; undefined when it
 * is not. A CLI that is there but fails (not logged in, stack not deployed) is an error.
 */
export async function readBucketWithPulumi(stack: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
    const pulumi = findOnPath("pulumi", env);
    if (pulumi === undefined) return undefined;
    const command = `pulumi stack output ${BUCKET_OUTPUT} --stack ${stack}`;
    const stdout = await new Promise<string>((resolve, reject) => {
        execFile(pulumi, ["stack", "output", BUCKET_OUTPUT, "--stack", stack], { env, timeout: 60_000 }, (err, out, errOut) => {
            if (err) {
                const why = String(errOut).trim().split("\n").filter(Boolean).pop() ?? describe(err);
                reject(new DatasetError(`\`${command}\` failed: ${why} (pass --bucket to skip it)`));
            } else {
                resolve(String(out));
            }
        });
    });
    const bucket = stdout.trim();
    if (!bucket) throw new DatasetError(`\`${command}\` printed nothing: has \`pulumi up\` run for this stack? (or pass --bucket)`);
    return bucket;
}
