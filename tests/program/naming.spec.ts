import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildSourceArchive, listSourceFiles } from "../../components/source-archive";
import { canonicalJson, contentAddressedName } from "../../components/training-spec";
import { one, outputsOf, PROJECT_DIR, runStack } from "../support/program";

const TRAINING_DIR = path.join(PROJECT_DIR, "training");

const jobNames = async (overrides: Record<string, unknown> = {}) => {
    const run = await runStack("dev", overrides);
    return {
        single: one(run, "aws:sagemaker/trainingJob:TrainingJob", "single").props.trainingJobName as string,
        multi: one(run, "aws:sagemaker/trainingJob:TrainingJob", "multi").props.trainingJobName as string,
        tuning: one(run, "aws:sagemaker/hyperParameterTuningJob:HyperParameterTuningJob").props.name as string,
        endpointConfig: outputsOf(one(run, "aws:sagemaker/endpointConfiguration:EndpointConfiguration")).name as string,
    };
};

describe("content-addressed names", () => {
    it("keeps job names for the same spec and changes them for a changed hyperparameter", async () => {
        const first = await jobNames();
        const again = await jobNames();
        assert.deepStrictEqual(again, first, "the same spec must not start new jobs");
        const moreEpochs = await jobNames({ "mlops:training": { hyperparameters: { epochs: 11 } } });
        assert.notStrictEqual(moreEpochs.single, first.single);
        assert.notStrictEqual(moreEpochs.multi, first.multi);
        assert.notStrictEqual(moreEpochs.tuning, first.tuning, "the tuning trials run with the new epochs too");
    });

    it("changes a run's name when only its instances change, and leaves the other run alone", async () => {
        const first = await jobNames();
        const bigger = await jobNames({ "mlops:training": { runs: [
            { name: "single", instanceType: "ml.m5.xlarge", instanceCount: 1 },
            { name: "multi", instanceType: "ml.m5.xlarge", instanceCount: 4 },
        ] } });
        assert.strictEqual(bigger.single, first.single);
        assert.notStrictEqual(bigger.multi, first.multi);
    });

    it("gives the endpoint a new configuration when the deployed model changes", async () => {
        const single = await jobNames();
        const multi = await jobNames({ "mlops:training": { deployRun: "multi" } });
        assert.notStrictEqual(multi.endpointConfig, single.endpointConfig);
        const same = await jobNames();
        assert.strictEqual(same.endpointConfig, single.endpointConfig, "no change, no rollout");
    });

    it("hashes specs independently of key order", () => {
        assert.strictEqual(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } }), `{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}`);
        assert.strictEqual(contentAddressedName("mlops-dev-single", { a: 1, b: 2 }, 63), contentAddressedName("mlops-dev-single", { b: 2, a: 1 }, 63));
        assert.throws(() => contentAddressedName("x".repeat(60), {}, 63), /at most 63 characters/);
    });
});

describe("the training code archive", () => {
    it("is byte-identical across two builds of the same code", () => {
        const a = buildSourceArchive(TRAINING_DIR);
        const b = buildSourceArchive(TRAINING_DIR);
        assert.strictEqual(a.sha256, b.sha256);
        assert.ok(a.bytes.equals(b.bytes));
    });

    describe("on a copy of the code", () => {
        let dir: string;
        beforeEach(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-archive-"));
            fs.cpSync(TRAINING_DIR, dir, { recursive: true });
        });
        afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("ignores file times and caches, but not content", () => {
            const before = buildSourceArchive(dir).sha256;
            const train = path.join(dir, "train.py");
            fs.utimesSync(train, new Date(2001, 1, 1), new Date(2001, 1, 1));
            fs.mkdirSync(path.join(dir, "__pycache__"), { recursive: true });
            fs.writeFileSync(path.join(dir, "__pycache__", "train.cpython-311.pyc"), "bytecode");
            assert.strictEqual(buildSourceArchive(dir).sha256, before, "times and caches do not change the code");
            fs.appendFileSync(train, "\n# a change\n");
            assert.notStrictEqual(buildSourceArchive(dir).sha256, before, "a code change is a new archive");
        });

        it("leaves the tests out and refuses a folder without train.py", () => {
            assert.ok(listSourceFiles(dir).every(f => !f.startsWith("tests/")));
            assert.ok(listSourceFiles(dir).includes("inference.py"));
            assert.ok(listSourceFiles(dir).includes("metrics.json"));
            fs.rmSync(path.join(dir, "train.py"));
            assert.throws(() => buildSourceArchive(dir), /has no train\.py/);
        });
    });

    it("is a tar that standard tools read", () => {
        const { bytes, files } = buildSourceArchive(TRAINING_DIR);
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-untar-"));
        try {
            const archive = path.join(out, "sourcedir.tar.gz");
            fs.writeFileSync(archive, bytes);
            const listing = execFileSync("tar", ["-tzf", archive], { encoding: "utf8" }).trim().split("\n");
            assert.deepStrictEqual(listing, files);
            execFileSync("tar", ["-xzf", archive, "-C", out]);
            assert.ok(fs.readFileSync(path.join(out, "train.py")).equals(fs.readFileSync(path.join(TRAINING_DIR, "train.py"))));
        } finally {
            fs.rmSync(out, { recursive: true, force: true });
        }
    });
});
