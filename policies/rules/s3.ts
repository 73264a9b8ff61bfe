// S3 rules. Since @pulumi/aws v7 a bucket's settings are side-by-side resources (public access
// block, encryption, versioning, policy, ownership, lifecycle) that name the bucket in their
// `bucket` input, so "this bucket is private/encrypted/versioned" is a join: a stack rule that maps
// every side resource to its bucket once (StackIndex.refs: value, property dependency, dependency).
// The bucket classes still accept the older inline forms (deprecated, but shipped and valid), and
// an account-level public access block covers every bucket: both count.

import * as aws from "@pulumi/aws";
import { cfg, classNames, resourceRule, stackRule } from "../lib/rule";
import { type Typed, StackIndex } from "../lib/stack-index";
import { type ParsedDocument, allowsAnyone, conditionValues, documentStatements, hasCondition, label, namesAnyone, parsePolicyDocument } from "../lib/iam";
import { Unknown, peek, peekEach, readBoolean, readString } from "../lib/preview";
import { type Kind, RESOURCE_TYPES as T } from "../lib/resource-types";

type Bucket = Typed<typeof T.bucket>;

/** bucket urn -> side resources of `kind` that configure it. */
function sideResources<K extends Kind>(index: StackIndex, kind: K): Map<string, Typed<K>[]> {
    const out = new Map<string, Typed<K>[]>();
    for (const side of index.of(kind)) {
        for (const bucket of index.refs(side, "bucket", T.bucket)) {
            const list = out.get(bucket.urn);
            if (list) list.push(side);
            else out.set(bucket.urn, [side]);
        }
    }
    return out;
}

/** Runs `check` for every bucket with the side resources of `kind` attached to it. */
function perBucket<K extends Kind>(index: StackIndex, kind: K, check: (bucket: Bucket, sides: Typed<K>[]) => void): void {
    const sides = sideResources(index, kind);
    for (const bucket of index.of(T.bucket)) check(bucket, sides.get(bucket.urn) ?? []);
}

const PAB_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;
type PabFlags = { [F in (typeof PAB_FLAGS)[number]]?: boolean };

/** Flags of a block that are known not to be true, and the first flag that is unknown. */
function readBlock(block: PabFlags): { off: string[]; unknown?: Unknown } {
    const off: string[] = [];
    let unknown: Unknown | undefined;
    for (const f of PAB_FLAGS) {
        const v = readBoolean(() => block[f]);
        if (v instanceof Unknown) unknown ??= v;
        else if (v !== true) off.push(f);
    }
    return { off, unknown };
}

/** All four flags known true: "on"; none known false but some unknown: the Unknown; else "off". */
function blockState(block: PabFlags): "on" | "off" | Unknown {
    const { off, unknown } = readBlock(block);
    return off.length > 0 ? "off" : (unknown ?? "on");
}

export const bucketPublicAccessBlock = stackRule({
    name: "s3-bucket-public-access-block",
    description: "Every bucket has a public access block with all four settings true, its own or the account's.",
    anchors: ["AwsSolutions-S2", "CKV2_AWS_6", "CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "S3BucketPublicReadProhibited", "S3BucketPublicWriteProhibited"],
    enforcementLevel: "mandatory",
    severity: "critical",
    remediation: "add an aws.s3.BucketPublicAccessBlock for the bucket (or an aws.s3.AccountPublicAccessBlock) with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true.",
    config: {
        accountBlockOutsideStack: cfg.boolean("The account's public access block (all four settings true) is managed outside this stack, so every bucket is covered by it.", false),
    },
    kinds: [T.bucket],
    validate({ config, index, report, undecided }) {
        if (config.accountBlockOutsideStack) return;
        const account = index.of(T.accountPublicAccessBlock).map((a) => blockState(a.props));
        if (account.includes("on")) return;
        const accountUnknown = account.find((s): s is Unknown => s instanceof Unknown);
        perBucket(index, T.bucketPublicAccessBlock, (bucket, blocks) => {
            const states = blocks.map((b) => blockState(b.props));
            if (states.includes("on")) return;
            const unknown = states.find((s): s is Unknown => s instanceof Unknown) ?? accountUnknown;
            if (unknown) return undecided(unknown);
            if (blocks.length === 0) return report(bucket.urn, `bucket ${bucket.name} has no public access block (neither its own nor the account's).`);
            const off = blocks.map((b) => readBlock(b.props).off);
            const missing = PAB_FLAGS.filter((f) => off.every((o) => o.includes(f)));
            report(bucket.urn, `bucket ${bucket.name}: public access block leaves ${missing.join(", ")} off.`);
        });
    },
});

interface EncryptionDefault {
    sseAlgorithm?: string;
    kmsMasterKeyId?: string;
}

/** The default-encryption settings a bucket declares inline (the deprecated forms of both classes). */
function inlineEncryption(bucket: Bucket): (EncryptionDefault | undefined | Unknown)[] {
    const v1 = bucket.asType(aws.s3.Bucket);
    if (v1) return [peek(() => v1.serverSideEncryptionConfiguration?.rule?.applyServerSideEncryptionByDefault)];
    const v2 = bucket.asType(aws.s3.BucketV2);
    if (!v2) return [];
    return peekEach(peek(() => v2.serverSideEncryptionConfigurations)).flatMap((c) =>
        c instanceof Unknown ? [c] : peekEach(peek(() => c.rules)).flatMap((r) => (r instanceof Unknown ? [r] : peekEach(peek(() => r.applyServerSideEncryptionByDefaults)))),
    );
}

export const bucketEncryption = stackRule({
    name: "s3-bucket-encryption",
    description: "Every bucket has default server-side encryption; with requireKms, SSE-KMS with a customer-managed key.",
    anchors: ["CKV_AWS_19", "CKV_AWS_145", "S3DefaultEncryptionKMS"],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: `add an ${classNames(T.bucketEncryption).split(" / ")[0]} with applyServerSideEncryptionByDefault (sseAlgorithm aws:kms and kmsMasterKeyId = the stack's key where KMS is required).`,
    config: {
        requireKms: cfg.boolean("Require sseAlgorithm aws:kms (or aws:kms:dsse) with a kmsMasterKeyId.", false),
    },
    kinds: [T.bucket],
    validate({ config, index, report, undecided }) {
        perBucket(index, T.bucketEncryption, (bucket, configs) => {
            const defaults = [
                ...configs.flatMap((c) => peekEach(peek(() => c.props.rules)).map((r) => (r instanceof Unknown ? r : peek(() => r.applyServerSideEncryptionByDefault)))),
                ...inlineEncryption(bucket),
            ];
            const known = defaults.filter((d): d is EncryptionDefault => d !== undefined && d !== null && !(d instanceof Unknown));
            const unknown = defaults.find((d): d is Unknown => d instanceof Unknown);
            const isKms = (d: EncryptionDefault) => {
                const alg = readString(() => d.sseAlgorithm);
                const key = peek(() => d.kmsMasterKeyId);
                return (alg === "aws:kms" || alg === "aws:kms:dsse") && key !== undefined && key !== "";
            };
            if (known.length > 0 && (!config.requireKms || known.some(isKms))) return;
            if (unknown) return undecided(unknown);
            if (known.length === 0) report(bucket.urn, `bucket ${bucket.name} has no default encryption configuration.`);
            else report(bucket.urn, `bucket ${bucket.name} is not encrypted with SSE-KMS and a customer-managed key.`);
        });
    },
});

/** Versioning states a bucket declares inline ("Enabled" for `enabled: true`). */
function inlineVersioning(bucket: Bucket): (string | Unknown)[] {
    const v1 = bucket.asType(aws.s3.Bucket);
    const v2 = bucket.asType(aws.s3.BucketV2);
    const flags = v1 ? [peek(() => v1.versioning)] : v2 ? peekEach(peek(() => v2.versionings)) : [];
    return flags.flatMap((v): (string | Unknown)[] => {
        if (v instanceof Unknown) return [v];
        const enabled = readBoolean(() => v?.enabled);
        return enabled === true ? ["Enabled"] : enabled instanceof Unknown ? [enabled] : [];
    });
}

export const bucketVersioning = stackRule({
    name: "s3-bucket-versioning",
    description: "Every bucket has versioning Enabled.",
    anchors: ["CKV_AWS_21", "S3BucketVersioningEnabled"],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "add an aws.s3.BucketVersioning with versioningConfiguration.status \"Enabled\" (and a lifecycle rule expiring noncurrent versions).",
    config: {},
    kinds: [T.bucket],
    validate({ index, report, undecided }) {
        perBucket(index, T.bucketVersioning, (bucket, vs) => {
            const states = [...vs.map((v) => readString(() => v.props.versioningConfiguration.status)), ...inlineVersioning(bucket)];
            if (states.includes("Enabled")) return;
            const unknown = states.find((s): s is Unknown => s instanceof Unknown);
            if (unknown) return undecided(unknown);
            const known = states.filter((s): s is string => typeof s === "string");
            report(bucket.urn, `bucket ${bucket.name} versioning is ${known.length === 0 ? "not configured" : known.join(", ")}.`);
        });
    },
});

const isFalse = (v: unknown) => v === false || v === "false";

/** A Deny of every S3 action to everyone when aws:SecureTransport is false. */
function deniesInsecureTransport(doc: ParsedDocument): boolean {
    if (doc.kind !== "document") return false;
    return doc.statements.some((s) => {
        if (s.effect !== "Deny") return false;
        const everyone = s.principals.some((p) => p.kind === "*" || p.value === "*");
        const allActions = !s.notAction && s.actions.some((a) => a === "*" || (typeof a === "string" && a.toLowerCase() === "s3:*"));
        const insecure = conditionValues(s, ["Bool"], "aws:SecureTransport").some(isFalse);
        return everyone && allActions && insecure;
    });
}

export const bucketTlsOnly = stackRule({
    name: "s3-bucket-tls-only",
    description: "Every bucket's policy denies all S3 actions over plain HTTP (Deny when aws:SecureTransport is false).",
    anchors: ["AwsSolutions-S10", "CKV_AWS_379"],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "add a bucket policy statement {Effect: Deny, Principal: \"*\", Action: \"s3:*\", Resource: [bucket ARN, bucket ARN/*], Condition: {Bool: {\"aws:SecureTransport\": \"false\"}}}.",
    config: {},
    kinds: [T.bucket],
    validate({ index, report, undecided }) {
        perBucket(index, T.bucketPolicy, (bucket, policies) => {
            const docs = [...policies.map((p) => parsePolicyDocument(() => p.props.policy)), parsePolicyDocument(() => bucket.props.policy)];
            if (docs.some(deniesInsecureTransport)) return;
            const unknown = docs.find((d) => d.kind === "unknown");
            if (unknown?.kind === "unknown") return undecided(unknown.unknown);
            const any = policies.length > 0 || docs[docs.length - 1].kind === "document";
            report(bucket.urn, `bucket ${bucket.name} ${any ? "has no policy statement denying aws:SecureTransport=false" : "has no bucket policy"}.`);
        });
    },
});

export const bucketPolicyNoPublicPrincipal = resourceRule({
    name: "s3-bucket-policy-no-public-principal",
    description: "Bucket policies (standalone or inline) never Allow Principal '*' (or AWS '*') unless a condition pins the caller (organisation, account, VPC endpoint, source ARN).",
    anchors: ["CKV_AWS_70", "CKV_AWS_283", "AwsSolutions-S5"],
    enforcementLevel: "mandatory",
    severity: "critical",
    remediation: "name the role/account principals that need access, or add an aws:PrincipalOrgID / aws:SourceVpce condition.",
    config: {},
    kinds: [T.bucketPolicy, T.bucket],
    validate(props, { report, undecided }) {
        for (const s of documentStatements(() => props.policy, undecided).filter((st) => allowsAnyone(st))) report(`policy ${label(s)} allows Principal '*' without a condition that pins the caller.`);
    },
});

const PUBLIC_ACLS = ["public-read", "public-read-write", "authenticated-read"];
const PUBLIC_GRANTEES = ["http://acs.amazonaws.com/groups/global/AllUsers", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"];

export const noPublicAcl = resourceRule({
    name: "s3-no-public-acl",
    description: "No bucket or object ACL grants access to AllUsers or AuthenticatedUsers (canned public-read, public-read-write, authenticated-read, or explicit grants).",
    anchors: ["CKV_AWS_20", "CKV_AWS_57", "CKV2_AWS_43", "CKV_AWS_375", "S3BucketPublicReadProhibited", "S3BucketPublicWriteProhibited"],
    enforcementLevel: "mandatory",
    severity: "critical",
    remediation: "remove the ACL (keep ACLs disabled with BucketOwnershipControls BucketOwnerEnforced) and grant access through IAM.",
    config: {},
    kinds: [T.bucketAcl, T.bucket, T.bucketObject],
    validate(props, { as, report }) {
        const canned = readString(() => props.acl);
        if (typeof canned === "string" && PUBLIC_ACLS.includes(canned)) report(`acl is ${canned}.`);
        const grantees: { uri: unknown; permission: unknown }[] = [];
        const acl = as(T.bucketAcl);
        if (acl) {
            for (const g of peekEach(peek(() => acl.accessControlPolicy?.grants))) {
                if (!(g instanceof Unknown)) grantees.push({ uri: peek(() => g.grantee?.uri), permission: peek(() => g.permission) });
            }
        }
        const bucket = as(T.bucket);
        if (bucket) {
            for (const g of peekEach(peek(() => bucket.grants))) {
                if (!(g instanceof Unknown)) grantees.push({ uri: peek(() => g.uri), permission: peek(() => g.permissions) });
            }
        }
        for (const { uri, permission } of grantees) {
            if (typeof uri === "string" && PUBLIC_GRANTEES.includes(uri)) report(`${bucket ? "grants give" : "accessControlPolicy grants"} ${String(permission)} to ${uri}.`);
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
    kinds: [T.bucket],
    validate({ index, report, undecided }) {
        perBucket(index, T.bucketOwnershipControls, (bucket, controls) => {
            const values = controls.map((c) => readString(() => c.props.rule.objectOwnership));
            if (values.includes("BucketOwnerEnforced")) return;
            const unknown = values.find((v): v is Unknown => v instanceof Unknown);
            if (unknown) return undecided(unknown);
            const known = values.filter((v): v is string => typeof v === "string");
            report(bucket.urn, `bucket ${bucket.name} object ownership is ${known.length === 0 ? "not configured (ACLs stay possible)" : known.join(", ")}.`);
        });
    },
});

/** Does a lifecycle rule (side resource form) abort incomplete multipart uploads? */
interface AbortRule {
    enabled: boolean | Unknown;
    aborts: boolean | Unknown;
}

function inlineLifecycle(bucket: Bucket): AbortRule[] {
    const rules = peekEach(peek(() => (bucket.asType(aws.s3.Bucket) ?? bucket.asType(aws.s3.BucketV2))?.lifecycleRules));
    return rules.map((r) => {
        if (r instanceof Unknown) return { enabled: r, aborts: r };
        const enabled = readBoolean(() => r.enabled);
        const days = peek(() => r.abortIncompleteMultipartUploadDays);
        return { enabled: enabled instanceof Unknown ? enabled : enabled !== false, aborts: days instanceof Unknown ? days : days !== undefined && days !== null };
    });
}

export const bucketLifecycle = stackRule({
    name: "s3-bucket-lifecycle",
    category: "cost",
    description: "Every bucket has an enabled lifecycle rule that aborts incomplete multipart uploads (they are billed until removed).",
    anchors: ["CKV2_AWS_61", "CKV_AWS_300"],
    enforcementLevel: "advisory",
    severity: "low",
    remediation: "add an aws.s3.BucketLifecycleConfiguration rule with status Enabled and abortIncompleteMultipartUpload.daysAfterInitiation (and noncurrent-version expiration).",
    config: {},
    kinds: [T.bucket],
    validate({ index, report, undecided }) {
        perBucket(index, T.bucketLifecycle, (bucket, lifecycles) => {
            const rules: AbortRule[] = [
                ...lifecycles.flatMap((l) =>
                    peekEach(peek(() => l.props.rules)).map((r): AbortRule => {
                        if (r instanceof Unknown) return { enabled: r, aborts: r };
                        const status = peek(() => r.status);
                        const days = peek(() => r.abortIncompleteMultipartUpload?.daysAfterInitiation);
                        return { enabled: status instanceof Unknown ? status : status !== "Disabled", aborts: days instanceof Unknown ? days : days !== undefined && days !== null };
                    }),
                ),
                ...inlineLifecycle(bucket),
            ];
            if (rules.some((r) => r.enabled === true && r.aborts === true)) return;
            const unknown = rules.flatMap((r) => [r.enabled, r.aborts]).find((v): v is Unknown => v instanceof Unknown);
            if (unknown) return undecided(unknown);
            report(bucket.urn, `bucket ${bucket.name} ${lifecycles.length === 0 && rules.length === 0 ? "has no lifecycle configuration" : "has no enabled rule aborting incomplete multipart uploads"}.`);
        });
    },
});

const LOCKOUT_ACTIONS = ["*", "s3:*", "s3:put*", "s3:*bucketpolicy", "s3:putbucketpolicy"];

export const bucketPolicyNoLockout = resourceRule({
    name: "s3-bucket-policy-no-lockout",
    description: "No bucket policy denies everyone (Principal '*') every S3 action or the bucket-policy actions without a condition: such a policy locks out every principal but the account root, which alone can then delete it.",
    anchors: ["CKV_AWS_93"],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "give the Deny a condition (aws:SecureTransport, aws:PrincipalArn, aws:SourceVpce) or name the denied principals.",
    config: {},
    kinds: [T.bucketPolicy, T.bucket],
    validate(props, { report, undecided }) {
        for (const s of documentStatements(() => props.policy, undecided)) {
            if (s.effect !== "Deny" || s.notAction || hasCondition(s) || !namesAnyone(s)) continue;
            const hit = s.actions.find((a): a is string => typeof a === "string" && LOCKOUT_ACTIONS.includes(a.toLowerCase()));
            if (hit !== undefined) report(`policy ${label(s)} denies ${hit} to Principal '*' without a condition.`);
        }
    },
});

export const objectEncryption = resourceRule({
    name: "s3-object-encryption",
    description: "Where the stack requires KMS, objects the program uploads do not override the bucket's SSE-KMS default with SSE-S3 (AES256): they name no algorithm (the bucket default applies) or aws:kms.",
    anchors: ["CKV_AWS_186"],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "drop serverSideEncryption from the object (the bucket's default encryption applies) or set it to aws:kms with the stack's key.",
    config: {
        requireKms: cfg.boolean("Objects must not be written with SSE-S3.", false),
    },
    kinds: [T.bucketObject],
    validate(object, { config, report }) {
        if (!config.requireKms) return;
        const alg = readString(() => object.serverSideEncryption);
        if (typeof alg === "string" && alg !== "aws:kms" && alg !== "aws:kms:dsse") report(`serverSideEncryption is ${alg}: the object skips the bucket's KMS key.`);
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
    bucketPolicyNoLockout,
    objectEncryption,
];
