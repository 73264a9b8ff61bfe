import * as assert from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import { judgeTuningJob, TuningJobDescription, tuningResultProvider } from "../../components/tuning-result";

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

    describe("the dynamic provider against a SageMaker API on loopback", () => {
        let server: http.Server;
        let answers: TuningJobDescription[];
        let requests: { target: string; body: any }[];
        const saved = { ...process.env };

        beforeEach(async () => {
            requests = [];
            server = http.createServer((req, res) => {
                let body = "";
                req.on("data", c => (body += c));
                req.on("end", () => {
                    requests.push({ target: String(req.headers["x-amz-target"]), body: JSON.parse(body) });
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
            process.env = saved;
            await new Promise(resolve => server.close(resolve));
        });

        const inputs = { tuningJobName: "mlops-dev-hpo-1a2b3c4d", region: "us-east-1", waitTimeoutMinutes: 1, pollSeconds: 0.01 };

        it("polls DescribeHyperParameterTuningJob until the job completes", async () => {
            answers = [{ HyperParameterTuningJobStatus: "InProgress" }, { HyperParameterTuningJobStatus: "InProgress" },
                { HyperParameterTuningJobStatus: "Completed", BestTrainingJob: best }];
            const result = await tuningResultProvider.create!(inputs);
            assert.strictEqual(result.id, inputs.tuningJobName);
            assert.deepStrictEqual(result.outs.bestHyperparameters, { "batch-size": "64", "learning-rate": "0.0042" });
            assert.strictEqual(result.outs.objectiveValue, 0.71);
            assert.strictEqual(requests.length, 3);
            assert.deepStrictEqual(requests[0], { target: "SageMaker.DescribeHyperParameterTuningJob", body: { HyperParameterTuningJobName: inputs.tuningJobName } });
        });

        it("fails the deployment with the job's FailureReason", async () => {
            answers = [{ HyperParameterTuningJobStatus: "Failed", FailureReason: "ResourceLimitExceeded: ml.m5.xlarge" }];
            await assert.rejects(tuningResultProvider.create!(inputs), /ended Failed: ResourceLimitExceeded: ml\.m5\.xlarge/);
        });

        it("gives up after the wait timeout, saying how to keep waiting", async () => {
            answers = [{ HyperParameterTuningJobStatus: "InProgress" }];
            await assert.rejects(tuningResultProvider.create!({ ...inputs, waitTimeoutMinutes: 0.0005 }),
                /still InProgress after 0\.0005 minutes; run pulumi up again to keep waiting/);
        });

        it("replaces the result only for a new tuning job", async () => {
            const olds = { ...inputs, status: "Completed", bestTrainingJobName: "x", bestHyperparameters: {}, objectiveMetric: "Test Loss", objectiveValue: 1 };
            assert.deepStrictEqual((await tuningResultProvider.diff!("j", olds, inputs)).replaces, []);
            assert.deepStrictEqual((await tuningResultProvider.diff!("j", olds, { ...inputs, tuningJobName: "mlops-dev-hpo-ffffffff" })).replaces, ["tuningJobName"]);
        });
    });
});
