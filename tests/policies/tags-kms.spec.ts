import * as assert from "assert";
import { RESOURCE_TYPES, TAGGABLE_KINDS } from "../../policies/lib/resource-types";
import { UNKNOWN_STRING, assertNone, assertViolation, check, res } from "./helpers";

const TAGS = { project: "mlops", stack: "dev", "managed-by": "pulumi" };

describe("policies: tags and KMS", () => {
    it("required-tags: taggable resources need project, stack and managed-by", async () => {
        assertNone(await check("required-tags", [res("aws:s3/bucket:Bucket", "b", { tags: TAGS }), res("aws:lambda/function:Function", "f", { tags: { ...TAGS, owner: "ml" } })]));
        const v = await check("required-tags", [res("aws:sagemaker/endpoint:Endpoint", "e", { tags: { project: "mlops", stack: "" } }), res("aws:iam/role:Role", "r", {})]);
        assertViolation(v, "missing tags stack, managed-by");
        assertViolation(v, "missing tags project, stack, managed-by");
        assert.strictEqual(v.length, 2);
    });

    it("required-tags: untaggable types are not applicable; the key list is configurable", async () => {
        const result = await check("required-tags", [res("aws:appautoscaling/policy:Policy", "p", {}), res("aws:lambda/alias:Alias", "a", {})]);
        assertNone(result);
        assertViolation(await check("required-tags", [res("aws:s3/bucket:Bucket", "b", { tags: TAGS })], { requiredTags: ["cost-center"] }), "missing tag cost-center", 1);
    });

    it("required-tags: the provider's defaultTags count", async () => {
        const provider = { urn: "urn:pulumi:test::mlops::pulumi:providers:aws::default", type: "pulumi:providers:aws", name: "default", props: { region: "us-east-1", defaultTags: JSON.stringify({ tags: TAGS }) } };
        const bucket = { ...res("aws:s3/bucket:Bucket", "b", {}), provider: `${provider.urn}::provider-id` };
        assertNone(await check("required-tags", [provider, bucket]));
    });

    describe("required-tags with the tags on the stack's provider (defaultTags)", () => {
        const provider = (defaultTags: unknown) => ({ urn: "urn:pulumi:test::mlops::pulumi:providers:aws::tagged", type: "pulumi:providers:aws", name: "tagged", props: { region: "us-east-1", defaultTags } });
        /** One resource of every taggable class, with no tags of its own, created by `p`. */
        const everyTaggable = (p: { urn: string }) =>
            TAGGABLE_KINDS.flatMap((k) => k.tokens.map((t, i) => ({ ...res(t, `${k.name}-${i}`, {}), provider: `${p.urn}::id` })));

        it("proves every taggable class carries the tags, whether the provider sends defaultTags as JSON or as an object", async () => {
            for (const p of [provider(JSON.stringify({ tags: TAGS })), provider({ tags: TAGS })]) {
                const resources = everyTaggable(p);
                assert.ok(resources.length >= 25, `${resources.length} taggable classes`);
                assertNone(await check("required-tags", [p, ...resources]));
            }
        });

        it("without them every taggable class is reported, legacy and alternative forms included", async () => {
            const p = provider(JSON.stringify({ tags: { project: "mlops" } }));
            const resources = everyTaggable(p);
            const v = await check("required-tags", [p, ...resources]);
            assert.strictEqual(v.length, resources.length);
            for (const name of ["bucket-1", "ec2Instance-1", "kmsReplicaKey-0"]) assertViolation(v.filter((x) => x.resourceName === name), "missing tags stack, managed-by", 1);
        });

        it("resource tags and provider tags add up; an empty value does not count", async () => {
            const p = provider(JSON.stringify({ tags: { project: "mlops", stack: "dev" } }));
            const bucket = { ...res(RESOURCE_TYPES.bucket.tokens[0], "b", { tags: { "managed-by": "pulumi" } }), provider: `${p.urn}::id` };
            assertNone(await check("required-tags", [p, bucket]));
            const blank = { ...res(RESOURCE_TYPES.bucket.tokens[0], "b", { tags: { "managed-by": "pulumi", stack: "" } }), provider: `${p.urn}::id` };
            assertViolation(await check("required-tags", [p, blank]), "missing tag stack", 1);
        });

        it("in preview, unknown defaultTags defer (advisory) instead of a false violation", async () => {
            const p = provider(UNKNOWN_STRING);
            const v = await check("required-tags", [p, { ...res(RESOURCE_TYPES.bucket.tokens[0], "b", {}), provider: `${p.urn}::id` }]);
            assert.strictEqual(v.length, 1);
            assert.strictEqual(v[0].enforcementLevel, "advisory");
            assert.match(v[0].message, /can't run policy 'required-tags' .* during preview/);
        });
    });

    it("kms-key-rotation", async () => {
        assertNone(await check("kms-key-rotation", [res("aws:kms/key:Key", "k", { enableKeyRotation: true })]));
        assertViolation(await check("kms-key-rotation", [res("aws:kms/key:Key", "k", {})]), "enableKeyRotation is not true", 1);
        assertViolation(await check("kms-key-rotation", [res("aws:kms/key:Key", "k", { enableKeyRotation: false })]), "enableKeyRotation is not true", 1);
    });
});

describe("policies: KMS key policies and log group encryption", () => {
    const policy = (...statements: Record<string, unknown>[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
    const admin = { Sid: "Account", Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*", Resource: "*" };

    it("kms-key-policy-not-public: Principal '*' on a key, a replica or a standalone key policy, unless a condition pins the caller", async () => {
        const open = { Sid: "Anyone", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" };
        const pinned = { ...open, Sid: "ViaS3", Condition: { StringEquals: { "kms:CallerAccount": "123456789012", "kms:ViaService": "s3.us-east-1.amazonaws.com" } } };
        assertNone(await check("kms-key-policy-not-public", [res("aws:kms/key:Key", "k", { policy: policy(admin, pinned) })]));
        const v = await check("kms-key-policy-not-public", [
            res("aws:kms/key:Key", "k", { policy: policy(admin, open) }),
            res("aws:kms/replicaKey:ReplicaKey", "r", { primaryKeyArn: "arn:aws:kms:us-east-1:1:key/k", policy: policy({ ...open, Principal: { AWS: "*" } }) }),
            res("aws:kms/keyPolicy:KeyPolicy", "p", { keyId: "k", policy: policy(open) }),
        ]);
        assertViolation(v, "statement 1 (Sid \"Anyone\") allows Principal '*' to use the key");
        assert.strictEqual(v.length, 3);
    });

    it("cloudwatch-log-group-kms: only where the stack requires KMS", async () => {
        const group = res("aws:cloudwatch/logGroup:LogGroup", "g", { retentionInDays: 30 });
        assertNone(await check("cloudwatch-log-group-kms", [group]));
        assertViolation(await check("cloudwatch-log-group-kms", [group], { requireKms: true }), "kmsKeyId is not set", 1);
        assertNone(await check("cloudwatch-log-group-kms", [res("aws:cloudwatch/logGroup:LogGroup", "g", { kmsKeyId: "arn:aws:kms:us-east-1:1:key/k" })], { requireKms: true }));
    });
});
