// SageMaker security rules: notebook hardening, model network isolation, endpoint encryption, and
// the join "every instance-variant endpoint is autoscaled with bounds and cooldowns".

import type { PolicyResource } from "@pulumi/policy";
import { cfg, resourceRule, stackRule } from "../lib/rule";
import { StackIndex } from "../lib/stack-index";
import { UNKNOWN, arr, get, num, str } from "../lib/values";
import { TRAINING_JOB, TUNING_JOB, trainingSpecs } from "../lib/training";

export const T = {
    notebook: "aws:sagemaker/notebookInstance:NotebookInstance",
    model: "aws:sagemaker/model:Model",
    endpointConfig: "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
    endpoint: "aws:sagemaker/endpoint:Endpoint",
    scalingTarget: "aws:appautoscaling/target:Target",
    scalingPolicy: "aws:appautoscaling/policy:Policy",
} as const;

const notebookMeta = { types: [T.notebook], severity: "high" as const };

export const notebookRootAccessDisabled = resourceRule({
    ...notebookMeta,
    name: "sagemaker-notebook-root-access-disabled",
    description: "Notebook instances run without root access for their users (rootAccess 'Disabled'; the AWS default is Enabled).",
    anchors: ["CKV_AWS_307"],
    enforcementLevel: "mandatory",
    remediation: "set rootAccess: \"Disabled\" (install packages in a lifecycle configuration instead).",
    config: {},
    validate(props, { report }) {
        if (props.rootAccess !== "Disabled") report(`rootAccess is ${JSON.stringify(props.rootAccess ?? "Enabled (default)")}.`);
    },
});

export const notebookNoDirectInternet = resourceRule({
    ...notebookMeta,
    name: "sagemaker-notebook-no-direct-internet",
    description: "Notebook instances have no direct internet access (directInternetAccess 'Disabled'; the AWS default is Enabled). Needs a VPC subnet with a NAT or VPC endpoints.",
    anchors: ["AwsSolutions-SM3", "CKV_AWS_122", "SageMakerNotebookNoDirectInternetAccess"],
    enforcementLevel: "mandatory",
    remediation: "set directInternetAccess: \"Disabled\" with subnetId and securityGroups of a private subnet.",
    config: {},
    validate(props, { report }) {
        if (props.directInternetAccess !== "Disabled") {
            report(`directInternetAccess is ${JSON.stringify(props.directInternetAccess ?? "Enabled (default)")}.`);
        }
    },
});

export const notebookInVpc = resourceRule({
    ...notebookMeta,
    name: "sagemaker-notebook-in-vpc",
    description: "Notebook instances are placed in a VPC subnet with security groups.",
    anchors: ["AwsSolutions-SM1", "CKV_AWS_306"],
    enforcementLevel: "mandatory",
    remediation: "set subnetId and securityGroups (a private subnet of the stack's VPC).",
    config: {},
    validate(props, { report }) {
        const subnet = get(props, "subnetId");
        const groups = arr(props, "securityGroups");
        if (subnet === undefined || subnet === "") report("subnetId is not set: the notebook runs in the SageMaker service VPC.");
        else if (groups !== UNKNOWN && groups.length === 0) report("securityGroups is empty.");
    },
});

export const notebookImdsv2 = resourceRule({
    ...notebookMeta,
    name: "sagemaker-notebook-imdsv2",
    description: "Notebook instances require IMDSv2 (minimumInstanceMetadataServiceVersion '2').",
    anchors: ["CKV_AWS_371"],
    enforcementLevel: "mandatory",
    remediation: "set instanceMetadataServiceConfiguration: { minimumInstanceMetadataServiceVersion: \"2\" }.",
    config: {},
    validate(props, { report }) {
        const v = props.instanceMetadataServiceConfiguration?.minimumInstanceMetadataServiceVersion;
        if (String(v) !== "2") report(`minimumInstanceMetadataServiceVersion is ${JSON.stringify(v ?? "1 (default)")}.`);
    },
});

export const notebookKms = resourceRule({
    ...notebookMeta,
    name: "sagemaker-notebook-kms",
    description: "Notebook storage volumes are encrypted with a customer-managed KMS key (kmsKeyId set).",
    anchors: ["AwsSolutions-SM2", "CKV_AWS_22", "CKV_AWS_187"],
    enforcementLevel: "mandatory",
    remediation: "set kmsKeyId to the stack's KMS key.",
    config: {},
    validate(props, { report }) {
        const key = get(props, "kmsKeyId");
        if (key === undefined || key === "") report("kmsKeyId is not set.");
    },
});

export const modelNetworkIsolation = resourceRule({
    name: "sagemaker-model-network-isolation",
    description: "Models run with network isolation (no inbound or outbound network from the inference container).",
    anchors: ["CKV_AWS_370"],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "set enableNetworkIsolation: true (ship the inference code inside model.tar.gz under code/).",
    config: {},
    types: [T.model],
    validate(props, { report }) {
        if (props.enableNetworkIsolation !== true) report(`enableNetworkIsolation is ${JSON.stringify(props.enableNetworkIsolation ?? false)}.`);
    },
});

export const endpointConfigKms = resourceRule({
    name: "sagemaker-endpoint-config-kms",
    description: "Endpoint configurations encrypt their storage with a customer-managed KMS key (kmsKeyArn), except when a variant uses an instance type with local NVMe storage, where AWS rejects a key.",
    anchors: ["CKV_AWS_98", "SageMakerEndpointConfigurationKMSKeyConfigured"],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "set kmsKeyArn to the stack's KMS key.",
    config: {
        localStorageInstanceTypePattern: cfg.string(
            "Regular expression of instance types with local instance storage (AWS: KmsKeyId cannot be given for them).",
            "^ml\\.(c5d|m5d|r5d|g4dn|g5|g6|g6e|p3dn|p4d|p4de|p5|p5e|inf2|trn1)\\.",
        ),
    },
    types: [T.endpointConfig],
    validate(props, { config, report }) {
        const key = get(props, "kmsKeyArn");
        if (key !== undefined && key !== "") return;
        const local = new RegExp(config.localStorageInstanceTypePattern);
        const variants = arr(props, "productionVariants");
        if (variants !== UNKNOWN && variants.some((v) => local.test(String(get(v, "instanceType") ?? "")))) return;
        report("kmsKeyArn is not set.");
    },
});

export const trainingEncryption = resourceRule({
    name: "sagemaker-training-encryption",
    description: "Distributed training and tuning jobs encrypt traffic between their instances; where KMS is required, model artifacts (outputDataConfig.kmsKeyId) and training volumes (volumeKmsKeyId) use the stack's customer-managed key.",
    anchors: ["CKV_AWS_367", "CKV_AWS_368", "CKV_AWS_369 (same checks on monitoring jobs)"],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "set enableInterContainerTrafficEncryption: true when instanceCount > 1, and outputDataConfig.kmsKeyId / resourceConfig.volumeKmsKeyId to the stack's KMS key.",
    config: {
        requireKms: cfg.boolean("Require outputDataConfig.kmsKeyId and volumeKmsKeyId.", false),
    },
    types: [TRAINING_JOB, TUNING_JOB],
    validate(props, { config, args, report }) {
        for (const s of trainingSpecs(args.type, props)) {
            const at = s.where ? `${s.where}: ` : "";
            const distributed = s.instances.some((p) => typeof p.instanceCount === "number" && p.instanceCount > 1);
            if (distributed && s.interContainerEncryption !== true && s.interContainerEncryption !== UNKNOWN) {
                report(`${at}${s.instances.map((p) => String(p.instanceCount)).join("+")} instances exchange gradients without enableInterContainerTrafficEncryption.`);
            }
            if (!config.requireKms) continue;
            if (s.outputKmsKeyId === undefined || s.outputKmsKeyId === "") report(`${at}outputDataConfig.kmsKeyId is not set: model artifacts use the S3 default key.`);
            if (s.volumeKmsKeyIds.some((k) => k === undefined || k === "")) report(`${at}volumeKmsKeyId is not set on the training volumes.`);
        }
    },
});

// ---- endpoint autoscaling (join) -------------------------------------------------------------

const VARIANT_DIMENSION = "sagemaker:variant:DesiredInstanceCount";

interface VariantRef {
    endpoint: PolicyResource;
    variant: string;
}

/** Instance (not serverless) variants of each endpoint, through its endpoint configuration. */
function instanceVariants(index: StackIndex, unknown: (path: string) => void): VariantRef[] {
    const out: VariantRef[] = [];
    for (const endpoint of index.ofType(T.endpoint)) {
        for (const config of index.refs(endpoint, "endpointConfigName", T.endpointConfig)) {
            const variants = arr(config.props, "productionVariants");
            if (variants === UNKNOWN) {
                unknown(`endpoint configuration ${config.name} productionVariants`);
                continue;
            }
            variants.forEach((v, i) => {
                if (get(v, "serverlessConfig")) return;
                const name = str(v, "variantName");
                out.push({ endpoint, variant: typeof name === "string" ? name : `#${i}` });
            });
        }
    }
    return out;
}

/** `endpoint/<name>/variant/<variant>` -> parts, or the endpoint via the resourceId's dependency edge. */
function targetKey(index: StackIndex, r: PolicyResource): string[] {
    const rid = str(r.props, "resourceId");
    const m = typeof rid === "string" ? /^endpoint\/([^/]+)\/variant\/([^/]+)$/.exec(rid) : null;
    if (m) {
        const [endpoint] = index.lookup(T.endpoint, m[1]);
        return [`${endpoint?.urn ?? `name:${m[1]}`}|${m[2]}`];
    }
    // Preview: the resourceId interpolates the endpoint's unknown name, so the whole string is
    // unknown and the variant cannot be read; the property dependency still names the endpoint,
    // so the target counts for any variant of it.
    return index.refs(r, "resourceId", T.endpoint).map((e) => `${e.urn}|*`);
}

export const endpointAutoscaling = stackRule({
    name: "sagemaker-endpoint-autoscaling",
    description: "Every instance variant of every endpoint has an Application Auto Scaling target (min >= 1, max >= min) and a target-tracking policy with scale-in/out cooldowns within bounds.",
    anchors: [],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "add an aws.appautoscaling.Target (serviceNamespace sagemaker, resourceId endpoint/<name>/variant/<variant>, scalableDimension sagemaker:variant:DesiredInstanceCount) and a TargetTrackingScaling Policy on SageMakerVariantInvocationsPerInstance with scaleInCooldown/scaleOutCooldown.",
    config: {
        minCooldownSeconds: cfg.integer("Smallest accepted scale-in/scale-out cooldown.", 0),
        maxCooldownSeconds: cfg.integer("Largest accepted scale-in/scale-out cooldown.", 3600),
    },
    types: [T.endpoint],
    validate({ config, index, report, unknown }) {
        const targets = new Map<string, PolicyResource[]>();
        for (const t of index.ofType(T.scalingTarget)) {
            if (get(t.props, "serviceNamespace") !== "sagemaker" || get(t.props, "scalableDimension") !== VARIANT_DIMENSION) continue;
            for (const k of targetKey(index, t)) targets.set(k, [...(targets.get(k) ?? []), t]);
        }
        const policies = new Map<string, PolicyResource[]>();
        for (const p of index.ofType(T.scalingPolicy)) {
            if (get(p.props, "serviceNamespace") !== "sagemaker") continue;
            for (const k of targetKey(index, p)) policies.set(k, [...(policies.get(k) ?? []), p]);
        }
        const find = (m: Map<string, PolicyResource[]>, ref: VariantRef) =>
            m.get(`${ref.endpoint.urn}|${ref.variant}`) ??
            m.get(`name:${String(get(ref.endpoint.props, "name"))}|${ref.variant}`) ??
            m.get(`${ref.endpoint.urn}|*`) ??
            [];
        for (const ref of instanceVariants(index, unknown)) {
            const what = `endpoint ${ref.endpoint.name} variant ${ref.variant}`;
            const [target] = find(targets, ref);
            if (!target) {
                report(ref.endpoint.urn, `${what} has no autoscaling target.`);
                continue;
            }
            const min = num(target.props, "minCapacity");
            const max = num(target.props, "maxCapacity");
            if (typeof min === "number" && min < 1) report(target.urn, `${what}: target minCapacity ${min} < 1.`);
            if (typeof min === "number" && typeof max === "number" && max < min) report(target.urn, `${what}: target maxCapacity ${max} < minCapacity ${min}.`);
            const scaling = find(policies, ref);
            const tracking = scaling.find((p) => get(p.props, "policyType") === "TargetTrackingScaling");
            if (!tracking) {
                report(ref.endpoint.urn, `${what} has no TargetTrackingScaling policy.`);
                continue;
            }
            for (const key of ["scaleInCooldown", "scaleOutCooldown"]) {
                const c = num(tracking.props, "targetTrackingScalingPolicyConfiguration", key);
                if (c === UNKNOWN) {
                    unknown(`scaling policy ${tracking.name} ${key}`);
                    continue;
                }
                if (c === undefined) report(tracking.urn, `${what}: scaling policy ${tracking.name} does not set ${key}.`);
                else if (c < config.minCooldownSeconds || c > config.maxCooldownSeconds) {
                    report(tracking.urn, `${what}: ${key} ${c}s is outside ${config.minCooldownSeconds}..${config.maxCooldownSeconds}s.`);
                }
            }
        }
    },
});

export const sagemakerRules = [
    notebookRootAccessDisabled,
    notebookNoDirectInternet,
    notebookInVpc,
    notebookImdsv2,
    notebookKms,
    modelNetworkIsolation,
    endpointConfigKms,
    trainingEncryption,
    endpointAutoscaling,
];
