import * as assert from "assert";
import type { PlanResource } from "../../plan/policy-engine";
import { UNKNOWN_STRING, assertNone, assertViolation, check, doc, res } from "./helpers";

import { RESOURCE_TYPES } from "../../policies/lib/resource-types";

/** The current class of each S3 concept (the legacy classes are exercised below). */
const T = {
    bucket: RESOURCE_TYPES.bucket.tokens[0],
    publicAccessBlock: RESOURCE_TYPES.bucketPublicAccessBlock.tokens[0],
    encryption: RESOURCE_TYPES.bucketEncryption.tokens[0],
    versioning: RESOURCE_TYPES.bucketVersioning.tokens[0],
    policy: RESOURCE_TYPES.bucketPolicy.tokens[0],
    acl: RESOURCE_TYPES.bucketAcl.tokens[0],
    ownership: RESOURCE_TYPES.bucketOwnershipControls.tokens[0],
    lifecycle: RESOURCE_TYPES.bucketLifecycle.tokens[0],
    object: RESOURCE_TYPES.bucketObject.tokens[0],
};

const NAME = "mlops-dev-data-1a2b3c4";
const tlsOnly = doc(
    { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [`arn:aws:s3:::${NAME}`, `arn:aws:s3:::${NAME}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } },
);

/** The DataBucket component's resources; `ref` is how the side resources name the bucket. */
function secureBucket(opts: { ref?: "name" | "unknown"; kms?: boolean; drop?: string[] } = {}): PlanResource[] {
    const bucket = res(T.bucket, "data", { bucket: NAME, id: NAME, arn: `arn:aws:s3:::${NAME}` });
    const ref = opts.ref === "unknown" ? UNKNOWN_STRING : NAME;
    const side = (type: string, name: string, props: Record<string, unknown>) => res(type, name, { bucket: ref, ...props }, { bucket: [bucket] });
    const all: Record<string, PlanResource> = {
        pab: side(T.publicAccessBlock, "data-pab", { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }),
        sse: side(T.encryption, "data-sse", { rules: [{ applyServerSideEncryptionByDefault: opts.kms ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:us-east-1:1:key/k" } : { sseAlgorithm: "AES256" } }] }),
        versioning: side(T.versioning, "data-versioning", { versioningConfiguration: { status: "Enabled" } }),
        policy: side(T.policy, "data-policy", { policy: tlsOnly }),
        ownership: side(T.ownership, "data-ownership", { rule: { objectOwnership: "BucketOwnerEnforced" } }),
        lifecycle: side(T.lifecycle, "data-lifecycle", { rules: [{ id: "abort", status: "Enabled", abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } }] }),
    };
    return [bucket, ...Object.entries(all).filter(([k]) => !(opts.drop ?? []).includes(k)).map(([, v]) => v)];
}

const STACK_RULES = ["s3-bucket-public-access-block", "s3-bucket-encryption", "s3-bucket-versioning", "s3-bucket-tls-only", "s3-bucket-acls-disabled", "s3-bucket-lifecycle"];

describe("policies: S3", () => {
    it("the DataBucket's resources satisfy every S3 stack rule, joined by value and (preview) by property dependency", async () => {
        for (const rule of STACK_RULES) {
            assertNone(await check(rule, secureBucket()));
            assertNone(await check(rule, secureBucket({ ref: "unknown" })));
        }
    });

    it("a bare bucket violates each stack rule, reported on the bucket", async () => {
        const bare = [res(T.bucket, "data", { bucket: NAME })];
        for (const rule of STACK_RULES) {
            const v = await check(rule, bare);
            assert.strictEqual(v.length, 1, `${rule}: ${v.map((x) => x.message).join("; ")}`);
            assert.strictEqual(v[0].resourceName, "data");
        }
    });

    it("side resources of another bucket do not count", async () => {
        const other = res(T.bucket, "other", { bucket: "other-bucket" });
        const stack = [...secureBucket(), other];
        assertViolation(await check("s3-bucket-public-access-block", stack), "bucket other has no public access block", 1);
    });

    it("s3-bucket-public-access-block names the flags left off", async () => {
        const stack = secureBucket({ drop: ["pab"] });
        stack.push(res(T.publicAccessBlock, "pab", { bucket: NAME, blockPublicAcls: true, blockPublicPolicy: false, ignorePublicAcls: true }));
        assertViolation(await check("s3-bucket-public-access-block", stack), "leaves blockPublicPolicy, restrictPublicBuckets off", 1);
    });

    it("s3-bucket-encryption: any default encryption passes; requireKms demands SSE-KMS with a key", async () => {
        assertViolation(await check("s3-bucket-encryption", secureBucket(), { requireKms: true }), "not encrypted with SSE-KMS", 1);
        assertNone(await check("s3-bucket-encryption", secureBucket({ kms: true }), { requireKms: true }));
    });

    it("s3-bucket-versioning rejects Suspended", async () => {
        const stack = secureBucket({ drop: ["versioning"] });
        stack.push(res(T.versioning, "v", { bucket: NAME, versioningConfiguration: { status: "Suspended" } }));
        assertViolation(await check("s3-bucket-versioning", stack), "versioning is Suspended", 1);
    });

    it("in preview, an unknown bucket policy or versioning status defers (advisory can't-run), never a false violation", async () => {
        const stack = secureBucket({ drop: ["policy", "versioning"] });
        stack.push(res(T.policy, "p", { bucket: NAME, policy: UNKNOWN_STRING }));
        stack.push(res(T.versioning, "v", { bucket: NAME, versioningConfiguration: { status: UNKNOWN_STRING } }));
        for (const rule of ["s3-bucket-tls-only", "s3-bucket-versioning"]) {
            const v = await check(rule, stack);
            assert.strictEqual(v.length, 1, rule);
            assert.strictEqual(v[0].enforcementLevel, "advisory");
            assert.match(v[0].message, /can't run policy .* during preview/);
        }
    });

    it("s3-bucket-tls-only rejects a policy without the SecureTransport deny", async () => {
        const stack = secureBucket({ drop: ["policy"] });
        stack.push(res(T.policy, "p", { bucket: NAME, policy: doc({ Effect: "Deny", Principal: "*", Action: "s3:DeleteBucket", Resource: "*" }) }));
        assertViolation(await check("s3-bucket-tls-only", stack), "no policy statement denying aws:SecureTransport=false", 1);
    });

    describe("s3-bucket-policy-no-public-principal", () => {
        it("accepts a TLS-only policy and a Principal * pinned to the organisation", async () => {
            assertNone(await check("s3-bucket-policy-no-public-principal", [res(T.policy, "p", { bucket: NAME, policy: tlsOnly })]));
            const pinned = doc({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-123" } } });
            assertNone(await check("s3-bucket-policy-no-public-principal", [res(T.policy, "p", { bucket: NAME, policy: pinned })]));
        });
        it("rejects Allow to Principal * and to AWS *", async () => {
            const v = await check("s3-bucket-policy-no-public-principal", [
                res(T.policy, "a", { bucket: NAME, policy: doc({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" }) }),
                res(T.policy, "b", { bucket: NAME, policy: doc({ Effect: "Allow", Principal: { AWS: "*" }, Action: "s3:GetObject", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "true" } } }) }),
            ]);
            assertViolation(v, "allows Principal '*'");
            assert.strictEqual(v.length, 2);
        });
    });

    it("s3-no-public-acl: canned and explicit public grants on buckets, ACL resources and objects", async () => {
        assertNone(await check("s3-no-public-acl", [res(T.acl, "acl", { bucket: NAME, acl: "private" }), res(T.object, "o", { bucket: NAME, key: "k" })]));
        const v = await check("s3-no-public-acl", [
            res(T.acl, "a", { bucket: NAME, acl: "public-read" }),
            res(T.object, "o", { bucket: NAME, key: "k", acl: "public-read-write" }),
            res(T.acl, "g", { bucket: NAME, accessControlPolicy: { owner: { id: "x" }, grants: [{ permission: "READ", grantee: { type: "Group", uri: "http://acs.amazonaws.com/groups/global/AllUsers" } }] } }),
        ]);
        assertViolation(v, "acl is public-read.");
        assertViolation(v, "acl is public-read-write");
        assertViolation(v, "grants READ to http://acs.amazonaws.com/groups/global/AllUsers");
        assert.strictEqual(v.length, 3);
    });

    it("s3-bucket-acls-disabled rejects ObjectWriter", async () => {
        const stack = secureBucket({ drop: ["ownership"] });
        stack.push(res(T.ownership, "o", { bucket: NAME, rule: { objectOwnership: "ObjectWriter" } }));
        assertViolation(await check("s3-bucket-acls-disabled", stack), "object ownership is ObjectWriter", 1);
    });

    it("s3-bucket-lifecycle is advisory and wants an abort rule", async () => {
        const stack = secureBucket({ drop: ["lifecycle"] });
        stack.push(res(T.lifecycle, "l", { bucket: NAME, rules: [{ id: "x", status: "Enabled", expiration: { days: 30 } }] }));
        const v = await check("s3-bucket-lifecycle", stack);
        assertViolation(v, "no enabled rule aborting incomplete multipart uploads", 1);
        assert.strictEqual(v[0].enforcementLevel, "advisory");
    });
});
