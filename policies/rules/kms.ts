// KMS: customer-managed keys rotate their backing key material yearly, and no key policy (inline
// on the key or its replica, or standalone) lets anyone use the key.

import { cfg, resourceRule, stackRule } from "../lib/rule";
import { Unknown, isSet, peek, readBoolean } from "../lib/preview";
import { CALLER_PINNING_KEYS, allowsAnyone, documentStatements, label } from "../lib/iam";
import { RESOURCE_TYPES as T } from "../lib/resource-types";

export const kmsKeyRotation = resourceRule({
    name: "kms-key-rotation",
    description: "Customer-managed KMS keys have automatic key rotation enabled (a multi-Region replica rotates with its primary).",
    anchors: ["awsguard:cmk-backing-key-rotation-enabled", "CKV_AWS_7", "AwsSolutions-KMS5", "KMSBackingKeyRotationEnabled"],
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
    anchors: ["CKV_AWS_33", "CKV_AWS_283"],
    enforcementLevel: "mandatory",
    severity: "critical",
    remediation: "name the account root or the roles that use the key, or add a kms:CallerAccount / kms:ViaService / aws:PrincipalOrgID condition.",
    config: {
        extraPinningConditionKeys: cfg.strings("Further condition keys that count as pinning the caller (case-insensitive).", []),
    },
    kinds: [T.kmsKey, T.kmsReplicaKey, T.kmsKeyPolicy],
    validate(props, { config, report, undecided }) {
        const pinning = [...KMS_PINNING_KEYS, ...config.extraPinningConditionKeys.map((k) => k.toLowerCase())];
        for (const s of documentStatements(() => props.policy, undecided).filter((st) => allowsAnyone(st, pinning))) report(`policy ${label(s)} allows Principal '*' to use the key without a condition that pins the caller.`);
    },
});

export const kmsKeyEnabled = resourceRule({
    name: "kms-key-enabled",
    category: "governance",
    description: "The stack's KMS keys are enabled (isEnabled not false): everything encrypted with a disabled key is unreadable until someone enables it.",
    anchors: ["CKV_AWS_227"],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "remove isEnabled: false; to retire a key, schedule its deletion (deletionWindowInDays) after re-encrypting what uses it.",
    config: {},
    kinds: [T.kmsKey, T.kmsReplicaKey],
    validate(_, { as, report }) {
        const key = as(T.kmsKey);
        const replica = as(T.kmsReplicaKey);
        const enabled = key ? readBoolean(() => key.isEnabled) : replica ? readBoolean(() => replica.enabled) : undefined;
        if (enabled === false) report(`${key ? "isEnabled" : "enabled"} is false: the key is disabled.`);
    },
});

export const kmsKeyPolicyDefined = stackRule({
    name: "kms-key-policy-defined",
    description: "Every KMS key has a key policy the program writes (the key's policy or a standalone aws.kms.KeyPolicy), so who may use and administer the key is reviewed with the code instead of left to the default policy.",
    anchors: ["CKV2_AWS_64"],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "set policy on the aws.kms.Key (account root administers, the stack's roles and services use it through their own grants or conditions).",
    config: {},
    kinds: [T.kmsKey],
    validate({ index, report, undecided }) {
        const withStandalone = new Set<string>();
        for (const p of index.of(T.kmsKeyPolicy)) for (const k of index.refs(p, "keyId", T.kmsKey)) withStandalone.add(k.urn);
        for (const key of index.of(T.kmsKey)) {
            if (withStandalone.has(key.urn)) continue;
            const policy = peek(() => key.props.policy);
            if (policy instanceof Unknown) undecided(policy);
            else if (!isSet(() => policy)) report(key.urn, `key ${key.name} has no key policy of the program's: the default policy hands the key to every IAM principal of the account that IAM allows.`);
        }
    },
});

export const kmsRules = [kmsKeyRotation, kmsKeyPolicyNotPublic, kmsKeyEnabled, kmsKeyPolicyDefined];
