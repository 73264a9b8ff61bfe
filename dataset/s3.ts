import { DeleteObjectCommand, HeadObjectCommand, S3Client, S3ClientConfig, paginateListObjectsV2 } from "@aws-sdk/client-s3";
import { DatasetError, describe } from "./errors";
import { SHA256_HEX, base64ToHex } from "./integrity";

/** The user metadata (`x-amz-meta-sha256`) in which every object this tool writes carries the SHA-256 (hex) of its bytes. */
export const SHA256_METADATA = "sha256";

export interface S3Settings {
    region: string;
    /** An S3-compatible endpoint (a local server in tests); unset means AWS. */
    endpoint?: string;
    /** Explicit keys; unset means the SDK's default provider chain (profiles, SSO, roles...). */
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/**
 * The endpoint override the AWS SDK itself honours (service-specific first). Read here so that the
 * client can switch to path-style addressing, which S3-compatible servers on an IP need.
 */
export function endpointFromEnv(env: NodeJS.ProcessEnv): string | undefined {
    return env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
}

/** Static keys from the environment, when set (the first thing the SDK's own chain would use). */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): S3Settings["credentials"] {
    if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) return undefined;
    return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN || undefined };
}

export function createS3Client(settings: S3Settings): S3Client {
    const config: S3ClientConfig = { region: settings.region };
    if (settings.endpoint) {
        config.endpoint = settings.endpoint;
        config.forcePathStyle = true;
    }
    if (settings.credentials) config.credentials = settings.credentials;
    return new S3Client(config);
}

/** Key -> size of every object under the prefix (ListObjectsV2, all pages of up to pageSize keys). */
export async function listObjectSizes(client: S3Client, bucket: string, prefix: string, pageSize = 1000): Promise<Map<string, number>> {
    const sizes = new Map<string, number>();
    try {
        for await (const page of paginateListObjectsV2({ client, pageSize }, { Bucket: bucket, Prefix: prefix })) {
            for (const o of page.Contents ?? []) {
                if (o.Key !== undefined) sizes.set(o.Key, o.Size ?? 0);
            }
        }
    } catch (err) {
        throw new DatasetError(`cannot list s3://${bucket}/${prefix}: ${describeS3Error(err, bucket)}`);
    }
    return sizes;
}

/**
 * The SHA-256 (hex) of a stored object's bytes, as far as S3 says: its full-object ChecksumSHA256
 * (which S3 verified when the object was written with one), else the `sha256` metadata this tool
 * writes (the only record for a multipart object, whose SHA-256 checksum is one of part checksums).
 * undefined when there is neither, or no object. One HeadObject (s3:GetObject; with SSE-KMS, reading
 * the checksum also needs kms:Decrypt).
 */
export async function readStoredSha256(client: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<string | undefined> {
    let head;
    try {
        head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }), { abortSignal: signal });
    } catch (err) {
        const name = (err as { name?: string })?.name;
        if (name === "NotFound" || name === "NoSuchKey") return undefined;
        throw new DatasetError(`cannot read the checksum of s3://${bucket}/${key}: ${describeS3Error(err, bucket)}`);
    }
    const checksum = head.ChecksumSHA256;
    if (checksum && head.ChecksumType !== "COMPOSITE" && !checksum.includes("-")) return base64ToHex(checksum);
    const recorded = head.Metadata?.[SHA256_METADATA];
    return recorded !== undefined && SHA256_HEX.test(recorded) ? recorded : undefined;
}

export async function deleteObject(client: S3Client, bucket: string, key: string): Promise<void> {
    try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (err) {
        throw new DatasetError(`cannot delete s3://${bucket}/${key}: ${describeS3Error(err, bucket)}`);
    }
}

/** The S3 error code and message on one line, with a hint for the failures users actually hit. */
export function describeS3Error(err: unknown, bucket: string): string {
    const name = (err as { name?: string })?.name ?? "";
    const base = describe(err);
    switch (name) {
        case "NoSuchBucket":
            return `bucket "${bucket}" does not exist (check --bucket, or that \`pulumi up\` created it)`;
        case "AccessDenied":
        case "Forbidden":
            return `access denied (${base}); the caller needs s3:ListBucket on the bucket and s3:GetObject, s3:PutObject, s3:DeleteObject on the prefix`;
        case "CredentialsProviderError":
            return `no AWS credentials found (${base}); configure a profile or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY`;
        case "PermanentRedirect":
        case "AuthorizationHeaderMalformed":
            return `${base} (the bucket is probably in another region; check aws:region or --region)`;
        default:
            return name && !base.startsWith(name) ? `${name}: ${base}` : base;
    }
}
