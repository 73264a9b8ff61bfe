import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { main } from "../../dataset/cli";
import { readBucketWithPulumi, resolveTarget, validatePrefix } from "../../dataset/target";
import { loadStackConfig } from "../../plan/stack-config";
import { BUCKET, LocalS3, REGION, mainDeps, startLocalS3, tempDir, tinyDataset, writeProject, writeTree, writeZip } from "./fixtures";

describe("dataset:upload target (bucket, prefix, region)", () => {
    let work: string;
    let projectDir: string;
    let binDir: string;

    before(() => {
        work = tempDir("dataset-target");
        projectDir = path.join(work, "project");
        binDir = path.join(work, "bin");
        fs.mkdirSync(projectDir);
        fs.mkdirSync(binDir);
        writeProject(projectDir, {
            dev: { "aws:region": "us-west-2" },
            custom: { "aws:region": "eu-central-1", "mlops:dataset": { prefix: "data/dogs/" } },
            noregion: {},
            badprefix: { "aws:region": "us-east-1", "mlops:dataset": { prefix: "/abs" } },
        });
        // A stand-in for the Pulumi CLI: answers `pulumi stack output bucketName --stack dev` only.
        fs.writeFileSync(path.join(binDir, "pulumi"), [
            "#!/bin/sh",
            `if [ "$*" = "stack output bucketName --stack dev" ]; then echo mlops-dev-data-1234; exit 0; fi`,
            `echo "error: no stack named '$5' found" >&2`,
            "exit 255",
        ].join("\n"), { mode: 0o755 });
    });

    after(() => fs.rmSync(work, { recursive: true, force: true }));

    const deps = (readBucketOutput: (stack: string) => Promise<string | undefined> = () => Promise.resolve(undefined)) => ({
        loadStackConfig: (stack: string) => loadStackConfig(stack, projectDir),
        readBucketOutput,
    });

    it("uses the program's default prefix and the stack's region", async () => {
        assert.deepStrictEqual(await resolveTarget({ stack: "dev", bucket: "my-bucket" }, deps()),
            { bucket: "my-bucket", prefix: "datasets/dogImages/", region: "us-west-2" });
    });

    it("reads mlops:dataset.prefix from the stack; flags win over config", async () => {
        assert.deepStrictEqual(await resolveTarget({ stack: "custom", bucket: "b-1" }, deps()),
            { bucket: "b-1", prefix: "data/dogs/", region: "eu-central-1" });
        assert.deepStrictEqual(await resolveTarget({ stack: "custom", bucket: "b-1", prefix: "x/y/", region: "us-east-2" }, deps()),
            { bucket: "b-1", prefix: "x/y/", region: "us-east-2" });
    });

    it("reads the bucket from `pulumi stack output bucketName` when the Pulumi CLI is on PATH", async () => {
        const env = { PATH: binDir };
        assert.strictEqual(await readBucketWithPulumi("dev", env), "mlops-dev-data-1234");
        const target = await resolveTarget({ stack: "dev" }, deps(stack => readBucketWithPulumi(stack, env)));
        assert.strictEqual(target.bucket, "mlops-dev-data-1234");
        await assert.rejects(readBucketWithPulumi("custom", env),
            { message: "`pulumi stack output bucketName --stack custom` failed: error: no stack named 'custom' found (pass --bucket to skip it)" });
        assert.strictEqual(await readBucketWithPulumi("dev", { PATH: path.join(work, "empty") }), undefined);
    });

    it("says how to get the bucket when there is neither --bucket nor a Pulumi CLI", async () => {
        await assert.rejects(resolveTarget({ stack: "dev" }, deps()), {
            name: "UsageError",
            message: "no bucket: pass --bucket <name> (the stack output: `pulumi stack output bucketName --stack dev`), or put the Pulumi CLI on PATH so it is read for you",
        });
    });

    it("refuses bad prefixes, bucket names, regions and stacks, naming the value", async () => {
        await assert.rejects(resolveTarget({ stack: "noregion", bucket: "b-1" }, deps()),
            { message: "no region: set aws:region in Pulumi.noregion.yaml or pass --region" });
        await assert.rejects(resolveTarget({ stack: "dev", bucket: "Bad_Bucket" }, deps()),
            { message: `bucket "Bad_Bucket" is not a valid S3 bucket name (3-63 characters: a-z, 0-9, "." and "-")` });
        await assert.rejects(resolveTarget({ stack: "dev", bucket: "b-1", region: "mars" }, deps()),
            { message: `region "mars" is not an AWS region name (for example us-east-1)` });
        await assert.rejects(resolveTarget({ stack: "nope", bucket: "b-1" }, deps()), /cannot read the configuration of stack "nope": no stack "nope"/);
        await assert.rejects(resolveTarget({ stack: "badprefix", bucket: "b-1" }, deps()),
            /the configuration of stack "badprefix" is invalid \(pulumi up would fail too\): mlops:dataset.prefix/);
        for (const p of ["datasets/dogImages", "/datasets/", "a//b/", "../x/", "/"]) {
            assert.throws(() => validatePrefix(p, "--prefix"), new RegExp(`--prefix must be a key prefix .*\\(got "${p.replace(/[./]/g, "\\$&")}"\\)`));
        }
        assert.strictEqual(validatePrefix("datasets/dogImages/", "--prefix"), "datasets/dogImages/");
    });
});

describe("dataset:upload bad inputs: one line, exit 2 (usage) or 1 (runtime), no upload", () => {
    let s3: LocalS3;
    let work: string;
    let projectDir: string;

    before(async () => {
        s3 = await startLocalS3();
        work = tempDir("dataset-bad");
        projectDir = path.join(work, "project");
        fs.mkdirSync(projectDir);
        writeProject(projectDir, { test: { "aws:region": REGION } });
    });

    after(async () => {
        await s3.close();
        fs.rmSync(work, { recursive: true, force: true });
    });

    async function expectFailure(args: string[], code: number, message: string | RegExp): Promise<void> {
        const deps = mainDeps(projectDir, s3.endpoint);
        s3.resetCreated();
        assert.strictEqual(await main(args, deps), code, deps.err.text);
        const errors = deps.err.text.split("\n").filter(l => l.startsWith("dataset:upload: "));
        assert.strictEqual(errors.length, 1, deps.err.text);
        if (typeof message === "string") assert.strictEqual(errors[0], `dataset:upload: ${message}`);
        else assert.match(errors[0], message);
        assert.doesNotMatch(deps.err.text, /\n\s+at /, "no stack trace");
        assert.strictEqual(s3.created().length, 0, "nothing uploaded");
    }

    it("unknown flags and missing sources are usage errors", async () => {
        await expectFailure(["--stack", "test", "--sauce", "x"], 2, /^dataset:upload: unknown flag "--sauce"/);
        await expectFailure(["--stack", "test", "--bucket", BUCKET, "--source", path.join(work, "nothing-here.zip")], 2,
            `source "${path.join(work, "nothing-here.zip")}" does not exist (give an https URL, a .zip file or a directory)`);
        const tar = path.join(work, "dogImages.tar.gz");
        fs.writeFileSync(tar, "x");
        await expectFailure(["--stack", "test", "--bucket", BUCKET, "--source", tar], 2, `source "${tar}" is neither a directory nor a .zip file`);
        await expectFailure(["--stack", "test", "--source", work], 2, /^dataset:upload: no bucket: pass --bucket <name>/);
    });

    it("a zip or directory without train/valid/test or with different classes in them, or a file that is not a zip, is a runtime error", async () => {
        const noSplits = path.join(work, "photos.zip");
        writeZip(noSplits, new Map([["photos/a.jpg", Buffer.from("a")], ["photos/b/c.jpg", Buffer.from("c")]]));
        await expectFailure(["--stack", "test", "--bucket", BUCKET, "--source", noSplits], 1,
            `${noSplits} has no train/, valid/ and test/ folders at its top or inside a single top folder (top level: photos/)`);

        const noTest = path.join(work, "notest.zip");
        writeZip(noTest, new Map([...tinyDataset("dogImages/")].filter(([k]) => !k.startsWith("dogImages/test/"))));
        await expectFailure(["--stack", "test", "--bucket", BUCKET, "--source", noTest], 1,
            `${noTest} has no files under dogImages/test/ (train.py needs train/, valid/ and test/)`);

        const notZip = path.join(work, "fake.zip");
        fs.writeFileSync(notZip, "this is not a zip file at all, just text");
        await expectFailure(["--stack", "test", "--bucket", BUCKET, "--source", notZip], 1,
            new RegExp(`^dataset:upload: ${notZip.replace(/[./]/g, "\\$&")} is not a readable zip file: end of central directory record signature not found`, "i"));

        // Splits whose classes differ: refused before anything is sent, naming the split and the classes.
        const data = tinyDataset("dogImages/");
        const lacking = path.join(work, "lacking.zip");
        writeZip(lacking, new Map([...data].filter(([k]) => !k.startsWith("dogImages/valid/002.Afghan_hound/"))));
        await expectFailure(["--stack", "test", "--bucket", BUCKET, "--source", lacking], 1,
            `${lacking}: the splits have different classes (valid/ lacks 002.Afghan_hound): train.py would refuse them, labels would not line up; nothing was uploaded`);
        const extra = path.join(work, "extra");
        writeTree(extra, new Map([...data, ["dogImages/test/004.Akita/Akita_1.jpg", Buffer.from("a")]]));
        await expectFailure(["--stack", "test", "--bucket", BUCKET, "--source", extra], 1,
            `${extra}: the splits have different classes (test/ has 004.Akita that train/ lacks): train.py would refuse them, labels would not line up; nothing was uploaded`);

        const emptyDir = path.join(work, "empty");
        writeTree(emptyDir, new Map([[".DS_Store", Buffer.from("x")]]));
        await expectFailure(["--stack", "test", "--bucket", BUCKET, "--source", emptyDir], 1,
            `${emptyDir} holds no files (expected train/, valid/ and test/ folders of images)`);
    });
});
