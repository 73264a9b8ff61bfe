import * as assert from "assert";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ModelEndpoint } from "../../components/model-endpoint";
import { ModelRelease } from "../../components/model-release";
import {
    judgeAgainstBar, judgeAgainstServing, QualityGateInputs, qualityGateProvider, trainingJobOfArtifact,
} from "../../components/quality-gate";
import { finalMetrics, trainingMetricsProvider } from "../../components/training-metrics";
import { MOCK_FINAL_METRICS, PipelineMocks } from "../../plan/mocks";
import type { ProgramRun } from "../../plan/run-program";
import { fakeSageMakerEnv, FakeSageMaker, SageMakerError, startFakeSageMaker } from "../support/fake-sagemaker";
import { defined, ofType, one, oneOf, outputsOf, runStack, stackOutputs } from "../support/program";
import METRICS from "../../training/metrics.json";

const NAMES: string[] = METRICS.definitions.map((d: { Name: string }) => d.Name);
const QUALITY: string = METRICS.qualityGate.name;

const JOB = "mlops-dev-single-0123456789";
const ARTIFACT = `s3://mlops-dev-data-1a2b3c/training/${JOB}/output/model.tar.gz`;
const metricsReader = trainingMetricsProvider;
const gateProvider = qualityGateProvider;
const candidate = (over: Partial<QualityGateInputs> = {}): QualityGateInputs => ({
    runName: "single",
    trainingJobName: JOB,
    modelDataUrl: ARTIFACT,
    metrics: { "Test Loss": 0.71, "Test Accuracy": 0.81 },
    metricName: QUALITY,
    minimum: 0.5,
    requireNoWorseThanServing: false,
    endpointName: "mlops-dev-endpoint",
    region: "us-east-1",
    ...over,
});

describe("quality gate", () => {
    it("judges the metric training/metrics.json names for the gate, one SageMaker scrapes", () => {
        assert.strictEqual(QUALITY, "Test Accuracy");
        assert.ok(NAMES.includes(QUALITY));
        assert.strictEqual(METRICS.qualityGate.type, "Maximize");
    });

    describe("reading a job's final metrics", () => {
        it("takes each requested metric from FinalMetricDataList and lists what is missing", () => {
            const d = { TrainingJobStatus: "Completed", FinalMetricDataList: [
                { MetricName: "Test Loss", Value: 0.71, Timestamp: 1 }, { MetricName: "Train Loss", Value: 0.2 },
            ] };
            assert.deepStrictEqual(finalMetrics(d, NAMES), { metrics: { "Test Loss": 0.71 }, missing: ["Test Accuracy"] });
            assert.deepStrictEqual(finalMetrics({}, NAMES), { metrics: {}, missing: NAMES });
        });

        it("finds the training job behind an artifact by SageMaker's output layout", () => {
            assert.strictEqual(trainingJobOfArtifact(ARTIFACT), JOB);
            assert.strictEqual(trainingJobOfArtifact("s3://b/gpu-trainer/run-1/model.tar.gz"), undefined);
        });
    });

    describe("judging a candidate", () => {
        it("lets a run at or above the bar through with its value", () => {
            assert.strictEqual(judgeAgainstBar(candidate()), 0.81);
            assert.strictEqual(judgeAgainstBar(candidate({ minimum: 0.81 })), 0.81);
        });

        it("refuses a run below the bar, naming the run, its job, the metric and the bar", () => {
            assert.throws(() => judgeAgainstBar(candidate({ metrics: { "Test Accuracy": 0.412 } })), {
                message: `quality gate: run "single" (training job ${JOB}) has Test Accuracy 0.412, below the bar ` +
                    "mlops:endpoint.minTestAccuracy = 0.5; the endpoint keeps serving its current model",
            });
        });

        it("refuses a run that recorded no accuracy, saying what it did record", () => {
            assert.throws(() => judgeAgainstBar(candidate({ metrics: { "Test Loss": 0.7 } })),
                /run "single" \(training job mlops-dev-single-0123456789\) recorded no Test Accuracy \(SageMaker's final metrics for the job: Test Loss\)/);
        });

        it("compares with the serving model only when there is one, and refuses a worse run", () => {
            const i = candidate({ requireNoWorseThanServing: true });
            assert.strictEqual(judgeAgainstServing(i, 0.81, { kind: "none" }), "no model serves on mlops-dev-endpoint yet");
            assert.strictEqual(judgeAgainstServing(i, 0.81, { kind: "measured", modelDataUrl: ARTIFACT, trainingJobName: JOB, value: 0.9 }),
                "mlops-dev-endpoint already serves this model");
            assert.throws(() => judgeAgainstServing(i, 0.81, { kind: "measured", modelDataUrl: "s3://b/training/old/output/model.tar.gz", trainingJobName: "old", value: 0.84 }), {
                message: `quality gate: run "single" (training job ${JOB}) has Test Accuracy 0.81, worse than the model serving on mlops-dev-endpoint ` +
                    "(training job old, Test Accuracy 0.84; mlops:endpoint.requireNoWorseThanServing is on); the endpoint keeps serving its current model",
            });
            assert.throws(() => judgeAgainstServing(i, 0.81, { kind: "unmeasured", modelDataUrl: "s3://b/gpu-trainer/model.tar.gz", reason: "no job" }),
                /requireNoWorseThanServing is on, but the Test Accuracy of the model serving on mlops-dev-endpoint \(s3:\/\/b\/gpu-trainer\/model.tar.gz\) is unknown: no job/);
        });
    });

    describe("the dynamic providers against a SageMaker API on loopback", () => {
        let fake: FakeSageMaker;
        const saved = { ...process.env };
        let lines: string[];
        const log = console.log;
        beforeEach(async () => {
            fake = await startFakeSageMaker();
            Object.assign(process.env, fakeSageMakerEnv(fake));
            lines = [];
            console.log = (line: string) => void lines.push(line);
        });
        afterEach(async () => {
            console.log = log;
            process.env = saved;
            await fake.close();
        });

        const describedJob = (name: string, accuracy: number | undefined) => ({
            TrainingJobName: name,
            TrainingJobStatus: "Completed",
            FinalMetricDataList: [{ MetricName: "Test Loss", Value: 0.7, Timestamp: 1767225600 },
                ...(accuracy === undefined ? [] : [{ MetricName: "Test Accuracy", Value: accuracy, Timestamp: 1767225600 }])],
        });

        it("reads a job's final metrics with DescribeTrainingJob", async () => {
            fake.handlers.DescribeTrainingJob = body => describedJob(body.TrainingJobName as string, 0.8125);
            const result = await metricsReader.create({ trainingJobName: JOB, region: "us-east-1", metricNames: NAMES });
            assert.strictEqual(result.id, JOB);
            assert.deepStrictEqual(result.outs?.metrics, { "Test Loss": 0.7, "Test Accuracy": 0.8125 });
            assert.deepStrictEqual(result.outs.missing, []);
            assert.strictEqual(result.outs.status, "Completed");
            assert.deepStrictEqual(fake.requests, [{ operation: "DescribeTrainingJob", body: { TrainingJobName: JOB } }]);
        });

        it("passes a run above the bar without asking SageMaker anything, and says so", async () => {
            const result = await gateProvider.create(candidate());
            assert.strictEqual(result.outs?.approvedModelDataUrl, ARTIFACT);
            assert.strictEqual(result.outs.value, 0.81);
            assert.deepStrictEqual(fake.requests, []);
            assert.deepStrictEqual(lines, [`quality gate: run "single" (training job ${JOB}) passed with Test Accuracy 0.81 (bar 0.5; compared with the bar only)`]);
        });

        it("fails the deployment for a run below the bar", async () => {
            await assert.rejects(gateProvider.create(candidate({ minimum: 0.9 })),
                /run "single" \(training job mlops-dev-single-0123456789\) has Test Accuracy 0\.81, below the bar mlops:endpoint\.minTestAccuracy = 0\.9/);
        });

        it("follows the endpoint to the serving model's job and refuses a worse run", async () => {
            const servingJob = "mlops-dev-single-fedcba9876";
            fake.handlers.DescribeEndpoint = () => ({ EndpointName: "mlops-dev-endpoint", EndpointConfigName: "mlops-dev-endpoint-config-1a2b3c4" });
            fake.handlers.DescribeEndpointConfig = () => ({ ProductionVariants: [{ VariantName: "primary", ModelName: "mlops-dev-endpoint-model-5d6e7f8" }] });
            fake.handlers.DescribeModel = () => ({ PrimaryContainer: { ModelDataUrl: `s3://mlops-dev-data-1a2b3c/training/${servingJob}/output/model.tar.gz` } });
            fake.handlers.DescribeTrainingJob = body => describedJob(body.TrainingJobName as string, 0.86);
            await assert.rejects(gateProvider.create(candidate({ requireNoWorseThanServing: true })),
                /has Test Accuracy 0\.81, worse than the model serving on mlops-dev-endpoint \(training job mlops-dev-single-fedcba9876, Test Accuracy 0\.86/);
            assert.deepStrictEqual(fake.requests.map(r => r.operation), ["DescribeEndpoint", "DescribeEndpointConfig", "DescribeModel", "DescribeTrainingJob"]);
            assert.deepStrictEqual(fake.requests[1].body, { EndpointConfigName: "mlops-dev-endpoint-config-1a2b3c4" });
            assert.deepStrictEqual(fake.requests[2].body, { ModelName: "mlops-dev-endpoint-model-5d6e7f8" });
            assert.deepStrictEqual(fake.requests[3].body, { TrainingJobName: servingJob });

            fake.handlers.DescribeTrainingJob = body => describedJob(body.TrainingJobName as string, 0.79);
            const passed = await gateProvider.create(candidate({ requireNoWorseThanServing: true }));
            assert.strictEqual(passed.outs?.comparedWith, `training job ${servingJob} serving on mlops-dev-endpoint (Test Accuracy 0.79)`);
        });

        it("treats a missing endpoint as nothing serving yet", async () => {
            fake.handlers.DescribeEndpoint = () => { throw new SageMakerError("ValidationException", "Could not find endpoint \"mlops-dev-endpoint\"."); };
            const result = await gateProvider.create(candidate({ requireNoWorseThanServing: true }));
            assert.strictEqual(result.outs?.comparedWith, "no model serves on mlops-dev-endpoint yet");
        });

        it("refuses to compare with a serving model whose metric it cannot read", async () => {
            fake.handlers.DescribeEndpoint = () => ({ EndpointConfigName: "c" });
            fake.handlers.DescribeEndpointConfig = () => ({ ProductionVariants: [{ ModelName: "m" }] });
            fake.handlers.DescribeModel = () => ({ PrimaryContainer: { ModelDataUrl: "s3://mlops-dev-data-1a2b3c/gpu-trainer/model.tar.gz" } });
            await assert.rejects(gateProvider.create(candidate({ requireNoWorseThanServing: true })),
                /is unknown: its artifact is not a SageMaker training job's output/);
        });

        it("judges a new model on update, but not the serving one again when only the bar changed", async () => {
            const first = defined((await gateProvider.create(candidate())).outs, "the gate's outputs");
            const higherBar = candidate({ minimum: 0.95 });
            assert.strictEqual((await gateProvider.diff!("e", first, higherBar)).changes, true);
            const kept = defined((await gateProvider.update!("e", first, higherBar)).outs, "the gate's outputs after the update");
            assert.strictEqual(kept.approvedModelDataUrl, ARTIFACT);
            const next = candidate({ minimum: 0.95, trainingJobName: "mlops-dev-single-aaaaaaaaaa", modelDataUrl: ARTIFACT.replace(JOB, "mlops-dev-single-aaaaaaaaaa") });
            await assert.rejects(gateProvider.update!("e", kept, next), /below the bar mlops:endpoint\.minTestAccuracy = 0\.95/);
            assert.strictEqual((await gateProvider.diff!("e", first, candidate())).changes, false);
        });
    });

    describe("in the program, under mocks", () => {
        let dev: ProgramRun;
        before(async () => {
            dev = await runStack("dev");
        });

        it("reads every run's final metrics and exports them with links to each job", () => {
            const readers = ofType(dev, "pulumi-nodejs:dynamic/mlops:TrainingMetrics");
            const jobs = ofType(dev, "aws:sagemaker/trainingJob:TrainingJob").map(j => j.props.trainingJobName).sort();
            assert.deepStrictEqual(readers.map(r => r.props.trainingJobName).sort(), jobs);
            for (const r of readers) assert.deepStrictEqual(r.props.metricNames, NAMES);
            const out = defined(stackOutputs(dev).trainingJobs, "the training jobs output");
            assert.deepStrictEqual(Object.keys(out).sort(), ["multi", "single"]);
            for (const run of Object.values(out)) {
                assert.deepStrictEqual(run.metrics, MOCK_FINAL_METRICS);
                assert.strictEqual(run.links.console, `https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/jobs/${run.jobName}`);
                assert.strictEqual(run.links.logs, "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/" +
                    `$252Faws$252Fsagemaker$252FTrainingJobs$3FlogStreamNameFilter$3D${run.jobName}`);
            }
        });

        it("gates the deployed run with the stack's bar, and the Model serves only what the gate approved", () => {
            const gate = one(dev, "pulumi-nodejs:dynamic/mlops:QualityGate");
            const single = oneOf(dev, aws.sagemaker.TrainingJob, "single");
            assert.strictEqual(gate.props.runName, "single");
            assert.strictEqual(gate.props.trainingJobName, single.props.trainingJobName);
            assert.strictEqual(gate.props.metricName, QUALITY);
            assert.strictEqual(gate.props.minimum, 0.5);
            assert.strictEqual(gate.props.requireNoWorseThanServing, false);
            assert.strictEqual(gate.props.endpointName, outputsOf(one(dev, "aws:sagemaker/endpoint:Endpoint")).name);
            const model = oneOf(dev, aws.sagemaker.Model);
            assert.strictEqual(model.props.primaryContainer?.modelDataUrl, outputsOf(gate).approvedModelDataUrl);
            assert.ok(model.propertyDependencies?.primaryContainer?.includes(gate.urn), "the Model's artifact comes from the gate");
            const outputs = stackOutputs(dev);
            assert.deepStrictEqual(outputs.qualityGate, { run: "single", metric: QUALITY, value: MOCK_FINAL_METRICS[QUALITY], minimum: 0.5, comparedWith: "the bar only" });
            assert.strictEqual(outputs.deployedModelDataUrl,
                `s3://${outputs.bucketName}/training/${defined(single.props.trainingJobName, "single's job name")}/output/model.tar.gz`);
        });

        it("prod also requires a new model to be no worse than the serving one", async () => {
            const prod = await runStack("prod");
            const gate = one(prod, "pulumi-nodejs:dynamic/mlops:QualityGate");
            assert.strictEqual(gate.props.runName, "multi");
            assert.strictEqual(gate.props.requireNoWorseThanServing, true);
            assert.strictEqual(gate.props.minimum, 0.7);
        });

        it("fails the preview of a stack whose run is below its bar, naming run, metric and bar", async () => {
            await assert.rejects(runStack("dev", { "mlops:endpoint": { minTestAccuracy: 0.9 } }),
                /quality gate: run "single" \(training job mlops-dev-single-[0-9a-f]+\) has Test Accuracy 0\.8125, below the bar mlops:endpoint\.minTestAccuracy = 0\.9; the endpoint keeps serving its current model/);
        });

        it("registers no Model, EndpointConfiguration or Endpoint after a failed gate", async () => {
            const mocks = new PipelineMocks();
            await pulumi.runtime.setMocks(mocks, "mlops", "dev", false);
            const failures: unknown[] = [];
            const onRejection = (e: unknown) => void failures.push(e);
            process.on("unhandledRejection", onRejection);
            try {
                const release = new ModelRelease("gate-test", {
                    region: "us-east-1",
                    endpointName: "gate-test-endpoint",
                    runs: [{ name: "single", jobName: JOB, modelDataUrl: ARTIFACT }],
                    deployRun: "single",
                    minTestAccuracy: 0.99,
                    requireNoWorseThanServing: false,
                });
                new ModelEndpoint("gate-test-endpoint", {
                    context: { accountId: pulumi.output("123456789012"), partition: pulumi.output("aws"), region: "us-east-1" },
                    namePrefix: "gate-test",
                    modelDataUrl: release.approvedModelDataUrl,
                    inferenceImage: "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5.1-cpu-py311",
                    variant: { kind: "instance", instanceType: "ml.m5.large", minInstances: 1, maxInstances: 2, targetInvocationsPerInstance: 5, scaleInCooldownSeconds: 30, scaleOutCooldownSeconds: 30 },
                    trafficShift: "ALL_AT_ONCE", canaryPercent: 25, waitIntervalSeconds: 300, terminationWaitSeconds: 300, latencyAlarmMs: 2000, errorAlarmCount: 5,
                });
                await new Promise(resolve => setTimeout(resolve, 500));
            } finally {
                process.off("unhandledRejection", onRejection);
            }
            assert.ok(failures.some(e => /below the bar mlops:endpoint\.minTestAccuracy = 0\.99/.test(String((e as Error)?.message ?? e))), `failures: ${failures.map(String).join("; ")}`);
            assert.strictEqual(mocks.ofType("pulumi-nodejs:dynamic/mlops:TrainingMetrics").length, 1, "the run's metrics were still read");
            for (const type of ["aws:sagemaker/model:Model", "aws:sagemaker/endpointConfiguration:EndpointConfiguration", "aws:sagemaker/endpoint:Endpoint"]) {
                assert.deepStrictEqual(mocks.ofType(type), [], `${type} must not be registered after a failed gate`);
            }
        });
    });
});
