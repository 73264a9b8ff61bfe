import * as assert from "assert";
import { assertNone, assertViolation, check, res } from "./helpers";

const NOTEBOOK = "aws:sagemaker/notebookInstance:NotebookInstance";
const TRAINING = "aws:sagemaker/trainingJob:TrainingJob";
const TUNING = "aws:sagemaker/hyperParameterTuningJob:HyperParameterTuningJob";
const CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration";
const TARGET = "aws:appautoscaling/target:Target";
const EC2 = "aws:ec2/instance:Instance";

let jobs = 0;
const training = (over: Record<string, unknown> = {}) =>
    res(TRAINING, `job${++jobs}`, {
        trainingJobName: "mlops-dev-single-abc",
        resourceConfig: { instanceType: "ml.m5.xlarge", instanceCount: 1, volumeSizeInGb: 30 },
        stoppingCondition: { maxRuntimeInSeconds: 7200, maxWaitTimeInSeconds: 14400 },
        enableManagedSpotTraining: true,
        checkpointConfig: { s3Uri: "s3://bucket/checkpoints/single" },
        ...over,
    });

const tuning = (over: Record<string, unknown> = {}, def: Record<string, unknown> = {}) =>
    res(TUNING, "tuning", {
        config: { strategy: "Bayesian", resourceLimits: { maxNumberOfTrainingJobs: 2, maxParallelTrainingJobs: 2 }, ...over },
        trainingJobDefinition: {
            resourceConfig: { instanceType: "ml.m5.xlarge", instanceCount: 1, volumeSizeInGb: 30 },
            stoppingCondition: { maxRuntimeInSeconds: 7200, maxWaitTimeInSeconds: 14400 },
            enableManagedSpotTraining: true,
            checkpointConfig: { s3Uri: "s3://bucket/checkpoints/tuning" },
            ...def,
        },
    });

describe("policies: instance types and counts", () => {
    it("sagemaker-notebook-instance-type: default allow-list, stack allow-list and volume cap", async () => {
        assertNone(await check("sagemaker-notebook-instance-type", [res(NOTEBOOK, "nb", { instanceType: "ml.t3.medium", volumeSize: 5 })]));
        assertViolation(await check("sagemaker-notebook-instance-type", [res(NOTEBOOK, "nb", { instanceType: "ml.p3.2xlarge" })]), "instanceType ml.p3.2xlarge is not allowed", 1);
        assertViolation(await check("sagemaker-notebook-instance-type", [res(NOTEBOOK, "nb", { instanceType: "ml.t3.large" })], { allowedInstanceTypes: ["ml.t3.medium"] }), "allowed: ml.t3.medium");
        assertViolation(await check("sagemaker-notebook-instance-type", [res(NOTEBOOK, "nb", { instanceType: "ml.t3.medium", volumeSize: 500 })]), "volumeSize 500 GB exceeds 50 GB", 1);
    });

    describe("sagemaker-training-limits", () => {
        it("accepts the by-hand project's single and multi runs", async () => {
            assertNone(await check("sagemaker-training-limits", [training(), training({ resourceConfig: { instanceType: "ml.m5.xlarge", instanceCount: 3 } })]));
        });
        it("rejects a type off the list, too many instances, a long runtime, and a missing runtime", async () => {
            const v = await check("sagemaker-training-limits", [
                training({ resourceConfig: { instanceType: "ml.p4d.24xlarge", instanceCount: 8 } }),
                training({ stoppingCondition: { maxRuntimeInSeconds: 5 * 86400 } }),
                training({ stoppingCondition: undefined }),
            ]);
            assertViolation(v, "instance type ml.p4d.24xlarge is not allowed");
            assertViolation(v, "instance count 8 exceeds 4");
            assertViolation(v, "maxRuntimeInSeconds 432000 exceeds 86400");
            assertViolation(v, "maxRuntimeInSeconds is not set");
            assert.strictEqual(v.length, 4);
        });
        it("uses the stack's limits from config", async () => {
            assertViolation(await check("sagemaker-training-limits", [training({ resourceConfig: { instanceType: "ml.m5.xlarge", instanceCount: 3 } })], { maxInstanceCount: 2 }), "instance count 3 exceeds 2");
            assertViolation(await check("sagemaker-training-limits", [training()], { maxRuntimeSeconds: 3600 }), "7200 exceeds 3600");
        });
    });

    describe("sagemaker-tuning-limits", () => {
        it("accepts the by-hand project's tuning job", async () => {
            assertNone(await check("sagemaker-tuning-limits", [tuning()]));
        });
        it("rejects too many jobs, too much parallelism, a per-job type off the list and multi-instance jobs", async () => {
            const v = await check("sagemaker-tuning-limits", [tuning({ resourceLimits: { maxNumberOfTrainingJobs: 100, maxParallelTrainingJobs: 10 } }, { resourceConfig: { instanceType: "ml.g5.48xlarge", instanceCount: 2 } })]);
            assertViolation(v, "maxNumberOfTrainingJobs 100 exceeds 20");
            assertViolation(v, "maxParallelTrainingJobs 10 exceeds 4");
            assertViolation(v, "trainingJobDefinition: instance type ml.g5.48xlarge is not allowed");
            assertViolation(v, "trainingJobDefinition: instance count 2 exceeds 1");
        });
        it("checks every entry of trainingJobDefinitions and the limits from config", async () => {
            const job = res(TUNING, "t", {
                config: { strategy: "Random", resourceLimits: { maxNumberOfTrainingJobs: 4, maxParallelTrainingJobs: 2 } },
                trainingJobDefinitions: [
                    { resourceConfig: { instanceType: "ml.m5.xlarge", instanceCount: 1 }, stoppingCondition: { maxRuntimeInSeconds: 3600 } },
                    { resourceConfig: { instanceType: "ml.c5.9xlarge", instanceCount: 1 }, stoppingCondition: { maxRuntimeInSeconds: 3600 } },
                ],
            });
            assertViolation(await check("sagemaker-tuning-limits", [job]), "trainingJobDefinitions[1]: instance type ml.c5.9xlarge", 1);
            assertViolation(await check("sagemaker-tuning-limits", [tuning()], { maxTrainingJobs: 1, maxParallelTrainingJobs: 1 }), "maxNumberOfTrainingJobs 2 exceeds 1");
        });
    });

    describe("sagemaker-training-spot", () => {
        it("accepts resumable spot jobs, and on-demand jobs unless spot is required", async () => {
            assertNone(await check("sagemaker-training-spot", [training(), tuning()]));
            assertNone(await check("sagemaker-training-spot", [training({ enableManagedSpotTraining: false })]));
        });
        it("requires spot where configured", async () => {
            const v = await check("sagemaker-training-spot", [training({ enableManagedSpotTraining: false }), tuning({}, { enableManagedSpotTraining: undefined })], { requireSpot: true });
            assertViolation(v, "enableManagedSpotTraining is not true");
            assert.strictEqual(v.length, 2);
        });
        it("rejects spot jobs that cannot resume or wait less than they run", async () => {
            const v = await check("sagemaker-training-spot", [
                training({ checkpointConfig: undefined }),
                training({ stoppingCondition: { maxRuntimeInSeconds: 7200, maxWaitTimeInSeconds: 3600 } }),
                training({ stoppingCondition: { maxRuntimeInSeconds: 7200 } }),
            ]);
            assertViolation(v, "without checkpointConfig.s3Uri");
            assertViolation(v, "maxWaitTimeInSeconds 3600 < maxRuntimeInSeconds 7200");
            assertViolation(v, "without stoppingCondition.maxWaitTimeInSeconds");
            assert.strictEqual(v.length, 3);
        });
    });

    describe("sagemaker-endpoint-instance-limits", () => {
        it("accepts ml.m5.large x 1 and a small serverless variant", async () => {
            assertNone(await check("sagemaker-endpoint-instance-limits", [res(CONFIG, "c", { productionVariants: [{ variantName: "primary", instanceType: "ml.m5.large", initialInstanceCount: 1 }] })]));
            assertNone(await check("sagemaker-endpoint-instance-limits", [res(CONFIG, "c", { productionVariants: [{ variantName: "primary", serverlessConfig: { memorySizeInMb: 2048, maxConcurrency: 5 } }] })]));
        });
        it("rejects ml.p4d.24xlarge, large initial counts and oversized serverless variants", async () => {
            const v = await check("sagemaker-endpoint-instance-limits", [
                res(CONFIG, "big", { productionVariants: [{ variantName: "primary", instanceType: "ml.p4d.24xlarge", initialInstanceCount: 10 }] }),
                res(CONFIG, "sls", { productionVariants: [{ variantName: "primary", serverlessConfig: { memorySizeInMb: 6144, maxConcurrency: 200 } }] }),
            ]);
            assertViolation(v, "instanceType ml.p4d.24xlarge is not allowed");
            assertViolation(v, "initialInstanceCount 10 exceeds 2");
            assertViolation(v, "maxConcurrency 200 exceeds 20");
            assert.strictEqual(v.length, 3);
        });
        it("config can forbid serverless and tighten memory", async () => {
            const sls = [res(CONFIG, "sls", { productionVariants: [{ serverlessConfig: { memorySizeInMb: 4096, maxConcurrency: 5 } }] })];
            assertViolation(await check("sagemaker-endpoint-instance-limits", sls, { allowServerless: false }), "serverless, which this stack does not allow");
            assertViolation(await check("sagemaker-endpoint-instance-limits", sls, { maxServerlessMemoryMb: 3072 }), "memorySizeInMb 4096 exceeds 3072");
        });
    });

    it("sagemaker-autoscaling-bounds: caps maxCapacity, requires min >= 1 and min <= max; ignores other namespaces", async () => {
        const target = (min: number, max: number, ns = "sagemaker") => res(TARGET, `t${min}-${max}-${ns}`, { serviceNamespace: ns, resourceId: "endpoint/e/variant/v", scalableDimension: "sagemaker:variant:DesiredInstanceCount", minCapacity: min, maxCapacity: max });
        assertNone(await check("sagemaker-autoscaling-bounds", [target(1, 4), target(0, 100, "dynamodb")]));
        const v = await check("sagemaker-autoscaling-bounds", [target(1, 40), target(0, 2), target(3, 2)]);
        assertViolation(v, "maxCapacity 40 exceeds 4");
        assertViolation(v, "minCapacity 0 < 1");
        assertViolation(v, "maxCapacity 2 < minCapacity 3");
        assertNone(await check("sagemaker-autoscaling-bounds", [target(1, 40)], { maxCapacity: 40 }));
    });

    it("ec2-instance-type: allow-list", async () => {
        assertNone(await check("ec2-instance-type", [res(EC2, "gpu", { instanceType: "g4dn.xlarge", rootBlockDevice: { volumeSize: 100 } })]));
        assertViolation(await check("ec2-instance-type", [res(EC2, "gpu", { instanceType: "p4d.24xlarge" })]), "instanceType p4d.24xlarge is not allowed", 1);
        assertViolation(await check("ec2-instance-type", [res(EC2, "gpu", { instanceType: "g5.xlarge" })], { allowedInstanceTypes: ["g4dn.xlarge"] }), "g5.xlarge is not allowed");
    });

    it("ec2-volume-size: root volume cap (and every other volume, see ec2.spec.ts)", async () => {
        assertNone(await check("ec2-volume-size", [res(EC2, "gpu", { instanceType: "g4dn.xlarge", rootBlockDevice: { volumeSize: 100 } })]));
        assertViolation(await check("ec2-volume-size", [res(EC2, "gpu", { instanceType: "g4dn.xlarge", rootBlockDevice: { volumeSize: 1000 } })]), "root volume 1000 GB exceeds 200 GB", 1);
        assertNone(await check("ec2-volume-size", [res(EC2, "gpu", { instanceType: "g4dn.xlarge", rootBlockDevice: { volumeSize: 1000 } })], { maxVolumeGb: 1000 }));
    });

    it("ec2-instance-count: at most maxInstances per stack, reported on the extra instances", async () => {
        const instances = [1, 2, 3].map((i) => res(EC2, `gpu${i}`, { instanceType: "g4dn.xlarge" }));
        assertNone(await check("ec2-instance-count", instances.slice(0, 2)));
        const v = await check("ec2-instance-count", instances);
        assertViolation(v, "instance gpu3 is number 3 of 3; the stack allows 2", 1);
        assert.strictEqual(v[0].resourceName, "gpu3");
        assert.strictEqual((await check("ec2-instance-count", instances, { maxInstances: 1 })).length, 2);
    });
});
