import * as assert from "assert";
import { estimateStackCost } from "../../policies/cost/estimate";
import { EC2_USD_PER_HOUR, PRICES_AS_OF, SAGEMAKER_USD_PER_HOUR, SPOT_DISCOUNT } from "../../policies/cost/prices";
import { INSTANCE_TYPES } from "../../config";
import type { PlanResource } from "../../plan/policy-engine";
import { assertNone, assertViolation, check, res } from "./helpers";

/** A dev-like stack: notebook, instance endpoint 1..4, two alarms, single/multi spot runs, tuning, GPU trainer. */
function devStack(over: { endpointType?: string; multiCount?: number; provisioned?: number; kms?: boolean } = {}): PlanResource[] {
    const config = res("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "cfg", {
        name: "cfg-1",
        productionVariants: [{ variantName: "primary", instanceType: over.endpointType ?? "ml.m5.large", initialInstanceCount: 1 }],
    });
    const job = (name: string, count: number) =>
        res("aws:sagemaker/trainingJob:TrainingJob", name, {
            trainingJobName: `mlops-dev-${name}`,
            resourceConfig: { instanceType: "ml.m5.xlarge", instanceCount: count, volumeSizeInGb: 30 },
            stoppingCondition: { maxRuntimeInSeconds: 7200, maxWaitTimeInSeconds: 14400 },
            enableManagedSpotTraining: true,
        });
    const out: PlanResource[] = [
        res("aws:sagemaker/notebookInstance:NotebookInstance", "nb", { instanceType: "ml.t3.medium", volumeSize: 5 }),
        config,
        res("aws:sagemaker/endpoint:Endpoint", "ep", { name: "ep-1", endpointConfigName: "cfg-1" }),
        res("aws:appautoscaling/target:Target", "target", { serviceNamespace: "sagemaker", resourceId: "endpoint/ep-1/variant/primary", minCapacity: 1, maxCapacity: 4 }),
        res("aws:cloudwatch/metricAlarm:MetricAlarm", "errors", {}),
        res("aws:cloudwatch/metricAlarm:MetricAlarm", "latency", {}),
        job("single", 1),
        job("multi", over.multiCount ?? 3),
        res("aws:sagemaker/hyperParameterTuningJob:HyperParameterTuningJob", "tuning", {
            config: { strategy: "Bayesian", resourceLimits: { maxNumberOfTrainingJobs: 2, maxParallelTrainingJobs: 2 } },
            trainingJobDefinition: { resourceConfig: { instanceType: "ml.m5.xlarge", instanceCount: 1 }, stoppingCondition: { maxRuntimeInSeconds: 7200 }, enableManagedSpotTraining: true },
        }),
        res("aws:ec2/instance:Instance", "trainer", { instanceType: "g4dn.xlarge", instanceInitiatedShutdownBehavior: "terminate", instanceMarketOptions: { marketType: "spot" }, rootBlockDevice: { volumeSize: 100, encrypted: true } }),
    ];
    if (over.provisioned) {
        out.push(res("aws:lambda/function:Function", "fn", { name: "fn-1", memorySize: 512 }));
        out.push(res("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig", "pc", { functionName: "fn-1", qualifier: "live", provisionedConcurrentExecutions: over.provisioned }));
    }
    if (over.kms) out.push(res("aws:kms/key:Key", "key", { enableKeyRotation: true }));
    return out;
}

describe("policies: cost estimate (policies/cost/estimate.ts)", () => {
    it("prices the always-on month line by line from the dated table", () => {
        const e = estimateStackCost(devStack({ provisioned: 2, kms: true }));
        assert.strictEqual(e.pricesAsOf, PRICES_AS_OF);
        assert.strictEqual(e.region, "us-east-1");
        const byName = Object.fromEntries(e.monthly.lines.map((l) => [l.name, l.usd]));
        assert.strictEqual(byName.nb, 37.2); // 0.05 x 730 + 5 GB x 0.14
        assert.strictEqual(byName.cfg, 83.95); // ml.m5.large 0.115 x 1 x 730
        assert.strictEqual(byName.pc, 10.95); // 2 x 0.5 GB x 2,628,000 s x 0.0000041667
        assert.strictEqual(byName.key, 1);
        assert.strictEqual(byName.errors, 0.1);
        assert.strictEqual(e.monthly.totalUsd, 133.3);
        assert.strictEqual(e.peakMonthlyUsd, 385.15); // + 3 more ml.m5.large at autoscaling max 4
        assert.deepStrictEqual(e.unpriced, []);
        assert.ok(e.assumptions.some((a) => a.includes(`${Math.round(SPOT_DISCOUNT * 100)}% below on-demand`)));
    });

    it("prices one run per training job, the tuning job and the EC2 trainer, spot discount stated", () => {
        const e = estimateStackCost(devStack());
        const single = e.trainingRuns.find((r) => r.name === "single")!;
        const multi = e.trainingRuns.find((r) => r.name === "multi")!;
        assert.strictEqual(single.onDemandUsd, 0.46); // 0.23 x 1 x 2 h
        assert.strictEqual(single.usd, 0.18); // x (1 - 0.6)
        assert.strictEqual(multi.onDemandUsd, 1.38);
        assert.strictEqual(e.tuningJobs[0].onDemandUsd, 0.92); // 2 jobs x 0.23 x 2 h
        assert.strictEqual(e.ec2Runs[0].onDemandUsd, 4.3); // 0.526 x 8 h + 100 GB gp3 for 8 h
        assert.strictEqual(e.ec2Runs[0].usd, 1.72);
        const noDiscount = estimateStackCost(devStack(), { applySpotDiscount: false });
        assert.strictEqual(noDiscount.trainingRuns.find((r) => r.name === "single")!.usd, 0.46);
    });

    it("caps a tuning job by its own runtime limit and lists what it cannot price", () => {
        const tuning = res("aws:sagemaker/hyperParameterTuningJob:HyperParameterTuningJob", "t", {
            config: { resourceLimits: { maxNumberOfTrainingJobs: 100, maxParallelTrainingJobs: 2, maxRuntimeInSeconds: 3600 } },
            trainingJobDefinition: { resourceConfig: { instanceType: "ml.m5.xlarge", instanceCount: 1 }, stoppingCondition: { maxRuntimeInSeconds: 7200 } },
        });
        const e = estimateStackCost([tuning, res("aws:sagemaker/notebookInstance:NotebookInstance", "nb", { instanceType: "ml.x9.huge" })]);
        assert.strictEqual(e.tuningJobs[0].onDemandUsd, 0.46); // 2 parallel x 0.23 x 1 h, not 100 x 0.46
        assert.deepStrictEqual(e.unpriced.map((u) => u.reason), ["no price for notebook instance type ml.x9.huge"]);
    });

    it("matches an endpoint to its config by namePrefix (inputs) and, when unknown (preview), one to one", () => {
        const stack = (endpointConfigName: string, configProps: Record<string, unknown>) => [
            res("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "cfg", { ...configProps, productionVariants: [{ variantName: "primary", instanceType: "ml.m5.large", initialInstanceCount: 1 }] }),
            res("aws:sagemaker/endpoint:Endpoint", "ep", { name: "ep-1", endpointConfigName }),
            res("aws:appautoscaling/target:Target", "t", { serviceNamespace: "sagemaker", resourceId: "endpoint/ep-1/variant/primary", minCapacity: 2, maxCapacity: 4 }),
        ];
        for (const s of [stack("cfg-abc1234", { namePrefix: "cfg-" }), stack("04da6b54-80e4-46f7-96ec-b56ff0331ba9", {})]) {
            const e = estimateStackCost(s);
            assert.strictEqual(e.monthly.totalUsd, 167.9); // minCapacity 2 x 0.115 x 730
            assert.strictEqual(e.peakMonthlyUsd, 335.8); // maxCapacity 4
        }
    });

    it("every instance type the program accepts has a price", () => {
        // config.ts lists the instance types each resource kind accepts; the estimate must price them all.
        const missing: string[] = [];
        for (const [kind, types] of Object.entries(INSTANCE_TYPES)) {
            for (const t of types) if ((kind === "ec2" ? EC2_USD_PER_HOUR : SAGEMAKER_USD_PER_HOUR)[t] === undefined) missing.push(`${kind}:${t}`);
        }
        assert.deepStrictEqual(missing, []);
    });
});

describe("policies: cost-budget", () => {
    it("passes the dev stack within dev budgets", async () => {
        assertNone(await check("cost-budget", devStack(), { maxMonthlyUsd: 300, maxTrainingRunUsd: 10, maxTuningUsd: 20, maxEc2RunUsd: 10 }));
    });
    it("fails an ml.p4d.24xlarge endpoint above the monthly budget, naming the biggest line", async () => {
        const v = await check("cost-budget", devStack({ endpointType: "ml.p4d.24xlarge" }), { maxMonthlyUsd: 300 });
        assertViolation(v, ["exceeds the budget $300.00", "cfg $27512.24", "ml.p4d.24xlarge"], 1);
        assert.strictEqual(v[0].resourceName, "cfg");
    });
    it("fails a training run and a tuning job above their budgets", async () => {
        const v = await check("cost-budget", devStack({ multiCount: 40 }), { maxTrainingRunUsd: 1, maxTuningUsd: 0.1 });
        assertViolation(v, "training job multi may cost $7.36 per run");
        assertViolation(v, "tuning job tuning may cost $0.37");
        assert.strictEqual(v.length, 2);
    });
    it("without the spot assumption the same runs cost more", async () => {
        assertNone(await check("cost-budget", devStack(), { maxTrainingRunUsd: 1 }));
        assertViolation(await check("cost-budget", devStack(), { maxTrainingRunUsd: 1, applySpotDiscount: false }), "training job multi may cost $1.38");
    });
    it("reports unpriced instance types unless told not to", async () => {
        const stack = [res("aws:sagemaker/notebookInstance:NotebookInstance", "nb", { instanceType: "ml.x9.huge" })];
        assertViolation(await check("cost-budget", stack), "nb cannot be priced", 1);
        assertNone(await check("cost-budget", stack, { failOnUnpriced: false }));
    });
});
