import * as assert from "assert";
import * as aws from "@pulumi/aws";
import type { ProgramRun } from "../../plan/run-program";
import type { PlanResource } from "../../plan/policy-engine";
import { allOf, defined, one, outputsOfOne, parseJson, runStack, stackOutputs, typed, typedOutputs } from "../support/program";

interface Statement {
    Sid?: string;
    Effect: string;
    Action: string | string[];
    Resource?: string | string[];
    Principal?: unknown;
    Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of an IAM policy document in a resource's input. */
const statementsOf = (document: unknown, what: string) => parseJson<{ Statement: Statement[] }>(document, what).Statement;

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every policy that reaches a role: its inline policies and its managed attachments. */
function permissionsOf(run: ProgramRun, role: PlanResource): { statements: Statement[]; managed: string[] } {
    const roleName = typedOutputs(role, aws.iam.Role).name;
    const statements = allOf(run, aws.iam.RolePolicy)
        .filter(p => p.props.role === roleName)
        .flatMap(p => statementsOf(p.props.policy, p.name));
    const managed = allOf(run, aws.iam.RolePolicyAttachment)
        .filter(a => a.props.role === roleName)
        .map(a => a.props.policyArn);
    return { statements, managed };
}

function roleNamed(run: ProgramRun, logicalName: string): PlanResource {
    return one(run, "aws:iam/role:Role", logicalName);
}

function trustOf(role: PlanResource): Statement[] {
    return statementsOf(typed(role, aws.iam.Role).props.assumeRolePolicy, `${role.name}'s trust policy`);
}

const roleArn = (run: ProgramRun, logicalName: string) => typedOutputs(roleNamed(run, logicalName), aws.iam.Role).arn;

function allowed(statements: Statement[]): { action: string; resource: string }[] {
    return statements.filter(s => s.Effect === "Allow")
        .flatMap(s => list(s.Action).flatMap(action => list(s.Resource).map(resource => ({ action, resource }))));
}

describe("least privilege", () => {
    let dev: ProgramRun;
    let prod: ProgramRun;
    before(async () => {
        dev = await runStack("dev");
        prod = await runStack("prod");
    });

    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}: the Lambda role may invoke exactly its endpoint and write its own log group`, () => {
            const run = stack === "dev" ? dev : prod;
            const role = roleNamed(run, "inference-role");
            const { statements, managed } = permissionsOf(run, role);
            assert.deepStrictEqual(managed, [], "no managed policy at all on the Lambda role");
            const endpointArn = outputsOfOne(run, aws.sagemaker.Endpoint).arn;
            const logGroupArn = outputsOfOne(run, aws.cloudwatch.LogGroup).arn;
            const expected = [
                { action: "sagemaker:InvokeEndpoint", resource: endpointArn },
                { action: "logs:CreateLogStream", resource: `${logGroupArn}:*` },
                { action: "logs:PutLogEvents", resource: `${logGroupArn}:*` },
            ];
            if (stack === "prod") {
                // prod turns X-Ray tracing on; X-Ray has no resource-level permissions.
                expected.push({ action: "xray:PutTraceSegments", resource: "*" }, { action: "xray:PutTelemetryRecords", resource: "*" });
            }
            assert.deepStrictEqual(allowed(statements), expected);
            assert.match(endpointArn, /^arn:aws:sagemaker:us-east-1:123456789012:endpoint\/mlops-\w+-endpoint$/);
            assert.ok(statements.every(s => !s.Condition), "no condition needed, the resources are exact");
            assert.deepStrictEqual(trustOf(role).map(t => t.Principal), [{ Service: "lambda.amazonaws.com" }]);
        });
    }

    it("no statement anywhere allows a whole service or everything", () => {
        for (const run of [dev, prod]) {
            for (const policy of allOf(run, aws.iam.RolePolicy)) {
                for (const { action } of allowed(statementsOf(policy.props.policy, policy.name))) {
                    assert.ok(action !== "*" && !/^[a-z0-9-]+:\*$/.test(action), `${policy.name} allows ${action}`);
                }
            }
        }
    });

    it("every trust policy names one service, and conditions only on aws:SourceArn in this account and region", () => {
        for (const role of allOf(prod, aws.iam.Role)) {
            const [trust, ...more] = trustOf(role);
            assert.strictEqual(more.length, 0);
            const service = (trust.Principal as { Service: string }).Service;
            assert.match(service, /^(sagemaker|lambda|ec2)\.amazonaws\.com$/);
            for (const [operator, keys] of Object.entries(trust.Condition ?? {})) {
                assert.deepStrictEqual([operator, Object.keys(keys)], ["ArnLike", ["aws:SourceArn"]], role.name);
                for (const arn of list(keys["aws:SourceArn"] as string | string[])) {
                    assert.match(arn, /^arn:aws:sagemaker:us-east-1:123456789012:/, role.name);
                }
            }
        }
    });

    it("the notebook works on this bucket, writes only its scratch prefix, starts this stack's jobs and passes only their roles", () => {
        const role = roleNamed(dev, "notebook-role");
        const { statements, managed } = permissionsOf(dev, role);
        assert.deepStrictEqual(managed, []);
        const bucketArn = outputsOfOne(dev, aws.s3.Bucket).arn;
        const trainingRoleArn = roleArn(dev, "training-role");
        const grants = allowed(statements);
        for (const g of grants.filter(g => g.action.startsWith("s3:"))) {
            const writes = /^s3:(Put|Delete)/.test(g.action);
            assert.ok(writes ? g.resource === `${bucketArn}/notebook/*` : g.resource === bucketArn || g.resource === `${bucketArn}/*`,
                `s3 grant outside its place: ${g.action} ${g.resource}`);
        }
        for (const g of grants.filter(g => /^sagemaker:(Create|Describe|Stop)(TrainingJob|HyperParameterTuningJob)$/.test(g.action))) {
            assert.match(g.resource, /:(training-job|hyper-parameter-tuning-job)\/mlops-dev-\*$/, `${g.action} not limited to this stack's jobs`);
        }
        const passRole = statements.filter(s => list(s.Action).includes("iam:PassRole"));
        assert.strictEqual(passRole.length, 1);
        assert.deepStrictEqual(passRole[0].Resource, [trainingRoleArn, roleArn(dev, "tuning-role")]);
        assert.deepStrictEqual(passRole[0].Condition, { StringEquals: { "iam:PassedToService": "sagemaker.amazonaws.com" } });
        const selfStop = grants.filter(g => g.action === "sagemaker:StopNotebookInstance");
        assert.deepStrictEqual(selfStop.map(g => g.resource), ["arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/mlops-dev-notebook"]);
    });

    it("the GPU trainer reads code and data and writes only its own output prefix", () => {
        const role = roleNamed(dev, "gpu-trainer-role");
        const { statements, managed } = permissionsOf(dev, role);
        assert.deepStrictEqual(managed, ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]);
        const bucketArn = outputsOfOne(dev, aws.s3.Bucket).arn;
        const outputs = stackOutputs(dev);
        const output = defined(outputs.trainerOutputUri, "the trainer's output URI").replace(/^s3:\/\/[^/]+\//, "");
        const codeKey = outputs.trainingCodeUri.replace(/^s3:\/\/[^/]+\//, "");
        const grants = allowed(statements);
        assert.deepStrictEqual(grants.filter(g => g.action === "s3:PutObject").map(g => g.resource), [`${bucketArn}/${output}*`]);
        assert.deepStrictEqual(grants.filter(g => g.action === "s3:GetObject").map(g => g.resource).sort(),
            [`${bucketArn}/${codeKey}*`, `${bucketArn}/datasets/dogImages/*`, `${bucketArn}/${output}*`].sort());
        const listed = statements.find(s => list(s.Action).includes("s3:ListBucket"))!.Condition!.StringLike["s3:prefix"];
        assert.deepStrictEqual(listed, ["datasets/dogImages/*", `${output}checkpoints/*`], "it lists only what it syncs");
        assert.ok(grants.every(g => !g.action.startsWith("s3:Delete")));
        assert.deepStrictEqual(trustOf(role).map(t => t.Principal), [{ Service: "ec2.amazonaws.com" }]);
    });

    it("the model role reads exactly its artifact, writes only its endpoint's log group, and never writes S3 or KMS", () => {
        for (const run of [dev, prod]) {
            const role = roleNamed(run, "endpoint-model-role");
            const grants = allowed(permissionsOf(run, role).statements);
            const outputs = stackOutputs(run);
            const artifact = defined(outputs.deployedModelDataUrl, "the deployed model").replace(/^s3:\/\//, "arn:aws:s3:::");
            assert.deepStrictEqual(grants.filter(g => g.action.startsWith("s3:")), [{ action: "s3:GetObject", resource: artifact }]);
            assert.deepStrictEqual(grants.filter(g => g.action.startsWith("kms:")).map(g => g.action), run === prod ? ["kms:Decrypt"] : []);
            const logGroups = [...new Set(grants.filter(g => g.action.startsWith("logs:")).map(g => g.resource))];
            assert.deepStrictEqual(logGroups, [`arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/${defined(outputs.endpointName, "the endpoint's name")}:*`]);
        }
    });

    it("the training and tuning roles write only their own prefixes and use the KMS key as SageMaker documents", () => {
        const bucketArn = outputsOfOne(prod, aws.s3.Bucket).arn;
        const writesOf = (name: string) => allowed(permissionsOf(prod, roleNamed(prod, name)).statements)
            .filter(g => g.action === "s3:PutObject").map(g => g.resource).sort();
        assert.deepStrictEqual(writesOf("training-role"), ["checkpoints/", "debugger/", "training/"].map(p => `${bucketArn}/${p}*`));
        assert.deepStrictEqual(writesOf("tuning-role"), ["checkpoints/tuning/", "tuning/"].map(p => `${bucketArn}/${p}*`));
        for (const name of ["training-role", "tuning-role"]) {
            const { statements } = permissionsOf(prod, roleNamed(prod, name));
            const s3Key = statements.find(s => s.Sid === "UseStackKeyThroughS3")!;
            assert.deepStrictEqual(s3Key.Condition, { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } });
            const grant = statements.find(s => list(s.Action).includes("kms:CreateGrant"))!;
            assert.deepStrictEqual(grant.Condition, { Bool: { "kms:GrantIsForAWSResource": true } });
            assert.ok(statements.some(s => list(s.Action).includes("kms:Encrypt") && !s.Condition), `${name}: kms:Encrypt for OutputDataConfig.KmsKeyId`);
        }
    });

    it("ECR pulls name exactly the repositories the role's workloads run, in the Deep Learning Containers account of the region", () => {
        const pulls = (name: string) => permissionsOf(prod, roleNamed(prod, name)).statements.find(s => s.Sid === "PullWorkloadImages")!.Resource;
        assert.deepStrictEqual(pulls("training-role"), [
            "arn:aws:ecr:us-east-1:503895931360:repository/sagemaker-debugger-rules",
            "arn:aws:ecr:us-east-1:763104351884:repository/pytorch-training",
        ]);
        assert.deepStrictEqual(pulls("tuning-role"), ["arn:aws:ecr:us-east-1:763104351884:repository/pytorch-training"]);
        assert.deepStrictEqual(pulls("endpoint-model-role"), ["arn:aws:ecr:us-east-1:763104351884:repository/pytorch-inference"]);
    });
});
