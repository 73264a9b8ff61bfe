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
        const { name, arn } = outputsOf(role);
        roles[key] = {
            name,
            arn,
            trust: JSON.parse(role.props.assumeRolePolicy),
            inline: ofType(run, "aws:iam/rolePolicy:RolePolicy").filter(p => p.props.role === name)
                .map(p => ({ name: p.name, policy: JSON.parse(p.props.policy) })),
            managed: ofType(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter(a => a.props.role === name).map(a => String(a.props.policyArn)),
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
        bucketPolicy: JSON.parse(one(run, "aws:s3/bucketPolicy:BucketPolicy").props.policy),
        keyPolicy: key ? JSON.parse(key.props.policy) : undefined,
    };
}

function endpointOf(run: ProgramRun) {
    const endpoint = one(run, "aws:sagemaker/endpoint:Endpoint");
    return { name: String(endpoint.props.name), arn: String(outputsOf(endpoint).arn) };
}

function readFacts(run: ProgramRun, neighbourRun: ProgramRun, roles: Partial<Record<RoleKey, RolePolicies>>): StackFacts {
    const endpoint = endpointOf(run);
    // The endpoint is `<prefix>-endpoint` (components/model-endpoint.ts).
    const namePrefix = endpoint.name.replace(/-endpoint$/, "");
    const bucketArn = String(outputsOf(one(run, "aws:s3/bucket:Bucket")).arn);
    const key = maybeOne(run, "aws:kms/key:Key");
    const model = one(run, "aws:sagemaker/model:Model");
    const config = one(run, "aws:sagemaker/endpointConfiguration:EndpointConfiguration");
    const fn = one(run, "aws:lambda/function:Function");
    const lambdaLogs = ofType(run, "aws:cloudwatch/logGroup:LogGroup").find(g => String(g.props.name).startsWith("/aws/lambda/"));
    const tuning = maybeOne(run, "aws:sagemaker/hyperParameterTuningJob:HyperParameterTuningJob");
    const notebook = maybeOne(run, "aws:sagemaker/notebookInstance:NotebookInstance");
    const neighbourEndpoint = endpointOf(neighbourRun);
    return {
        partition: "aws",
        region: run.region,
        accountId: endpoint.arn.split(":")[4],
        namePrefix,
        bucketArn,
        codeKey: keyOf(String(run.outputs.trainingCodeUri)),
        datasetPrefix: keyOf(String(run.outputs.datasetUri)),
        kmsKeyArn: key ? String(outputsOf(key).arn) : undefined,
        roleNames: Object.fromEntries(Object.entries(roles).map(([k, r]) => [k, r!.name])),
        runs: ofType(run, "aws:sagemaker/trainingJob:TrainingJob").map(job => ({
            jobName: String(job.props.trainingJobName),
            outputPrefix: keyOf(job.props.outputDataConfig.s3OutputPath),
            checkpointPrefix: job.props.checkpointConfig ? keyOf(job.props.checkpointConfig.s3Uri) : undefined,
            debuggerPrefix: job.props.debugHookConfig ? keyOf(job.props.debugHookConfig.s3OutputPath) : undefined,
            trainingImage: String(job.props.algorithmSpecification.trainingImage),
            ruleImage: job.props.debugRuleConfigurations?.[0]?.ruleEvaluatorImage,
        })),
        tuning: tuning ? {
            jobName: String(tuning.props.name),
            outputPrefix: keyOf(tuning.props.trainingJobDefinition.outputDataConfig.s3OutputPath),
            checkpointPrefix: tuning.props.trainingJobDefinition.checkpointConfig
                ? keyOf(tuning.props.trainingJobDefinition.checkpointConfig.s3Uri) : undefined,
            trainingImage: String(tuning.props.trainingJobDefinition.algorithmSpecification.trainingImage),
        } : undefined,
        endpoint: {
            ...endpoint,
            variantName: String(config.props.productionVariants[0].variantName),
            modelName: String(outputsOf(model).name),
            artifactKey: keyOf(String(model.props.primaryContainer.modelDataUrl)),
            image: String(model.props.primaryContainer.image),
        },
        inference: {
            functionName: String(fn.props.name),
            logGroupName: String(lambdaLogs?.props.name),
            xray: fn.props.tracingConfig?.mode === "Active",
        },
        notebook: notebook ? { name: String(notebook.props.name) } : undefined,
        gpuTrainer: run.outputs.trainerOutputUri ? { outputPrefix: keyOf(String(run.outputs.trainerOutputUri)) } : undefined,
        neighbour: {
            namePrefix: neighbourEndpoint.name.replace(/-endpoint$/, ""),
            bucketArn: String(outputsOf(one(neighbourRun, "aws:s3/bucket:Bucket")).arn),
            endpointName: neighbourEndpoint.name,
        },
    };
}
