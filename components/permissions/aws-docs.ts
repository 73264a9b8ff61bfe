/**
 * The AWS documentation pages the workload permission contracts cite: each page once, by key, so
 * that a contract says which page a request comes from and the docs link the same page.
 */
export const AWS_DOCS = {
    trainingRole: {
        title: "SageMaker AI execution roles: CreateTrainingJob permissions",
        url: "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-createtrainingjob-perms",
    },
    tuningRole: {
        title: "SageMaker AI execution roles: CreateHyperParameterTuningJob permissions",
        url: "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-createhyperparametertiningjob-perms",
    },
    processingRole: {
        title: "SageMaker AI execution roles: CreateProcessingJob permissions",
        url: "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-createprocessingjob-perms",
    },
    modelRole: {
        title: "SageMaker AI execution roles: CreateModel permissions",
        url: "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-createmodel-perms",
    },
    notebookRole: {
        title: "SageMaker AI execution roles: CreateNotebookInstance permissions",
        url: "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-createnotebookinstance-perms",
    },
    passRole: {
        title: "SageMaker AI execution roles: passing roles",
        url: "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-pass-role",
    },
    confusedDeputyTraining: {
        title: "SageMaker AI confused deputy prevention: training jobs",
        url: "https://docs.aws.amazon.com/sagemaker/latest/dg/security-confused-deputy-prevention.html#security-confused-deputy-training-job",
    },
    confusedDeputyProcessing: {
        title: "SageMaker AI confused deputy prevention: processing jobs",
        url: "https://docs.aws.amazon.com/sagemaker/latest/dg/security-confused-deputy-prevention.html#security-confused-deputy-processing-job",
    },
    confusedDeputyInference: {
        title: "SageMaker AI confused deputy prevention: inference",
        url: "https://docs.aws.amazon.com/sagemaker/latest/dg/security-confused-deputy-prevention.html#security-confused-deputy-inference",
    },
    sageMakerLogs: {
        title: "CloudWatch Logs for Amazon SageMaker AI (log groups and streams)",
        url: "https://docs.aws.amazon.com/sagemaker/latest/dg/logging-cloudwatch.html",
    },
    sageMakerMetrics: {
        title: "Amazon SageMaker AI metrics in Amazon CloudWatch (namespaces)",
        url: "https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html",
    },
    dlcRegistryUsEast1: {
        title: "Docker registry paths and example code for US East (N. Virginia)",
        url: "https://docs.aws.amazon.com/sagemaker/latest/dg-ecr-paths/ecr-us-east-1.html",
    },
    prebuiltImages: {
        title: "Docker registry paths and example code (pre-built images and who pulls them)",
        url: "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-algo-docker-registry-paths.html",
    },
    debuggerRuleImages: {
        title: "SageMaker Debugger registry URLs for built-in rule evaluators",
        url: "https://docs.aws.amazon.com/sagemaker/latest/dg/debugger-reference.html#debugger-docker-images-rules",
    },
    s3ListPrefix: {
        title: "Amazon S3 condition keys: s3:prefix on ListBucket",
        url: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html",
    },
    s3SecureTransport: {
        title: "Amazon S3 security best practices: enforce encryption of data in transit (aws:SecureTransport)",
        url: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html",
    },
    s3Kms: {
        title: "Amazon S3 with SSE-KMS: permissions (kms:GenerateDataKey, kms:Decrypt) and encryption context",
        url: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html",
    },
    kmsViaService: {
        title: "AWS KMS condition keys: kms:ViaService",
        url: "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service",
    },
    kmsGrantForAwsResource: {
        title: "AWS KMS condition keys: kms:GrantIsForAWSResource",
        url: "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource",
    },
    kmsRootDelegation: {
        title: "AWS KMS default key policy: allows access to the AWS account and enables IAM policies",
        url: "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam",
    },
    logsKms: {
        title: "Encrypt log data in CloudWatch Logs using AWS KMS (key policy for logs.<region>.amazonaws.com)",
        url: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",
    },
    logGroupArn: {
        title: "CloudWatch Logs LogGroup: the ARN with a trailing :* is the one IAM policies use for most actions",
        url: "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_LogGroup.html",
    },
    lambdaLogs: {
        title: "Sending Lambda function logs to CloudWatch Logs (execution role permissions)",
        url: "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html",
    },
    lambdaRole: {
        title: "Defining Lambda function permissions with an execution role",
        url: "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html",
    },
    lambdaXray: {
        title: "Visualize Lambda function invocations using AWS X-Ray (execution role permissions)",
        url: "https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html",
    },
    invokeEndpoint: {
        title: "SageMaker Runtime InvokeEndpoint",
        url: "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html",
    },
    sageMakerActions: {
        title: "Service Authorization Reference: actions, resources and condition keys for Amazon SageMaker AI",
        url: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html",
    },
    passedToService: {
        title: "IAM condition keys: iam:PassedToService",
        url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService",
    },
    notebookLifecycle: {
        title: "Customization of a SageMaker notebook instance using a lifecycle configuration script",
        url: "https://docs.aws.amazon.com/sagemaker/latest/dg/notebook-lifecycle-config.html",
    },
    ec2Role: {
        title: "IAM roles for Amazon EC2",
        url: "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html",
    },
    s3CliSync: {
        title: "AWS CLI: aws s3 sync (lists the source prefix, then copies each object)",
        url: "https://docs.aws.amazon.com/cli/latest/reference/s3/sync.html",
    },
    ssmInstanceProfile: {
        title: "Systems Manager: instance permissions (AmazonSSMManagedInstanceCore)",
        url: "https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-instance-permissions.html",
    },
} as const satisfies Record<string, { title: string; url: string }>;

export type DocKey = keyof typeof AWS_DOCS;
