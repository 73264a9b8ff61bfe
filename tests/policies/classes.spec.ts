// Rules on concepts, not classes: every class a kind lists (current, deprecated-but-shipped, other
// forms) is checked like the current one, and what AWS documents as an equally valid form (the
// inline settings of the bucket classes, an account-level public access block, step scaling) is
// accepted.

import * as assert from "assert";
import * as aws from "@pulumi/aws";
import { ALL_KINDS, RESOURCE_TYPES as K, className, kindOfToken, tokenOf } from "../../policies/lib/resource-types";
import { estimateStackCost } from "../../policies/cost/estimate";
import { assertNone, assertViolation, check, doc, res } from "./helpers";

const [BUCKET, BUCKET_V2] = K.bucket.tokens;
const NAME = "mlops-dev-data-1a2b3c4";
const tlsOnly = doc({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [`arn:aws:s3:::${NAME}`, `arn:aws:s3:::${NAME}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } });
const STACK_RULES = ["s3-bucket-public-access-block", "s3-bucket-encryption", "s3-bucket-versioning", "s3-bucket-tls-only", "s3-bucket-acls-disabled", "s3-bucket-lifecycle"];

/** A secure bucket written with the deprecated V2 classes throughout. */
function legacyBucket(over: { versioning?: string } = {}) {
    const bucket = res(BUCKET_V2, "data", { bucket: NAME, arn: `arn:aws:s3:::${NAME}` });
    const side = (type: string, name: string, props: Record<string, unknown>) => res(type, name, { bucket: NAME, ...props }, { bucket: [bucket] });
    return [
        bucket,
        side(K.bucketPublicAccessBlock.tokens[0], "pab", { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }),
        side(K.bucketEncryption.tokens[1], "sse", { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:us-east-1:1:key/k" } }] }),
        side(K.bucketVersioning.tokens[1], "versioning", { versioningConfiguration: { status: over.versioning ?? "Enabled" } }),
        side(K.bucketPolicy.tokens[0], "policy", { policy: tlsOnly }),
        side(K.bucketOwnershipControls.tokens[0], "ownership", { rule: { objectOwnership: "BucketOwnerEnforced" } }),
        side(K.bucketLifecycle.tokens[1], "lifecycle", { rules: [{ id: "abort", status: "Enabled", abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } }] }),
    ];
}

describe("policies: the resource-type table", () => {
    it("reads every token from its class, and each token belongs to one kind", () => {
        for (const kind of ALL_KINDS) {
            kind.classes.forEach((cls, i) => {
                assert.strictEqual(kind.tokens[i], tokenOf(cls));
                assert.ok(cls.isInstance({ __pulumiType: kind.tokens[i] }), `${className(kind.tokens[i])}.isInstance`);
                assert.strictEqual(kindOfToken(kind.tokens[i]), kind);
            });
        }
        assert.strictEqual(K.bucket.tokens[1], "aws:s3/bucketV2:BucketV2");
        assert.deepStrictEqual(K.bucketObject.legacy, [aws.s3.BucketObject]);
        assert.strictEqual(className(tokenOf(aws.ec2.SpotInstanceRequest)), "aws.ec2.SpotInstanceRequest");
    });

    it("refuses a class that is not a generated resource class", () => {
        assert.throws(() => tokenOf(class NotAResource {} as never), /NotAResource carries no __pulumiType/);
    });
});

describe("policies: legacy and alternative S3 forms", () => {
    it("a bucket written with aws.s3.BucketV2 and the *V2 side resources passes every S3 stack rule (no false alarm)", async () => {
        for (const rule of STACK_RULES) assertNone(await check(rule, legacyBucket()));
        assertNone(await check("s3-bucket-encryption", legacyBucket(), { requireKms: true }));
    });

    it("and is checked like the current class: Suspended versioning on a V2 resource is caught", async () => {
        assertViolation(await check("s3-bucket-versioning", legacyBucket({ versioning: "Suspended" })), "bucket data versioning is Suspended", 1);
        const bare = [res(BUCKET_V2, "bare", { bucket: "bare-bucket" })];
        for (const rule of STACK_RULES) assert.strictEqual((await check(rule, bare)).length, 1, rule);
    });

    it("accepts the inline (deprecated, still shipped) settings of both bucket classes", async () => {
        const v1 = res(BUCKET, "v1", {
            bucket: "v1-bucket",
            serverSideEncryptionConfiguration: { rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "k" } } },
            versioning: { enabled: true },
            policy: doc({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
            lifecycleRules: [{ enabled: true, abortIncompleteMultipartUploadDays: 7 }],
        });
        const v2 = res(BUCKET_V2, "v2", {
            bucket: "v2-bucket",
            serverSideEncryptionConfigurations: [{ rules: [{ applyServerSideEncryptionByDefaults: [{ sseAlgorithm: "aws:kms", kmsMasterKeyId: "k" }] }] }],
            versionings: [{ enabled: true }],
            lifecycleRules: [{ enabled: true, abortIncompleteMultipartUploadDays: 7 }],
        });
        for (const rule of ["s3-bucket-encryption", "s3-bucket-versioning", "s3-bucket-lifecycle"]) assertNone(await check(rule, [v1, v2], rule === "s3-bucket-encryption" ? { requireKms: true } : undefined));
        assertNone(await check("s3-bucket-tls-only", [v1]));
        assertViolation(await check("s3-bucket-versioning", [res(BUCKET, "off", { bucket: "off", versioning: { enabled: false } })]), "versioning is not configured", 1);
    });

    it("an account-level public access block covers every bucket; one with a flag off does not", async () => {
        const flags = { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true };
        const account = (over: Record<string, boolean> = {}) => res(K.accountPublicAccessBlock.tokens[0], "account", { ...flags, ...over });
        const buckets = [res(BUCKET, "a", { bucket: "a" }), res(BUCKET_V2, "b", { bucket: "b" })];
        assertNone(await check("s3-bucket-public-access-block", [account(), ...buckets]));
        assert.strictEqual((await check("s3-bucket-public-access-block", [account({ restrictPublicBuckets: false }), ...buckets])).length, 2);
        assertNone(await check("s3-bucket-public-access-block", buckets, { accountBlockOutsideStack: true }));
    });

    it("public ACLs on the legacy object class, the V2 ACL class and a bucket's inline grants are caught", async () => {
        const v = await check("s3-no-public-acl", [
            res(K.bucketObject.tokens[1], "o", { bucket: NAME, key: "k", acl: "public-read" }),
            res(K.bucketAcl.tokens[1], "acl", { bucket: NAME, acl: "authenticated-read" }),
            res(BUCKET_V2, "b", { bucket: NAME, grants: [{ type: "Group", permissions: ["READ"], uri: "http://acs.amazonaws.com/groups/global/AllUsers" }] }),
        ]);
        assertViolation(v, "acl is public-read.");
        assertViolation(v, "acl is authenticated-read.");
        assertViolation(v, "grants give READ to http://acs.amazonaws.com/groups/global/AllUsers");
        assert.strictEqual(v.length, 3);
    });
});

describe("policies: every form of an EC2 instance and of an EBS volume", () => {
    const SPOT = tokenOf(aws.ec2.SpotInstanceRequest);
    const TEMPLATE = K.launchTemplate.tokens[0];
    const VOLUME = K.ebsVolume.tokens[0];
    const secure = { instanceType: "g4dn.xlarge", iamInstanceProfile: "p", metadataOptions: { httpTokens: "required" }, rootBlockDevice: { encrypted: true, volumeSize: 100, volumeType: "gp3" } };

    it("a spot instance request is held to the instance rules", async () => {
        for (const rule of ["ec2-imdsv2-required", "ec2-no-public-ip", "ec2-encrypted-volumes", "ec2-instance-profile", "ec2-instance-type", "ec2-volume-size"]) {
            assertNone(await check(rule, [res(SPOT, "spot", secure)]));
        }
        const bad = res(SPOT, "spot", { instanceType: "p4d.24xlarge", associatePublicIpAddress: true, rootBlockDevice: { encrypted: false, volumeSize: 900 } });
        assertViolation(await check("ec2-imdsv2-required", [bad]), "httpTokens", 1);
        assertViolation(await check("ec2-no-public-ip", [bad]), "associatePublicIpAddress is true", 1);
        assertViolation(await check("ec2-encrypted-volumes", [bad]), "rootBlockDevice.encrypted is false", 1);
        assertViolation(await check("ec2-instance-profile", [bad]), "iamInstanceProfile is not set", 1);
        assertViolation(await check("ec2-instance-type", [bad]), "p4d.24xlarge is not allowed", 1);
        assertViolation(await check("ec2-volume-size", [bad]), "root volume 900 GB exceeds 200 GB", 1);
        assert.strictEqual((await check("ec2-instance-count", [res(SPOT, "a", secure), res(SPOT, "b", secure), res(K.ec2Instance.tokens[0], "c", secure)])).length, 1);
    });

    it("a launch template's metadata options, interfaces, mappings and type are checked", async () => {
        const template = res(TEMPLATE, "lt", {
            instanceType: "p4d.24xlarge",
            metadataOptions: { httpTokens: "optional" },
            networkInterfaces: [{ associatePublicIpAddress: "true" }],
            blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { encrypted: "false", volumeSize: 500 } }],
        });
        assertViolation(await check("ec2-imdsv2-required", [template]), "\"optional\"", 1);
        assertViolation(await check("ec2-no-public-ip", [template]), "networkInterfaces[0].associatePublicIpAddress is true", 1);
        assertViolation(await check("ec2-encrypted-volumes", [template]), "blockDeviceMappings[0].ebs.encrypted is false", 1);
        assertViolation(await check("ec2-instance-type", [template]), "p4d.24xlarge is not allowed", 1);
        assertViolation(await check("ec2-volume-size", [template]), "blockDeviceMappings[0].ebs 500 GB exceeds 200 GB", 1);
        assertNone(await check("ec2-instance-type", [res(TEMPLATE, "bare", {})]));
    });

    it("extra and standalone EBS volumes are encrypted and within the cap", async () => {
        const instance = res(K.ec2Instance.tokens[0], "i", { ...secure, ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: true, volumeSize: 1000 }] });
        assertViolation(await check("ec2-volume-size", [instance]), "ebsBlockDevices[0] 1000 GB exceeds 200 GB", 1);
        const volume = res(VOLUME, "scratch", { availabilityZone: "us-east-1a", size: 2000, type: "gp3" });
        assertViolation(await check("ec2-volume-size", [volume]), "volume 2000 GB exceeds 200 GB", 1);
        assertViolation(await check("ec2-encrypted-volumes", [volume]), "volume.encrypted is false", 1);
        assertNone(await check("ec2-encrypted-volumes", [res(VOLUME, "ok", { availabilityZone: "us-east-1a", size: 20, encrypted: true })]));
    });

    it("the estimate prices spot requests as spot, every declared volume and standalone volumes", () => {
        const e = estimateStackCost([
            res(SPOT, "spot", { ...secure, ebsBlockDevices: [{ volumeSize: 50, volumeType: "gp2" }] }),
            res(VOLUME, "scratch", { availabilityZone: "us-east-1a", size: 100, type: "io2", iops: 1000 }),
        ]);
        const byName = Object.fromEntries(e.monthly.lines.map((l) => [l.name, l]));
        // g4dn.xlarge 0.526 x 730 x (1 - 0.6) + 100 GB gp3 x 0.08 + 50 GB gp2 x 0.10
        assert.strictEqual(byName.spot.usd, 166.59);
        assert.match(byName.spot.description, /spot \+ 100 GB gp3 \+ 50 GB gp2/);
        // 100 GB io2 x 0.125 + 1000 IOPS x 0.065
        assert.strictEqual(byName.scratch.usd, 77.5);
        assert.deepStrictEqual(e.unpriced, []);
    });
});

describe("policies: scaling forms AWS documents", () => {
    const TARGET = K.scalingTarget.tokens[0];
    const POLICY = K.scalingPolicy.tokens[0];
    const SCHEDULED = K.scheduledAction.tokens[0];
    const variant = { serviceNamespace: "sagemaker", scalableDimension: "sagemaker:variant:DesiredInstanceCount", resourceId: "endpoint/ep-1234/variant/primary" };
    const endpointStack = (policy: Record<string, unknown>) => [
        res(K.endpointConfig.tokens[0], "cfg", { name: "cfg-1234", productionVariants: [{ variantName: "primary", instanceType: "ml.m5.large", initialInstanceCount: 1 }] }),
        res(K.endpoint.tokens[0], "ep", { name: "ep-1234", endpointConfigName: "cfg-1234" }),
        res(TARGET, "target", { ...variant, minCapacity: 1, maxCapacity: 4 }),
        res(POLICY, "scaling", { ...variant, ...policy }),
    ];

    it("step scaling with a cooldown counts as the variant's scaling policy; without one it is named", async () => {
        const step = (cooldown?: number) => ({ policyType: "StepScaling", stepScalingPolicyConfiguration: { adjustmentType: "ChangeInCapacity", cooldown, stepAdjustments: [{ scalingAdjustment: 1, metricIntervalLowerBound: "0" }] } });
        assertNone(await check("sagemaker-endpoint-autoscaling", endpointStack(step(120))));
        assertViolation(await check("sagemaker-endpoint-autoscaling", endpointStack(step())), "does not set stepScalingPolicyConfiguration.cooldown", 1);
        assertViolation(await check("sagemaker-endpoint-autoscaling", endpointStack(step(120)), { acceptedPolicyTypes: ["TargetTrackingScaling"] }), "has no TargetTrackingScaling policy", 1);
    });

    it("scheduled scaling actions stay within the capacity caps", async () => {
        const action = (min: number, max: number) => res(SCHEDULED, `s${min}-${max}`, { ...variant, schedule: "cron(0 8 * * ? *)", scalableTargetAction: { minCapacity: min, maxCapacity: max } });
        assertNone(await check("sagemaker-autoscaling-bounds", [action(1, 4)]));
        const v = await check("sagemaker-autoscaling-bounds", [action(1, 40), action(0, 2), action(3, 2)]);
        assertViolation(v, "scalableTargetAction.maxCapacity 40 exceeds 4");
        assertViolation(v, "scalableTargetAction.minCapacity 0 < 1");
        assertViolation(v, "scalableTargetAction.maxCapacity 2 < minCapacity 3");
        assert.strictEqual(v.length, 3);
    });
});
