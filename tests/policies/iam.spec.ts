import * as assert from "assert";
import { UNKNOWN_STRING, assertNone, assertViolation, check, doc, res, trust } from "./helpers";

const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
const POLICY_ATTACH = "aws:iam/policyAttachment:PolicyAttachment";
const POLICY = "aws:iam/policy:Policy";
const ENDPOINT_ARN = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/mlops-dev-endpoint";

const lambdaRole = () => res(ROLE, "fn-role", { name: "fn-role-1234", arn: "arn:aws:iam::123456789012:role/fn-role-1234", assumeRolePolicy: trust("lambda.amazonaws.com") });
const notebookRole = () => res(ROLE, "nb-role", { name: "nb-role-1234", arn: "arn:aws:iam::123456789012:role/nb-role-1234", assumeRolePolicy: trust("sagemaker.amazonaws.com") });

describe("policies: IAM", () => {
    describe("iam-no-wildcard-actions", () => {
        it("accepts exact actions", async () => {
            assertNone(await check("iam-no-wildcard-actions", [res(ROLE_POLICY, "p", { policy: doc({ Effect: "Allow", Action: ["sagemaker:InvokeEndpoint"], Resource: ENDPOINT_ARN }) })]));
        });
        it("rejects Action * and <service>:* in JSON strings, objects and inline role policies", async () => {
            const v1 = await check("iam-no-wildcard-actions", [res(ROLE_POLICY, "p", { policy: doc({ Effect: "Allow", Action: "*", Resource: "*" }) })]);
            assertViolation(v1, "allows Action '*'", 1);
            const v2 = await check("iam-no-wildcard-actions", [res(POLICY, "p", { policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetObject", "sagemaker:*"], Resource: "*" }] } })]);
            assertViolation(v2, "allows Action 'sagemaker:*'", 1);
            const v3 = await check("iam-no-wildcard-actions", [res(ROLE, "r", { assumeRolePolicy: trust("lambda.amazonaws.com"), inlinePolicies: [{ name: "x", policy: doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }) }] })]);
            assertViolation(v3, ["inlinePolicies[0].policy", "NotAction"], 1);
        });
        it("ignores Deny statements", async () => {
            assertNone(await check("iam-no-wildcard-actions", [res(ROLE_POLICY, "p", { policy: doc({ Effect: "Deny", Action: "s3:*", Resource: "*" }) })]));
        });
        it("tolerates the wildcards listed in allowedWildcardActions", async () => {
            const r = [res(ROLE_POLICY, "p", { policy: doc({ Effect: "Allow", Action: "logs:*", Resource: "*" }) })];
            assertViolation(await check("iam-no-wildcard-actions", r), "logs:*");
            assertNone(await check("iam-no-wildcard-actions", r, { allowedWildcardActions: ["LOGS:*"] }));
        });
        it("checks what is known in a partly unknown document, and defers a wholly unknown one as preview does", async () => {
            const partly = [res(POLICY, "p", { policy: { Statement: [{ Effect: "Allow", Action: "s3:*", Resource: UNKNOWN_STRING }] } })];
            assertViolation(await check("iam-no-wildcard-actions", partly), "s3:*");
            const whole = await check("iam-no-wildcard-actions", [res(ROLE_POLICY, "p", { policy: UNKNOWN_STRING })]);
            assert.strictEqual(whole.length, 1);
            assert.strictEqual(whole[0].enforcementLevel, "advisory");
            assert.match(whole[0].message, /can't run policy 'iam-no-wildcard-actions' .* during preview/);
        });
        it("reports a policy that is not JSON", async () => {
            assertViolation(await check("iam-no-wildcard-actions", [res(ROLE_POLICY, "p", { policy: "{not json" })]), "not valid JSON");
        });
        it("is not applicable to other types", async () => {
            assertNone(await check("iam-no-wildcard-actions", [res("aws:s3/bucket:Bucket", "b", { policy: doc({ Effect: "Allow", Action: "*", Resource: "*" }) })]));
        });
    });

    describe("iam-no-star-resource-for-sensitive-actions", () => {
        it("accepts InvokeEndpoint on one endpoint ARN", async () => {
            assertNone(await check("iam-no-star-resource-for-sensitive-actions", [res(ROLE_POLICY, "p", { policy: doc({ Effect: "Allow", Action: "sagemaker:InvokeEndpoint", Resource: ENDPOINT_ARN }) })]));
        });
        it("rejects InvokeEndpoint, S3 object actions (also via wildcards) and PassRole on Resource *", async () => {
            const v = await check("iam-no-star-resource-for-sensitive-actions", [
                res(ROLE_POLICY, "a", { policy: doc({ Effect: "Allow", Action: "sagemaker:InvokeEndpoint", Resource: "*" }) }),
                res(ROLE_POLICY, "b", { policy: doc({ Effect: "Allow", Action: "s3:Get*", Resource: ["*"] }) }),
                res(ROLE_POLICY, "c", { policy: doc({ Effect: "Allow", Action: "iam:PassRole", Resource: "*" }) }),
            ]);
            assert.strictEqual(v.length, 3);
            assertViolation(v, "sagemaker:InvokeEndpoint on Resource '*'");
            assertViolation(v, "s3:GetObject, s3:GetObjectVersion on Resource '*'");
            assertViolation(v, "iam:PassRole on Resource '*'");
        });
        it("uses the configured restrictedActions", async () => {
            const r = [res(ROLE_POLICY, "p", { policy: doc({ Effect: "Allow", Action: "ec2:TerminateInstances", Resource: "*" }) })];
            assertNone(await check("iam-no-star-resource-for-sensitive-actions", r));
            assertViolation(await check("iam-no-star-resource-for-sensitive-actions", r, { restrictedActions: ["ec2:TerminateInstances"] }), "ec2:TerminateInstances");
        });
    });

    describe("iam-passrole-restricted", () => {
        const ROLE_ARN = "arn:aws:iam::123456789012:role/mlops-dev-training-role";
        it("accepts PassRole of one role, only to SageMaker", async () => {
            assertNone(await check("iam-passrole-restricted", [res(ROLE_POLICY, "p", { policy: doc({ Effect: "Allow", Action: "iam:PassRole", Resource: ROLE_ARN, Condition: { StringEquals: { "iam:PassedToService": "sagemaker.amazonaws.com" } } }) })]));
        });
        it("rejects PassRole (also through iam:*) without the condition, or to another service", async () => {
            const v = await check("iam-passrole-restricted", [
                res(ROLE_POLICY, "a", { policy: doc({ Effect: "Allow", Action: "iam:PassRole", Resource: ROLE_ARN }) }),
                res(ROLE_POLICY, "b", { policy: doc({ Effect: "Allow", Action: "iam:Pass*", Resource: ROLE_ARN, Condition: { StringEquals: { "iam:PassedToService": ["sagemaker.amazonaws.com", "ec2.amazonaws.com"] } } }) }),
            ]);
            assertViolation(v, "allows iam:PassRole without an iam:PassedToService condition");
            assertViolation(v, "lets roles be passed to ec2.amazonaws.com");
            assert.strictEqual(v.length, 2);
        });
        it("allowed services come from config", async () => {
            const r = [res(ROLE_POLICY, "b", { policy: doc({ Effect: "Allow", Action: "iam:PassRole", Resource: ROLE_ARN, Condition: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } } }) })];
            assertViolation(await check("iam-passrole-restricted", r), "ec2.amazonaws.com");
            assertNone(await check("iam-passrole-restricted", r, { allowedPassedToServices: ["ec2.amazonaws.com"] }));
        });
    });

    describe("iam-role-trust-restricted", () => {
        it("accepts a service principal from the allow-list", async () => {
            assertNone(await check("iam-role-trust-restricted", [lambdaRole()]));
        });
        it("rejects Principal *, AWS *, accounts and unexpected services", async () => {
            const v = await check("iam-role-trust-restricted", [
                res(ROLE, "a", { assumeRolePolicy: doc({ Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" }) }),
                res(ROLE, "b", { assumeRolePolicy: doc({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::999999999999:root" }, Action: "sts:AssumeRole" }) }),
                res(ROLE, "c", { assumeRolePolicy: doc({ Effect: "Allow", Principal: { Service: "glue.amazonaws.com" }, Action: "sts:AssumeRole" }) }),
            ]);
            assert.strictEqual(v.length, 3);
            assertViolation(v, "Principal '*'");
            assertViolation(v, "AWS principal 'arn:aws:iam::999999999999:root'");
            assertViolation(v, "service 'glue.amazonaws.com'");
        });
        it("allows listed cross-account principals and services through config", async () => {
            const r = [res(ROLE, "b", { assumeRolePolicy: doc({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::999999999999:role/ci" }, Action: "sts:AssumeRole" }) })];
            assertNone(await check("iam-role-trust-restricted", r, { allowedAwsPrincipals: ["arn:aws:iam::999999999999:role/ci"] }));
            assertViolation(await check("iam-role-trust-restricted", [lambdaRole()], { allowedServicePrincipals: ["sagemaker.amazonaws.com"] }), "lambda.amazonaws.com");
        });
    });

    describe("iam-role-trust-matches-use (stack)", () => {
        const fnUsing = (role: ReturnType<typeof lambdaRole>) => res("aws:lambda/function:Function", "fn", { role: role.props.arn, runtime: "nodejs24.x" }, { role: [role] });
        it("accepts each role trusting exactly its user's service (joined by ARN, name or dependency)", async () => {
            const fnRole = lambdaRole();
            const nbRole = notebookRole();
            const trainerRole = res(ROLE, "trainer-role", { name: "trainer-role", assumeRolePolicy: trust("ec2.amazonaws.com") });
            assertNone(await check("iam-role-trust-matches-use", [
                fnRole, nbRole, trainerRole,
                fnUsing(fnRole),
                res("aws:sagemaker/notebookInstance:NotebookInstance", "nb", { roleArn: nbRole.props.arn }),
                res("aws:sagemaker/trainingJob:TrainingJob", "job", { roleArn: UNKNOWN_STRING }, { roleArn: [nbRole] }),
                res("aws:iam/instanceProfile:InstanceProfile", "profile", { role: "trainer-role" }),
            ]));
        });
        it("rejects a Lambda role trusting SageMaker, an extra trusted service, and a role shared across services", async () => {
            const wrong = res(ROLE, "fn-role", { name: "fn-role", arn: "arn:aws:iam::123456789012:role/fn-role", assumeRolePolicy: trust("sagemaker.amazonaws.com") });
            assertViolation(await check("iam-role-trust-matches-use", [wrong, fnUsing(wrong)]), "role fn-role is used by fn but does not trust lambda.amazonaws.com", 2);
            const both = res(ROLE, "fn-role", { name: "fn-role", arn: "arn:aws:iam::123456789012:role/fn-role", assumeRolePolicy: doc({ Effect: "Allow", Principal: { Service: ["lambda.amazonaws.com", "ec2.amazonaws.com"] }, Action: "sts:AssumeRole" }) });
            assertViolation(await check("iam-role-trust-matches-use", [both, fnUsing(both)]), "also trusts ec2.amazonaws.com", 1);
            const shared = lambdaRole();
            const v = await check("iam-role-trust-matches-use", [shared, fnUsing(shared), res("aws:sagemaker/model:Model", "model", { executionRoleArn: shared.props.arn })]);
            assertViolation(v, "role fn-role is shared by fn, model, which run under lambda.amazonaws.com and sagemaker.amazonaws.com", 1);
        });
        it("roles nobody uses are left to iam-role-trust-restricted", async () => {
            assertNone(await check("iam-role-trust-matches-use", [notebookRole()]));
        });
    });

    describe("iam-no-managed-full-access (stack)", () => {
        it("accepts a Lambda role with only the basic execution policy", async () => {
            const role = lambdaRole();
            assertNone(await check("iam-no-managed-full-access", [role, res(ATTACH, "basic", { role: "fn-role-1234", policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" }, { role: [role] })]));
        });
        it("names AmazonSageMakerFullAccess on the Lambda role through RolePolicyAttachment, PolicyAttachment and managedPolicyArns", async () => {
            const role = lambdaRole();
            const viaAttachment = await check("iam-no-managed-full-access", [role, res(ATTACH, "full", { role: "fn-role-1234", policyArn: "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess" })]);
            assertViolation(viaAttachment, ["Lambda role fn-role", "AmazonSageMakerFullAccess", "role policy attachment full"], 1);
            assert.strictEqual(viaAttachment[0].urn, role.urn);
            const viaPolicyAttachment = await check("iam-no-managed-full-access", [role, res(POLICY_ATTACH, "admin", { roles: ["fn-role-1234"], policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" })]);
            assertViolation(viaPolicyAttachment, "AdministratorAccess", 1);
            const viaManaged = await check("iam-no-managed-full-access", [res(ROLE, "r", { assumeRolePolicy: trust("lambda.amazonaws.com"), managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonS3FullAccess"] })]);
            assertViolation(viaManaged, "AmazonS3FullAccess", 1);
        });
        it("joins through property dependencies when the role name is unknown (preview)", async () => {
            const role = lambdaRole();
            const v = await check("iam-no-managed-full-access", [role, res(ATTACH, "full", { role: UNKNOWN_STRING, policyArn: "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess" }, { role: [role] })]);
            assertViolation(v, "AmazonSageMakerFullAccess", 1);
        });
        it("scope 'lambda' leaves other roles alone", async () => {
            const role = notebookRole();
            const r = [role, res(ATTACH, "full", { role: "nb-role-1234", policyArn: "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess" })];
            assertViolation(await check("iam-no-managed-full-access", r), "role nb-role holds AWS-managed AmazonSageMakerFullAccess");
            assertNone(await check("iam-no-managed-full-access", r, { roleScope: "lambda" }));
        });
        it("ignores customer-managed policies with FullAccess in their name", async () => {
            const role = lambdaRole();
            assertNone(await check("iam-no-managed-full-access", [role, res(ATTACH, "mine", { role: "fn-role-1234", policyArn: "arn:aws:iam::123456789012:policy/MyFullAccess" })]));
        });
    });

    describe("iam-lambda-role-least-privilege (stack)", () => {
        const invoke = doc(
            { Effect: "Allow", Action: "sagemaker:InvokeEndpoint", Resource: ENDPOINT_ARN },
            { Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn:*" },
        );
        it("accepts InvokeEndpoint plus its logs", async () => {
            const role = lambdaRole();
            assertNone(await check("iam-lambda-role-least-privilege", [role, res(ROLE_POLICY, "invoke", { role: "fn-role-1234", policy: invoke })]));
        });
        it("rejects extra actions inline, in attached customer policies and any other managed policy", async () => {
            const role = lambdaRole();
            const custom = res(POLICY, "extra", { arn: "arn:aws:iam::123456789012:policy/extra", policy: doc({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }) });
            const v = await check("iam-lambda-role-least-privilege", [
                role,
                custom,
                res(ROLE_POLICY, "invoke", { role: "fn-role-1234", policy: doc({ Effect: "Allow", Action: ["sagemaker:InvokeEndpoint", "sagemaker:CreateEndpoint"], Resource: ENDPOINT_ARN }) }),
                res(ATTACH, "custom", { role: "fn-role-1234", policyArn: "arn:aws:iam::123456789012:policy/extra" }),
                res(ATTACH, "ro", { role: "arn:aws:iam::123456789012:role/fn-role-1234", policyArn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" }),
            ]);
            assertViolation(v, "allows sagemaker:CreateEndpoint");
            assertViolation(v, ["policy extra", "allows s3:GetObject"]);
            assertViolation(v, "AmazonS3ReadOnlyAccess");
            assert.strictEqual(v.length, 3);
        });
        it("does not apply to roles other services assume", async () => {
            const role = notebookRole();
            assertNone(await check("iam-lambda-role-least-privilege", [role, res(ROLE_POLICY, "p", { role: "nb-role-1234", policy: doc({ Effect: "Allow", Action: "sagemaker:CreateTrainingJob", Resource: "*" }) })]));
        });
        it("tolerates KMS decrypt of the function's own environment only when pinned to kms:ViaService lambda", async () => {
            const role = lambdaRole();
            const kms = (condition?: Record<string, unknown>) =>
                res(ROLE_POLICY, "kms", { role: "fn-role-1234", policy: doc({ Sid: "UseStackKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:DescribeKey"], Resource: "arn:aws:kms:us-east-1:123456789012:key/k", ...(condition ? { Condition: condition } : {}) }) });
            assertNone(await check("iam-lambda-role-least-privilege", [role, kms({ StringEquals: { "kms:ViaService": ["lambda.us-east-1.amazonaws.com"] } })]));
            assertViolation(await check("iam-lambda-role-least-privilege", [role, kms()]), "allows kms:Decrypt, kms:DescribeKey", 1);
            assertViolation(await check("iam-lambda-role-least-privilege", [role, kms({ StringEquals: { "kms:ViaService": ["s3.us-east-1.amazonaws.com"] } })]), "kms:Decrypt", 1);
            assertViolation(await check("iam-lambda-role-least-privilege", [role, kms({ StringEquals: { "kms:ViaService": "lambda.us-east-1.amazonaws.com" } })], { allowedKmsViaLambdaActions: [] }), "kms:Decrypt", 1);
        });
        it("in preview, reports what it can decide and says it could not run on an unknown document", async () => {
            const role = lambdaRole();
            const other = res(ROLE, "fn2-role", { name: "fn2-role", assumeRolePolicy: trust("lambda.amazonaws.com") });
            const v = await check("iam-lambda-role-least-privilege", [
                role,
                other,
                res(ROLE_POLICY, "invoke", { role: "fn-role-1234", policy: UNKNOWN_STRING }, { role: [role] }),
                res(ROLE_POLICY, "extra", { role: "fn2-role", policy: doc({ Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::b" }) }),
            ]);
            assert.deepStrictEqual(v.map((x) => x.enforcementLevel).sort(), ["advisory", "mandatory"]);
            assertViolation(v, "fn2-role: role policy extra statement 0 allows s3:ListBucket");
            assertViolation(v, ["can't run policy 'iam-lambda-role-least-privilege'", "during preview", "value at .policy"]);
        });
        it("takes the allow-list from config", async () => {
            const role = lambdaRole();
            const r = [role, res(ROLE_POLICY, "p", { role: "fn-role-1234", policy: doc({ Effect: "Allow", Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:123456789012:q" }) })];
            assertViolation(await check("iam-lambda-role-least-privilege", r), "sqs:SendMessage");
            assertNone(await check("iam-lambda-role-least-privilege", r, { allowedActions: ["sqs:SendMessage"] }));
        });
    });
});

describe("policies: IAM on every principal kind", () => {
    const USER = "aws:iam/user:User";
    const GROUP = "aws:iam/group:Group";
    const USER_POLICY = "aws:iam/userPolicy:UserPolicy";
    const GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy";
    const USER_ATTACH = "aws:iam/userPolicyAttachment:UserPolicyAttachment";
    const GROUP_ATTACH = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment";

    it("wildcard actions in every form (*, svc:*, svc:Prefix*, svc:*Suffix, NotAction) on user, group, role and customer-managed policies", async () => {
        const v = await check("iam-no-wildcard-actions", [
            res(USER_POLICY, "u", { user: "ci", policy: doc({ Effect: "Allow", Action: "s3:Get*", Resource: "arn:aws:s3:::b/*" }) }),
            res(GROUP_POLICY, "g", { group: "ops", policy: doc({ Effect: "Allow", Action: ["sagemaker:*Endpoint"], Resource: ENDPOINT_ARN }) }),
            res(POLICY, "p", { policy: doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }) }),
            res(ROLE_POLICY, "r", { role: "x", policy: doc({ Effect: "Allow", Action: "iam:Create*", Resource: "*" }) }),
        ]);
        assertViolation(v, "allows Action 's3:Get*'");
        assertViolation(v, "allows Action 'sagemaker:*Endpoint'");
        assertViolation(v, "NotAction");
        assertViolation(v, "allows Action 'iam:Create*'");
        assert.strictEqual(v.length, 4);
    });

    it("privilege escalation: attaching or writing policies, new policy versions, changing trust, through exact actions or wildcards", async () => {
        const v = await check("iam-no-privilege-escalation", [
            res(ROLE_POLICY, "attach", { role: "x", policy: doc({ Effect: "Allow", Action: ["iam:AttachRolePolicy", "iam:PutUserPolicy"], Resource: "arn:aws:iam::123456789012:role/x" }) }),
            res(USER_POLICY, "versions", { user: "ci", policy: doc({ Effect: "Allow", Action: "iam:*PolicyVersion", Resource: "*" }) }),
            res(GROUP_POLICY, "trust", { group: "ops", policy: doc({ Effect: "Allow", Action: "iam:UpdateAssumeRolePolicy", Resource: "*" }) }),
        ]);
        assertViolation(v, "allows iam:AttachRolePolicy, iam:PutUserPolicy");
        assertViolation(v, "allows iam:CreatePolicyVersion, iam:SetDefaultPolicyVersion");
        assertViolation(v, "allows iam:UpdateAssumeRolePolicy");
        assert.strictEqual(v.length, 3);
        assertNone(await check("iam-no-privilege-escalation", [res(ROLE_POLICY, "read", { role: "x", policy: doc({ Effect: "Allow", Action: ["iam:GetRole", "sagemaker:InvokeEndpoint"], Resource: "*" }) })]));
    });

    it("sensitive reads (secrets, parameters) on Resource '*' for users and groups too", async () => {
        const v = await check("iam-no-star-resource-for-sensitive-actions", [
            res(USER_POLICY, "u", { user: "ci", policy: doc({ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "*" }) }),
            res(GROUP_POLICY, "g", { group: "ops", policy: doc({ Effect: "Allow", Action: "ssm:GetParameter*", Resource: "*" }) }),
        ]);
        assertViolation(v, "secretsmanager:GetSecretValue on Resource '*'");
        assertViolation(v, "ssm:GetParameter, ssm:GetParameters, ssm:GetParametersByPath on Resource '*'");
        assert.strictEqual(v.length, 2);
    });

    it("admin and FullAccess managed policies on users and groups, however attached", async () => {
        const user = res(USER, "ci", { name: "ci-user", arn: "arn:aws:iam::123456789012:user/ci-user" });
        const group = res(GROUP, "ops", { name: "ops", arn: "arn:aws:iam::123456789012:group/ops" });
        const v = await check("iam-no-managed-full-access", [
            user,
            group,
            res(USER_ATTACH, "admin", { user: "ci-user", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }),
            res(GROUP_ATTACH, "s3", { group: UNKNOWN_STRING, policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess" }, { group: [group] }),
            res(POLICY_ATTACH, "power", { users: ["arn:aws:iam::123456789012:user/ci-user"], groups: ["ops"], policyArn: "arn:aws:iam::aws:policy/PowerUserAccess" }),
        ]);
        assertViolation(v, ["user ci holds AWS-managed AdministratorAccess", "user policy attachment admin"]);
        assertViolation(v, ["group ops holds AWS-managed AmazonS3FullAccess", "group policy attachment s3"]);
        assertViolation(v, ["user ci holds AWS-managed PowerUserAccess", "policy attachment power"]);
        assertViolation(v, ["group ops holds AWS-managed PowerUserAccess", "policy attachment power"]);
        assert.strictEqual(v.length, 4);
        assert.ok(v.every((x) => x.urn === user.urn || x.urn === group.urn));
    });
});
