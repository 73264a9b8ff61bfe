import * as pulumi from "@pulumi/pulumi";

/**
 * Every IAM policy document of the stack is built here, from small statement builders, so that
 * least privilege can be read (and tested) in one file. Documents are plain objects; callers
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

export function document(...statements: Statement[]): PolicyDocument {
    return { Version: "2012-10-17", Statement: statements };
}

/** JSON-encodes a document whose values may still be outputs (ARNs of resources being created). */
export function policyJson(doc: pulumi.Input<PolicyDocument>): pulumi.Output<string> {
    return pulumi.jsonStringify(pulumi.output(doc) as pulumi.Output<unknown>);
}

/** Trust policy: only the named AWS service may assume the role, only from this account's resources. */
export function assumeRoleBy(service: "sagemaker" | "lambda" | "ec2", accountId: string): PolicyDocument {
    const trust: Statement = { Effect: "Allow", Principal: { Service: `${service}.amazonaws.com` }, Action: "sts:AssumeRole" };
    // EC2 does not send aws:SourceAccount when it assumes an instance profile's role.
    if (service !== "ec2") {
        trust.Condition = { StringEquals: { "aws:SourceAccount": accountId } };
    }
    return document(trust);
}

/** ARN of every object under a prefix of a bucket (`prefix` ends with '/'). */
export function objectsUnder(bucketArn: string, prefix: string): string {
    return `${bucketArn}/${prefix}*`;
}

/** Read objects under some prefixes, and list only those prefixes. */
export function readPrefixes(bucketArn: string, prefixes: string[]): Statement[] {
    return [
        { Sid: "ReadObjects", Effect: "Allow", Action: ["s3:GetObject"], Resource: prefixes.map(p => objectsUnder(bucketArn, p)) },
        {
            Sid: "ListPrefixes",
            Effect: "Allow",
            Action: ["s3:ListBucket"],
            Resource: bucketArn,
            Condition: { StringLike: { "s3:prefix": prefixes.map(p => `${p}*`) } },
        },
    ];
}

/** Write (and overwrite) objects under some prefixes only. */
export function writePrefixes(bucketArn: string, prefixes: string[]): Statement {
    return {
        Sid: "WriteObjects",
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
        Resource: prefixes.map(p => objectsUnder(bucketArn, p)),
    };
}

/** Use of the stack's KMS key, only through the services that store our data. */
export function useKey(keyArn: string, region: string, services: string[]): Statement {
    return {
        Sid: "UseStackKey",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
        Resource: keyArn,
        Condition: { StringEquals: { "kms:ViaService": services.map(s => `${s}.${region}.amazonaws.com`) } },
    };
}

/** Pull the AWS Deep Learning Containers images (AWS-owned registries; the token call has no resource). */
export function pullDeepLearningImages(partition: string): Statement[] {
    return [
        { Sid: "EcrToken", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
        {
            Sid: "PullDlcImages",
            Effect: "Allow",
            Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            Resource: [
                `arn:${partition}:ecr:*:*:repository/pytorch-training`,
                `arn:${partition}:ecr:*:*:repository/pytorch-inference`,
                `arn:${partition}:ecr:*:*:repository/sagemaker-debugger-rules`,
            ],
        },
    ];
}

/** Write to the CloudWatch log groups SageMaker uses for one kind of job. */
export function writeSageMakerLogs(partition: string, region: string, accountId: string, kinds: string[]): Statement {
    return {
        Sid: "WriteJobLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: kinds.map(k => `arn:${partition}:logs:${region}:${accountId}:log-group:/aws/sagemaker/${k}:*`),
    };
}

/** Publish metrics, but only into SageMaker's own namespaces. */
export function putSageMakerMetrics(): Statement {
    return {
        Sid: "PutJobMetrics",
        Effect: "Allow",
        Action: ["cloudwatch:PutMetricData"],
        Resource: "*",
        Condition: { StringLike: { "cloudwatch:namespace": ["/aws/sagemaker/*", "aws/sagemaker/*"] } },
    };
}

/** Invoke exactly one endpoint. */
export function invokeEndpoint(endpointArn: string): Statement {
    return { Sid: "InvokeOneEndpoint", Effect: "Allow", Action: ["sagemaker:InvokeEndpoint"], Resource: endpointArn };
}

/** Write to one log group (which the stack created, so no CreateLogGroup). */
export function writeLogGroup(logGroupArn: string): Statement {
    return { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logGroupArn}:*` };
}

/** X-Ray segments (X-Ray has no resource-level permissions). */
export function writeTraces(): Statement {
    return { Sid: "WriteTraces", Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" };
}

/** Pass one role, only to SageMaker. */
export function passRoleToSageMaker(roleArn: string): Statement {
    return {
        Sid: "PassExecutionRoleToSageMaker",
        Effect: "Allow",
        Action: ["iam:PassRole"],
        Resource: roleArn,
        Condition: { StringEquals: { "iam:PassedToService": "sagemaker.amazonaws.com" } },
    };
}

/** Start, watch and stop this stack's training and tuning jobs (names start with the stack prefix). */
export function manageStackJobs(partition: string, region: string, accountId: string, namePrefix: string): Statement[] {
    const arn = (kind: string) => `arn:${partition}:sagemaker:${region}:${accountId}:${kind}/${namePrefix}-*`;
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
            Sid: "ReadJobLogs",
            Effect: "Allow",
            Action: ["logs:GetLogEvents", "logs:DescribeLogStreams", "logs:FilterLogEvents"],
            Resource: `arn:${partition}:logs:${region}:${accountId}:log-group:/aws/sagemaker/TrainingJobs:*`,
        },
    ];
}

/** A notebook may stop itself (the idle-stop lifecycle script) and write its own logs. */
export function notebookSelfManagement(partition: string, region: string, accountId: string, notebookName: string): Statement[] {
    return [
        {
            Sid: "StopSelfWhenIdle",
            Effect: "Allow",
            Action: ["sagemaker:DescribeNotebookInstance", "sagemaker:StopNotebookInstance"],
            Resource: `arn:${partition}:sagemaker:${region}:${accountId}:notebook-instance/${notebookName.toLowerCase()}`,
        },
        writeSageMakerLogs(partition, region, accountId, ["NotebookInstances"]),
    ];
}

/** Full object access to one bucket (the notebook is the team's workbench for this stack's data). */
export function workWithBucket(bucketArn: string): Statement[] {
    return [
        {
            Sid: "BucketObjects",
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
            Resource: `${bucketArn}/*`,
        },
        { Sid: "ListBucket", Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: bucketArn },
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

/** The stack's KMS key: administered by the account, used by the services that store our data. */
export function keyPolicy(partition: string, region: string, accountId: string): PolicyDocument {
    return document(
        {
            Sid: "AccountAdministers",
            Effect: "Allow",
            Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
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
            Principal: { Service: `logs.${region}.amazonaws.com` },
            Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            Resource: "*",
            Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:${partition}:logs:${region}:${accountId}:log-group:*` } },
        },
    );
}

export interface AccountScope {
    partition: string;
    region: string;
    accountId: string;
}

/**
 * The SageMaker execution role of training and tuning jobs (and the Debugger rule jobs SageMaker
 * starts for them): read code and data, write outputs, checkpoints and Debugger data.
 */
export function trainingJobPermissions(scope: AccountScope, bucketArn: string, p: {
    code: string; dataset: string; outputs: string[]; kmsKeyArn?: string;
}): PolicyDocument {
    const { partition, region, accountId } = scope;
    const statements: Statement[] = [
        // Checkpoints and Debugger data are read back (resumption, rule evaluation).
        ...readPrefixes(bucketArn, [p.code, p.dataset, ...p.outputs]),
        writePrefixes(bucketArn, p.outputs),
        ...pullDeepLearningImages(partition),
        writeSageMakerLogs(partition, region, accountId, ["TrainingJobs", "ProcessingJobs"]),
        putSageMakerMetrics(),
    ];
    if (p.kmsKeyArn) statements.push(useKey(p.kmsKeyArn, region, ["s3", "sagemaker"]));
    return document(...statements);
}

/** The SageMaker execution role of the model: read its one artifact, pull its image, write its logs. */
export function modelPermissions(scope: AccountScope, artifactArn: string, kmsKeyArn?: string): PolicyDocument {
    const { partition, region, accountId } = scope;
    const statements: Statement[] = [
        { Sid: "ReadModelArtifact", Effect: "Allow", Action: ["s3:GetObject"], Resource: artifactArn },
        ...pullDeepLearningImages(partition),
        writeSageMakerLogs(partition, region, accountId, ["Endpoints"]),
        putSageMakerMetrics(),
    ];
    if (kmsKeyArn) statements.push(useKey(kmsKeyArn, region, ["s3", "sagemaker"]));
    return document(...statements);
}

/** `arn:aws:s3:::bucket/key` of one object, from its s3:// URI. */
export function objectArnOf(partition: string, s3UriValue: string): string {
    const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(s3UriValue);
    if (!match) throw new Error(`not an s3://bucket/key URI: ${s3UriValue}`);
    return `arn:${partition}:s3:::${match[1]}/${match[2]}`;
}
