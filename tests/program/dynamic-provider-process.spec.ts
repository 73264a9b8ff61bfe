// Runs the stack's dynamic providers the way `pulumi up` runs them: serialised by
// @pulumi/pulumi's closure serialiser (as pulumi.dynamic.Resource does), loaded by the real
// dynamic-provider plugin process (`node @pulumi/pulumi/cmd/dynamic-provider <engine address>`,
// what the CLI's pulumi-resource-pulumi-nodejs starts), and called over its gRPC protocol with
// the stubs shipped in @pulumi/pulumi/proto, as the engine calls it. What the plugin writes to
// stdout after its port line is what the engine turns into diagnostics on the CLI (the engine's
// plugin loader forwards each stdout line of a dynamic-provider plugin as an info message).

import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import { CreateRequest } from "@pulumi/pulumi/proto/provider_pb";
import { type JavaScriptValue, Struct } from "google-protobuf/google/protobuf/struct_pb";
import { qualityGateProvider } from "../../components/quality-gate";
import { trainingMetricsProvider } from "../../components/training-metrics";
import { tuningResultProvider } from "../../components/tuning-result";
import { fakeSageMakerEnv, FakeSageMaker, startFakeSageMaker } from "../support/fake-sagemaker";
import { PROJECT_DIR } from "../support/program";

interface Plugin { child: ChildProcess; client: ResourceProviderClient; lines: string[]; stderr: () => string }

async function launchPlugin(env: Record<string, string>): Promise<Plugin> {
    const script = require.resolve("@pulumi/pulumi/cmd/dynamic-provider");
    // The first argument is the engine's address; nothing here calls back into it.
    const child = spawn(process.execPath, [script, "127.0.0.1:1"], { cwd: PROJECT_DIR, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", d => (stderr += d));
    const lines: string[] = [];
    let buffer = "";
    const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no port within 60 s; stderr:\n${stderr}`)), 60_000);
        child.stdout.on("data", d => {
            buffer += d;
            const parts = buffer.split("\n");
            buffer = parts.pop()!;
            lines.push(...parts);
            if (/^\d+$/.test(lines[0] ?? "")) {
                clearTimeout(timer);
                resolve(Number(lines[0]));
            }
        });
        child.on("exit", code => reject(new Error(`the plugin exited ${code}; stderr:\n${stderr}`)));
    });
    const client = new ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return { child, client, lines, stderr: () => stderr };
}

async function serialised(provider: pulumi.dynamic.ResourceProvider): Promise<string> {
    return (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
}

function create(plugin: Plugin, type: string, properties: Record<string, JavaScriptValue>): Promise<Record<string, unknown>> {
    const req = new CreateRequest();
    req.setUrn(`urn:pulumi:dev::mlops::pulumi-nodejs:dynamic/mlops:${type}::test`);
    req.setProperties(Struct.fromJavaScript(properties));
    return new Promise((resolve, reject) => plugin.client.create(req, (err, resp) =>
        (err ? reject(err) : resolve(resp.getProperties()?.toJavaScript() ?? {}))));
}

describe("dynamic providers in the real dynamic-provider plugin process", function () {
    this.timeout(120_000);
    let fake: FakeSageMaker;
    let plugin: Plugin;

    before(async () => {
        fake = await startFakeSageMaker();
        plugin = await launchPlugin(fakeSageMakerEnv(fake));
    });
    after(async () => {
        plugin?.client.close();
        plugin?.child.kill();
        await fake?.close();
    });

    it("survives serialisation, waits for the tuning job, and writes its progress to the plugin's stdout", async () => {
        let polls = 0;
        fake.handlers.DescribeHyperParameterTuningJob = () => {
            polls++;
            const config = { HyperParameterTuningJobObjective: { MetricName: "Test Loss", Type: "Minimize" }, ResourceLimits: { MaxNumberOfTrainingJobs: 2 } };
            if (polls < 3) return { HyperParameterTuningJobStatus: "InProgress", HyperParameterTuningJobConfig: config, TrainingJobStatusCounters: { Completed: polls - 1, InProgress: 3 - polls } };
            return {
                HyperParameterTuningJobStatus: "Completed", HyperParameterTuningJobConfig: config,
                BestTrainingJob: { TrainingJobName: "mlops-dev-hpo-1a2b3c4d-002-abcdef12", TunedHyperParameters: { "batch-size": "\"64\"" }, FinalHyperParameterTuningJobObjectiveMetric: { MetricName: "Test Loss", Value: 0.71 } },
            };
        };
        const outs = await create(plugin, "Resource", {
            __provider: await serialised(tuningResultProvider),
            tuningJobName: "mlops-dev-hpo-1a2b3c4d", region: "us-east-1", waitTimeoutMinutes: 1, pollSeconds: 0.05, progressMinutes: 0.0005,
        });
        assert.deepStrictEqual(outs.bestHyperparameters, { "batch-size": "64" });
        const progress = plugin.lines.slice(1);
        assert.ok(progress.some(l => l.startsWith("waiting for tuning job mlops-dev-hpo-1a2b3c4d (up to 1 min): https://")), progress.join("\n"));
        assert.ok(progress.includes("tuning job mlops-dev-hpo-1a2b3c4d: 0 of 2 trials completed (2 running); no trial has reported the objective yet; waited 0 min"), progress.join("\n"));
        assert.ok(progress.some(l => l.startsWith("tuning job mlops-dev-hpo-1a2b3c4d: 1 of 2 trials completed (1 running)")), progress.join("\n"));
    });

    it("reads a training job's final metrics", async () => {
        fake.handlers.DescribeTrainingJob = () => ({ TrainingJobStatus: "Completed", FinalMetricDataList: [{ MetricName: "Test Accuracy", Value: 0.8125, Timestamp: 1767225600 }] });
        const outs = await create(plugin, "TrainingMetrics", {
            __provider: await serialised(trainingMetricsProvider), trainingJobName: "mlops-dev-single-0123456789", region: "us-east-1", metricNames: ["Test Loss", "Test Accuracy"],
        });
        assert.deepStrictEqual([outs.metrics, outs.missing], [{ "Test Accuracy": 0.8125 }, ["Test Loss"]]);
    });

    it("fails a quality gate's Create with the message the CLI then prints, and logs a pass on stdout", async () => {
        const provider = await serialised(qualityGateProvider);
        const inputs = {
            runName: "single", trainingJobName: "mlops-dev-single-0123456789", modelDataUrl: "s3://b/training/mlops-dev-single-0123456789/output/model.tar.gz",
            metrics: { "Test Loss": 0.9, "Test Accuracy": 0.42 }, metricName: "Test Accuracy", minimum: 0.5, requireNoWorseThanServing: false,
            endpointName: "mlops-dev-endpoint", region: "us-east-1",
        };
        await assert.rejects(create(plugin, "QualityGate", { __provider: provider, ...inputs }),
            /quality gate: run "single" \(training job mlops-dev-single-0123456789\) has Test Accuracy 0\.42, below the bar mlops:endpoint\.minTestAccuracy = 0\.5; the endpoint keeps serving its current model/);
        const outs = await create(plugin, "QualityGate", { __provider: provider, ...inputs, minimum: 0.4 });
        assert.strictEqual(outs.approvedModelDataUrl, inputs.modelDataUrl);
        await new Promise(resolve => setTimeout(resolve, 100));
        assert.ok(plugin.lines.some(l => l.startsWith("quality gate: run \"single\" (training job mlops-dev-single-0123456789) passed with Test Accuracy 0.42 (bar 0.4")),
            plugin.lines.join("\n"));
    });
});
