import * as assert from "assert";
import { UNKNOWN_STRING, assertNone, assertViolation, check, res } from "./helpers";

const NOTEBOOK = "aws:sagemaker/notebookInstance:NotebookInstance";
const MODEL = "aws:sagemaker/model:Model";
const CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration";
const ENDPOINT = "aws:sagemaker/endpoint:Endpoint";
const TARGET = "aws:appautoscaling/target:Target";
const SCALING = "aws:appautoscaling/policy:Policy";

const hardenedNotebook = {
    instanceType: "ml.t3.medium",
    roleArn: "arn:aws:iam::123456789012:role/nb",
    rootAccess: "Disabled",
    directInternetAccess: "Disabled",
    subnetId: "subnet-0123456789abcdef0",
    securityGroups: ["sg-0123456789abcdef0"],
    kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/1111",
    instanceMetadataServiceConfiguration: { minimumInstanceMetadataServiceVersion: "2" },
};

describe("policies: SageMaker", () => {
    describe("notebook hardening", () => {
        const rules = ["sagemaker-notebook-root-access-disabled", "sagemaker-notebook-no-direct-internet", "sagemaker-notebook-in-vpc", "sagemaker-notebook-imdsv2", "sagemaker-notebook-kms"];
        it("a hardened notebook passes every notebook rule", async () => {
            for (const rule of rules) assertNone(await check(rule, [res(NOTEBOOK, "nb", hardenedNotebook)]));
        });
        it("AWS defaults (root on, internet on, no VPC, IMDSv1, no KMS) violate each rule", async () => {
            const nb = [res(NOTEBOOK, "nb", { instanceType: "ml.t3.medium", roleArn: "arn:aws:iam::123456789012:role/nb" })];
            assertViolation(await check("sagemaker-notebook-root-access-disabled", nb), "rootAccess is \"Enabled (default)\"", 1);
            assertViolation(await check("sagemaker-notebook-no-direct-internet", nb), "directInternetAccess is \"Enabled (default)\"", 1);
            assertViolation(await check("sagemaker-notebook-in-vpc", nb), "subnetId is not set", 1);
            assertViolation(await check("sagemaker-notebook-imdsv2", nb), "minimumInstanceMetadataServiceVersion", 1);
            assertViolation(await check("sagemaker-notebook-kms", nb), "kmsKeyId is not set", 1);
        });
        it("explicit Enabled and IMDS '1' are violations too; the messages carry the remediation and anchor", async () => {
            const nb = [res(NOTEBOOK, "nb", { ...hardenedNotebook, rootAccess: "Enabled", instanceMetadataServiceConfiguration: { minimumInstanceMetadataServiceVersion: "1" } })];
            const root = await check("sagemaker-notebook-root-access-disabled", nb);
            assertViolation(root, ["rootAccess is \"Enabled\"", "Fix: set rootAccess: \"Disabled\"", "CKV_AWS_307"], 1);
            assert.strictEqual(root[0].enforcementLevel, "mandatory");
            assertViolation(await check("sagemaker-notebook-imdsv2", nb), "\"1\"", 1);
        });
        it("a notebook in a subnet without security groups is not in a VPC properly", async () => {
            assertViolation(await check("sagemaker-notebook-in-vpc", [res(NOTEBOOK, "nb", { ...hardenedNotebook, securityGroups: [] })]), "securityGroups is empty");
        });
        it("levels follow the config (dev makes VPC/KMS rules advisory)", async () => {
            const nb = [res(NOTEBOOK, "nb", { ...hardenedNotebook, kmsKeyId: undefined })];
            const v = await check("sagemaker-notebook-kms", nb, "advisory");
            assert.strictEqual(v[0].enforcementLevel, "advisory");
            assertNone(await check("sagemaker-notebook-kms", nb, "disabled"));
        });
        it("a KMS key unknown during preview counts as set", async () => {
            assertNone(await check("sagemaker-notebook-kms", [res(NOTEBOOK, "nb", { ...hardenedNotebook, kmsKeyId: UNKNOWN_STRING })]));
        });
    });

    describe("sagemaker-model-network-isolation", () => {
        it("accepts enableNetworkIsolation true", async () => {
            assertNone(await check("sagemaker-model-network-isolation", [res(MODEL, "m", { enableNetworkIsolation: true })]));
        });
        it("rejects false or unset", async () => {
            assertViolation(await check("sagemaker-model-network-isolation", [res(MODEL, "m", {})]), "enableNetworkIsolation is false", 1);
            assertViolation(await check("sagemaker-model-network-isolation", [res(MODEL, "m", { enableNetworkIsolation: false })]), "enableNetworkIsolation is false", 1);
        });
    });

    describe("sagemaker-endpoint-config-kms", () => {
        it("accepts a key, and exempts local-storage instance types AWS refuses a key for", async () => {
            assertNone(await check("sagemaker-endpoint-config-kms", [res(CONFIG, "c", { kmsKeyArn: "arn:aws:kms:us-east-1:1:key/k", productionVariants: [{ instanceType: "ml.m5.large" }] })]));
            assertNone(await check("sagemaker-endpoint-config-kms", [res(CONFIG, "c", { productionVariants: [{ instanceType: "ml.g4dn.xlarge" }] })]));
        });
        it("rejects a config without a key; the local-storage pattern is configurable", async () => {
            assertViolation(await check("sagemaker-endpoint-config-kms", [res(CONFIG, "c", { productionVariants: [{ instanceType: "ml.m5.large" }] })]), "kmsKeyArn is not set", 1);
            const g4 = [res(CONFIG, "c", { productionVariants: [{ instanceType: "ml.g4dn.xlarge" }] })];
            assertViolation(await check("sagemaker-endpoint-config-kms", g4, { localStorageInstanceTypePattern: "^ml\\.m5d\\." }), "kmsKeyArn is not set");
        });
    });

    describe("sagemaker-training-encryption", () => {
        const KEY = "arn:aws:kms:us-east-1:123456789012:key/k";
        const job = (name: string, count: number, over: Record<string, unknown> = {}) =>
            res("aws:sagemaker/trainingJob:TrainingJob", name, {
                resourceConfig: { instanceType: "ml.m5.xlarge", instanceCount: count, volumeKmsKeyId: KEY },
                outputDataConfig: { s3OutputPath: "s3://b/training/", kmsKeyId: KEY },
                enableInterContainerTrafficEncryption: count > 1,
                ...over,
            });
        it("accepts single-instance jobs, encrypted distributed jobs, and KMS-encrypted jobs when required", async () => {
            assertNone(await check("sagemaker-training-encryption", [job("single", 1), job("multi", 3)], { requireKms: true }));
        });
        it("rejects a distributed job without inter-container encryption (also inside a tuning job)", async () => {
            const v = await check("sagemaker-training-encryption", [
                job("multi", 3, { enableInterContainerTrafficEncryption: false }),
                res("aws:sagemaker/hyperParameterTuningJob:HyperParameterTuningJob", "hpo", { config: {}, trainingJobDefinition: { resourceConfig: { instanceType: "ml.m5.xlarge", instanceCount: 2 } } }),
            ]);
            assertViolation(v, "3 instances exchange gradients without enableInterContainerTrafficEncryption");
            assertViolation(v, "trainingJobDefinition: 2 instances");
            assert.strictEqual(v.length, 2);
        });
        it("with requireKms, rejects artifacts and volumes on default keys", async () => {
            const plain = job("single", 1, { resourceConfig: { instanceType: "ml.m5.xlarge", instanceCount: 1 }, outputDataConfig: { s3OutputPath: "s3://b/" } });
            assertNone(await check("sagemaker-training-encryption", [plain]));
            const v = await check("sagemaker-training-encryption", [plain], { requireKms: true });
            assertViolation(v, "outputDataConfig.kmsKeyId is not set");
            assertViolation(v, "volumeKmsKeyId is not set");
            assert.strictEqual(v.length, 2);
        });
    });

    describe("sagemaker-endpoint-autoscaling (stack)", () => {
        const stack = (opts: { target?: Record<string, unknown> | null; policy?: Record<string, unknown> | null; serverless?: boolean; unknownName?: boolean } = {}) => {
            const config = res(CONFIG, "cfg", {
                name: "cfg-1234",
                productionVariants: [opts.serverless ? { variantName: "primary", serverlessConfig: { memorySizeInMb: 2048, maxConcurrency: 5 } } : { variantName: "primary", instanceType: "ml.m5.large", initialInstanceCount: 1 }],
            });
            const endpoint = res(ENDPOINT, "ep", { name: opts.unknownName ? UNKNOWN_STRING : "ep-1234", endpointConfigName: opts.unknownName ? UNKNOWN_STRING : "cfg-1234" }, { endpointConfigName: [config] });
            const resourceId = opts.unknownName ? UNKNOWN_STRING : "endpoint/ep-1234/variant/primary";
            const out = [config, endpoint];
            const target = res(TARGET, "target", { serviceNamespace: "sagemaker", scalableDimension: "sagemaker:variant:DesiredInstanceCount", resourceId, minCapacity: 1, maxCapacity: 4, ...opts.target }, { resourceId: [endpoint] });
            if (opts.target !== null) out.push(target);
            if (opts.policy !== null) {
                out.push(
                    res(SCALING, "scaling", {
                        serviceNamespace: "sagemaker",
                        scalableDimension: "sagemaker:variant:DesiredInstanceCount",
                        resourceId,
                        policyType: "TargetTrackingScaling",
                        targetTrackingScalingPolicyConfiguration: { targetValue: 5, scaleInCooldown: 30, scaleOutCooldown: 30, predefinedMetricSpecification: { predefinedMetricType: "SageMakerVariantInvocationsPerInstance" } },
                        ...opts.policy,
                    }, { resourceId: [endpoint] }),
                );
            }
            return out;
        };
        it("accepts an instance variant with a target and a target-tracking policy with cooldowns", async () => {
            assertNone(await check("sagemaker-endpoint-autoscaling", stack()));
        });
        it("joins through property dependencies when names are unknown (preview)", async () => {
            assertNone(await check("sagemaker-endpoint-autoscaling", stack({ unknownName: true })));
        });
        it("serverless variants need no scaling target", async () => {
            assertNone(await check("sagemaker-endpoint-autoscaling", stack({ serverless: true, target: null, policy: null })));
        });
        it("rejects a missing target, a missing policy, bad bounds and missing cooldowns", async () => {
            assertViolation(await check("sagemaker-endpoint-autoscaling", stack({ target: null, policy: null })), "endpoint ep variant primary has no autoscaling target", 1);
            assertViolation(await check("sagemaker-endpoint-autoscaling", stack({ policy: null })), "has no TargetTrackingScaling or StepScaling policy", 1);
            assertViolation(await check("sagemaker-endpoint-autoscaling", stack({ target: { minCapacity: 3, maxCapacity: 2 } })), "maxCapacity 2 < minCapacity 3", 1);
            assertViolation(await check("sagemaker-endpoint-autoscaling", stack({ target: { minCapacity: 0 } })), "minCapacity 0 < 1", 1);
            const noCooldown = await check("sagemaker-endpoint-autoscaling", stack({ policy: { targetTrackingScalingPolicyConfiguration: { targetValue: 5 } } }));
            assertViolation(noCooldown, "does not set scaleInCooldown");
            assertViolation(noCooldown, "does not set scaleOutCooldown");
        });
        it("cooldown bounds come from config", async () => {
            assertViolation(await check("sagemaker-endpoint-autoscaling", stack(), { minCooldownSeconds: 60 }), "scaleInCooldown 30s is outside 60..3600s");
        });
        it("a target for another variant does not count", async () => {
            assertViolation(await check("sagemaker-endpoint-autoscaling", stack({ target: { resourceId: "endpoint/ep-1234/variant/other" }, policy: { resourceId: "endpoint/ep-1234/variant/other" } })), "has no autoscaling target");
        });
    });
});

describe("policies: sagemaker-notebook-idle-stop (stack)", () => {
    const LIFECYCLE = "aws:sagemaker/notebookInstanceLifecycleConfiguration:NotebookInstanceLifecycleConfiguration";
    it("accepts a notebook whose lifecycle configuration has an onStart script (joined by name or dependency)", async () => {
        const lc = res(LIFECYCLE, "idle", { name: "mlops-dev-idle-stop", onStart: Buffer.from("#!/bin/bash\n").toString("base64") });
        assertNone(await check("sagemaker-notebook-idle-stop", [lc, res(NOTEBOOK, "nb", { ...hardenedNotebook, lifecycleConfigName: "mlops-dev-idle-stop" })]));
        assertNone(await check("sagemaker-notebook-idle-stop", [lc, res(NOTEBOOK, "nb", { ...hardenedNotebook, lifecycleConfigName: UNKNOWN_STRING }, { lifecycleConfigName: [lc] })]));
    });
    it("rejects a notebook with no lifecycle configuration, or one without onStart", async () => {
        assertViolation(await check("sagemaker-notebook-idle-stop", [res(NOTEBOOK, "nb", hardenedNotebook)]), "notebook nb has no lifecycle configuration", 1);
        const lc = res(LIFECYCLE, "setup", { name: "setup", onCreate: Buffer.from("pip install x").toString("base64") });
        assertViolation(await check("sagemaker-notebook-idle-stop", [lc, res(NOTEBOOK, "nb", { ...hardenedNotebook, lifecycleConfigName: "setup" })]), "lifecycle configuration setup has no onStart script", 1);
    });
});
