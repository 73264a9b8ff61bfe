// Reads, from a program run under the mocks, every policy the stack really produces (role inline
// policies, managed attachments, trust policies, the bucket policy, the key policy) and the facts
// the workload permission contracts are built from (names and locations the stack chose).

import type { PolicyDocument } from "../../components/iam";
import type { RoleKey, StackFacts } from "../../components/permissions/contracts";
import type { PlanResource } from "../../plan/policy-engine";
import type { ProgramRun } from "../../plan/run-program";
import { ofType, one, outputsOf } from "./program";

export interface RolePolicies {
    name: string;
    arn: string;
    trust: PolicyDocument;
    inline: { name: string; policy: PolicyDocument }[];
    managed: string[];
}

export interface StackPolicies {
    stack: string;
    facts: StackFacts;
    roles: Partial<Record<RoleKey, RolePolicies>>;
    bucketPolicy: PolicyDocument;
    keyPolicy?: PolicyDocument;
}

/** How the program names each role's logical resource (`<prefix>-...`). */
const ROLE_SUFFIXES: Record<RoleKey, string> = {
    training: "-training-role",
    tuning: "-tuning-role",
    notebook: "-notebook-role",
    model: "-endpoint-model-role",
    inference: "-inference-role",
    gpuTrainer: "-gpu-trainer-role",
};

/** The inputs of the resources read here, as far as the contracts need them. */
interface TrainingJobProps {
    trainingJobName: string;
    outputDataConfig: { s3OutputPath: string };
    checkpointConfig?: { s3Uri: string };
    debugHookConfig?: { s3OutputPath: string };
    profilerConfig?: { s3OutputPath: string };
    algorithmSpecification: { trainingImage: string };
    debugRuleConfigurations?: { ruleEvaluatorImage: string }[];
    profilerRuleConfigurations?: { ruleEvaluatorImage: string }[];
}
interface TuningJobProps {
    name: string;
    trainingJobDefinition: Pick<TrainingJobProps, "outputDataConfig" | "checkpointConfig" | "algorithmSpecification">;
}
interface ModelProps { primaryContainer: { modelDataUrl: string; image: string } }
interface FunctionProps { name: string; tracingConfig?: { mode: string } }

const propsOf = <T>(r: PlanResource) => r.props as T;
const text = (v: unknown, what: string): string => {
    if (typeof v !== "string") throw new Error(`${what} is not a string: ${JSON.stringify(v)}`);
    return v;
};

const keyOf = (s3Uri: string) => {
    const m = /^s3:\/\/[^/]+\/(.*)$/.exec(s3Uri);
    if (!m) throw new Error(`not an s3:// URI: ${s3Uri}`);
    return m[1];
};

function maybeOne(run: ProgramRun, type: string): PlanResource | undefined {
    const found = ofType(run, type);
    if (found.length > 1) throw new Error(`expected at most one ${type}, found ${found.map(r => r.name).join(", ")}`);
    return found[0];
}

function readRoles(run: ProgramRun): Partial<Record<RoleKey, RolePolicies>> {
    const roles: Partial<Record<RoleKey, RolePolicies>> = {};
    for (const role of ofType(run, "aws:iam/role:Role")) {
        const key = (Object.keys(ROLE_SUFFIXES) as RoleKey[]).find(k => role.name.endsWith(ROLE_SUFFIXES[k]));
        if (!key) throw new Error(`role ${role.name} is not one the permission contracts know (${Object.values(ROLE_SUFFIXES).join(", ")})`);
        const outputs = outputsOf(role);
        const name = text(outputs.name, `${role.name} name`);
        roles[key] = {
            name,
            arn: text(outputs.arn, `${role.name} arn`),
            trust: JSON.parse(text(role.props.assumeRolePolicy, `${role.name} assumeRolePolicy`)) as PolicyDocument,
            inline: ofType(run, "aws:iam/rolePolicy:RolePolicy").filter(p => p.props.role === name)
                .map(p => ({ name: p.name, policy: JSON.parse(text(p.props.policy, `${p.name} policy`)) as PolicyDocument })),
            managed: ofType(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter(a => a.props.role === name)
                .map(a => text(a.props.policyArn, `${a.name} policyArn`)),
        };
    }
    return roles;
}

export function readStackPolicies(run: ProgramRun, neighbourRun: ProgramRun): StackPolicies {
    const roles = readRoles(run);
    const key = maybeOne(run, "aws:kms/key:Key");
    return {
        stack: run.stack,
        facts: readFacts(run, neighbourRun, roles),
        roles,
        bucketPolicy: JSON.parse(text(one(run, "aws:s3/bucketPolicy:BucketPolicy").props.policy, "bucket policy")) as PolicyDocument,
        keyPolicy: key ? JSON.parse(text(key.props.policy, "key policy")) as PolicyDocument : undefined,
    };
}

function endpointOf(run: ProgramRun) {
    const endpoint = one(run, "aws:sagemaker/endpoint:Endpoint");
    return { name: text(endpoint.props.name, "endpoint name"), arn: text(outputsOf(endpoint).arn, "endpoint arn") };
}

function readFacts(run: ProgramRun, neighbourRun: ProgramRun, roles: Partial<Record<RoleKey, RolePolicies>>): StackFacts {
    const endpoint = endpointOf(run);
    // The endpoint is `<prefix>-endpoint` (components/model-endpoint.ts).
    const namePrefix = endpoint.name.replace(/-endpoint$/, "");
    const bucketArn = text(outputsOf(one(run, "aws:s3/bucket:Bucket")).arn, "bucket arn");
    const key = maybeOne(run, "aws:kms/key:Key");
    const model = one(run, "aws:sagemaker/model:Model");
    const config = one(run, "aws:sagemaker/endpointConfiguration:EndpointConfiguration");
    const fn = propsOf<FunctionProps>(one(run, "aws:lambda/function:Function"));
    const lambdaLogs = ofType(run, "aws:cloudwatch/logGroup:LogGroup").map(g => text(g.props.name, `${g.name} name`)).find(n => n.startsWith("/aws/lambda/"));
    const tuning = maybeOne(run, "aws:sagemaker/hyperParameterTuningJob:HyperParameterTuningJob");
    const notebook = maybeOne(run, "aws:sagemaker/notebookInstance:NotebookInstance");
    const neighbourEndpoint = endpointOf(neighbourRun);
    const container = propsOf<ModelProps>(model).primaryContainer;
    const trainerOutput = run.outputs.trainerOutputUri;
    return {
        partition: "aws",
        region: run.region,
        accountId: endpoint.arn.split(":")[4],
        namePrefix,
        bucketArn,
        codeKey: keyOf(text(run.outputs.trainingCodeUri, "trainingCodeUri")),
        datasetPrefix: keyOf(text(run.outputs.datasetUri, "datasetUri")),
        kmsKeyArn: key ? text(outputsOf(key).arn, "key arn") : undefined,
        roleNames: Object.fromEntries(Object.entries(roles).map(([k, r]) => [k, r.name])),
        runs: ofType(run, "aws:sagemaker/trainingJob:TrainingJob").map(r => propsOf<TrainingJobProps>(r)).map(job => ({
            jobName: job.trainingJobName,
            outputPrefix: keyOf(job.outputDataConfig.s3OutputPath),
            checkpointPrefix: job.checkpointConfig ? keyOf(job.checkpointConfig.s3Uri) : undefined,
            // Tensors (DebugHookConfig) and profiler data (ProfilerConfig) both land under the Debugger prefix.
            debuggerPrefix: ((c) => c ? keyOf(c.s3OutputPath) : undefined)(job.debugHookConfig ?? job.profilerConfig),
            trainingImage: job.algorithmSpecification.trainingImage,
            ruleImage: (job.debugRuleConfigurations ?? job.profilerRuleConfigurations)?.[0]?.ruleEvaluatorImage,
        })),
        tuning: tuning ? ((t: TuningJobProps) => ({
            jobName: t.name,
            outputPrefix: keyOf(t.trainingJobDefinition.outputDataConfig.s3OutputPath),
            checkpointPrefix: t.trainingJobDefinition.checkpointConfig ? keyOf(t.trainingJobDefinition.checkpointConfig.s3Uri) : undefined,
            trainingImage: t.trainingJobDefinition.algorithmSpecification.trainingImage,
        }))(propsOf<TuningJobProps>(tuning)) : undefined,
        endpoint: {
            ...endpoint,
            variantName: text((config.props.productionVariants as { variantName: unknown }[])[0].variantName, "variant name"),
            modelName: text(outputsOf(model).name, "model name"),
            artifactKey: keyOf(container.modelDataUrl),
            image: container.image,
        },
        inference: {
            functionName: fn.name,
            logGroupName: text(lambdaLogs, "the Lambda's log group name"),
            xray: fn.tracingConfig?.mode === "Active",
        },
        notebook: notebook ? { name: text(notebook.props.name, "notebook name") } : undefined,
        gpuTrainer: trainerOutput === undefined ? undefined : { outputPrefix: keyOf(text(trainerOutput, "trainerOutputUri")) },
        neighbour: {
            namePrefix: neighbourEndpoint.name.replace(/-endpoint$/, ""),
            bucketArn: text(outputsOf(one(neighbourRun, "aws:s3/bucket:Bucket")).arn, "neighbour bucket arn"),
            endpointName: neighbourEndpoint.name,
        },
    };
}
