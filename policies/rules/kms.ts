// KMS: customer-managed keys rotate their backing key material yearly.

import { resourceRule } from "../lib/rule";
import { readBoolean } from "../lib/preview";
import { RESOURCE_TYPES as T } from "../lib/resource-types";

export const kmsKeyRotation = resourceRule({
    name: "kms-key-rotation",
    description: "Customer-managed KMS keys have automatic key rotation enabled (a multi-Region replica rotates with its primary).",
    anchors: ["awsguard:cmk-backing-key-rotation-enabled", "CKV_AWS_7"],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "set enableKeyRotation: true on the aws.kms.Key.",
    config: {},
    kinds: [T.kmsKey],
    validate(key, { report }) {
        if (readBoolean(() => key.enableKeyRotation) === false || readBoolean(() => key.enableKeyRotation) === undefined) report("enableKeyRotation is not true.");
    },
});

export const kmsRules = [kmsKeyRotation];
