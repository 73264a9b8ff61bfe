import * as assert from "assert";
import type { ProgramRun } from "../../plan/run-program";
import type { PlanResource } from "../../plan/policy-engine";
import { ofType, one, outputsOf, runStack } from "../support/program";

interface Statement {
    Sid?: string;
    Effect: string;
    Action: string | string[];
    Resource?: string | string[];
    Principal?: unknown;
    Condition?: Record<string, Record<string, unknown>>;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every policy that reaches a role: its inline policies and its managed attachments. */
function permissionsOf(run: ProgramRun, role: PlanResource): { statements: Statement[]; managed: string[] } {
    const roleName = outputsOf(role).name;
    const statements = ofType(run, "aws:iam/rolePolicy:RolePolicy")
        .filter(p => p.props.role === roleName)
        .flatMap(p => JSON.parse(p.props.policy).Statement as Statement[]);
    const managed = ofType(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        .filter(a => a.props.role === roleName)
        .map(a => String(a.props.policyArn));
    return { statements, managed };
}

function roleNamed(run: ProgramRun, logicalName: string): PlanResource {
    return one(run, "aws:iam/role:Role", logicalName);
}

function trustOf(role: PlanResource): Statement[] {
    return JSON.parse(role.props.assumeRolePolicy).Statement;
}

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
            const endpointArn = outputsOf(one(run, "aws:sagemaker/endpoint:Endpoint")).arn;
            const logGroupArn = outputsOf(one(run, "aws:cloudwatch/logGroup:LogGroup")).arn;
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
            assert.match(endpointArn as string, /^arn:aws:sagemaker:us-east-1:123456789012:endpoint\/mlops-\w+-endpoint$/);
            assert.ok(statements.every(s => !s.Condition), "no condition needed, the resources are exact");
            assert.deepStrictEqual(trustOf(role).map(t => t.Principal), [{ Service: "lambda.amazonaws.com" }]);
        });
    }

    it("no statement anywhere allows a whole service or everything", () => {
        for (const run of [dev, prod]) {
            for (const policy of ofType(run, "aws:iam/rolePolicy:RolePolicy")) {
                for (const { action } of allowed(JSON.parse(policy.props.policy).Statement)) {
                    assert.ok(action !== "*" && !/^[a-z0-9-]+:\*$/.test(action), `${policy.name} allows ${action}`);
                }
            }
        }
    });

    it("every trust policy names one service, and conditions only on aws:SourceArn in this account and region", () => {
        for (const role of ofType(prod, "aws:iam/role:Role")) {
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
        const bucketArn = outputsOf(one(dev, "aws:s3/bucket:Bucket")).arn;
        const trainingRoleArn = outputsOf(roleNamed(dev, "training-role")).arn;
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
        assert.deepStrictEqual(passRole[0].Resource, [trainingRoleArn, outputsOf(roleNamed(dev, "tuning-role")).arn]);
        assert.deepStrictEqual(passRole[0].Condition, { StringEquals: { "iam:PassedToService": "sagemaker.amazonaws.com" } });
        const selfStop = grants.filter(g => g.action === "sagemaker:StopNotebookInstance");
        assert.deepStrictEqual(selfStop.map(g => g.resource), ["arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/mlops-dev-notebook"]);
    });

    it("the GPU trainer reads code and data and writes only its own output prefix", () => {
        const role = roleNamed(dev, "gpu-trainer-role");
        const { statements, managed } = permissionsOf(dev, role);
        assert.deepStrictEqual(managed, ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]);
        const bucketArn = outputsOf(one(dev, "aws:s3/bucket:Bucket")).arn;
        const output = String(dev.outputs.trainerOutputUri).replace(/^s3:\/\/[^/]+\//, "");
        const codeKey = String(dev.outputs.trainingCodeUri).replace(/^s3:\/\/[^/]+\//, "");
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
            const artifact = String(run.outputs.deployedModelDataUrl).replace(/^s3:\/\//, "arn:aws:s3:::");
            assert.deepStrictEqual(grants.filter(g => g.action.startsWith("s3:")), [{ action: "s3:GetObject", resource: artifact }]);
            assert.deepStrictEqual(grants.filter(g => g.action.startsWith("kms:")).map(g => g.action), run === prod ? ["kms:Decrypt"] : []);
            const logGroups = [...new Set(grants.filter(g => g.action.startsWith("logs:")).map(g => g.resource))];
            assert.deepStrictEqual(logGroups, [`arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/${run.outputs.endpointName}:*`]);
        }
    });

    it("the training and tuning roles write only their own prefixes and use the KMS key as SageMaker documents", () => {
        const bucketArn = outputsOf(one(prod, "aws:s3/bucket:Bucket")).arn;
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
