// SageMaker security rules: notebook hardening, model network isolation, endpoint encryption, and
// the join "every instance-variant endpoint is autoscaled with bounds and cooldowns".

import { cfg, resourceRule, stackRule } from "../lib/rule";
import { type Typed, StackIndex } from "../lib/stack-index";
import { Unknown, isSet, peek, peekEach, readNumber, readString } from "../lib/preview";
import { trainingJobSpecs, tuningJobSpecs } from "../lib/training";
import { RESOURCE_TYPES as T } from "../lib/resource-types";

const notebookMeta = { kinds: [T.notebook], severity: "high" as const };

export const notebookRootAccessDisabled = resourceRule({
    ...notebookMeta,
    name: "sagemaker-notebook-root-access-disabled",
    description: "Notebook instances run without root access for their users (rootAccess 'Disabled'; the AWS default is Enabled).",
    anchors: ["CKV_AWS_307"],
    enforcementLevel: "mandatory",
    remediation: "set rootAccess: \"Disabled\" (install packages in a lifecycle configuration instead).",
    config: {},
    validate(notebook, { report }) {
        if (notebook.rootAccess !== "Disabled") report(`rootAccess is ${JSON.stringify(notebook.rootAccess ?? "Enabled (default)")}.`);
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
    validate(notebook, { report }) {
        if (notebook.directInternetAccess !== "Disabled") {
            report(`directInternetAccess is ${JSON.stringify(notebook.directInternetAccess ?? "Enabled (default)")}.`);
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
    validate(notebook, { report }) {
        const groups = peek(() => notebook.securityGroups);
        if (!isSet(() => notebook.subnetId)) report("subnetId is not set: the notebook runs in the SageMaker service VPC.");
        else if (!(groups instanceof Unknown) && (groups ?? []).length === 0) report("securityGroups is empty.");
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
    validate(notebook, { report }) {
        const v = notebook.instanceMetadataServiceConfiguration?.minimumInstanceMetadataServiceVersion;
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
    validate(notebook, { report }) {
        if (!isSet(() => notebook.kmsKeyId)) report("kmsKeyId is not set.");
    },
});

export const notebookIdleStop = stackRule({
    name: "sagemaker-notebook-idle-stop",
    category: "cost",
    description: "Every notebook instance has a lifecycle configuration with an onStart script (the stop-when-idle check): a notebook left running bills around the clock.",
    anchors: [],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "attach an aws.sagemaker.NotebookInstanceLifecycleConfiguration whose onStart installs an idle check that stops the instance (lifecycleConfigName).",
    config: {},
    kinds: [T.notebook],
    validate({ index, report, undecided }) {
        for (const notebook of index.of(T.notebook)) {
            const name = peek(() => notebook.props.lifecycleConfigName);
            const configs = index.refs(notebook, "lifecycleConfigName", T.notebookLifecycle);
            if (configs.length === 0) {
                if (name instanceof Unknown) undecided(name);
                // A configuration named but managed outside this stack cannot be read: it counts.
                else if (typeof name !== "string" || name === "") report(notebook.urn, `notebook ${notebook.name} has no lifecycle configuration, so nothing stops it when idle.`);
                continue;
            }
            const scripts = configs.map((c) => peek(() => c.props.onStart));
            if (scripts.some((s) => typeof s === "string" && s !== "")) continue;
            const unknown = scripts.find((s): s is Unknown => s instanceof Unknown);
            if (unknown) undecided(unknown);
            else report(notebook.urn, `notebook ${notebook.name}: lifecycle configuration ${configs.map((c) => c.name).join(", ")} has no onStart script.`);
        }
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
    kinds: [T.model],
    validate(model, { report }) {
        if (model.enableNetworkIsolation !== true) report(`enableNetworkIsolation is ${JSON.stringify(model.enableNetworkIsolation ?? false)}.`);
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
    kinds: [T.endpointConfig],
    validate(endpointConfig, { config, report }) {
        if (isSet(() => endpointConfig.kmsKeyArn)) return;
        const local = new RegExp(config.localStorageInstanceTypePattern);
        const types = peekEach(peek(() => endpointConfig.productionVariants)).map((v) => (v instanceof Unknown ? undefined : readString(() => v.instanceType)));
        if (types.some((t) => typeof t === "string" && local.test(t))) return;
        report("kmsKeyArn is not set.");
    },
});

export const trainingEncryption = resourceRule({
    name: "sagemaker-training-encryption",
    description: "Distributed training and tuning jobs encrypt traffic between their instances; where KMS is required, model artifacts (outputDataConfig.kmsKeyId) and training volumes (volumeKmsKeyId) use the stack's customer-managed key.",
    anchors: [],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "set enableInterContainerTrafficEncryption: true when instanceCount > 1, and outputDataConfig.kmsKeyId / resourceConfig.volumeKmsKeyId to the stack's KMS key.",
    config: {
        requireKms: cfg.boolean("Require outputDataConfig.kmsKeyId and volumeKmsKeyId.", false),
    },
    kinds: [T.trainingJob, T.tuningJob],
    validate(_, { config, as, report }) {
        const training = as(T.trainingJob);
        const tuning = as(T.tuningJob);
        for (const s of training ? trainingJobSpecs(training) : tuning ? tuningJobSpecs(tuning) : []) {
            const at = s.where ? `${s.where}: ` : "";
            const distributed = s.instances.some((p) => typeof p.instanceCount === "number" && p.instanceCount > 1);
            if (distributed && s.interContainerEncryption !== true && !(s.interContainerEncryption instanceof Unknown)) {
                const counts = s.instances.map((p) => (typeof p.instanceCount === "number" ? String(p.instanceCount) : "?"));
                report(`${at}${counts.join("+")} instances exchange gradients without enableInterContainerTrafficEncryption.`);
            }
            if (!config.requireKms) continue;
            if (s.outputKmsKeyId === undefined || s.outputKmsKeyId === "") report(`${at}outputDataConfig.kmsKeyId is not set: model artifacts use the S3 default key.`);
            if (s.instances.some((p) => p.volumeKmsKeyId === undefined || p.volumeKmsKeyId === "")) report(`${at}volumeKmsKeyId is not set on the training volumes.`);
        }
    },
});

/** The hyperparameters a job passes to its script: a training job's, or a tuning job's static ones. */
function scriptHyperparameters(training: { hyperParameters?: Record<string, string> } | undefined, tuning: { trainingJobDefinition?: { staticHyperParameters?: Record<string, string> } } | undefined): Record<string, unknown> {
    const hp = peek(() => (training ? training.hyperParameters : tuning?.trainingJobDefinition?.staticHyperParameters));
    return hp instanceof Unknown || hp === undefined || hp === null ? {} : hp;
}

export const trainingNetworkIsolation = resourceRule({
    name: "sagemaker-training-network-isolation",
    description: "Training and tuning jobs run with network isolation (enableNetworkIsolation) or inside a VPC (vpcConfig); a job in SageMaker's service network, which reaches the internet, is accepted only when a configured hyperparameter says it downloads from there (pretrained weights).",
    anchors: [],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "set enableNetworkIsolation: true when the job reads nothing beyond its S3 channels, or vpcConfig { subnets, securityGroupIds } with private subnets (a NAT gateway or VPC endpoints) and an execution role allowed to manage the job's network interfaces.",
    config: {
        internetHyperparameters: cfg.strings("Hyperparameters whose value \"true\" declares that the job downloads from the internet (train.py's pretrained weights); such a job may run without isolation or VPC.", []),
    },
    kinds: [T.trainingJob, T.tuningJob],
    validate(_, { config, as, report, undecided }) {
        const training = as(T.trainingJob);
        const tuning = as(T.tuningJob);
        const hyperparameters = scriptHyperparameters(training, tuning);
        const declared = config.internetHyperparameters.filter((h) => readString(() => hyperparameters[h]) === "true");
        if (declared.length > 0) return;
        for (const s of training ? trainingJobSpecs(training) : tuning ? tuningJobSpecs(tuning) : []) {
            if (s.networkIsolation === true) continue;
            if (s.vpcSubnets.some((x) => x !== undefined)) continue;
            if (s.networkIsolation instanceof Unknown) {
                undecided(s.networkIsolation);
                continue;
            }
            const excuse = config.internetHyperparameters.length > 0 ? ` and no hyperparameter of ${config.internetHyperparameters.join(", ")} is "true"` : "";
            report(`${s.where ? `${s.where}: ` : ""}neither enableNetworkIsolation nor vpcConfig is set${excuse}: the training containers reach the internet from SageMaker's service network.`);
        }
    },
});

// ---- endpoint autoscaling (join) -------------------------------------------------------------

const VARIANT_DIMENSION = "sagemaker:variant:DesiredInstanceCount";

interface VariantRef {
    endpoint: Typed<typeof T.endpoint>;
    variant: string;
}

/** Instance (not serverless) variants of each endpoint, through its endpoint configuration. */
function instanceVariants(index: StackIndex, undecided: (u: Unknown) => void): VariantRef[] {
    const out: VariantRef[] = [];
    for (const endpoint of index.of(T.endpoint)) {
        for (const config of index.refs(endpoint, "endpointConfigName", T.endpointConfig)) {
            const variants = peek(() => config.props.productionVariants);
            if (variants instanceof Unknown) {
                undecided(variants);
                continue;
            }
            peekEach(variants).forEach((v, i) => {
                if (v instanceof Unknown) return undecided(v);
                if (peek(() => v.serverlessConfig)) return;
                const name = readString(() => v.variantName);
                out.push({ endpoint, variant: typeof name === "string" ? name : `#${i}` });
            });
        }
    }
    return out;
}

/** `endpoint/<name>/variant/<variant>` -> keys, or the endpoint via the resourceId's dependency edge. */
function targetKeys(index: StackIndex, r: { props: { resourceId: string }; propertyDependencies?: unknown; dependencies?: unknown }): string[] {
    const rid = readString(() => r.props.resourceId);
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

/** Resources of one kind per variant key, SageMaker variant-count scaling only. */
function byVariant<R extends { props: { serviceNamespace: string; scalableDimension: string; resourceId: string } }>(index: StackIndex, list: readonly R[]): Map<string, R[]> {
    const out = new Map<string, R[]>();
    for (const r of list) {
        if (readString(() => r.props.serviceNamespace) !== "sagemaker" || readString(() => r.props.scalableDimension) !== VARIANT_DIMENSION) continue;
        for (const k of targetKeys(index, r)) out.set(k, [...(out.get(k) ?? []), r]);
    }
    return out;
}

const SCALING_POLICY_TYPES = ["TargetTrackingScaling", "StepScaling"];

export const endpointAutoscaling = stackRule({
    name: "sagemaker-endpoint-autoscaling",
    description: "Every instance variant of every endpoint has an Application Auto Scaling target (min >= 1, max >= min) and a target-tracking or step scaling policy whose cooldowns are set within bounds.",
    anchors: [],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "add an aws.appautoscaling.Target (serviceNamespace sagemaker, resourceId endpoint/<name>/variant/<variant>, scalableDimension sagemaker:variant:DesiredInstanceCount) and a TargetTrackingScaling Policy on SageMakerVariantInvocationsPerInstance with scaleInCooldown/scaleOutCooldown (or a StepScaling Policy with a cooldown).",
    config: {
        minCooldownSeconds: cfg.integer("Smallest accepted scale-in/scale-out cooldown.", 0),
        maxCooldownSeconds: cfg.integer("Largest accepted scale-in/scale-out cooldown.", 3600),
        acceptedPolicyTypes: cfg.strings("Scaling policy types that count (AWS documents target tracking and step scaling for SageMaker variants).", SCALING_POLICY_TYPES),
    },
    kinds: [T.endpoint],
    validate({ config, index, report, undecided }) {
        const targets = byVariant(index, index.of(T.scalingTarget));
        const policies = byVariant(index, index.of(T.scalingPolicy));
        const find = <R>(m: Map<string, R[]>, ref: VariantRef): R[] => {
            const name = readString(() => ref.endpoint.props.name);
            return m.get(`${ref.endpoint.urn}|${ref.variant}`) ?? (typeof name === "string" ? m.get(`name:${name}|${ref.variant}`) : undefined) ?? m.get(`${ref.endpoint.urn}|*`) ?? [];
        };
        const accepted = config.acceptedPolicyTypes;
        for (const ref of instanceVariants(index, undecided)) {
            const what = `endpoint ${ref.endpoint.name} variant ${ref.variant}`;
            const [target] = find(targets, ref);
            if (!target) {
                report(ref.endpoint.urn, `${what} has no autoscaling target.`);
                continue;
            }
            const min = readNumber(() => target.props.minCapacity);
            const max = readNumber(() => target.props.maxCapacity);
            if (typeof min === "number" && min < 1) report(target.urn, `${what}: target minCapacity ${min} < 1.`);
            if (typeof min === "number" && typeof max === "number" && max < min) report(target.urn, `${what}: target maxCapacity ${max} < minCapacity ${min}.`);
            const scaling = find(policies, ref);
            const types = scaling.map((p) => readString(() => p.props.policyType));
            const chosen = scaling.find((_, i) => {
                const type = types[i];
                return typeof type === "string" && accepted.includes(type);
            });
            if (!chosen) {
                const unknown = types.find((t): t is Unknown => t instanceof Unknown);
                if (unknown) undecided(unknown);
                else report(ref.endpoint.urn, `${what} has no ${accepted.join(" or ")} policy.`);
                continue;
            }
            const cooldowns: [string, number | Unknown | undefined][] =
                chosen.props.policyType === "StepScaling"
                    ? [["stepScalingPolicyConfiguration.cooldown", readNumber(() => chosen.props.stepScalingPolicyConfiguration?.cooldown)]]
                    : (["scaleInCooldown", "scaleOutCooldown"] as const).map((key) => [key, readNumber(() => chosen.props.targetTrackingScalingPolicyConfiguration?.[key])]);
            for (const [key, c] of cooldowns) {
                if (c instanceof Unknown) {
                    undecided(c);
                    continue;
                }
                if (c === undefined) report(chosen.urn, `${what}: scaling policy ${chosen.name} does not set ${key}.`);
                else if (c < config.minCooldownSeconds || c > config.maxCooldownSeconds) {
                    report(chosen.urn, `${what}: ${key} ${c}s is outside ${config.minCooldownSeconds}..${config.maxCooldownSeconds}s.`);
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
    notebookIdleStop,
    modelNetworkIsolation,
    endpointConfigKms,
    trainingEncryption,
    trainingNetworkIsolation,
    endpointAutoscaling,
];
