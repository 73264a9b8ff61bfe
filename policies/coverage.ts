// Which of the anchors' rules (anchors.ts) the pack covers, and why the others are not covered.
//
// The covered side is not written here: it is the `anchors` metadata of the pack's rules (a rule
// cites the anchor rules it checks for). This file holds the rest of the decision: for each anchor
// rule no pack rule cites, the reason (it conflicts with this design, it does not apply to what the
// pipeline deploys, or a policy pack cannot check it), and, for covered ones, how the pack's check
// differs where it does. `coverageProblems()` says what is inconsistent (a citation of an unknown
// ID, an anchor rule neither covered nor explained, or both); a test keeps it empty, and
// docs/policies.md prints the matrix (policies/generate-docs.ts).

import type { Policies } from "@pulumi/policy";
import { ANCHOR_RULES, ANCHOR_SOURCES, type AnchorRule, type AnchorSource } from "./anchors";
import { ruleInfo } from "./lib/rule";

export type Verdict = "conflicts" | "not-applicable" | "out-of-reach";

export const VERDICTS: Record<Verdict, string> = {
    conflicts: "conflicts with this design (a deliberate choice, explained)",
    "not-applicable": "does not apply to what the pipeline deploys",
    "out-of-reach": "a policy pack cannot check it (it needs the live account or the program's code)",
};

export interface NotCovered {
    verdict: Verdict;
    reason: string;
}

// Reasons shared by the same check in several anchors: written once.
const S3_ACCESS_LOGS: NotCovered = {
    verdict: "conflicts",
    reason:
        "prod requires SSE-KMS on every bucket (s3-bucket-encryption requireKms) and S3 delivers server access logs only to a target bucket encrypted with SSE-S3; the design leaves the record of object access to CloudTrail S3 data events, an account-level trail outside the stack, instead of a second, differently encrypted bucket.",
};
const S3_OBJECT_LOCK: NotCovered = {
    verdict: "conflicts",
    reason:
        "object lock keeps every version for its retention period, against the lifecycle rule that expires noncurrent versions and against destroying a dev stack; versioning (s3-bucket-versioning) already undoes an overwrite or a delete.",
};
const S3_REPLICATION: NotCovered = {
    verdict: "conflicts",
    reason:
        "a second Region doubles the storage bill for data that can be rebuilt: the dataset is uploaded again from its public source (npm run dataset:upload), the code comes from the repository, a model from its training run; versioning covers accidental deletes.",
};
const EBS_BACKUP: NotCovered = {
    verdict: "conflicts",
    reason: "the trainer's volume is scratch space of a box that runs one training and terminates (deleted with it); what must survive, checkpoints and the model, is synced to the versioned bucket.",
};
const EC2_DETAILED_MONITORING: NotCovered = {
    verdict: "conflicts",
    reason: "the GPU trainer runs one training and powers off; one-minute EC2 metrics are billed per instance and nothing scales or alarms on them (the training log and the checkpoints in S3 show progress).",
};
const EBS_OPTIMIZED: NotCovered = {
    verdict: "not-applicable",
    reason: "only previous-generation instance types need the flag; ec2-instance-type admits current-generation types only (g4dn, g5, t3 by default), which are EBS-optimized whether or not the flag is set.",
};
const LAMBDA_DLQ: NotCovered = {
    verdict: "conflicts",
    reason: "the function is invoked synchronously (a direct Invoke, an API Gateway or function URL integration), where a failure returns to the caller; a dead-letter queue or failure destination only receives events of asynchronous invocations, which the pipeline never makes.",
};
const LAMBDA_IN_VPC: NotCovered = {
    verdict: "conflicts",
    reason:
        "the function's job is to fetch images from public URLs its callers give; in a VPC it would need a NAT gateway (about $33 a month plus data) to do the same, while the endpoint it calls is reached through SageMaker's API with IAM. Its network defence is in its code: it refuses private, link-local and metadata addresses and pins the address it checked (docs/lambda.md).",
};
const NO_USERS_IN_GROUPS: NotCovered = {
    verdict: "not-applicable",
    reason: "the stack creates no IAM users (iam-no-users), so a group of the stack has no members by design; an empty group grants nothing.",
};
const PASSWORD_POLICY: NotCovered = {
    verdict: "not-applicable",
    reason: "the account's password policy is an account-wide setting, not a pipeline resource; the stack creates no IAM user and no console password (iam-no-users).",
};
const RULE_MANAGEMENT_CONFLICT = (what: string, inline: string): NotCovered => ({
    verdict: "out-of-reach",
    reason:
        `a stack policy sees a ${what}'s outputs, and the provider fills ${inline} with everything AWS reports, what separate resources added included, so the check fails a correct program from its second preview on; ` +
        "a resource policy sees inputs but not the other resources. The program manages each role's policies and each group's rules in one way only.",
});

/** Every anchor rule no pack rule covers, with the reason. */
export const NOT_COVERED: Record<string, NotCovered> = {
    // ---- Checkov ----
    CKV_AWS_9: PASSWORD_POLICY,
    CKV_AWS_10: PASSWORD_POLICY,
    CKV_AWS_11: PASSWORD_POLICY,
    CKV_AWS_12: PASSWORD_POLICY,
    CKV_AWS_13: PASSWORD_POLICY,
    CKV_AWS_14: PASSWORD_POLICY,
    CKV_AWS_15: PASSWORD_POLICY,
    CKV_AWS_18: S3_ACCESS_LOGS,
    CKV_AWS_106: {
        verdict: "not-applicable",
        reason: "account-wide EBS default encryption is a setting of the account, not a pipeline resource; ec2-encrypted-volumes requires encryption on every volume the stack declares, whatever the account default.",
    },
    CKV_AWS_116: LAMBDA_DLQ,
    CKV_AWS_117: LAMBDA_IN_VPC,
    CKV_AWS_126: EC2_DETAILED_MONITORING,
    CKV_AWS_135: EBS_OPTIMIZED,
    CKV_AWS_143: S3_OBJECT_LOCK,
    CKV_AWS_144: S3_REPLICATION,
    CKV_AWS_181: { verdict: "not-applicable", reason: "the program copies no S3 object (aws.s3.ObjectCopy); its one object, the training-code archive, is checked by s3-object-encryption." },
    CKV_AWS_272: {
        verdict: "conflicts",
        reason:
            "the bundle is built from the reviewed repository at deploy time (its hash is in the function's description) and changes only through pulumi up; code signing needs an AWS Signer profile and a signed artifact in S3 before the deploy, a release step this project does not have.",
    },
    CKV_AWS_338: {
        verdict: "conflicts",
        reason:
            "the pipeline's logs are request and training logs, kept 90 days in prod (mlops:lambda.logRetentionDays); cloudwatch-log-retention enforces a window, and a stack that must keep a year sets its minRetentionDays to 365.",
    },
    CKV_AWS_367: { verdict: "not-applicable", reason: "the pipeline defines no data-quality monitoring job; the same setting on its training and tuning jobs (output KMS key) is checked by sagemaker-training-encryption." },
    CKV_AWS_368: { verdict: "not-applicable", reason: "the pipeline defines no data-quality monitoring job; the same setting on its training and tuning jobs (volume KMS key) is checked by sagemaker-training-encryption." },
    CKV_AWS_369: {
        verdict: "not-applicable",
        reason: "the pipeline defines no data-quality monitoring job; the same setting on its distributed training and tuning jobs (inter-container traffic encryption) is checked by sagemaker-training-encryption.",
    },
    CKV_AWS_372: { verdict: "not-applicable", reason: "the pipeline has no human-review flow (Augmented AI flow definition)." },
    CKV_AWS_386: {
        verdict: "out-of-reach",
        reason: "a policy pack sees resources, not the data-source calls of a program: by then the instance's ami is an ID. The program's AMI lookup names its owner (owners: [\"amazon\"] in components/gpu-trainer.ts).",
    },
    CKV_AWS_392: { verdict: "not-applicable", reason: "the pipeline uses no S3 access point." },
    CKV2_AWS_9: EBS_BACKUP,
    CKV2_AWS_12: {
        verdict: "not-applicable",
        reason: "the pipeline creates no VPC: it uses subnets of an existing one (the default VPC in dev), whose default security group belongs to the network's owner; the groups the stack creates are checked by the ec2-* group rules.",
    },
    CKV2_AWS_14: NO_USERS_IN_GROUPS,
    CKV2_AWS_62: { verdict: "not-applicable", reason: "nothing in the pipeline reacts to bucket events (jobs start with pulumi up); a notification without a consumer would be noise." },

    // ---- cdk-nag ----
    CloudWatchAlarmAction: {
        verdict: "conflicts",
        reason: "the endpoint's alarms exist for blue/green auto-rollback, which SageMaker triggers by reading their state, so they need no SNS action; what applies, that actions are not disabled, is cloudwatch-alarm-actions-enabled.",
    },
    EC2EBSInBackupPlan: EBS_BACKUP,
    EC2EBSOptimizedInstance: EBS_OPTIMIZED,
    EC2InstanceDetailedMonitoringEnabled: EC2_DETAILED_MONITORING,
    EC2InstanceTerminationProtection: {
        verdict: "conflicts",
        reason: "the trainer is disposable: pulumi destroy and every replacement (a new AMI, new user data) must terminate it, which termination protection makes fail.",
    },
    IAMGroupHasUsers: NO_USERS_IN_GROUPS,
    IAMNoInlinePolicy: {
        verdict: "conflicts",
        reason:
            "each role's permissions are one inline policy written next to the role from its workload's permission contract (docs/security.md), created and deleted with it; a customer-managed policy could be attached elsewhere, which the design avoids. What the policies allow is checked by the iam-* rules wherever they live.",
    },
    LambdaAsyncFailureDestination: { verdict: "not-applicable", reason: "the pipeline defines no asynchronous invoke configuration: the function is invoked synchronously." },
    LambdaDLQ: LAMBDA_DLQ,
    LambdaEventSourceMappingDestination: { verdict: "not-applicable", reason: "the function reads no queue or stream (no event source mapping)." },
    LambdaInsideVPC: LAMBDA_IN_VPC,
    S3BucketDefaultLockEnabled: S3_OBJECT_LOCK,
    S3BucketLoggingEnabled: S3_ACCESS_LOGS,
    S3BucketReplicationEnabled: S3_REPLICATION,

    // ---- awsguard ----
    "awsguard:ec2-instance-detailed-monitoring-enabled": EC2_DETAILED_MONITORING,
    "awsguard:iam-role-no-policy-management-conflicts": RULE_MANAGEMENT_CONFLICT("role", "managedPolicyArns and inlinePolicies"),
    "awsguard:s3-bucket-logging-enabled": S3_ACCESS_LOGS,
    "awsguard:security-group-no-rule-management-conflicts": RULE_MANAGEMENT_CONFLICT("security group", "ingress and egress"),
};

/** How the pack's check differs from a covered anchor rule's, where it does. */
export const COVERAGE_NOTES: Record<string, string> = {
    CKV_AWS_355: "a statement with a condition (cloudwatch:PutMetricData limited to a namespace) is accepted, as Checkov's write and permissions-management checks accept it; unscopable actions may use '*'.",
    CKV_AWS_356: "as CKV_AWS_355, on documents rendered by aws.iam.getPolicyDocument.",
    CKV_AWS_186: "objects inherit the bucket's SSE-KMS default, so the pack refuses an object that overrides it with SSE-S3 instead of asking every object to repeat the key.",
    CKV_AWS_173: "only where the stack requires KMS (prod); dev keeps Lambda's own key.",
    CKV_AWS_145: "only where the stack requires KMS (prod); dev accepts SSE-S3.",
    CKV_AWS_158: "only where the stack requires KMS (prod).",
    CKV_AWS_189: "only where the stack requires KMS (prod).",
    S3DefaultEncryptionKMS: "only where the stack requires KMS (prod); dev accepts SSE-S3.",
    CloudWatchLogGroupEncrypted: "only where the stack requires KMS (prod).",
    IAMNoManagedPolicies:
        "the pack refuses AWS-managed FullAccess, administrator and power-user policies, not every AWS-managed policy: the trainer's role holds AmazonSSMManagedInstanceCore, AWS's maintained policy for Session Manager.",
    IAMNoWildcardPermissions: "a wildcard inside an ARN (a bucket prefix/*, a log group's streams) is how prefixes are scoped and is accepted; wildcard actions and '*' as the resource of a scopable action are refused.",
    LambdaLogging: "a function without loggingConfig passes when the stack manages its default log group (/aws/lambda/<name>).",
    LambdaLogLevel: "the log group the function writes to must be the stack's, with the retention cloudwatch-log-retention checks.",
    "awsguard:access-keys-rotated": "stricter: the stack creates no access key at all, so none can age.",
    "awsguard:mfa-enabled-for-iam-console-access": "stricter: the stack creates no console password at all.",
    "awsguard:ec2-volume-inuse": "the deletion half; awsguard's other half (an instance must declare extra EBS devices) has no security or cost meaning here.",
    CKV_AWS_300: "advisory in both stacks (a cost rule).",
    CKV2_AWS_61: "advisory in both stacks (a cost rule).",
};

const BY_ID = new Map<string, AnchorRule>();
for (const a of ANCHOR_RULES) {
    for (const key of [a.id, ...(a.packIds ?? [])]) BY_ID.set(key, a);
}

/** The anchor rule a citation names (its ID, or a cdk-nag pack ID such as AwsSolutions-SM1). */
export function anchorOf(citation: string): AnchorRule | undefined {
    return BY_ID.get(citation);
}

export interface CoverageRow {
    anchor: AnchorRule;
    /** Pack rules that cite it, in pack order. */
    rules: string[];
    notCovered?: NotCovered;
    note?: string;
}

/** One row per anchor rule, in catalogue order. */
export function coverageMatrix(policies: Policies): CoverageRow[] {
    const rulesOf = new Map<AnchorRule, string[]>();
    for (const p of policies) {
        for (const citation of ruleInfo(p)?.anchors ?? []) {
            const anchor = anchorOf(citation);
            if (!anchor) continue;
            const list = rulesOf.get(anchor) ?? [];
            if (!list.includes(p.name)) list.push(p.name);
            rulesOf.set(anchor, list);
        }
    }
    return ANCHOR_RULES.map((anchor) => ({ anchor, rules: rulesOf.get(anchor) ?? [], notCovered: NOT_COVERED[anchor.id], note: COVERAGE_NOTES[anchor.id] }));
}

/** Everything inconsistent between the rules' citations, the catalogue and the decisions above. */
export function coverageProblems(policies: Policies): string[] {
    const problems: string[] = [];
    for (const p of policies) {
        for (const citation of ruleInfo(p)?.anchors ?? []) {
            if (!anchorOf(citation)) problems.push(`${p.name} cites ${citation}, which is not an anchor rule of anchors.ts`);
        }
    }
    const ids = new Set<string>();
    for (const a of ANCHOR_RULES) {
        if (ids.has(a.id)) problems.push(`${a.id} is listed twice in anchors.ts`);
        ids.add(a.id);
    }
    for (const id of [...Object.keys(NOT_COVERED), ...Object.keys(COVERAGE_NOTES)]) {
        if (!ids.has(id)) problems.push(`coverage.ts decides on ${id}, which is not an anchor rule of anchors.ts`);
    }
    for (const row of coverageMatrix(policies)) {
        const id = row.anchor.id;
        if (row.rules.length === 0 && !row.notCovered) problems.push(`${id} is neither covered by a rule nor explained in NOT_COVERED`);
        if (row.rules.length > 0 && row.notCovered) problems.push(`${id} is covered by ${row.rules.join(", ")} and also explained in NOT_COVERED`);
        if (row.rules.length === 0 && row.note) problems.push(`${id} has a coverage note but no rule covers it`);
    }
    return problems;
}

export interface CoverageSummary {
    source: AnchorSource;
    total: number;
    covered: number;
    byVerdict: Record<Verdict, number>;
}

export function coverageSummary(policies: Policies): CoverageSummary[] {
    const rows = coverageMatrix(policies);
    return (Object.keys(ANCHOR_SOURCES) as AnchorSource[]).map((source) => {
        const mine = rows.filter((r) => r.anchor.source === source);
        const byVerdict: Record<Verdict, number> = { conflicts: 0, "not-applicable": 0, "out-of-reach": 0 };
        for (const r of mine) if (r.rules.length === 0 && r.notCovered) byVerdict[r.notCovered.verdict]++;
        return { source, total: mine.length, covered: mine.filter((r) => r.rules.length > 0).length, byVerdict };
    });
}
