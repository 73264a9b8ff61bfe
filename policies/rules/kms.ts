// KMS: customer-managed keys rotate their backing key material yearly, and no key policy (inline
// on the key or its replica, or standalone) lets anyone use the key.

import { cfg, resourceRule } from "../lib/rule";
import { readBoolean } from "../lib/preview";
import { CALLER_PINNING_KEYS, allowsAnyone, label, parsePolicyDocument } from "../lib/iam";
import { RESOURCE_TYPES as T } from "../lib/resource-types";

export const kmsKeyRotation = resourceRule({
    name: "kms-key-rotation",
    description: "Customer-managed KMS keys have automatic key rotation enabled (a multi-Region replica rotates with its primary).",
    anchors: ["awsguard:cmk-backing-key-rotation-enabled", "CKV_AWS_7", "AwsSolutions-KMS5"],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "set enableKeyRotation: true on the aws.kms.Key.",
    config: {},
    kinds: [T.kmsKey],
    validate(key, { report }) {
        const rotation = readBoolean(() => key.enableKeyRotation);
        if (rotation === false || rotation === undefined) report("enableKeyRotation is not true.");
    },
});

/** KMS condition keys that, like the global ones, limit who can use a key shared with Principal "*". */
const KMS_PINNING_KEYS = [...CALLER_PINNING_KEYS, "kms:calleraccount", "kms:viaservice"];

export const kmsKeyPolicyNotPublic = resourceRule({
    name: "kms-key-policy-not-public",
    description: "No KMS key policy (on a key, a replica key or a standalone key policy) allows Principal '*' unless a condition pins the caller (account, organisation, calling service).",
    anchors: ["CKV_AWS_33"],
    enforcementLevel: "mandatory",
    severity: "critical",
    remediation: "name the account root or the roles that use the key, or add a kms:CallerAccount / kms:ViaService / aws:PrincipalOrgID condition.",
    config: {
        extraPinningConditionKeys: cfg.strings("Further condition keys that count as pinning the caller (case-insensitive).", []),
    },
    kinds: [T.kmsKey, T.kmsReplicaKey, T.kmsKeyPolicy],
    validate(props, { config, report, undecided }) {
        const doc = parsePolicyDocument(() => props.policy);
        if (doc.kind === "unknown") return undecided(doc.unknown);
        if (doc.kind !== "document") return;
        const pinning = [...KMS_PINNING_KEYS, ...config.extraPinningConditionKeys.map((k) => k.toLowerCase())];
        for (const s of doc.statements.filter((st) => allowsAnyone(st, pinning))) report(`policy ${label(s)} allows Principal '*' to use the key without a condition that pins the caller.`);
    },
});

export const kmsRules = [kmsKeyRotation, kmsKeyPolicyNotPublic];
