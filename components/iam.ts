import * as pulumi from "@pulumi/pulumi";

/**
 * Every IAM policy document of the stack is built here, from small statement builders, so that
 * least privilege can be read in one file. What each workload does at run time, and which AWS page
 * says so, lives in ./permissions/contracts.ts; the tests evaluate those requests against the
 * documents built here with an independent IAM simulator. Documents are plain objects; callers
 * JSON-encode them with `policyJson`.
 */

export interface Statement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Action: string | string[];
    /** Absent only in trust policies, whose resource is the role itself. */
    Resource?: string | string[];
    Principal?: Record<string, string | string[]> | "*";
    Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: Statement[];
}

export interface AccountScope {
    partition: string;
    region: string;
    accountId: string;
}

export type TrustedService = "sagemaker" | "lambda" | "ec2";

export function document(...statements: Statement[]): PolicyDocument {
    return { Version: "2012-10-17", Statement: statements };
}

/** JSON-encodes a document whose values may still be outputs (ARNs of resources being created). */
export function policyJson(doc: pulumi.Input<PolicyDocument>): pulumi.Output<string> {
    return pulumi.jsonStringify(pulumi.output(doc));
}

/**
 * Trust policy: only the named AWS service may assume the role. `sourceArns` pins the resources it
 * may assume it for (`aws:SourceArn`), and is given only where AWS documents that the service sends
 * the key for that kind of role: where it does not, a condition on it makes the role unassumable.
 */
export function assumeRoleBy(service: TrustedService, sourceArns: string[] = []): PolicyDocument {
    const trust: Statement = { Effect: "Allow", Principal: { Service: `${service}.amazonaws.com` }, Action: "sts:AssumeRole" };
    if (sourceArns.length > 0) trust.Condition = { ArnLike: { "aws:SourceArn": sourceArns } };
    return document(trust);
}

const sageMakerArn = (s: AccountScope, resource: string) => `arn:${s.partition}:sagemaker:${s.region}:${s.accountId}:${resource}`;

/**
 * What SageMaker sends as `aws:SourceArn` when a training job of this stack (names start with the
 * stack prefix; SageMaker ARNs are lowercase) or, with Debugger rules, a rule's processing job
 * (named by SageMaker) assumes the training role.
 */
export function trainingJobSourceArns(s: AccountScope, namePrefix: string, debuggerRules: boolean): string[] {
    return [
        sageMakerArn(s, `training-job/${namePrefix.toLowerCase()}-*`),
        ...(debuggerRules ? [sageMakerArn(s, "processing-job/*")] : []),
    ];
}

/** The one form AWS documents for inference: its `*` is literal, not a wildcard for a model or endpoint. */
export function inferenceSourceArns(s: AccountScope): string[] {
    return [sageMakerArn(s, "*")];
}

/** ARN of every object under a prefix of a bucket (`prefix` ends with '/'). */
export function objectsUnder(bucketArn: string, prefix: string): string {
    return `${bucketArn}/${prefix}*`;
}

/**
 * Read objects under some prefixes (or exact keys), and list the prefixes that are read by
 * listing (a dataset channel, checkpoints): an object fetched by its key needs no listing.
 */
export function readPrefixes(bucketArn: string, read: string[], listed: string[] = read): Statement[] {
    return [
        { Sid: "ReadObjects", Effect: "Allow", Action: ["s3:GetObject"], Resource: read.map(p => objectsUnder(bucketArn, p)) },
        {
            Sid: "ListPrefixes",
            Effect: "Allow",
            Action: ["s3:ListBucket"],
            Resource: bucketArn,
            Condition: { StringLike: { "s3:prefix": listed.map(p => `${p}*`) } },
        },
    ];
}

/**
 * Write (and overwrite) objects under some prefixes only; `abortMultipart` for a client that aborts
 * its failed multipart uploads itself (the AWS CLI). The bucket's lifecycle rule cleans up the rest.
 */
export function writePrefixes(bucketArn: string, prefixes: string[], opts: { abortMultipart?: boolean } = {}): Statement {
    return {
        Sid: "WriteObjects",
        Effect: "Allow",
        Action: opts.abortMultipart ? ["s3:PutObject", "s3:AbortMultipartUpload"] : ["s3:PutObject"],
        Resource: prefixes.map(p => objectsUnder(bucketArn, p)),
    };
}

/** Read and write SSE-KMS objects of the bucket: S3 calls KMS on the caller's behalf, and only S3 may. */
export function useKeyThroughS3(keyArn: string, region: string, access: "read" | "read-write"): Statement {
    return {
        Sid: "UseStackKeyThroughS3",
        Effect: "Allow",
        Action: access === "read" ? ["kms:Decrypt"] : ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: keyArn,
        Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
    };
}

/**
 * What a SageMaker job needs of the key beyond S3: `kms:Encrypt` for OutputDataConfig.KmsKeyId and
 * `kms:CreateGrant` for ResourceConfig.VolumeKmsKeyId, the grant only for an AWS resource (the
 * job's storage volume), never one the job's code could create for itself.
 */
export function encryptJobStorage(keyArn: string): Statement[] {
    return [
        { Sid: "EncryptJobOutput", Effect: "Allow", Action: ["kms:Encrypt"], Resource: keyArn },
        {
            Sid: "GrantVolumeEncryption",
            Effect: "Allow",
            Action: ["kms:CreateGrant"],
            Resource: keyArn,
            Condition: { Bool: { "kms:GrantIsForAWSResource": true } },
        },
    ];
}

/** `arn:aws:ecr:<region>:<account>:repository/<name>` of an image URI `<account>.dkr.ecr.<region>.<suffix>/<name>:<tag>`. */
export function ecrRepositoryArnOf(partition: string, imageUri: string): string {
    const match = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)(?:[:@].*)?$/.exec(imageUri);
    if (!match) throw new Error(`not an ECR image URI <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>: ${imageUri}`);
    return `arn:${partition}:ecr:${match[2]}:${match[1]}:repository/${match[3]}`;
}

/**
 * Pull exactly the images a role's workloads run: the repositories of those image URIs, in the
 * registry account and region the provider resolved them to (the token call has no resource).
 */
export function pullImages(partition: string, imageUris: string[]): Statement[] {
    return [
        { Sid: "EcrToken", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
        {
            Sid: "PullWorkloadImages",
            Effect: "Allow",
            Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            Resource: [...new Set(imageUris.map(uri => ecrRepositoryArnOf(partition, uri)))].sort(),
        },
    ];
}

const logGroupArn = (s: AccountScope, group: string) => `arn:${s.partition}:logs:${s.region}:${s.accountId}:log-group:${group}`;

/**
 * A log group as IAM policies name it for most CloudWatch Logs actions: with a trailing `:*`,
 * which also covers the group's streams (`<group>:log-stream:<stream>`).
 */
const logGroupInPolicies = (s: AccountScope, group: string) => `${logGroupArn(s, group)}:*`;

/** Create and write the log groups SageMaker names for a workload, and only those. */
export function writeLogGroups(s: AccountScope, groups: string[], sid = "WriteWorkloadLogs"): Statement {
    return {
        Sid: sid,
        Effect: "Allow",
        Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: groups.map(g => logGroupInPolicies(s, g)),
    };
}

/** Publish metrics, but only into the named SageMaker namespaces. */
export function putMetrics(namespaces: string[]): Statement {
    return {
        Sid: "PutWorkloadMetrics",
        Effect: "Allow",
        Action: ["cloudwatch:PutMetricData"],
        Resource: "*",
        Condition: { StringEquals: { "cloudwatch:namespace": namespaces } },
    };
}

export interface SageMakerJobRoleArgs {
    bucketArn: string;
    /** Prefix of the training code archives (content-addressed, so a new archive needs no policy change). */
    codePrefix: string;
    datasetPrefix: string;
    /** Prefixes the jobs write. */
    outputPrefixes: string[];
    /** Written prefixes the jobs also list and read back: checkpoints on resumption, Debugger data in rule jobs. */
    readBackPrefixes: string[];
    /** Every image the role's jobs run (training image; Debugger rule image). */
    imageUris: string[];
    /** SageMaker log groups of the jobs: `/aws/sagemaker/TrainingJobs`, `/aws/sagemaker/ProcessingJobs`. */
    logGroups: string[];
    /** CloudWatch namespaces of the jobs' instance metrics. */
    metricNamespaces: string[];
    kmsKeyArn?: string;
}

/**
 * The execution role of SageMaker training jobs, tuning trials and Debugger rule jobs: read the
 * code and the dataset, write (and read back) their own output prefixes, pull their images, write
 * their logs and metrics, and in prod use the stack's key for their output and storage volumes.
 */
export function sageMakerJobPermissions(s: AccountScope, a: SageMakerJobRoleArgs): PolicyDocument {
    const statements: Statement[] = [
        ...readPrefixes(a.bucketArn, [a.codePrefix, a.datasetPrefix, ...a.readBackPrefixes], [a.datasetPrefix, ...a.readBackPrefixes]),
        writePrefixes(a.bucketArn, a.outputPrefixes),
        ...pullImages(s.partition, a.imageUris),
        writeLogGroups(s, a.logGroups),
        putMetrics(a.metricNamespaces),
    ];
    if (a.kmsKeyArn) statements.push(useKeyThroughS3(a.kmsKeyArn, s.region, "read-write"), ...encryptJobStorage(a.kmsKeyArn));
    return document(...statements);
}

/**
 * The execution role of the endpoint's model: read its one artifact, pull its one image, write the
 * endpoint's own log group and metrics. It only reads: no S3 or KMS write of any kind.
 */
export function modelPermissions(s: AccountScope, a: {
    artifactArn: string; imageUri: string; endpointName: string; kmsKeyArn?: string;
}): PolicyDocument {
    const statements: Statement[] = [
        { Sid: "ReadModelArtifact", Effect: "Allow", Action: ["s3:GetObject"], Resource: a.artifactArn },
        ...pullImages(s.partition, [a.imageUri]),
        writeLogGroups(s, [`/aws/sagemaker/Endpoints/${a.endpointName}`], "WriteEndpointLogs"),
        putMetrics(["/aws/sagemaker/Endpoints"]),
    ];
    if (a.kmsKeyArn) statements.push(useKeyThroughS3(a.kmsKeyArn, s.region, "read"));
    return document(...statements);
}

/** Invoke exactly one endpoint. */
export function invokeEndpoint(endpointArn: string): Statement {
    return { Sid: "InvokeOneEndpoint", Effect: "Allow", Action: ["sagemaker:InvokeEndpoint"], Resource: endpointArn };
}

/** Write to one log group (which the stack created, so no CreateLogGroup). */
export function writeLogGroup(logGroupArnValue: string): Statement {
    return { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logGroupArnValue}:*` };
}

/** X-Ray segments (X-Ray has no resource-level permissions). */
export function writeTraces(): Statement {
    return { Sid: "WriteTraces", Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" };
}

/** Pass some roles, only to SageMaker. */
export function passRolesToSageMaker(roleArns: string[]): Statement {
    return {
        Sid: "PassJobRolesToSageMaker",
        Effect: "Allow",
        Action: ["iam:PassRole"],
        Resource: roleArns,
        Condition: { StringEquals: { "iam:PassedToService": "sagemaker.amazonaws.com" } },
    };
}

/** Start, watch and stop this stack's training and tuning jobs (names start with the stack prefix). */
export function manageStackJobs(s: AccountScope, namePrefix: string): Statement[] {
    const arn = (kind: string) => sageMakerArn(s, `${kind}/${namePrefix.toLowerCase()}-*`);
    return [
        {
            Sid: "ManageStackJobs",
            Effect: "Allow",
            Action: [
                "sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob",
                "sagemaker:CreateHyperParameterTuningJob", "sagemaker:DescribeHyperParameterTuningJob",
                "sagemaker:StopHyperParameterTuningJob", "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
                "sagemaker:AddTags",
            ],
            Resource: [arn("training-job"), arn("hyper-parameter-tuning-job")],
        },
        {
            // List calls have no resource-level permissions in SageMaker.
            Sid: "ListJobs",
            Effect: "Allow",
            Action: ["sagemaker:ListTrainingJobs", "sagemaker:ListHyperParameterTuningJobs"],
            Resource: "*",
        },
        {
            Sid: "ReadStackJobLogs",
            Effect: "Allow",
            Action: ["logs:GetLogEvents"],
            Resource: `${logGroupArn(s, "/aws/sagemaker/TrainingJobs")}:log-stream:${namePrefix.toLowerCase()}-*`,
        },
        {
            Sid: "FindJobLogStreams",
            Effect: "Allow",
            Action: ["logs:DescribeLogStreams"],
            Resource: logGroupInPolicies(s, "/aws/sagemaker/TrainingJobs"),
        },
    ];
}

/** A notebook may stop itself (the idle-stop lifecycle script) and write its own log streams. */
export function notebookSelfManagement(s: AccountScope, notebookName: string): Statement[] {
    const group = logGroupArn(s, "/aws/sagemaker/NotebookInstances");
    return [
        {
            Sid: "StopSelfWhenIdle",
            Effect: "Allow",
            Action: ["sagemaker:DescribeNotebookInstance", "sagemaker:StopNotebookInstance"],
            Resource: sageMakerArn(s, `notebook-instance/${notebookName.toLowerCase()}`),
        },
        {
            Sid: "WriteOwnNotebookLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogGroup", "logs:DescribeLogStreams"],
            Resource: logGroupInPolicies(s, "/aws/sagemaker/NotebookInstances"),
        },
        {
            Sid: "WriteOwnNotebookLogStreams",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `${group}:log-stream:${notebookName}/*`,
        },
    ];
}

/**
 * The notebook is the team's workbench for this stack's data: it reads the whole bucket, and
 * writes and deletes only its own scratch prefix, so it can neither rewrite the dataset or the
 * code nor delete a model that is deployed.
 */
export function workbenchOnBucket(bucketArn: string, scratchPrefix: string): Statement[] {
    return [
        { Sid: "ReadBucket", Effect: "Allow", Action: ["s3:GetObject"], Resource: `${bucketArn}/*` },
        { Sid: "ListBucket", Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: bucketArn },
        {
            Sid: "WriteScratch",
            Effect: "Allow",
            Action: ["s3:PutObject", "s3:DeleteObject"],
            Resource: objectsUnder(bucketArn, scratchPrefix),
        },
    ];
}

/** The bucket refuses every request that is not over TLS. */
export function denyInsecureTransport(bucketArn: string): Statement {
    return {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": false } },
    };
}

/** The bucket's policy: TLS only. Every grant is an identity policy of one of the stack's roles. */
export function bucketPolicy(bucketArn: string): PolicyDocument {
    return document(denyInsecureTransport(bucketArn));
}

/**
 * The stack's KMS key: administered by the account (which also lets IAM policies grant its use,
 * as the roles' policies do), and used by CloudWatch Logs only for the log groups named by
 * `logGroupNamePattern` (a name with `*` wildcards; every log group of the account by default).
 */
export function keyPolicy(s: AccountScope, logGroupNamePattern = "*"): PolicyDocument {
    return document(
        {
            Sid: "AccountAdministers",
            Effect: "Allow",
            Principal: { AWS: `arn:${s.partition}:iam::${s.accountId}:root` },
            // Spelled out rather than kms:* so that no statement in the stack grants a whole service.
            Action: [
                "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
                "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
                "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
                "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant",
            ],
            Resource: "*",
        },
        {
            Sid: "CloudWatchLogsEncrypts",
            Effect: "Allow",
            Principal: { Service: `logs.${s.region}.amazonaws.com` },
            Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            Resource: "*",
            Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": logGroupArn(s, logGroupNamePattern) } },
        },
    );
}

/** `arn:aws:s3:::bucket/key` of one object, from its s3:// URI. */
export function objectArnOf(partition: string, s3UriValue: string): string {
    const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(s3UriValue);
    if (!match) throw new Error(`not an s3://bucket/key URI: ${s3UriValue}`);
    return `arn:${partition}:s3:::${match[1]}/${match[2]}`;
}
