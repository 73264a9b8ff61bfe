// S3 rules. Since @pulumi/aws v7 a bucket's settings are side-by-side resources (public access
// block, encryption, versioning, policy, ownership, lifecycle) that name the bucket in their
// `bucket` input, so "this bucket is private/encrypted/versioned" is a join: a stack rule that maps
// every side resource to its bucket once (StackIndex.refs: value, property dependency, dependency).

import type { PolicyResource } from "@pulumi/policy";
import { cfg, resourceRule, stackRule } from "../lib/rule";
import { StackIndex } from "../lib/stack-index";
import { ParsedDocument, allows, label, parsePolicyDocument } from "../lib/iam";
import { UNKNOWN, arr, bool, get, str, throwUnknown } from "../lib/values";

export const T = {
    bucket: "aws:s3/bucket:Bucket",
    publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    policy: "aws:s3/bucketPolicy:BucketPolicy",
    acl: "aws:s3/bucketAcl:BucketAcl",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    object: "aws:s3/bucketObjectv2:BucketObjectv2",
} as const;

/** bucket urn -> side resources of `type` that configure it. */
function sideResources(index: StackIndex, type: string): Map<string, PolicyResource[]> {
    const out = new Map<string, PolicyResource[]>();
    for (const side of index.ofType(type)) {
        for (const bucket of index.refs(side, "bucket", T.bucket)) {
            const list = out.get(bucket.urn);
            if (list) list.push(side);
            else out.set(bucket.urn, [side]);
        }
    }
    return out;
}

/** Runs `check` for every bucket with the side resources of `type` attached to it. */
function perBucket(index: StackIndex, type: string, check: (bucket: PolicyResource, sides: PolicyResource[]) => void): void {
    const sides = sideResources(index, type);
    for (const bucket of index.ofType(T.bucket)) check(bucket, sides.get(bucket.urn) ?? []);
}

const PAB_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

export const bucketPublicAccessBlock = stackRule({
    name: "s3-bucket-public-access-block",
    description: "Every bucket has a public access block with all four settings true.",
    anchors: ["AwsSolutions-S2", "CKV2_AWS_6", "CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"],
    enforcementLevel: "mandatory",
    severity: "critical",
    remediation: "add an aws.s3.BucketPublicAccessBlock for the bucket with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true.",
    config: {},
    types: [T.bucket],
    validate({ index, report, unknown }) {
        perBucket(index, T.publicAccessBlock, (bucket, blocks) => {
            if (blocks.length === 0) return report(bucket.urn, `bucket ${bucket.name} has no public access block.`);
            const ok = blocks.some((b) => PAB_FLAGS.every((f) => bool(b.props, f) === true || bool(b.props, f) === UNKNOWN));
            if (ok && !blocks.some((b) => PAB_FLAGS.every((f) => bool(b.props, f) === true))) unknown(`bucket ${bucket.name} public access block`);
            if (!ok) {
                const missing = PAB_FLAGS.filter((f) => !blocks.some((b) => bool(b.props, f) === true));
                report(bucket.urn, `bucket ${bucket.name}: public access block leaves ${missing.join(", ")} off.`);
            }
        });
    },
});

export const bucketEncryption = stackRule({
    name: "s3-bucket-encryption",
    description: "Every bucket has default server-side encryption; with requireKms, SSE-KMS with a customer-managed key.",
    anchors: ["CKV_AWS_19", "CKV_AWS_145", "S3DefaultEncryptionKMS"],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "add an aws.s3.BucketServerSideEncryptionConfiguration with applyServerSideEncryptionByDefault (sseAlgorithm aws:kms and kmsMasterKeyId = the stack's key where KMS is required).",
    config: {
        requireKms: cfg.boolean("Require sseAlgorithm aws:kms (or aws:kms:dsse) with a kmsMasterKeyId.", false),
    },
    types: [T.bucket],
    validate({ config, index, report, unknown }) {
        perBucket(index, T.encryption, (bucket, configs) => {
            const defaults = configs.flatMap((c) => {
                const rules = arr(c.props, "rules");
                return rules === UNKNOWN ? [UNKNOWN] : rules.map((r) => get(r, "applyServerSideEncryptionByDefault"));
            });
            if (defaults.includes(UNKNOWN)) return unknown(`bucket ${bucket.name} encryption rules`);
            const known = defaults.filter((d) => d && typeof d === "object");
            if (known.length === 0) return report(bucket.urn, `bucket ${bucket.name} has no default encryption configuration.`);
            if (!config.requireKms) return;
            const kms = known.some((d) => {
                const alg = str(d, "sseAlgorithm");
                const key = get(d, "kmsMasterKeyId");
                return (alg === "aws:kms" || alg === "aws:kms:dsse") && key !== undefined && key !== "";
            });
            if (!kms) report(bucket.urn, `bucket ${bucket.name} is not encrypted with SSE-KMS and a customer-managed key.`);
        });
    },
});

export const bucketVersioning = stackRule({
    name: "s3-bucket-versioning",
    description: "Every bucket has versioning Enabled.",
    anchors: ["CKV_AWS_21", "S3BucketVersioningEnabled"],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "add an aws.s3.BucketVersioning with versioningConfiguration.status \"Enabled\" (and a lifecycle rule expiring noncurrent versions).",
    config: {},
    types: [T.bucket],
    validate({ index, report, unknown }) {
        perBucket(index, T.versioning, (bucket, vs) => {
            const states = vs.map((v) => str(v.props, "versioningConfiguration", "status"));
            if (states.includes("Enabled")) return;
            if (states.includes(UNKNOWN)) return unknown(`bucket ${bucket.name} versioning status`);
            report(bucket.urn, `bucket ${bucket.name} versioning is ${states.length === 0 ? "not configured" : states.join(", ")}.`);
        });
    },
});

/** A Deny of every S3 action to everyone when aws:SecureTransport is false. */
function deniesInsecureTransport(doc: ParsedDocument): boolean {
    if (doc.kind !== "document") return false;
    return doc.statements.some((s) => {
        if (s.effect !== "Deny") return false;
        const everyone = s.principals.some((p) => p.kind === "*" || p.value === "*");
        const allActions = s.actions.some((a) => a === "*" || (typeof a === "string" && a.toLowerCase() === "s3:*"));
        const cond = s.condition?.Bool ?? s.condition?.bool;
        const v = cond?.["aws:SecureTransport"] ?? cond?.["aws:securetransport"];
        const insecure = v === false || v === "false" || (Array.isArray(v) && v.map(String).includes("false"));
        return everyone && allActions && insecure;
    });
}

export const bucketTlsOnly = stackRule({
    name: "s3-bucket-tls-only",
    description: "Every bucket's policy denies all S3 actions over plain HTTP (Deny when aws:SecureTransport is false).",
    anchors: ["AwsSolutions-S10"],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "add a bucket policy statement {Effect: Deny, Principal: \"*\", Action: \"s3:*\", Resource: [bucket ARN, bucket ARN/*], Condition: {Bool: {\"aws:SecureTransport\": \"false\"}}}.",
    config: {},
    types: [T.bucket],
    validate({ index, report, unknown }) {
        perBucket(index, T.policy, (bucket, policies) => {
            const docs = policies.map((p) => parsePolicyDocument(get(p.props, "policy")));
            if (docs.some(deniesInsecureTransport)) return;
            if (docs.some((d) => d.kind === "unknown")) return unknown(`bucket ${bucket.name} bucket policy`);
            report(bucket.urn, `bucket ${bucket.name} ${policies.length === 0 ? "has no bucket policy" : "has no policy statement denying aws:SecureTransport=false"}.`);
        });
    },
});

/** Condition keys that pin an Allow to a known caller even when Principal is "*". */
const RESTRICTING_KEYS = ["aws:principalorgid", "aws:principalaccount", "aws:principalarn", "aws:sourcevpce", "aws:sourcevpc", "aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid"];

export const bucketPolicyNoPublicPrincipal = resourceRule({
    name: "s3-bucket-policy-no-public-principal",
    description: "Bucket policies never Allow Principal '*' (or AWS '*') unless a condition pins the caller (organisation, account, VPC endpoint, source ARN).",
    anchors: ["CKV_AWS_70", "AwsSolutions-S5"],
    enforcementLevel: "mandatory",
    severity: "critical",
    remediation: "name the role/account principals that need access, or add an aws:PrincipalOrgID / aws:SourceVpce condition.",
    config: {},
    types: [T.policy],
    validate(props, { report }) {
        const doc = parsePolicyDocument(get(props, "policy"));
        if (doc.kind === "unknown") throwUnknown(["policy"]);
        if (doc.kind !== "document") return;
        for (const s of doc.statements.filter(allows)) {
            const publicPrincipal = s.principals.some((p) => p.kind === "*" || p.value === "*");
            if (!publicPrincipal) continue;
            const keys = Object.values(s.condition ?? {}).flatMap((byKey) => Object.keys(byKey ?? {}).map((k) => k.toLowerCase()));
            if (!keys.some((k) => RESTRICTING_KEYS.includes(k))) report(`policy ${label(s)} allows Principal '*' without a condition that pins the caller.`);
        }
    },
});

const PUBLIC_ACLS = ["public-read", "public-read-write", "authenticated-read"];
const PUBLIC_GRANTEES = ["http://acs.amazonaws.com/groups/global/AllUsers", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"];

export const noPublicAcl = resourceRule({
    name: "s3-no-public-acl",
    description: "No bucket or object ACL grants access to AllUsers or AuthenticatedUsers (canned public-read, public-read-write, authenticated-read, or explicit grants).",
    anchors: ["CKV_AWS_20", "CKV_AWS_57", "CKV2_AWS_43"],
    enforcementLevel: "mandatory",
    severity: "critical",
    remediation: "remove the ACL (keep ACLs disabled with BucketOwnershipControls BucketOwnerEnforced) and grant access through IAM.",
    config: {},
    types: [T.acl, T.bucket, T.object],
    validate(props, { report }) {
        const canned = str(props, "acl");
        if (typeof canned === "string" && PUBLIC_ACLS.includes(canned)) report(`acl is ${canned}.`);
        const grants = arr(props, "accessControlPolicy", "grants");
        if (grants === UNKNOWN) return;
        for (const g of grants) {
            const uri = str(g, "grantee", "uri");
            if (typeof uri === "string" && PUBLIC_GRANTEES.includes(uri)) report(`accessControlPolicy grants ${String(get(g, "permission"))} to ${uri}.`);
        }
    },
});

export const bucketOwnershipEnforced = stackRule({
    name: "s3-bucket-acls-disabled",
    description: "Every bucket disables ACLs (ownership controls BucketOwnerEnforced), so no ACL can ever make an object public.",
    anchors: ["CKV2_AWS_65"],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "add an aws.s3.BucketOwnershipControls with rule.objectOwnership \"BucketOwnerEnforced\".",
    config: {},
    types: [T.bucket],
    validate({ index, report, unknown }) {
        perBucket(index, T.ownership, (bucket, controls) => {
            const values = controls.map((c) => str(c.props, "rule", "objectOwnership"));
            if (values.includes("BucketOwnerEnforced")) return;
            if (values.includes(UNKNOWN)) return unknown(`bucket ${bucket.name} object ownership`);
            report(bucket.urn, `bucket ${bucket.name} object ownership is ${values.length === 0 ? "not configured (ACLs stay possible)" : values.join(", ")}.`);
        });
    },
});

export const bucketLifecycle = stackRule({
    name: "s3-bucket-lifecycle",
    category: "cost",
    description: "Every bucket has an enabled lifecycle rule that aborts incomplete multipart uploads (they are billed until removed).",
    anchors: ["CKV2_AWS_61", "CKV_AWS_300"],
    enforcementLevel: "advisory",
    severity: "low",
    remediation: "add an aws.s3.BucketLifecycleConfiguration rule with status Enabled and abortIncompleteMultipartUpload.daysAfterInitiation (and noncurrent-version expiration).",
    config: {},
    types: [T.bucket],
    validate({ index, report, unknown }) {
        perBucket(index, T.lifecycle, (bucket, lifecycles) => {
            const rules = lifecycles.flatMap((l) => {
                const r = arr(l.props, "rules");
                return r === UNKNOWN ? [UNKNOWN] : r;
            });
            if (rules.includes(UNKNOWN)) return unknown(`bucket ${bucket.name} lifecycle rules`);
            const aborts = rules.some((r) => get(r, "status") !== "Disabled" && get(r, "abortIncompleteMultipartUpload", "daysAfterInitiation") !== undefined);
            if (!aborts) report(bucket.urn, `bucket ${bucket.name} ${lifecycles.length === 0 ? "has no lifecycle configuration" : "has no enabled rule aborting incomplete multipart uploads"}.`);
        });
    },
});

export const s3Rules = [
    bucketPublicAccessBlock,
    bucketEncryption,
    bucketVersioning,
    bucketTlsOnly,
    bucketPolicyNoPublicPrincipal,
    noPublicAcl,
    bucketOwnershipEnforced,
    bucketLifecycle,
];
