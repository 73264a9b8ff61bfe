import { BUCKET_PREFIXES } from "../bucket-layout";
import { DocKey } from "./aws-docs";

/**
 * Workload permission contracts: for each role of the stack and each resource policy, the requests
 * the workload really makes at run time (principal, action, resource ARN in its real shape, the
 * request context the service sends) with the AWS page that says so, and the requests that must
 * be denied. The role policies in ../iam.ts are built to satisfy them; the tests evaluate every
 * request against the policies the program produces with an independent IAM simulator, and
 * docs/security.md is generated from them.
 *
 * The contracts are built from `StackFacts`: the names and locations a stack chose (bucket, job
 * names, endpoint, images). Everything else (log group and stream names, artifact keys, ARN shapes,
 * the context keys) follows AWS's documented conventions, written here once.
 */

export type RoleKey = "training" | "tuning" | "notebook" | "model" | "inference" | "gpuTrainer";

/** Who makes a request: a role's session, an AWS service principal, or a principal of another account. */
export type Principal =
    | { role: RoleKey }
    | { service: string }
    | { foreignAccount: string };

export type Context = Record<string, string | string[]>;

export interface WorkloadRequest {
    /** What the workload does with this request, in a phrase (the reason for the permission). */
    does: string;
    principal: Principal;
    action: string;
    resource: string;
    context: Context;
    /** The AWS pages this request (its action, resource shape and context) comes from. */
    docs: DocKey[];
    /** Only in stacks with this feature (shown in the docs). */
    when?: "kms" | "debugger" | "spot" | "xray";
}

export interface WorkloadContract {
    /** The workload, as the docs name it. */
    workload: string;
    /** The role the workload runs as; absent for a resource policy's contract. */
    role?: RoleKey;
    /** Why the trust policy pins (or does not pin) `aws:SourceArn`, with the page. */
    trust?: { note: string; docs: DocKey[] };
    requests: WorkloadRequest[];
    /** Requests the policies must deny; `does` says what the attempt would be. */
    mustDeny: WorkloadRequest[];
}

export interface TrainingRunFacts {
    jobName: string;
    /** `S3OutputPath` key prefix (`training/`): SageMaker writes `<prefix><job>/output/model.tar.gz`. */
    outputPrefix: string;
    /** CheckpointConfig key prefix, when spot training checkpoints. */
    checkpointPrefix?: string;
    /** DebugHookConfig key prefix, when Debugger rules run. */
    debuggerPrefix?: string;
    trainingImage: string;
    /** The built-in rule evaluator image, when Debugger rules run. */
    ruleImage?: string;
}

export interface StackFacts {
    partition: string;
    region: string;
    accountId: string;
    /** `mlops-<stack>`: the prefix of every name the stack chooses. */
    namePrefix: string;
    bucketArn: string;
    /** Key of the training code archive (`code/sourcedir-<hash>.tar.gz`). */
    codeKey: string;
    datasetPrefix: string;
    kmsKeyArn?: string;
    /** Role name per role the stack has. */
    roleNames: Partial<Record<RoleKey, string>>;
    runs: TrainingRunFacts[];
    tuning?: { jobName: string; outputPrefix: string; checkpointPrefix?: string; trainingImage: string };
    endpoint: { name: string; arn: string; variantName: string; modelName: string; artifactKey: string; image: string };
    inference: { functionName: string; logGroupName: string; xray: boolean };
    notebook?: { name: string };
    gpuTrainer?: { outputPrefix: string };
    /** Another stack of the project in the same account: its jobs, bucket and endpoint must stay out of reach. */
    neighbour: { namePrefix: string; bucketArn: string; endpointName: string };
}

/** An account that is not the stack's and not AWS's: a stranger's registry, a stranger's principal. */
export const FOREIGN_ACCOUNT = "111122223333";

/**
 * The account that publishes the AWS Deep Learning Containers, per region, as AWS's registry-path
 * pages list it. The program takes its images' registry from the provider; the tests check the
 * provider's answer against this table.
 */
export const DOCUMENTED_DLC_ACCOUNTS: Record<string, { account: string; doc: DocKey }> = {
    "us-east-1": { account: "763104351884", doc: "dlcRegistryUsEast1" },
};

/** Example instance values where SageMaker names something at run time (instance ids, timestamps). */
const AT_RUN_TIME = { epoch: "1767225600", instanceId: "i-0123456789abcdef0", date: "2026/01/01", lambdaStream: "0123456789abcdef0123456789abcdef" };

const TLS: Context = { "aws:SecureTransport": "true" };

class Arns {
    constructor(private readonly f: StackFacts) {}
    sageMaker(resource: string, account = this.f.accountId, region = this.f.region) {
        return `arn:${this.f.partition}:sagemaker:${region}:${account}:${resource}`;
    }
    object(key: string, bucketArn = this.f.bucketArn) {
        return `${bucketArn}/${key}`;
    }
    logGroup(name: string) {
        return `arn:${this.f.partition}:logs:${this.f.region}:${this.f.accountId}:log-group:${name}`;
    }
    /** The log group's ARN as CloudWatch Logs authorizes most actions on it: with a trailing `:*`. */
    logGroupAuthorized(name: string) {
        return `${this.logGroup(name)}:*`;
    }
    logStream(group: string, stream: string) {
        return `${this.logGroup(group)}:log-stream:${stream}`;
    }
    role(key: RoleKey) {
        const name = this.f.roleNames[key];
        if (!name) throw new Error(`contracts: the stack has no ${key} role`);
        return `arn:${this.f.partition}:iam::${this.f.accountId}:role/${name}`;
    }
    ecrRepository(account: string, region: string, repository: string) {
        return `arn:${this.f.partition}:ecr:${region}:${account}:repository/${repository}`;
    }
    /** The ECR repository of an image URI `<account>.dkr.ecr.<region>.<suffix>/<repository>:<tag>`. */
    repositoryOf(imageUri: string) {
        const m = /^([^.]+)\.dkr\.ecr\.([^.]+)\.[a-z.]+\/([^:@]+)/.exec(imageUri);
        if (!m) throw new Error(`contracts: not an ECR image URI: ${imageUri}`);
        return { account: m[1], region: m[2], repository: m[3], arn: this.ecrRepository(m[1], m[2], m[3]) };
    }
}

const lower = (s: string) => s.toLowerCase();

/** S3 calls KMS for an SSE-KMS object with the caller's credentials: this is the context it sends (S3 Bucket Key on). */
function throughS3(f: StackFacts): Context {
    return { "kms:ViaService": `s3.${f.region}.amazonaws.com`, "kms:EncryptionContext:aws:s3:arn": f.bucketArn };
}

interface RequestBuilder {
    (does: string, action: string, resource: string, context: Context, docs: DocKey[], when?: WorkloadRequest["when"]): WorkloadRequest;
}

function requestsAs(principal: Principal): RequestBuilder {
    return (does, action, resource, context, docs, when) => ({ does, principal, action, resource, context, docs, ...(when ? { when } : {}) });
}

/** The image pulls of a role's workload (the token call has no resource). */
function pulls(as: RequestBuilder, arns: Arns, imageUri: string, doc: DocKey, what: string): WorkloadRequest[] {
    const repo = arns.repositoryOf(imageUri).arn;
    return [
        as(`gets a registry token to pull ${what}`, "ecr:GetAuthorizationToken", "*", {}, [doc]),
        ...["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"].map(action =>
            as(`pulls ${what}`, action, repo, {}, [doc, "prebuiltImages"])),
    ];
}

/** Writes to a SageMaker log group: SageMaker names the group and its streams. */
function logs(as: RequestBuilder, arns: Arns, group: string, stream: string, doc: DocKey): WorkloadRequest[] {
    const why = `writes its logs to ${group}`;
    return [
        as(why, "logs:CreateLogGroup", arns.logGroupAuthorized(group), {}, [doc, "sageMakerLogs", "logGroupArn"]),
        as(why, "logs:DescribeLogStreams", arns.logGroupAuthorized(group), {}, [doc, "sageMakerLogs", "logGroupArn"]),
        as(why, "logs:CreateLogStream", arns.logStream(group, stream), {}, [doc, "sageMakerLogs"]),
        as(why, "logs:PutLogEvents", arns.logStream(group, stream), {}, [doc, "sageMakerLogs"]),
    ];
}

/** What every SageMaker job (training run, tuning trial) does with the code, the dataset and its output. */
function jobDataRequests(f: StackFacts, as: RequestBuilder, arns: Arns, doc: DocKey, job: string, outputKey: string, checkpointPrefix?: string): WorkloadRequest[] {
    const checkpoint = checkpointPrefix ? `${checkpointPrefix}checkpoint.pt` : undefined;
    return [
        as("downloads the training code archive (sagemaker_submit_directory)", "s3:GetObject", arns.object(f.codeKey), TLS, [doc]),
        as("lists the dataset prefix (S3Prefix training channel)", "s3:ListBucket", f.bucketArn, { ...TLS, "s3:prefix": f.datasetPrefix }, [doc, "s3ListPrefix"]),
        as("downloads the dataset's images", "s3:GetObject", arns.object(`${f.datasetPrefix}train/001.Affenpinscher/Affenpinscher_00001.jpg`), TLS, [doc]),
        as(`uploads its model artifact <S3OutputPath>/${job}/output/model.tar.gz`, "s3:PutObject", arns.object(outputKey), TLS, [doc]),
        ...(checkpoint ? [
            as("lists its checkpoints to resume after a spot interruption", "s3:ListBucket", f.bucketArn, { ...TLS, "s3:prefix": checkpointPrefix! }, [doc, "s3ListPrefix"], "spot"),
            as("downloads its checkpoints to resume", "s3:GetObject", arns.object(checkpoint), TLS, [doc], "spot"),
            as("uploads its checkpoints", "s3:PutObject", arns.object(checkpoint), TLS, [doc], "spot"),
        ] : []),
    ];
}

/** In prod: a role that reads and writes the bucket's objects uses the key through S3 (SSE-KMS). */
function objectKeyRequests(f: StackFacts, as: RequestBuilder): WorkloadRequest[] {
    if (!f.kmsKeyArn) return [];
    return [
        as("reads SSE-KMS objects: S3 decrypts their data key", "kms:Decrypt", f.kmsKeyArn, throughS3(f), ["s3Kms", "kmsViaService"], "kms"),
        as("writes SSE-KMS objects: S3 asks for a data key", "kms:GenerateDataKey", f.kmsKeyArn, throughS3(f), ["s3Kms", "kmsViaService"], "kms"),
    ];
}

/** In prod: SSE-KMS reads and writes through S3, the encrypted output and the encrypted storage volume. */
function jobKeyRequests(f: StackFacts, as: RequestBuilder, doc: DocKey): WorkloadRequest[] {
    if (!f.kmsKeyArn) return [];
    return [
        as("reads SSE-KMS objects (code, dataset, checkpoints): S3 decrypts their data key", "kms:Decrypt", f.kmsKeyArn, throughS3(f), [doc, "s3Kms", "kmsViaService"], "kms"),
        as("writes SSE-KMS objects: S3 asks for a data key", "kms:GenerateDataKey", f.kmsKeyArn, throughS3(f), [doc, "s3Kms", "kmsViaService"], "kms"),
        as("encrypts its output with OutputDataConfig.KmsKeyId", "kms:Encrypt", f.kmsKeyArn, {}, [doc], "kms"),
        as("has its storage volume encrypted with ResourceConfig.VolumeKmsKeyId (a grant for an AWS resource)", "kms:CreateGrant", f.kmsKeyArn,
            { "kms:GrantIsForAWSResource": "true" }, [doc, "kmsGrantForAwsResource"], "kms"),
    ];
}

/** Probes every SageMaker job role must fail: other stacks' data, rewriting the inputs, foreign images, the key used directly. */
function jobMustDeny(f: StackFacts, as: RequestBuilder, arns: Arns, doc: DocKey, repository: string): WorkloadRequest[] {
    const dlc = arns.repositoryOf(f.runs[0]?.trainingImage ?? f.tuning!.trainingImage);
    return [
        as("overwrite the training code archive", "s3:PutObject", arns.object(f.codeKey), TLS, [doc]),
        as("write into the dataset", "s3:PutObject", arns.object(`${f.datasetPrefix}train/001.Affenpinscher/injected.jpg`), TLS, [doc]),
        as("delete a dataset image", "s3:DeleteObject", arns.object(`${f.datasetPrefix}train/001.Affenpinscher/Affenpinscher_00001.jpg`), TLS, [doc]),
        as("read another stack's dataset", "s3:GetObject", arns.object(`${f.datasetPrefix}train/001.Affenpinscher/Affenpinscher_00001.jpg`, f.neighbour.bucketArn), TLS, [doc]),
        as("list the whole bucket", "s3:ListBucket", f.bucketArn, { ...TLS, "s3:prefix": "" }, [doc, "s3ListPrefix"]),
        as("pull an image of the same name from another account's registry", "ecr:BatchGetImage", arns.ecrRepository(FOREIGN_ACCOUNT, dlc.region, repository), {}, [doc]),
        as("pull an image it does not run", "ecr:BatchGetImage", arns.ecrRepository(dlc.account, dlc.region, "pytorch-inference"), {}, [doc]),
        as("pull the same repository in another region", "ecr:BatchGetImage", arns.ecrRepository(dlc.account, dlc.region === "us-west-2" ? "eu-west-1" : "us-west-2", repository), {}, [doc]),
        as("write into an endpoint's log group", "logs:PutLogEvents", arns.logStream(`/aws/sagemaker/Endpoints/${f.endpoint.name}`, `${f.endpoint.variantName}/${AT_RUN_TIME.instanceId}`), {}, [doc]),
        as("publish metrics outside SageMaker's namespaces", "cloudwatch:PutMetricData", "*", { "cloudwatch:namespace": "Custom/Anything" }, [doc]),
        ...(f.kmsKeyArn ? [
            as("decrypt with the key directly, not through S3", "kms:Decrypt", f.kmsKeyArn, {}, [doc, "kmsViaService"], "kms" as const),
            as("create a grant for itself (not for an AWS resource)", "kms:CreateGrant", f.kmsKeyArn, { "kms:GrantIsForAWSResource": "false" }, [doc, "kmsGrantForAwsResource"], "kms" as const),
        ] : []),
    ];
}

/** Service assumptions every role must refuse: the wrong service, and the right service for another account. */
function trustMustDeny(f: StackFacts, arns: Arns, key: RoleKey, service: string, doc: DocKey): WorkloadRequest[] {
    const wrong = service === "lambda.amazonaws.com" ? "sagemaker.amazonaws.com" : "lambda.amazonaws.com";
    return [
        requestsAs({ service: wrong })(`assume the role as ${wrong}`, "sts:AssumeRole", arns.role(key), {}, [doc]),
        requestsAs({ foreignAccount: FOREIGN_ACCOUNT })("assume the role from another account", "sts:AssumeRole", arns.role(key), {}, [doc]),
    ];
}

function trainingContract(f: StackFacts): WorkloadContract {
    const arns = new Arns(f);
    const as = requestsAs({ role: "training" });
    const sagemaker = requestsAs({ service: "sagemaker.amazonaws.com" });
    const requests: WorkloadRequest[] = [];
    const mustDeny: WorkloadRequest[] = [];
    for (const run of f.runs) {
        const job = run.jobName;
        requests.push(
            sagemaker(`assumes the role for training job ${job}`, "sts:AssumeRole", arns.role("training"),
                { "aws:SourceArn": arns.sageMaker(`training-job/${lower(job)}`), "aws:SourceAccount": f.accountId }, ["confusedDeputyTraining"]),
            ...jobDataRequests(f, as, arns, "trainingRole", job, `${run.outputPrefix}${job}/output/model.tar.gz`, run.checkpointPrefix),
            ...pulls(as, arns, run.trainingImage, "trainingRole", "the PyTorch training image"),
            ...logs(as, arns, "/aws/sagemaker/TrainingJobs", `${job}/algo-1-${AT_RUN_TIME.epoch}`, "trainingRole"),
            as("publishes its instance metrics", "cloudwatch:PutMetricData", "*", { "cloudwatch:namespace": "/aws/sagemaker/TrainingJobs" }, ["trainingRole", "sageMakerMetrics"]),
        );
        if (run.debuggerPrefix && run.ruleImage) {
            // Debugger's built-in rules run as processing jobs that SageMaker names and starts with the job's role.
            const ruleJob = lower(`${job.slice(0, 30)}-ProfilerReport-1a2b3c4d`);
            const tensors = `${run.debuggerPrefix}index/000000000/000000000100_worker_0.json`;
            requests.push(
                as("saves Debugger data (tensors with DebugHookConfig, system metrics with ProfilerConfig)", "s3:PutObject", arns.object(tensors), TLS, ["trainingRole"], "debugger"),
                sagemaker(`assumes the role for Debugger rule job ${ruleJob}`, "sts:AssumeRole", arns.role("training"),
                    { "aws:SourceArn": arns.sageMaker(`processing-job/${ruleJob}`), "aws:SourceAccount": f.accountId }, ["confusedDeputyProcessing"], "debugger"),
                as("(rule job) lists the Debugger data", "s3:ListBucket", f.bucketArn, { ...TLS, "s3:prefix": run.debuggerPrefix }, ["processingRole", "s3ListPrefix"], "debugger"),
                as("(rule job) reads the Debugger data", "s3:GetObject", arns.object(tensors), TLS, ["processingRole"], "debugger"),
                as("(rule job) writes its report under the job's output", "s3:PutObject",
                    arns.object(`${run.outputPrefix}${job}/rule-output/ProfilerReport/profiler-output/profiler-report.html`), TLS, ["processingRole"], "debugger"),
                ...pulls(as, arns, run.ruleImage, "processingRole", "the Debugger rule image").map(r => ({ ...r, when: "debugger" as const })),
                ...logs(as, arns, "/aws/sagemaker/ProcessingJobs", `${ruleJob}/algo-1-${AT_RUN_TIME.epoch}`, "processingRole").map(r => ({ ...r, when: "debugger" as const })),
                as("(rule job) publishes its instance metrics", "cloudwatch:PutMetricData", "*", { "cloudwatch:namespace": "/aws/sagemaker/ProcessingJobs" },
                    ["processingRole", "sageMakerMetrics"], "debugger"),
            );
        }
    }
    requests.push(...jobKeyRequests(f, as, "trainingRole"));
    const anyJob = f.runs[0].jobName;
    mustDeny.push(
        ...jobMustDeny(f, as, arns, "trainingRole", "pytorch-training"),
        as("overwrite a tuning trial's model", "s3:PutObject", arns.object(`${BUCKET_PREFIXES.tuning}${f.namePrefix}-hpo-0000-001-abcdef12/output/model.tar.gz`), TLS, ["trainingRole"]),
        requestsAs({ service: "sagemaker.amazonaws.com" })("be assumed for another stack's training job", "sts:AssumeRole", arns.role("training"),
            { "aws:SourceArn": arns.sageMaker(`training-job/${lower(f.neighbour.namePrefix)}-single-0123456789`), "aws:SourceAccount": f.accountId }, ["confusedDeputyTraining"]),
        requestsAs({ service: "sagemaker.amazonaws.com" })("be assumed for a training job of another account", "sts:AssumeRole", arns.role("training"),
            { "aws:SourceArn": arns.sageMaker(`training-job/${lower(anyJob)}`, FOREIGN_ACCOUNT), "aws:SourceAccount": FOREIGN_ACCOUNT }, ["confusedDeputyTraining"]),
        requestsAs({ service: "sagemaker.amazonaws.com" })("be assumed for an endpoint's model", "sts:AssumeRole", arns.role("training"),
            { "aws:SourceArn": arns.sageMaker("*"), "aws:SourceAccount": f.accountId }, ["confusedDeputyInference"]),
        ...trustMustDeny(f, arns, "training", "sagemaker.amazonaws.com", "confusedDeputyTraining"),
    );
    return {
        workload: "Training jobs (and their Debugger rule jobs)",
        role: "training",
        trust: {
            note: "sagemaker.amazonaws.com, only for this stack's training jobs (`aws:SourceArn` ArnLike `training-job/<prefix>-*`) and, with Debugger rules, processing jobs (`processing-job/*`)",
            docs: ["confusedDeputyTraining", "confusedDeputyProcessing"],
        },
        requests,
        mustDeny,
    };
}

function tuningContract(f: StackFacts): WorkloadContract | undefined {
    if (!f.tuning) return undefined;
    const arns = new Arns(f);
    const as = requestsAs({ role: "tuning" });
    const trial = `${f.tuning.jobName}-001-abcdef12`;
    return {
        workload: "Hyperparameter tuning trials",
        role: "tuning",
        trust: {
            note: "sagemaker.amazonaws.com with no `aws:SourceArn` condition: AWS documents the key for training, processing and inference, not for tuning jobs, and a condition on a key the service does not send would make the role unassumable",
            docs: ["tuningRole", "confusedDeputyTraining"],
        },
        requests: [
            requestsAs({ service: "sagemaker.amazonaws.com" })(`assumes the role for trial ${trial}`, "sts:AssumeRole", arns.role("tuning"), {}, ["tuningRole"]),
            ...jobDataRequests(f, as, arns, "tuningRole", trial, `${f.tuning.outputPrefix}${trial}/output/model.tar.gz`,
                f.tuning.checkpointPrefix ? `${f.tuning.checkpointPrefix}${trial}/` : undefined),
            ...pulls(as, arns, f.tuning.trainingImage, "tuningRole", "the PyTorch training image"),
            ...logs(as, arns, "/aws/sagemaker/TrainingJobs", `${trial}/algo-1-${AT_RUN_TIME.epoch}`, "tuningRole"),
            as("publishes its instance metrics", "cloudwatch:PutMetricData", "*", { "cloudwatch:namespace": "/aws/sagemaker/TrainingJobs" }, ["tuningRole", "sageMakerMetrics"]),
            ...jobKeyRequests(f, as, "tuningRole"),
        ],
        mustDeny: [
            ...jobMustDeny(f, as, arns, "tuningRole", "pytorch-training"),
            as("overwrite the deployed model", "s3:PutObject", arns.object(f.endpoint.artifactKey), TLS, ["tuningRole"]),
            as("write Debugger data of the training runs", "s3:PutObject", arns.object(`${BUCKET_PREFIXES.debugger}single/${f.namePrefix}-single-0123456789/index/000000000/000000000100_worker_0.json`), TLS, ["tuningRole"]),
            ...trustMustDeny(f, arns, "tuning", "sagemaker.amazonaws.com", "tuningRole"),
        ],
    };
}

function notebookContract(f: StackFacts): WorkloadContract | undefined {
    if (!f.notebook) return undefined;
    const arns = new Arns(f);
    const as = requestsAs({ role: "notebook" });
    const name = f.notebook.name;
    const experiment = `${f.namePrefix}-experiment-1`;
    const hpo = `${f.namePrefix}-hpo-exp1`;
    const doc: DocKey = "notebookRole";
    const jobArn = (kind: string, n: string) => arns.sageMaker(`${kind}/${lower(n)}`);
    const scratch = `${BUCKET_PREFIXES.notebook}analysis.ipynb`;
    return {
        workload: "Notebook instance",
        role: "notebook",
        trust: {
            note: "sagemaker.amazonaws.com with no `aws:SourceArn` condition: AWS documents none for notebook instances",
            docs: ["notebookRole", "confusedDeputyTraining"],
        },
        requests: [
            requestsAs({ service: "sagemaker.amazonaws.com" })(`assumes the role for notebook instance ${name}`, "sts:AssumeRole", arns.role("notebook"), {}, [doc]),
            as("lists the stack's bucket", "s3:ListBucket", f.bucketArn, { ...TLS, "s3:prefix": "" }, [doc]),
            as("finds the bucket's region (SDKs and the console do)", "s3:GetBucketLocation", f.bucketArn, TLS, [doc]),
            as("reads the dataset", "s3:GetObject", arns.object(`${f.datasetPrefix}valid/001.Affenpinscher/Affenpinscher_00036.jpg`), TLS, [doc]),
            as("reads a trained model to evaluate it", "s3:GetObject", arns.object(f.endpoint.artifactKey), TLS, [doc]),
            as(`saves its own work under ${BUCKET_PREFIXES.notebook}`, "s3:PutObject", arns.object(scratch), TLS, [doc]),
            as(`deletes its own work under ${BUCKET_PREFIXES.notebook}`, "s3:DeleteObject", arns.object(scratch), TLS, [doc]),
            as("starts a training job of this stack", "sagemaker:CreateTrainingJob", jobArn("training-job", experiment), {}, [doc, "sageMakerActions"]),
            as("tags the jobs it starts", "sagemaker:AddTags", jobArn("training-job", experiment), {}, [doc, "sageMakerActions"]),
            as("watches the training job", "sagemaker:DescribeTrainingJob", jobArn("training-job", experiment), {}, [doc, "sageMakerActions"]),
            as("stops the training job", "sagemaker:StopTrainingJob", jobArn("training-job", experiment), {}, [doc, "sageMakerActions"]),
            as("starts a tuning job of this stack", "sagemaker:CreateHyperParameterTuningJob", jobArn("hyper-parameter-tuning-job", hpo), {}, [doc, "sageMakerActions"]),
            as("watches the tuning job", "sagemaker:DescribeHyperParameterTuningJob", jobArn("hyper-parameter-tuning-job", hpo), {}, [doc, "sageMakerActions"]),
            as("lists the tuning job's trials", "sagemaker:ListTrainingJobsForHyperParameterTuningJob", jobArn("hyper-parameter-tuning-job", hpo), {}, [doc, "sageMakerActions"]),
            as("stops the tuning job", "sagemaker:StopHyperParameterTuningJob", jobArn("hyper-parameter-tuning-job", hpo), {}, [doc, "sageMakerActions"]),
            as("lists training jobs (no resource-level permission exists)", "sagemaker:ListTrainingJobs", "*", {}, [doc, "sageMakerActions"]),
            as("lists tuning jobs (no resource-level permission exists)", "sagemaker:ListHyperParameterTuningJobs", "*", {}, [doc, "sageMakerActions"]),
            as("passes the training role to the jobs it starts", "iam:PassRole", arns.role("training"), { "iam:PassedToService": "sagemaker.amazonaws.com" }, ["passRole", "passedToService"]),
            ...(f.roleNames.tuning ? [as("passes the tuning role to the tuning jobs it starts", "iam:PassRole", arns.role("tuning"),
                { "iam:PassedToService": "sagemaker.amazonaws.com" }, ["passRole", "passedToService"])] : []),
            as("finds a job's log streams", "logs:DescribeLogStreams", arns.logGroupAuthorized("/aws/sagemaker/TrainingJobs"), {}, [doc, "sageMakerLogs", "logGroupArn"]),
            as("reads a job's logs", "logs:GetLogEvents", arns.logStream("/aws/sagemaker/TrainingJobs", `${experiment}/algo-1-${AT_RUN_TIME.epoch}`), {}, [doc, "sageMakerLogs"]),
            as("(idle-stop script) checks its own status", "sagemaker:DescribeNotebookInstance", arns.sageMaker(`notebook-instance/${lower(name)}`), {}, ["notebookLifecycle", "sageMakerActions"]),
            as("(idle-stop script) stops itself when idle", "sagemaker:StopNotebookInstance", arns.sageMaker(`notebook-instance/${lower(name)}`), {}, ["notebookLifecycle", "sageMakerActions"]),
            as("writes its logs to /aws/sagemaker/NotebookInstances", "logs:CreateLogGroup", arns.logGroupAuthorized("/aws/sagemaker/NotebookInstances"), {}, [doc, "sageMakerLogs", "logGroupArn"]),
            as("writes its logs to /aws/sagemaker/NotebookInstances", "logs:DescribeLogStreams", arns.logGroupAuthorized("/aws/sagemaker/NotebookInstances"), {}, [doc, "sageMakerLogs", "logGroupArn"]),
            ...["jupyter.log", "LifecycleConfigOnStart"].flatMap(stream => [
                as(`writes its log stream ${name}/${stream}`, "logs:CreateLogStream", arns.logStream("/aws/sagemaker/NotebookInstances", `${name}/${stream}`), {}, [doc, "sageMakerLogs"]),
                as(`writes its log stream ${name}/${stream}`, "logs:PutLogEvents", arns.logStream("/aws/sagemaker/NotebookInstances", `${name}/${stream}`), {}, [doc, "sageMakerLogs"]),
            ]),
            ...objectKeyRequests(f, as),
        ],
        mustDeny: [
            as("delete the deployed model artifact", "s3:DeleteObject", arns.object(f.endpoint.artifactKey), TLS, [doc]),
            as("overwrite the deployed model artifact", "s3:PutObject", arns.object(f.endpoint.artifactKey), TLS, [doc]),
            as("delete the deployed SageMaker model", "sagemaker:DeleteModel", arns.sageMaker(`model/${lower(f.endpoint.modelName)}`), {}, [doc, "sageMakerActions"]),
            as("delete the endpoint", "sagemaker:DeleteEndpoint", f.endpoint.arn, {}, [doc, "sageMakerActions"]),
            as("invoke the endpoint", "sagemaker:InvokeEndpoint", f.endpoint.arn, {}, [doc, "invokeEndpoint"]),
            as("rewrite the dataset", "s3:PutObject", arns.object(`${f.datasetPrefix}train/001.Affenpinscher/Affenpinscher_00001.jpg`), TLS, [doc]),
            as("overwrite the training code archive", "s3:PutObject", arns.object(f.codeKey), TLS, [doc]),
            as("read another stack's bucket", "s3:GetObject", arns.object(`${f.datasetPrefix}train/x.jpg`, f.neighbour.bucketArn), TLS, [doc]),
            as("start a training job named for another stack", "sagemaker:CreateTrainingJob", jobArn("training-job", `${f.neighbour.namePrefix}-single-0123456789`), {}, [doc, "sageMakerActions"]),
            as("stop another stack's tuning job", "sagemaker:StopHyperParameterTuningJob", jobArn("hyper-parameter-tuning-job", `${f.neighbour.namePrefix}-hpo-01234567`), {}, [doc, "sageMakerActions"]),
            as("pass the training role to another service", "iam:PassRole", arns.role("training"), { "iam:PassedToService": "ec2.amazonaws.com" }, ["passRole", "passedToService"]),
            as("pass the model's role to SageMaker", "iam:PassRole", arns.role("model"), { "iam:PassedToService": "sagemaker.amazonaws.com" }, ["passRole", "passedToService"]),
            as("pass its own role to SageMaker", "iam:PassRole", arns.role("notebook"), { "iam:PassedToService": "sagemaker.amazonaws.com" }, ["passRole", "passedToService"]),
            as("stop another stack's notebook", "sagemaker:StopNotebookInstance", arns.sageMaker(`notebook-instance/${lower(f.neighbour.namePrefix)}-notebook`), {}, ["notebookLifecycle"]),
            as("read another stack's job logs", "logs:GetLogEvents", arns.logStream("/aws/sagemaker/TrainingJobs", `${f.neighbour.namePrefix}-single-0123456789/algo-1-${AT_RUN_TIME.epoch}`), {}, [doc]),
            as("write another notebook's log stream", "logs:PutLogEvents", arns.logStream("/aws/sagemaker/NotebookInstances", `${f.neighbour.namePrefix}-notebook/jupyter.log`), {}, [doc]),
            ...trustMustDeny(f, arns, "notebook", "sagemaker.amazonaws.com", doc),
        ],
    };
}

function modelContract(f: StackFacts): WorkloadContract {
    const arns = new Arns(f);
    const as = requestsAs({ role: "model" });
    const e = f.endpoint;
    const group = `/aws/sagemaker/Endpoints/${e.name}`;
    const repo = arns.repositoryOf(e.image);
    return {
        workload: "Endpoint model",
        role: "model",
        trust: {
            note: "sagemaker.amazonaws.com only for this account and region's inference (`aws:SourceArn` ArnLike `arn:<partition>:sagemaker:<region>:<account>:*`, the one form AWS documents: its `*` is literal, not a model or endpoint)",
            docs: ["confusedDeputyInference"],
        },
        requests: [
            requestsAs({ service: "sagemaker.amazonaws.com" })(`assumes the role to host ${e.name}`, "sts:AssumeRole", arns.role("model"),
                { "aws:SourceArn": arns.sageMaker("*"), "aws:SourceAccount": f.accountId }, ["confusedDeputyInference"]),
            as("downloads its model artifact (PrimaryContainer.ModelDataUrl)", "s3:GetObject", arns.object(e.artifactKey), TLS, ["modelRole"]),
            ...pulls(as, arns, e.image, "modelRole", "the PyTorch inference image"),
            ...logs(as, arns, group, `${e.variantName}/${AT_RUN_TIME.instanceId}`, "modelRole"),
            as("publishes its instance metrics", "cloudwatch:PutMetricData", "*", { "cloudwatch:namespace": "/aws/sagemaker/Endpoints" }, ["modelRole", "sageMakerMetrics"]),
            ...(f.kmsKeyArn ? [as("reads its SSE-KMS artifact: S3 decrypts its data key", "kms:Decrypt", f.kmsKeyArn, throughS3(f), ["modelRole", "s3Kms", "kmsViaService"], "kms" as const)] : []),
        ],
        mustDeny: [
            as("overwrite its own artifact", "s3:PutObject", arns.object(e.artifactKey), TLS, ["modelRole"]),
            as("read another model's artifact", "s3:GetObject", arns.object(`${BUCKET_PREFIXES.training}${f.namePrefix}-other-0123456789/output/model.tar.gz`), TLS, ["modelRole"]),
            as("read the dataset", "s3:GetObject", arns.object(`${f.datasetPrefix}train/001.Affenpinscher/Affenpinscher_00001.jpg`), TLS, ["modelRole"]),
            as("list the bucket", "s3:ListBucket", f.bucketArn, { ...TLS, "s3:prefix": "" }, ["modelRole"]),
            as("write another endpoint's logs", "logs:PutLogEvents", arns.logStream(`/aws/sagemaker/Endpoints/${f.neighbour.endpointName}`, `${e.variantName}/${AT_RUN_TIME.instanceId}`), {}, ["modelRole", "sageMakerLogs"]),
            as("pull the training image", "ecr:BatchGetImage", arns.ecrRepository(repo.account, repo.region, "pytorch-training"), {}, ["modelRole"]),
            as("pull an image of the same name from another account's registry", "ecr:BatchGetImage", arns.ecrRepository(FOREIGN_ACCOUNT, repo.region, repo.repository), {}, ["modelRole"]),
            as("invoke an endpoint", "sagemaker:InvokeEndpoint", e.arn, {}, ["invokeEndpoint"]),
            ...(f.kmsKeyArn ? [as("write SSE-KMS objects (ask S3 for a data key)", "kms:GenerateDataKey", f.kmsKeyArn, throughS3(f), ["s3Kms"], "kms" as const)] : []),
            requestsAs({ service: "sagemaker.amazonaws.com" })("be assumed for inference in another account", "sts:AssumeRole", arns.role("model"),
                { "aws:SourceArn": arns.sageMaker("*", FOREIGN_ACCOUNT), "aws:SourceAccount": FOREIGN_ACCOUNT }, ["confusedDeputyInference"]),
            ...trustMustDeny(f, arns, "model", "sagemaker.amazonaws.com", "confusedDeputyInference"),
        ],
    };
}

function inferenceContract(f: StackFacts): WorkloadContract {
    const arns = new Arns(f);
    const as = requestsAs({ role: "inference" });
    const group = f.inference.logGroupName;
    // Lambda names streams `<date>/[<version>]<id>`; provisioned concurrency runs a published version.
    const stream = `${AT_RUN_TIME.date}/[$LATEST]${AT_RUN_TIME.lambdaStream}`;
    return {
        workload: "Inference Lambda",
        role: "inference",
        trust: {
            note: "lambda.amazonaws.com with no `aws:SourceArn` condition: Lambda's execution-role page documents none",
            docs: ["lambdaRole"],
        },
        requests: [
            requestsAs({ service: "lambda.amazonaws.com" })(`assumes the role to run ${f.inference.functionName}`, "sts:AssumeRole", arns.role("inference"), {}, ["lambdaRole"]),
            as("calls the stack's endpoint", "sagemaker:InvokeEndpoint", f.endpoint.arn, {}, ["invokeEndpoint", "sageMakerActions"]),
            as("creates its log stream in its own log group (created by the stack)", "logs:CreateLogStream", arns.logStream(group, stream), {}, ["lambdaLogs"]),
            as("writes its logs", "logs:PutLogEvents", arns.logStream(group, stream), {}, ["lambdaLogs"]),
            ...(f.inference.xray ? [
                as("sends X-Ray trace segments (no resource-level permission exists)", "xray:PutTraceSegments", "*", {}, ["lambdaXray"], "xray" as const),
                as("sends X-Ray telemetry (no resource-level permission exists)", "xray:PutTelemetryRecords", "*", {}, ["lambdaXray"], "xray" as const),
            ] : []),
        ],
        mustDeny: [
            as("invoke another stack's endpoint", "sagemaker:InvokeEndpoint", arns.sageMaker(`endpoint/${lower(f.neighbour.endpointName)}`), {}, ["invokeEndpoint"]),
            as("invoke an endpoint of the same name in another region", "sagemaker:InvokeEndpoint",
                arns.sageMaker(`endpoint/${lower(f.endpoint.name)}`, f.accountId, f.region === "us-west-2" ? "eu-west-1" : "us-west-2"), {}, ["invokeEndpoint"]),
            as("change the endpoint", "sagemaker:UpdateEndpoint", f.endpoint.arn, {}, ["sageMakerActions"]),
            as("write another function's logs", "logs:PutLogEvents", arns.logStream(`/aws/lambda/${f.neighbour.namePrefix}-inference`, stream), {}, ["lambdaLogs"]),
            as("create log groups", "logs:CreateLogGroup", arns.logGroupAuthorized(`/aws/lambda/${f.inference.functionName}-copy`), {}, ["lambdaLogs", "logGroupArn"]),
            as("read the model artifact", "s3:GetObject", arns.object(f.endpoint.artifactKey), TLS, ["lambdaRole"]),
            ...(f.kmsKeyArn ? [as("decrypt with the stack's key through S3", "kms:Decrypt", f.kmsKeyArn, throughS3(f), ["s3Kms"], "kms" as const)] : []),
            ...trustMustDeny(f, arns, "inference", "lambda.amazonaws.com", "lambdaRole"),
        ],
    };
}

function gpuTrainerContract(f: StackFacts): WorkloadContract | undefined {
    if (!f.gpuTrainer) return undefined;
    const arns = new Arns(f);
    const as = requestsAs({ role: "gpuTrainer" });
    const out = f.gpuTrainer.outputPrefix;
    const docs: DocKey[] = ["ec2Role", "s3CliSync"];
    return {
        workload: "EC2 GPU trainer",
        role: "gpuTrainer",
        trust: { note: "ec2.amazonaws.com, through the instance profile; EC2 sends no `aws:SourceArn`", docs: ["ec2Role"] },
        requests: [
            requestsAs({ service: "ec2.amazonaws.com" })("assumes the role for the trainer instance", "sts:AssumeRole", arns.role("gpuTrainer"), {}, ["ec2Role"]),
            as("downloads the training code archive (aws s3 cp)", "s3:GetObject", arns.object(f.codeKey), TLS, docs),
            as("lists the dataset (aws s3 sync)", "s3:ListBucket", f.bucketArn, { ...TLS, "s3:prefix": f.datasetPrefix }, [...docs, "s3ListPrefix"]),
            as("downloads the dataset (aws s3 sync)", "s3:GetObject", arns.object(`${f.datasetPrefix}train/001.Affenpinscher/Affenpinscher_00001.jpg`), TLS, docs),
            as("lists the checkpoints an interrupted run left (aws s3 sync)", "s3:ListBucket", f.bucketArn, { ...TLS, "s3:prefix": `${out}checkpoints/` }, [...docs, "s3ListPrefix"]),
            as("downloads those checkpoints", "s3:GetObject", arns.object(`${out}checkpoints/checkpoint.pt`), TLS, docs),
            as("uploads its checkpoints", "s3:PutObject", arns.object(`${out}checkpoints/checkpoint.pt`), TLS, docs),
            as("uploads model.tar.gz (multipart for large files)", "s3:PutObject", arns.object(`${out}model.tar.gz`), TLS, docs),
            as("aborts a failed multipart upload", "s3:AbortMultipartUpload", arns.object(`${out}model.tar.gz`), TLS, docs),
            as("uploads its log and exit status", "s3:PutObject", arns.object(`${out}train.log`), TLS, docs),
            ...objectKeyRequests(f, as),
        ],
        mustDeny: [
            as("write into the dataset", "s3:PutObject", arns.object(`${f.datasetPrefix}train/001.Affenpinscher/injected.jpg`), TLS, docs),
            as("overwrite the training code archive", "s3:PutObject", arns.object(f.codeKey), TLS, docs),
            as("overwrite another trainer run's model", "s3:PutObject", arns.object(`${BUCKET_PREFIXES.gpuTrainer}000000000000/model.tar.gz`), TLS, docs),
            as("overwrite the deployed model", "s3:PutObject", arns.object(f.endpoint.artifactKey), TLS, docs),
            as("delete its own output", "s3:DeleteObject", arns.object(`${out}model.tar.gz`), TLS, docs),
            as("list other prefixes", "s3:ListBucket", f.bucketArn, { ...TLS, "s3:prefix": "training/" }, [...docs, "s3ListPrefix"]),
            as("read another stack's bucket", "s3:GetObject", arns.object(`${f.datasetPrefix}train/x.jpg`, f.neighbour.bucketArn), TLS, docs),
            ...(f.kmsKeyArn ? [as("decrypt with the key directly, not through S3", "kms:Decrypt", f.kmsKeyArn, {}, ["kmsViaService"], "kms" as const)] : []),
            ...trustMustDeny(f, arns, "gpuTrainer", "ec2.amazonaws.com", "ec2Role"),
        ],
    };
}

/** The roles' contracts, in the order the docs list them. */
export function roleContracts(f: StackFacts): WorkloadContract[] {
    return [trainingContract(f), tuningContract(f), notebookContract(f), modelContract(f), inferenceContract(f), gpuTrainerContract(f)]
        .filter((c): c is WorkloadContract => c !== undefined);
}

const isS3 = (r: WorkloadRequest) => r.action.startsWith("s3:");

/**
 * The bucket policy's contract: every S3 request the roles make is allowed over TLS (the roles'
 * contracts), and each of them is refused without TLS, whoever makes it; nobody outside the
 * account gets in.
 */
export function bucketContract(f: StackFacts, roles: WorkloadContract[]): WorkloadContract {
    const arns = new Arns(f);
    const insecure = roles.flatMap(c => c.requests).filter(isS3).map(r => ({
        ...r,
        does: `${r.does}, without TLS`,
        context: { ...r.context, "aws:SecureTransport": "false" },
        docs: ["s3SecureTransport" as const],
    }));
    const stranger = requestsAs({ foreignAccount: FOREIGN_ACCOUNT });
    return {
        workload: "Data bucket (bucket policy)",
        requests: [],
        mustDeny: [
            ...insecure,
            stranger("read the dataset from another account", "s3:GetObject", arns.object(`${f.datasetPrefix}train/001.Affenpinscher/Affenpinscher_00001.jpg`), TLS, ["s3SecureTransport"]),
            stranger("list the bucket from another account", "s3:ListBucket", f.bucketArn, { ...TLS, "s3:prefix": "" }, ["s3SecureTransport"]),
        ],
    };
}

/**
 * The key policy's contract (stacks with KMS): CloudWatch Logs encrypts the stack's Lambda log
 * group; every role's use of the key goes through the account's delegation to IAM (the roles'
 * contracts); other log groups and other accounts are refused.
 */
export function keyContract(f: StackFacts): WorkloadContract | undefined {
    if (!f.kmsKeyArn) return undefined;
    const arns = new Arns(f);
    const logsService = requestsAs({ service: `logs.${f.region}.amazonaws.com` });
    const forGroup = (name: string): Context => ({ "kms:EncryptionContext:aws:logs:arn": arns.logGroup(name) });
    return {
        workload: "Stack KMS key (key policy)",
        requests: [
            logsService(`encrypts the Lambda log group ${f.inference.logGroupName}`, "kms:GenerateDataKey", f.kmsKeyArn, forGroup(f.inference.logGroupName), ["logsKms"], "kms"),
            logsService(`decrypts the Lambda log group ${f.inference.logGroupName} for readers`, "kms:Decrypt", f.kmsKeyArn, forGroup(f.inference.logGroupName), ["logsKms"], "kms"),
        ],
        mustDeny: [
            logsService("encrypt another stack's log group", "kms:GenerateDataKey", f.kmsKeyArn, forGroup(`/aws/lambda/${f.neighbour.namePrefix}-inference`), ["logsKms"], "kms"),
            logsService("encrypt without naming a log group", "kms:GenerateDataKey", f.kmsKeyArn, {}, ["logsKms"], "kms"),
            requestsAs({ foreignAccount: FOREIGN_ACCOUNT })("decrypt from another account, even through S3", "kms:Decrypt", f.kmsKeyArn, throughS3(f), ["kmsRootDelegation"], "kms"),
        ],
    };
}

/** Every contract of a stack: the roles', then the resource policies'. */
export function stackContracts(f: StackFacts): WorkloadContract[] {
    const roles = roleContracts(f);
    const key = keyContract(f);
    return [...roles, bucketContract(f, roles), ...(key ? [key] : [])];
}
