// KMS: customer-managed keys rotate their backing key material yearly.

import { resourceRule } from "../lib/rule";
import { bool } from "../lib/values";

export const kmsKeyRotation = resourceRule({
    name: "kms-key-rotation",
    description: "Customer-managed KMS keys have automatic key rotation enabled.",
    anchors: ["awsguard:cmk-backing-key-rotation-enabled"],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "set enableKeyRotation: true on the aws.kms.Key.",
    config: {},
    types: ["aws:kms/key:Key"],
    validate(props, { report }) {
        if (bool(props, "enableKeyRotation") === false || props.enableKeyRotation === undefined) report("enableKeyRotation is not true.");
    },
});

export const kmsRules = [kmsKeyRotation];
