import * as assert from "assert";
import type { ProgramRun } from "../../plan/run-program";
import { ofType, one, outputsOf, parentTypeOf, runStack } from "../support/program";

describe("stacks build under the mocks", () => {
    let dev: ProgramRun;
    let prod: ProgramRun;
    before(async () => {
        dev = await runStack("dev");
        prod = await runStack("prod");
    });

    it("dev creates every part of the pipeline", () => {
        for (const type of [
            "mlops:storage:DataBucket", "mlops:notebook:Notebook", "mlops:training:Tuning", "mlops:training:TrainingJob",
            "mlops:serving:ModelEndpoint", "mlops:serving:InferenceFunction", "mlops:training:GpuTrainer", "mlops:cost:CostBudget",
        ]) {
            assert.ok(ofType(dev, type).length > 0, `dev has no ${type}`);
        }
        assert.deepStrictEqual(ofType(dev, "mlops:training:TrainingJob").map(r => r.name).sort(), ["mlops-dev-train-multi", "mlops-dev-train-single"]);
        assert.strictEqual(ofType(dev, "aws:kms/key:Key").length, 0, "dev uses SSE-S3, no KMS key");
    });

    it("prod adds the KMS key, the VPC notebook and provisioned concurrency", () => {
        assert.strictEqual(ofType(prod, "aws:kms/key:Key").length, 1);
        const notebook = one(prod, "aws:sagemaker/notebookInstance:NotebookInstance").props;
        assert.strictEqual(notebook.directInternetAccess, "Disabled");
        assert.strictEqual(notebook.subnetId, "subnet-0a1b2c3d4e5f60718");
        assert.strictEqual(one(prod, "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig").props.provisionedConcurrentExecutions, 2);
        assert.strictEqual(one(prod, "aws:sagemaker/endpoint:Endpoint").props.deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.type, "CANARY");
    });

    it("exports what a user needs", () => {
        for (const key of ["bucketName", "notebookName", "notebookUrl", "tuningJobName", "bestHyperparameters", "trainingJobs",
            "endpointName", "functionName", "trainerInstanceId"]) {
            assert.ok(dev.outputs[key] !== undefined, `dev does not export ${key}`);
        }
        const jobs = dev.outputs.trainingJobs as Record<string, { jobName: string; modelDataUrl: string }>;
        assert.deepStrictEqual(Object.keys(jobs).sort(), ["multi", "single"]);
        assert.strictEqual(jobs.single.modelDataUrl, `s3://${dev.outputs.bucketName}/training/${jobs.single.jobName}/output/model.tar.gz`);
        assert.ok(prod.outputs.functionAliasArn, "prod exports the alias ARN");
        assert.match(String(prod.outputs.functionAliasArn), /:function:mlops-prod-inference:live$/);
    });

    it("parents every AWS resource to a component, and tags every taggable one", () => {
        for (const run of [dev, prod]) {
            for (const r of run.resources.filter(r => r.type.startsWith("aws:"))) {
                assert.ok(parentTypeOf(r)?.startsWith("mlops:"), `${r.type} ${r.name} is not inside a component`);
                if ("tags" in r.props) {
                    assert.strictEqual(r.props.tags.project, "mlops", `${r.name} lacks the project tag`);
                    assert.strictEqual(r.props.tags.stack, run.stack, `${r.name} lacks the stack tag`);
                    assert.strictEqual(r.props.tags["managed-by"], "pulumi");
                }
            }
        }
        const role = ofType(dev, "aws:iam/role:Role")[0];
        assert.strictEqual(role.props.tags.owner, "ml-team", "user tags from config are applied");
    });

    it("gives components their outputs", () => {
        const bucket = outputsOf(one(dev, "mlops:storage:DataBucket"));
        assert.match(bucket.codeUri, /^s3:\/\/mlops-dev-data-[0-9a-f]+\/code\/sourcedir-[0-9a-f]{16}\.tar\.gz$/);
        const endpoint = outputsOf(one(dev, "mlops:serving:ModelEndpoint"));
        assert.strictEqual(endpoint.endpointName, "mlops-dev-endpoint");
    });
});
