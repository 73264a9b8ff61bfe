import * as assert from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import {
    describeTuningProgress, judgeTuningJob, TuningJobDescription, tuningResultProvider,
} from "../../components/tuning-result";

const provider = tuningResultProvider;

const best = {
    TrainingJobName: "mlops-dev-hpo-1a2b3c4d-002-abcdef12",
    TunedHyperParameters: { "batch-size": "\"64\"", "learning-rate": "0.0042" },
    FinalHyperParameterTuningJobObjectiveMetric: { MetricName: "Test Loss", Value: 0.71 },
};

describe("tuning result", () => {
    describe("judging a description", () => {
        it("keeps waiting while the job runs or stops", () => {
            assert.deepStrictEqual(judgeTuningJob("j", { HyperParameterTuningJobStatus: "InProgress" }), { done: false });
            assert.deepStrictEqual(judgeTuningJob("j", { HyperParameterTuningJobStatus: "Stopping", BestTrainingJob: best }), { done: false });
        });

        it("outputs the best job, its hyperparameters unquoted, and the objective", () => {
            const verdict = judgeTuningJob("j", { HyperParameterTuningJobStatus: "Completed", BestTrainingJob: best });
            assert.deepStrictEqual(verdict, {
                done: true,
                result: {
                    status: "Completed",
                    bestTrainingJobName: best.TrainingJobName,
                    bestHyperparameters: { "batch-size": "64", "learning-rate": "0.0042" },
                    objectiveMetric: "Test Loss",
                    objectiveValue: 0.71,
                },
            });
        });

        it("fails with SageMaker's FailureReason", () => {
            assert.throws(() => judgeTuningJob("mlops-dev-hpo-1", { HyperParameterTuningJobStatus: "Failed", FailureReason: "All training jobs failed. ClientError: no data in channel training" }),
                /hyperparameter tuning job mlops-dev-hpo-1 ended Failed: All training jobs failed\. ClientError: no data in channel training/);
        });

        it("fails when the job completed but no trial reported the metric", () => {
            assert.throws(() => judgeTuningJob("j", { HyperParameterTuningJobStatus: "Completed" }), /no training job reported the objective metric/);
        });

        it("accepts a stopped job that has a best trial", () => {
            const verdict = judgeTuningJob("j", { HyperParameterTuningJobStatus: "Stopped", BestTrainingJob: best });
            assert.ok(verdict.done && verdict.result.status === "Stopped");
        });
    });

    describe("progress while waiting", () => {
        const running: TuningJobDescription = {
            HyperParameterTuningJobStatus: "InProgress",
            HyperParameterTuningJobConfig: { HyperParameterTuningJobObjective: { MetricName: "Test Loss", Type: "Minimize" }, ResourceLimits: { MaxNumberOfTrainingJobs: 8 } },
            TrainingJobStatusCounters: { Completed: 3, InProgress: 2, RetryableError: 0, NonRetryableError: 1, Stopped: 0 },
            BestTrainingJob: best,
        };

        it("says trials completed of total, what runs or failed, and the best objective so far", () => {
            assert.strictEqual(describeTuningProgress("mlops-prod-hpo-1a2b3c4d", running, 15.2),
                "tuning job mlops-prod-hpo-1a2b3c4d: 3 of 8 trials completed (2 running, 1 failed); " +
                `best Test Loss so far 0.71 (lower is better; trial ${best.TrainingJobName}); waited 15 min`);
        });

        it("says so when no trial has reported the objective yet", () => {
            assert.strictEqual(describeTuningProgress("j", { ...running, TrainingJobStatusCounters: { InProgress: 2 }, BestTrainingJob: undefined }, 0),
                "tuning job j: 0 of 8 trials completed (2 running); no trial has reported the objective yet; waited 0 min");
        });
    });

    describe("the dynamic provider against a SageMaker API on loopback", () => {
        let server: http.Server;
        let answers: TuningJobDescription[];
        let requests: { target: string; body: unknown }[];
        const saved = { ...process.env };
        let lines: string[];
        const log = console.log;

        beforeEach(async () => {
            lines = [];
            console.log = (line: string) => void lines.push(line);
            requests = [];
            server = http.createServer((req, res) => {
                let body = "";
                req.on("data", c => (body += c));
                req.on("end", () => {
                    requests.push({ target: String(req.headers["x-amz-target"]), body: JSON.parse(body) as unknown });
                    const answer = answers.length > 1 ? answers.shift()! : answers[0];
                    res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
                    res.end(JSON.stringify({ HyperParameterTuningJobName: "j", ...answer }));
                });
            });
            await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
            const { port } = server.address() as AddressInfo;
            Object.assign(process.env, {
                AWS_ENDPOINT_URL_SAGEMAKER: `http://127.0.0.1:${port}`,
                AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_REGION: "us-east-1",
            });
        });
        afterEach(async () => {
            console.log = log;
            process.env = saved;
            await new Promise(resolve => server.close(resolve));
        });

        const inputs = { tuningJobName: "mlops-dev-hpo-1a2b3c4d", region: "us-east-1", waitTimeoutMinutes: 1, pollSeconds: 0.01 };

        it("polls DescribeHyperParameterTuningJob until the job completes", async () => {
            answers = [{ HyperParameterTuningJobStatus: "InProgress" }, { HyperParameterTuningJobStatus: "InProgress" },
                { HyperParameterTuningJobStatus: "Completed", BestTrainingJob: best }];
            const result = await provider.create(inputs);
            assert.strictEqual(result.id, inputs.tuningJobName);
            assert.deepStrictEqual(result.outs?.bestHyperparameters, { "batch-size": "64", "learning-rate": "0.0042" });
            assert.strictEqual(result.outs.objectiveValue, 0.71);
            assert.strictEqual(requests.length, 3);
            assert.deepStrictEqual(requests[0], { target: "SageMaker.DescribeHyperParameterTuningJob", body: { HyperParameterTuningJobName: inputs.tuningJobName } });
        });

        it("reports progress on its first look and then every progressMinutes, never after the result", async () => {
            const counters = (completed: number) => ({
                HyperParameterTuningJobStatus: "InProgress",
                HyperParameterTuningJobConfig: { ResourceLimits: { MaxNumberOfTrainingJobs: 2 } },
                TrainingJobStatusCounters: { Completed: completed, InProgress: 2 - completed },
            });
            answers = [counters(0), counters(0), counters(1), { HyperParameterTuningJobStatus: "Completed", BestTrainingJob: best }];
            // Polls every 10 ms, reports every 25 ms: the first look and about every second poll after it.
            await provider.create({ ...inputs, pollSeconds: 0.01, progressMinutes: 25 / 60_000 });
            assert.match(lines[0], /^waiting for tuning job mlops-dev-hpo-1a2b3c4d \(up to 1 min\): https:\/\/us-east-1\.console\.aws\.amazon\.com\/sagemaker\/home\?region=us-east-1#\/hyper-tuning-jobs\/mlops-dev-hpo-1a2b3c4d$/);
            assert.match(lines[1], /^tuning job mlops-dev-hpo-1a2b3c4d: 0 of 2 trials completed \(2 running\); no trial has reported the objective yet; waited 0 min$/);
            assert.ok(lines.length >= 2 && lines.length <= 4, `one line per due report: ${JSON.stringify(lines)}`);
            assert.ok(lines.slice(1).every(l => /^tuning job mlops-dev-hpo-1a2b3c4d: [01] of 2 trials completed/.test(l)));
        });

        it("fails the deployment with the job's FailureReason", async () => {
            answers = [{ HyperParameterTuningJobStatus: "Failed", FailureReason: "ResourceLimitExceeded: ml.m5.xlarge" }];
            await assert.rejects(provider.create(inputs), /ended Failed: ResourceLimitExceeded: ml\.m5\.xlarge/);
        });

        it("gives up after the wait timeout, saying how to keep waiting", async () => {
            answers = [{ HyperParameterTuningJobStatus: "InProgress" }];
            await assert.rejects(provider.create({ ...inputs, waitTimeoutMinutes: 0.0005 }),
                /still InProgress after 0\.0005 minutes; run pulumi up again to keep waiting/);
        });

        it("replaces the result only for a new tuning job", async () => {
            const olds = { ...inputs, status: "Completed", bestTrainingJobName: "x", bestHyperparameters: {}, objectiveMetric: "Test Loss", objectiveValue: 1 };
            assert.deepStrictEqual((await provider.diff!("j", olds, inputs)).replaces, []);
            assert.deepStrictEqual((await provider.diff!("j", olds, { ...inputs, tuningJobName: "mlops-dev-hpo-ffffffff" })).replaces, ["tuningJobName"]);
        });
    });
});
