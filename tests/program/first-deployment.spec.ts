import * as assert from "assert";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DatasetManifestError, isNotFound, readDataset } from "../../components/dataset";
import { dataBucketName } from "../../components/data-bucket";
import { buildManifest, parseManifest, serializeManifest } from "../../dataset/manifest";
import { PipelineMocks } from "../../plan/mocks";
import type { ProgramRun } from "../../plan/run-program";
import { defined, ofType, one, oneOf, outputsOf, runStack, SAMPLE_MANIFEST, stackOutputs } from "../support/program";

/** What needs the dataset, and what a first deployment creates without it. */
const TRAINS_OR_SERVES = [
    "mlops:training:Tuning", "mlops:training:TrainingJob", "mlops:serving:ModelEndpoint", "mlops:serving:InferenceFunction", "mlops:training:GpuTrainer",
];
const NEEDS_NO_DATA = ["mlops:storage:DataBucket", "mlops:notebook:Notebook", "mlops:cost:CostBudget", "aws:iam/role:Role"];

/** The sample manifest with one object's bytes changed: new data under the same prefix. */
function changedManifest(): string {
    const sample = buildManifest(parseManifest(SAMPLE_MANIFEST, "the sample manifest").objects);
    const [first, ...rest] = sample.objects;
    return serializeManifest(buildManifest([{ ...first, sha256: "f".repeat(64) }, ...rest]));
}

/** Runs the dev stack and records what the program wrote as warnings. */
async function runCapturingWarnings(datasetManifest: string | null): Promise<{ run: ProgramRun; warnings: string[] }> {
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args.join(" "));
    try {
        return { run: await runStack("dev", {}, { datasetManifest }), warnings };
    } finally {
        console.warn = warn;
    }
}

const jobNames = (run: ProgramRun) => ({
    tuning: oneOf(run, aws.sagemaker.HyperParameterTuningJob).props.name,
    single: oneOf(run, aws.sagemaker.TrainingJob, "single").props.trainingJobName,
    multi: oneOf(run, aws.sagemaker.TrainingJob, "multi").props.trainingJobName,
    gpuTrainerOutput: outputsOf(one(run, "mlops:training:GpuTrainer")).outputUri as string,
});

describe("first deployment: nothing that trains before the dataset is uploaded", () => {
    describe("a new stack, without a dataset manifest", () => {
        let run: ProgramRun;
        let warnings: string[];
        before(async () => {
            ({ run, warnings } = await runCapturingWarnings(null));
        });

        it("creates storage, roles, the notebook and the budget, and no job, endpoint, function or EC2 trainer", () => {
            for (const type of NEEDS_NO_DATA) assert.ok(ofType(run, type).length > 0, `no ${type}`);
            for (const type of TRAINS_OR_SERVES) assert.deepStrictEqual(ofType(run, type).map(r => r.name), [], `${type} without a dataset`);
            assert.strictEqual(ofType(run, "aws:sagemaker/trainingJob:TrainingJob").length, 0);
        });

        it("says plainly, as a warning and a stack output, that the jobs wait and which command uploads the dataset", () => {
            const dataset = stackOutputs(run).dataset;
            assert.strictEqual(dataset.uploadCommand, "npm run dataset:upload -- --stack dev");
            assert.strictEqual(dataset.manifestUri, "s3://mlops-dev-data-123456789012-us-east-1/datasets/dogImages/manifest.json");
            assert.match(dataset.status, /^no dataset yet \(no s3:\/\/mlops-dev-data-123456789012-us-east-1\/datasets\/dogImages\/manifest\.json\): tuning, training, the endpoint, the inference function and the EC2 trainer wait for it\. Upload it with `npm run dataset:upload -- --stack dev`, then run `pulumi up` again$/);
            assert.ok(!("contentHash" in dataset));
            assert.deepStrictEqual(warnings.filter(w => w.includes("no dataset yet")), [`warning: [runtime] ${dataset.status}`]);
            for (const key of ["trainingJobs", "endpointName", "functionName", "tuningJobName", "trainerInstanceId", "tuningJobLinks", "endpointLinks", "functionLinks", "dashboardUrl"]) {
                assert.ok(!(key in run.outputs), `${key} is exported without a dataset`);
            }
        });

        it("names the bucket by stack, account and region, so a preview of a new stack knows where to look", () => {
            assert.strictEqual(one(run, "aws:s3/bucket:Bucket").props.bucket, "mlops-dev-data-123456789012-us-east-1");
            assert.strictEqual(run.outputs.bucketName, "mlops-dev-data-123456789012-us-east-1");
            assert.strictEqual(dataBucketName("mlops-abcdefghijkl", "123456789012", "ap-southeast-4").length, 51);
            assert.throws(() => dataBucketName("mlops-Dev", "123456789012", "us-east-1"), /not a valid S3 bucket name/);
        });
    });

    describe("after the upload", () => {
        let withData: ProgramRun;
        before(async () => {
            withData = await runStack("dev", {}, { datasetManifest: SAMPLE_MANIFEST });
        });

        it("tunes, trains, deploys and puts the function and the EC2 trainer in front of and beside it", () => {
            for (const type of TRAINS_OR_SERVES) assert.ok(ofType(withData, type).length > 0, `no ${type} with a dataset`);
            const dataset = stackOutputs(withData).dataset;
            assert.strictEqual(dataset.contentHash, parseManifest(SAMPLE_MANIFEST, "the sample manifest").contentHash);
            assert.match(dataset.status, /^dataset ec69472d4e92 \(12 objects, 3 classes\) from s3:\/\/mlops-dev-data-123456789012-us-east-1\/datasets\/dogImages\/manifest\.json: tuning, training and serving are planned on it$/);
        });

        it("keeps every job name for the same data, and renames every job for new data under the same prefix", async () => {
            const same = await runStack("dev", {}, { datasetManifest: SAMPLE_MANIFEST });
            assert.deepStrictEqual(jobNames(same), jobNames(withData), "unchanged data never trains again");
            const changed = await runStack("dev", {}, { datasetManifest: changedManifest() });
            const before = jobNames(withData);
            const after = jobNames(changed);
            for (const key of Object.keys(before) as (keyof typeof before)[]) {
                assert.notStrictEqual(after[key], before[key], `${key} must change with the data`);
            }
            const trainingUri = (run: ProgramRun) =>
                defined(oneOf(run, aws.sagemaker.TrainingJob, "single").props.inputDataConfigs?.[0].dataSource?.s3DataSource?.s3Uri, "the training channel's URI");
            assert.strictEqual(trainingUri(changed), trainingUri(withData), "same prefix");
        });

        it("renames the jobs for new data even without tuning (the training runs carry the hash themselves)", async () => {
            const off = { "mlops:tuning": { enabled: false } };
            const a = await runStack("dev", off, { datasetManifest: SAMPLE_MANIFEST });
            const b = await runStack("dev", off, { datasetManifest: changedManifest() });
            const single = (run: ProgramRun) => oneOf(run, aws.sagemaker.TrainingJob, "single").props.trainingJobName;
            assert.notStrictEqual(single(b), single(a));
        });

        it("links what it waits for beyond the jobs: the endpoint's and the function's pages and logs", () => {
            assert.deepStrictEqual(withData.outputs.endpointLinks, {
                console: "https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/endpoints/mlops-dev-endpoint",
                logs: "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/$252Faws$252Fsagemaker$252FEndpoints$252Fmlops-dev-endpoint",
            });
            assert.deepStrictEqual(withData.outputs.functionLinks, {
                console: "https://us-east-1.console.aws.amazon.com/lambda/home?region=us-east-1#/functions/mlops-dev-inference",
                logs: "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/$252Faws$252Flambda$252Fmlops-dev-inference",
            });
            const single = defined(stackOutputs(withData).trainingJobs, "the training jobs output").single;
            assert.strictEqual(single.links.console, `https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/jobs/${single.jobName}`);
        });
    });

    describe("a manifest that cannot be used", () => {
        it("fails the deployment with what is wrong and the command that rewrites it, for damaged JSON", async () => {
            await assert.rejects(runStack("dev", {}, { datasetManifest: SAMPLE_MANIFEST.slice(0, 200) }), (e: Error) => {
                assert.match(e.message, /s3:\/\/mlops-dev-data-123456789012-us-east-1\/datasets\/dogImages\/manifest\.json is not JSON: .*; nothing that trains was planned\. Upload the dataset again, which rewrites the manifest: `npm run dataset:upload -- --stack dev`/);
                return true;
            });
        });

        it("stops, instead of removing what the stack runs, while an upload is under way or was cut off (objects, no manifest)", async () => {
            await assert.rejects(runStack("dev", {}, { datasetManifest: null, datasetKeys: ["datasets/dogImages/train/001.Affenpinscher/Affenpinscher_00001.jpg"] }),
                /s3:\/\/mlops-dev-data-123456789012-us-east-1\/datasets\/dogImages\/ holds objects \(datasets\/dogImages\/train\/001\.Affenpinscher\/Affenpinscher_00001\.jpg, \.\.\.\) but no .*manifest\.json: an upload is under way or was interrupted, .*Finish the upload with `npm run dataset:upload -- --stack dev`/);
        });

        it("fails for a manifest whose contentHash does not match its objects", async () => {
            const tampered = SAMPLE_MANIFEST.replace(/"contentHash": "[0-9a-f]+"/, `"contentHash": "${"0".repeat(64)}"`);
            await assert.rejects(runStack("dev", {}, { datasetManifest: tampered }), /manifest\.json: contentHash "0{64}" does not match its objects/);
        });

        it("tells not-found (no dataset yet) from every other failure, which is never taken for a missing dataset", async () => {
            assert.ok(isNotFound(new Error("invoking aws:s3/getObject:getObject: 1 error occurred:\n\t* reading S3 Bucket (b) Object (k): couldn't find resource")));
            assert.ok(isNotFound(new Error("operation error S3: HeadObject, https response error StatusCode: 404, RequestID: X, api error NotFound: Not Found")));
            assert.ok(isNotFound(new Error("NoSuchBucket: The specified bucket does not exist")));
            assert.ok(isNotFound(new Error("NoSuchKey: The specified key does not exist.")));
            assert.ok(!isNotFound(new Error("operation error S3: HeadObject, https response error StatusCode: 403, api error Forbidden: Forbidden")));
            assert.ok(!isNotFound(new Error("AccessDenied: User is not authorized to perform s3:GetObject")));
            assert.ok(!isNotFound(new Error("ResourceNotFoundException: something else entirely")));

            // Under mocks whose data source refuses access, readDataset fails instead of skipping the jobs.
            const refusing = new PipelineMocks();
            refusing.call = () => {
                const message = "reading S3 Bucket (b) Object (datasets/dogImages/manifest.json): operation error S3: HeadObject, StatusCode: 403, api error Forbidden";
                // As the engine reports a failed invoke: the message in the gRPC error's details.
                throw Object.assign(new Error(message), { details: message });
            };
            await pulumi.runtime.setMocks(refusing, "mlops", "dev", true);
            await assert.rejects(readDataset({ bucket: "b", prefix: "datasets/dogImages/", stack: "dev" }, {}), (e: Error) => {
                assert.ok(e instanceof DatasetManifestError);
                assert.match(e.message, /^cannot read the dataset manifest s3:\/\/b\/datasets\/dogImages\/manifest\.json: .*Forbidden/);
                return true;
            });
        });
    });
});
