import { parseArgs as parseNodeArgs } from "util";
import { UsageError, describe } from "./errors";

/** Udacity's public copy of the dataset (the dog-breed project). */
export const DEFAULT_SOURCE = "https://s3-us-west-1.amazonaws.com/udacity-aind/dog-project/dogImages.zip";

/** S3 refuses parts below 5 MiB (except the last) and above 5 GiB. */
export const MIN_PART_SIZE_MIB = 5;
export const MAX_PART_SIZE_MIB = 5 * 1024;
export const DEFAULT_PART_SIZE_MIB = 8;
export const DEFAULT_CONCURRENCY = 16;
export const MAX_CONCURRENCY = 128;

export interface CliOptions {
    stack: string;
    source: string;
    bucket?: string;
    prefix?: string;
    region?: string;
    /** Objects uploaded (and files verified, objects compared) at the same time. */
    concurrency: number;
    /** Objects larger than one part go through multipart upload, in parts of this size. */
    partSizeMiB: number;
    /** Upload even objects that are already there with the same SHA-256. */
    force: boolean;
    /** Delete objects under the prefix's train/, valid/, test/ that the source does not have. */
    prune: boolean;
    /** Resolve, verify, compare, print the plan; upload nothing. */
    dryRun: boolean;
    help: boolean;
}

export const USAGE = `Usage: npm run dataset:upload -- --stack <stack> [options]

Puts the dogImages dataset (train/, valid/, test/) under the stack's dataset prefix in its data
bucket, then writes <prefix>manifest.json. Every file is verified first (zip entries against their
CRC-32 and size; the same classes in train/, valid/ and test/): a damaged source is refused before
anything is stored. Objects already there with the same SHA-256 are skipped.

Options:
  --stack <name>          Pulumi stack whose config is read (Pulumi.<name>.yaml)       (required)
  --source <url|zip|dir>  https URL of a zip, a local .zip, or a local directory
                          (default: ${DEFAULT_SOURCE})
  --bucket <name>         data bucket (default: \`pulumi stack output bucketName\` when the Pulumi CLI is on PATH)
  --prefix <prefix/>      key prefix, must end with "/" (default: mlops:dataset.prefix, else datasets/dogImages/)
  --region <region>       bucket region (default: aws:region of the stack)
  --concurrency <n>       objects uploaded at once, 1-${MAX_CONCURRENCY} (default ${DEFAULT_CONCURRENCY})
  --part-size-mib <n>     multipart part size in MiB, ${MIN_PART_SIZE_MIB}-${MAX_PART_SIZE_MIB}; larger objects use multipart (default ${DEFAULT_PART_SIZE_MIB})
  --force                 upload every object, even those already there with the same SHA-256
  --prune                 delete objects under the prefix's train/, valid/, test/ that the source lacks
                          (without it such objects stop the run: training would read them too)
  --dry-run               verify and list what would be uploaded, skipped and deleted; change nothing
  -h, --help              show this help

Environment: AWS credentials as usual for the AWS SDK; AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL)
points the client at an S3-compatible server (path-style addressing is then used).
Exit codes: 0 done, 1 the upload failed or the source was refused, 2 bad invocation,
130/143 interrupted (SIGINT/SIGTERM).`;

/** Every flag, in the form node's util.parseArgs takes; the order is the order of the help text. */
const FLAGS = {
    stack: { type: "string" },
    source: { type: "string" },
    bucket: { type: "string" },
    prefix: { type: "string" },
    region: { type: "string" },
    concurrency: { type: "string" },
    "part-size-mib": { type: "string" },
    force: { type: "boolean" },
    prune: { type: "boolean" },
    "dry-run": { type: "boolean" },
    help: { type: "boolean", short: "h" },
} as const;
type Flag = keyof typeof FLAGS;

/**
 * Parses the CLI flags (`--flag value` or `--flag=value`) with node's util.parseArgs; any mistake is
 * a UsageError naming it. util.parseArgs runs non-strict and the checks are made on its tokens, so
 * that every message names the flag the way the help text does.
 */
export function parseArgs(argv: readonly string[]): CliOptions {
    let tokens;
    try {
        ({ tokens } = parseNodeArgs({ args: [...argv], options: FLAGS, strict: false, allowPositionals: true, tokens: true }));
    } catch (err) {
        throw new UsageError(describe(err));
    }
    const values: Partial<Record<Flag, string>> = {};
    const flags = new Set<Flag>();
    for (const token of tokens) {
        if (token.kind !== "option") {
            const arg = token.kind === "positional" ? token.value : "--";
            throw new UsageError(`unexpected argument "${arg}" (flags start with "--"; see --help)`);
        }
        if (!Object.hasOwn(FLAGS, token.name)) {
            const allowed = Object.keys(FLAGS).map(f => "--" + f).join(", ");
            throw new UsageError(`unknown flag "${token.rawName}" (allowed: ${allowed})`);
        }
        const name = token.name as Flag;
        if (FLAGS[name].type === "boolean") {
            if (token.inlineValue) throw new UsageError(`--${name} takes no value (got "${argv[token.index]}")`);
            flags.add(name);
            continue;
        }
        // util.parseArgs takes the next argument as the value even when it is the next flag.
        const value = token.value;
        if (value === undefined || (!token.inlineValue && value.startsWith("--"))) {
            throw new UsageError(`--${name} needs a value`);
        }
        if (value === "") throw new UsageError(`--${name} needs a non-empty value`);
        if (values[name] !== undefined) throw new UsageError(`--${name} given twice`);
        values[name] = value;
    }

    const help = flags.has("help");
    if (!help && values.stack === undefined) {
        throw new UsageError("--stack is required (for example --stack dev)");
    }
    return {
        stack: values.stack ?? "",
        source: values.source ?? DEFAULT_SOURCE,
        bucket: values.bucket,
        prefix: values.prefix,
        region: values.region,
        concurrency: parseIntFlag("concurrency", values.concurrency, DEFAULT_CONCURRENCY, 1, MAX_CONCURRENCY),
        partSizeMiB: parseIntFlag("part-size-mib", values["part-size-mib"], DEFAULT_PART_SIZE_MIB, MIN_PART_SIZE_MIB, MAX_PART_SIZE_MIB),
        force: flags.has("force"),
        prune: flags.has("prune"),
        dryRun: flags.has("dry-run"),
        help,
    };
}

function parseIntFlag(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
    const n = Number(raw);
    if (n < min || n > max) throw new UsageError(`--${name} must be from ${min} to ${max} (got ${n})`);
    return n;
}
