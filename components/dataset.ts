import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DatasetManifest, ManifestError, manifestKey, parseManifest } from "../dataset/manifest";
import { s3Uri } from "./bucket-layout";

/**
 * Whether the stack's dataset is in its bucket, read from the manifest `npm run dataset:upload`
 * writes last. The jobs, the endpoint and everything serving the model exist only with a manifest:
 * the first `pulumi up` of a stack creates storage, roles and the notebook, and says how to upload.
 */

/** The dataset is there: the jobs train on it and are addressed by its content hash. */
export interface DatasetReady {
    ready: true;
    manifest: DatasetManifest;
    manifestUri: string;
}

/** No manifest yet (nor, on a new stack, a bucket): the jobs wait for the upload. */
export interface DatasetMissing {
    ready: false;
    manifestUri: string;
}

export type DatasetState = DatasetReady | DatasetMissing;

/** The command that uploads the dataset of a stack (and writes its manifest). */
export const uploadCommand = (stack: string) => `npm run dataset:upload -- --stack ${stack}`;

/**
 * A manifest that cannot be used: a `pulumi.RunError`, so that `pulumi preview` prints the message
 * alone (the fix is an upload, not a change to the program).
 */
export class DatasetManifestError extends pulumi.RunError {
    constructor(message: string) {
        super(message);
        this.name = "DatasetManifestError";
    }
}

/**
 * Not found, as the AWS provider reports a missing object or bucket ("couldn't find resource", its
 * message for S3's 404), or as S3 names it. Anything else (access denied, throttling, a network
 * failure) is not "no dataset yet": it fails the deployment rather than silently skip the jobs.
 */
export function isNotFound(error: unknown): boolean {
    const details = (error as { details?: unknown }).details;
    const text = error instanceof Error ? `${error.message} ${typeof details === "string" ? details : ""}` : String(error);
    return /couldn't find resource|\bNoSuchKey\b|\bNoSuchBucket\b|\bNotFound\b|\bStatusCode: 404\b|\b404 Not Found\b/.test(text);
}

export interface ReadDatasetArgs {
    /** The stack's data bucket: its name is known before it exists (see dataBucketName). */
    bucket: string;
    /** The dataset prefix (`datasets/dogImages/`). */
    prefix: string;
    stack: string;
}

/**
 * Reads `<prefix>manifest.json` through the provider's S3 object data source (the stack's own
 * credentials and region, in preview as in update) and checks it. Not found is "no dataset yet";
 * a manifest that is there but damaged fails, naming what is wrong and the command that rewrites it.
 */
export async function readDataset(args: ReadDatasetArgs, opts: pulumi.InvokeOptions): Promise<DatasetState> {
    const key = manifestKey(args.prefix);
    const manifestUri = s3Uri(args.bucket, key);
    let object: aws.s3.GetObjectResult;
    try {
        // downloadBody: the bytes whatever the object's Content-Type (else only text types have a body).
        object = await aws.s3.getObject({ bucket: args.bucket, key, downloadBody: "true" }, opts);
    } catch (error) {
        if (!isNotFound(error)) throw new DatasetManifestError(`cannot read the dataset manifest ${manifestUri}: ${describe(error)}`);
        await refuseUnfinishedUpload(args, manifestUri, opts);
        return { ready: false, manifestUri };
    }
    const text = object.bodyBase64 ? Buffer.from(object.bodyBase64, "base64").toString("utf8") : object.body ?? "";
    try {
        return { ready: true, manifest: parseManifest(text, manifestUri), manifestUri };
    } catch (error) {
        if (!(error instanceof ManifestError)) throw error;
        throw new DatasetManifestError(`${error.message}; nothing that trains was planned. Upload the dataset again, ` +
            `which rewrites the manifest: \`${uploadCommand(args.stack)}\``);
    }
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * No manifest, but objects under the prefix: an upload is under way or was cut off (the upload
 * removes the manifest before its first change and writes it after its last). Planning "no dataset"
 * then would remove a deployed stack's jobs, endpoint and function, so the deployment stops instead.
 */
async function refuseUnfinishedUpload(args: ReadDatasetArgs, manifestUri: string, opts: pulumi.InvokeOptions): Promise<void> {
    let keys: string[];
    try {
        keys = (await aws.s3.getObjects({ bucket: args.bucket, prefix: args.prefix, maxKeys: 1 }, opts)).keys ?? [];
    } catch (error) {
        // No bucket yet (a new stack): nothing uploaded.
        if (isNotFound(error)) return;
        throw new DatasetManifestError(`cannot list the dataset under ${s3Uri(args.bucket, args.prefix)}: ${describe(error)}`);
    }
    if (keys.length > 0) {
        throw new DatasetManifestError(`${s3Uri(args.bucket, args.prefix)} holds objects (${keys[0]}, ...) but no ${manifestUri}: an upload is under way ` +
            "or was interrupted, and planning without a dataset would remove this stack's jobs, endpoint and function. " +
            `Finish the upload with \`${uploadCommand(args.stack)}\` (it writes the manifest last), then run \`pulumi up\` again`);
    }
}

/** What the stack says about its dataset: one sentence for the log and the `dataset` output. */
export function datasetStatus(state: DatasetState, stack: string): string {
    if (state.ready) {
        const { manifest } = state;
        const classes = manifest.splits.train.classes.length;
        return `dataset ${manifest.contentHash.slice(0, 12)} (${manifest.objects.length} objects, ${classes} classes) from ${state.manifestUri}: ` +
            "tuning, training and serving are planned on it";
    }
    return `no dataset yet (no ${state.manifestUri}): tuning, training, the endpoint, the inference function and the EC2 trainer wait for it. ` +
        `Upload it with \`${uploadCommand(stack)}\`, then run \`pulumi up\` again`;
}
