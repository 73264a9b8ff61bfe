import * as assert from "assert";
import { assertNone, assertViolation, check, res } from "./helpers";

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

    it("kms-key-rotation", async () => {
        assertNone(await check("kms-key-rotation", [res("aws:kms/key:Key", "k", { enableKeyRotation: true })]));
        assertViolation(await check("kms-key-rotation", [res("aws:kms/key:Key", "k", {})]), "enableKeyRotation is not true", 1);
        assertViolation(await check("kms-key-rotation", [res("aws:kms/key:Key", "k", { enableKeyRotation: false })]), "enableKeyRotation is not true", 1);
    });
});
