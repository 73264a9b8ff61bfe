import * as assert from "assert";
import * as aws from "@pulumi/aws";
import type { ProgramRun } from "../../plan/run-program";
import { defined, ofType, one, oneOf, outputsOf, parentTypeOf, parseJson, runStack, stackOutputs } from "../support/program";

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
        const notebook = oneOf(prod, aws.sagemaker.NotebookInstance).props;
        assert.strictEqual(notebook.directInternetAccess, "Disabled");
        assert.strictEqual(notebook.subnetId, "subnet-0a1b2c3d4e5f60718");
        assert.strictEqual(oneOf(prod, aws.lambda.ProvisionedConcurrencyConfig).props.provisionedConcurrentExecutions, 2);
        assert.strictEqual(oneOf(prod, aws.sagemaker.Endpoint).props.deploymentConfig?.blueGreenUpdatePolicy?.trafficRoutingConfiguration.type, "CANARY");
    });

    it("exports what a user needs", () => {
        for (const key of ["bucketName", "notebookName", "notebookUrl", "tuningJobName", "bestHyperparameters", "trainingJobs",
            "endpointName", "functionName", "trainerInstanceId"]) {
            assert.ok(dev.outputs[key] !== undefined, `dev does not export ${key}`);
        }
        const outputs = stackOutputs(dev);
        const jobs = defined(outputs.trainingJobs, "the training jobs output");
        assert.deepStrictEqual(Object.keys(jobs).sort(), ["multi", "single"]);
        assert.strictEqual(jobs.single.modelDataUrl, `s3://${outputs.bucketName}/training/${jobs.single.jobName}/output/model.tar.gz`);
        const prodOutputs = stackOutputs(prod);
        assert.ok(prodOutputs.functionAliasArn, "prod exports the alias ARN");
        assert.match(prodOutputs.functionAliasArn, /:function:mlops-prod-inference:live$/);
        assert.match(defined(prodOutputs.encryptionKeyArn, "prod's key ARN"), /^arn:aws:kms:/);
    });

    it("leaves out the outputs of parts a stack does not have, without the engine's 'Undefined value' warning", async () => {
        // dev has no KMS key and no provisioned concurrency (so no alias).
        assert.ok(!("encryptionKeyArn" in dev.outputs) && !("functionAliasArn" in dev.outputs), Object.keys(dev.outputs).join(", "));
        const printed: string[] = [];
        const write = process.stderr.write.bind(process.stderr);
        const warn = console.warn;
        const log = console.log;
        process.stderr.write = ((chunk: unknown, ..._rest: unknown[]) => (printed.push(String(chunk)), true));
        console.warn = console.log = (...args: unknown[]) => printed.push(args.join(" "));
        let run: ProgramRun;
        try {
            run = await runStack("dev", { "mlops:notebook": { enabled: false }, "mlops:tuning": { enabled: false }, "mlops:gpuTrainer": { enabled: false } });
        } finally {
            process.stderr.write = write;
            console.warn = warn;
            console.log = log;
        }
        for (const key of ["notebookName", "notebookUrl", "tuningJobName", "bestHyperparameters", "bestObjectiveValue", "trainerInstanceId", "trainerOutputUri"]) {
            assert.ok(!(key in run.outputs), `${key} is exported although its part is off`);
        }
        assert.ok(run.outputs.endpointName, "the parts that exist still export");
        assert.deepStrictEqual(printed.filter(line => /Undefined value/.test(line)), []);
    });

    it("parents every AWS resource to a component", () => {
        for (const run of [dev, prod]) {
            for (const r of run.resources.filter(r => r.type.startsWith("aws:"))) {
                assert.ok(parentTypeOf(r)?.startsWith("mlops:"), `${r.type} ${r.name} is not inside a component`);
            }
        }
    });

    it("tags every resource once, through the stack's one AWS provider and its default tags", () => {
        const expected = {
            dev: { owner: "ml-team", project: "mlops", stack: "dev", "managed-by": "pulumi" },
            prod: { owner: "ml-team", environment: "production", project: "mlops", stack: "prod", "managed-by": "pulumi" },
        };
        for (const run of [dev, prod]) {
            const provider = one(run, "pulumi:providers:aws");
            assert.strictEqual(provider.name, `mlops-${run.stack}-aws`, "an explicit provider, not the default one");
            assert.strictEqual(provider.props.region, "us-east-1");
            const defaultTags = typeof provider.props.defaultTags === "string" ? parseJson<unknown>(provider.props.defaultTags, "defaultTags") : provider.props.defaultTags;
            assert.deepStrictEqual(defaultTags, { tags: expected[run.stack as "dev" | "prod"] });
            for (const r of run.resources.filter(r => r.type.startsWith("aws:"))) {
                assert.ok(r.provider?.startsWith(`${provider.urn}::`), `${r.type} ${r.name} uses ${r.provider}, not the stack's provider`);
                for (const tag of ["project", "stack", "managed-by", "owner"]) {
                    assert.ok(!Object.keys(r.props.tags ?? {}).includes(tag), `${r.name} sets the stack tag ${tag} itself`);
                }
            }
        }
    });

    it("hands the stack's other aws: settings to its provider, as the default provider would read them", async () => {
        const run = await runStack("dev", { "aws:profile": "ml-team", "aws:maxRetries": 5 });
        const provider = one(run, "pulumi:providers:aws").props;
        assert.strictEqual(provider.profile, "ml-team");
        assert.strictEqual(Number(provider.maxRetries), 5);
    });

    it("gives components their outputs", () => {
        const bucket = outputsOf(one(dev, "mlops:storage:DataBucket"));
        assert.match(bucket.codeUri as string, /^s3:\/\/mlops-dev-data-123456789012-us-east-1\/code\/sourcedir-[0-9a-f]{16}\.tar\.gz$/);
        const endpoint = outputsOf(one(dev, "mlops:serving:ModelEndpoint"));
        assert.strictEqual(endpoint.endpointName, "mlops-dev-endpoint");
    });
});
