import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BUCKET_PREFIXES, s3Uri } from "./bucket-layout";
import { bucketPolicy, policyJson } from "./iam";
import { buildSourceArchive } from "./source-archive";

/**
 * The data bucket's name, fixed by the stack, account and region: known before the bucket exists,
 * so the program can look for the dataset manifest in a preview of a new stack (and find none)
 * instead of waiting for a generated name. Bucket names are global; the account and region keep
 * two accounts, or two regions of one, from colliding.
 */
export function dataBucketName(namePrefix: string, accountId: string, region: string): string {
    const name = `${namePrefix}-data-${accountId}-${region}`;
    if (name.length > 63 || !/^[a-z0-9][a-z0-9-]*[a-z0-9]$/.test(name)) {
        throw new Error(`data bucket name ${name} is not a valid S3 bucket name (at most 63 lowercase letters, digits and '-'); shorten the stack name`);
    }
    return name;
}

export interface DataBucketArgs {
    /** The bucket's name (dataBucketName). */
    bucketName: pulumi.Input<string>;
    /** KMS key for default encryption; SSE-S3 (AES256) when absent. */
    kmsKeyArn?: pulumi.Input<string>;
    /** Let `pulumi destroy` delete a bucket that still holds objects. */
    forceDestroy: boolean;
    /** Days before noncurrent object versions expire. */
    noncurrentVersionDays: number;
    /** Folder whose contents become `sourcedir.tar.gz`. Default `<project>/training`. */
    trainingCodeDir?: string;
    /** Where the archive is written before upload. Default `<project>/.build`. */
    buildDir?: string;
}

/**
 * The stack's private, encrypted, versioned, TLS-only bucket, holding the dataset, the training
 * code archive, checkpoints and every job's output.
 */
export class DataBucket extends pulumi.ComponentResource {
    readonly bucket: aws.s3.Bucket;
    readonly bucketName: pulumi.Output<string>;
    readonly bucketArn: pulumi.Output<string>;
    /** `s3://<bucket>/code/sourcedir-<hash>.tar.gz`: content-addressed, so new code is a new URI. */
    readonly codeUri: pulumi.Output<string>;
    readonly codeKey: string;
    readonly codeSha256: string;

    constructor(name: string, args: DataBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlops:storage:DataBucket", name, {}, opts);
        const parent = { parent: this };
        this.bucket = new aws.s3.Bucket(name, { bucket: args.bucketName, forceDestroy: args.forceDestroy }, parent);
        const bucket = this.bucket.bucket;

        const publicAccess = new aws.s3.BucketPublicAccessBlock(`${name}-public-access`, {
            bucket,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        }, parent);
        new aws.s3.BucketOwnershipControls(`${name}-ownership`, {
            bucket,
            rule: { objectOwnership: "BucketOwnerEnforced" },
        }, parent);
        new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, {
            bucket,
            rules: [{
                applyServerSideEncryptionByDefault: args.kmsKeyArn
                    ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn }
                    : { sseAlgorithm: "AES256" },
                bucketKeyEnabled: args.kmsKeyArn ? true : undefined,
            }],
        }, parent);
        const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, {
            bucket,
            versioningConfiguration: { status: "Enabled" },
        }, parent);
        new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, {
            bucket,
            rules: [
                { id: "abort-incomplete-uploads", status: "Enabled", filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } },
                { id: "expire-noncurrent-versions", status: "Enabled", filter: {}, noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionDays } },
            ],
        }, { parent: this, dependsOn: [versioning] });
        // The public access block goes first so that the policy can never be evaluated as public.
        new aws.s3.BucketPolicy(`${name}-tls-only`, {
            bucket,
            policy: policyJson(this.bucket.arn.apply(bucketPolicy)),
        }, { parent: this, dependsOn: [publicAccess] });

        const archive = buildSourceArchive(args.trainingCodeDir ?? path.join(__dirname, "..", "training"));
        this.codeSha256 = archive.sha256;
        this.codeKey = `${BUCKET_PREFIXES.code}sourcedir-${archive.sha256.slice(0, 16)}.tar.gz`;
        const buildDir = args.buildDir ?? path.join(__dirname, "..", ".build");
        fs.mkdirSync(buildDir, { recursive: true });
        const archiveFile = path.join(buildDir, `sourcedir-${archive.sha256.slice(0, 16)}.tar.gz`);
        fs.writeFileSync(archiveFile, archive.bytes);
        const codeObject = new aws.s3.BucketObjectv2(`${name}-training-code`, {
            bucket,
            key: this.codeKey,
            source: new pulumi.asset.FileAsset(archiveFile),
            contentType: "application/gzip",
        }, { parent: this, dependsOn: [versioning] });

        this.bucketName = bucket;
        this.bucketArn = this.bucket.arn;
        this.codeUri = pulumi.all([bucket, codeObject.key]).apply(([b, k]) => s3Uri(b, k));
        this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, codeUri: this.codeUri });
    }
}
