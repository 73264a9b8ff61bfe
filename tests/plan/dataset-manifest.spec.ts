// The offline plan of a stack without a dataset (a new stack: no job, and the plan says why) and
// with one (--dataset-manifest: the jobs and their cost, as pull requests see them).

import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseManifest } from "../../dataset/manifest";
import type { PlanReport } from "../../plan/make-plan";
import { parseJson, stackOutputs } from "../support/program";
import { loadWorkflow, stepOf } from "../support/workflows";
import { planJson, REPO, runPlan } from "./run-plan";

const SAMPLE = path.join("plan", "sample-dataset-manifest.json");
const JOB_TYPES = ["aws:sagemaker/trainingJob:TrainingJob", "aws:sagemaker/hyperParameterTuningJob:HyperParameterTuningJob", "aws:sagemaker/endpoint:Endpoint",
    "aws:lambda/function:Function", "aws:ec2/instance:Instance"];
const countOf = (report: PlanReport, type: string) => report.resources.filter((r) => r.type === type).length;

describe("offline plan: the dataset decides what trains", () => {
    it("plans no job for a stack without a dataset manifest, and says why and what to run", async () => {
        const { code, report, stderr } = await planJson(["--stack", "dev"]);
        assert.strictEqual(code, 0, stderr);
        for (const type of JOB_TYPES) assert.strictEqual(countOf(report, type), 0, `${type} without a dataset`);
        assert.deepStrictEqual(report.cost.trainingRuns, []);
        assert.match(stackOutputs(report).dataset.status, /^no dataset yet .*Upload it with `npm run dataset:upload -- --stack dev`, then run `pulumi up` again$/);
        assert.match(stderr, /warning: \[runtime\] no dataset yet/);
        const text = await runPlan(["--stack", "dev"]);
        assert.match(text.stdout, /\n {2}dataset\.status: no dataset yet \(no s3:\/\/mlops-dev-data-123456789012-us-east-1\/datasets\/dogImages\/manifest\.json\)/);
    });

    for (const stack of ["dev", "prod"]) {
        it(`${stack}: with the sample manifest, plans and prices the tuning job, the training runs, the endpoint and the function`, async () => {
            const { code, report, stderr } = await planJson(["--stack", stack, "--dataset-manifest", SAMPLE]);
            assert.strictEqual(code, 0, stderr);
            for (const type of JOB_TYPES) assert.ok(countOf(report, type) > 0, `no ${type}`);
            assert.deepStrictEqual(report.cost.trainingRuns.map((r) => r.name).sort(), [`mlops-${stack}-train-multi`, `mlops-${stack}-train-single`]);
            assert.strictEqual(report.cost.tuningJobs.length, 1);
            assert.strictEqual(stackOutputs(report).dataset.contentHash, parseJson<{ contentHash: string }>(fs.readFileSync(path.join(REPO, SAMPLE), "utf8"), SAMPLE).contentHash);
        });
    }

    it("keeps a sample manifest that the program accepts", () => {
        const manifest = parseManifest(fs.readFileSync(path.join(REPO, SAMPLE), "utf8"), SAMPLE);
        assert.deepStrictEqual(manifest.splits.train.classes, manifest.splits.test.classes);
    });

    it("refuses a manifest file that does not exist (exit 2), and fails on a damaged one as pulumi preview would (exit 3)", async () => {
        const missing = await runPlan(["--stack", "dev", "--dataset-manifest", "nope.json"]);
        assert.strictEqual(missing.code, 2);
        assert.match(missing.stderr, /dataset manifest nope\.json does not exist/);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-manifest-"));
        try {
            const damaged = path.join(dir, "manifest.json");
            fs.writeFileSync(damaged, fs.readFileSync(path.join(REPO, SAMPLE), "utf8").slice(0, 100));
            const run = await runPlan(["--stack", "dev", "--dataset-manifest", damaged]);
            assert.strictEqual(run.code, 3);
            assert.match(run.stderr, /manifest\.json is not JSON: .*Upload the dataset again, which rewrites the manifest: `npm run dataset:upload -- --stack dev`/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("is how pull requests plan every stack", () => {
        const wf = loadWorkflow("pull-request.yml");
        const plan = stepOf(wf.jobs["test-and-plan"], (s) => s.id === "plan", "id: plan").run ?? "";
        assert.match(plan, /npm run --silent plan -- --stack "\$stack" --markdown --dataset-manifest plan\/sample-dataset-manifest\.json /);
    });
});
