import { UsageError } from "./errors";

/** The seeds' public copy of the dataset (Udacity dog project). */
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
    /** Objects uploaded at the same time. */
    concurrency: number;
    /** Objects larger than one part go through multipart upload, in parts of this size. */
    partSizeMiB: number;
    /** Upload even objects that are already there with the same size. */
    force: boolean;
    /** Resolve everything, list the bucket, print the plan, upload nothing. */
    dryRun: boolean;
    help: boolean;
}

export const USAGE = `Usage: npm run dataset:upload -- --stack <stack> [options]

Puts the dogImages dataset (train/, valid/, test/) under the stack's dataset prefix in its data
bucket, skipping objects that are already there with the same size.

Options:
  --stack <name>          Pulumi stack whose config is read (Pulumi.<name>.yaml)       (required)
  --source <url|zip|dir>  https URL of a zip, a local .zip, or a local directory
                          (default: ${DEFAULT_SOURCE})
  --bucket <name>         data bucket (default: \`pulumi stack output bucketName\` when the Pulumi CLI is on PATH)
  --prefix <prefix/>      key prefix, must end with "/" (default: mlops:dataset.prefix, else datasets/dogImages/)
  --region <region>       bucket region (default: aws:region of the stack)
  --concurrency <n>       objects uploaded at once, 1-${MAX_CONCURRENCY} (default ${DEFAULT_CONCURRENCY})
  --part-size-mib <n>     multipart part size in MiB, ${MIN_PART_SIZE_MIB}-${MAX_PART_SIZE_MIB}; larger objects use multipart (default ${DEFAULT_PART_SIZE_MIB})
  --force                 upload every object, even those already there with the same size
  --dry-run               list what would be uploaded and skipped, upload nothing
  -h, --help              show this help

Environment: AWS credentials as usual for the AWS SDK; AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL)
points the client at an S3-compatible server (path-style addressing is then used).
Exit codes: 0 done, 1 the upload failed, 2 bad invocation.`;

const VALUE_FLAGS = ["stack", "source", "bucket", "prefix", "region", "concurrency", "part-size-mib"] as const;
const BOOLEAN_FLAGS = ["force", "dry-run", "help"] as const;
type ValueFlag = typeof VALUE_FLAGS[number];

/** Parses the CLI flags (`--flag value` or `--flag=value`); any mistake is a UsageError naming it. */
export function parseArgs(argv: readonly string[]): CliOptions {
    const values: Partial<Record<ValueFlag, string>> = {};
    const flags = new Set<string>();
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "-h") {
            flags.add("help");
            continue;
        }
        if (!arg.startsWith("--")) {
            throw new UsageError(`unexpected argument "${arg}" (flags start with "--"; see --help)`);
        }
        const eq = arg.indexOf("=");
        const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
        if ((BOOLEAN_FLAGS as readonly string[]).includes(name)) {
            if (eq >= 0) throw new UsageError(`--${name} takes no value (got "${arg}")`);
            flags.add(name);
            continue;
        }
        if (!(VALUE_FLAGS as readonly string[]).includes(name)) {
            throw new UsageError(`unknown flag "--${name}" (allowed: ${[...VALUE_FLAGS, ...BOOLEAN_FLAGS].map(f => "--" + f).join(", ")})`);
        }
        let value: string | undefined;
        if (eq >= 0) {
            value = arg.slice(eq + 1);
        } else {
            value = argv[i + 1];
            if (value === undefined || value.startsWith("--")) {
                throw new UsageError(`--${name} needs a value`);
            }
            i++;
        }
        if (value === "") throw new UsageError(`--${name} needs a non-empty value`);
        if (values[name as ValueFlag] !== undefined) throw new UsageError(`--${name} given twice`);
        values[name as ValueFlag] = value;
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
