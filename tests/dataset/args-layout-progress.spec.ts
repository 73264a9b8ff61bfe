import * as assert from "assert";
import { DEFAULT_SOURCE, parseArgs } from "../../dataset/args";
import { UsageError } from "../../dataset/errors";
import { isJunk, locateSplits } from "../../dataset/layout";
import { ProgressBar, formatBytes, renderProgress } from "../../dataset/progress";
import { contentTypeFor, planUploads } from "../../dataset/upload";
import { DatasetFile } from "../../dataset/source";
import { Capture } from "./fixtures";

describe("dataset:upload flags", () => {
    it("defaults to the seeds' public zip, 16 objects at once and 8 MiB parts", () => {
        const o = parseArgs(["--stack", "dev"]);
        assert.deepStrictEqual(o, {
            stack: "dev", source: DEFAULT_SOURCE, bucket: undefined, prefix: undefined, region: undefined,
            concurrency: 16, partSizeMiB: 8, force: false, dryRun: false, help: false,
        });
        assert.strictEqual(DEFAULT_SOURCE, "https://s3-us-west-1.amazonaws.com/udacity-aind/dog-project/dogImages.zip");
    });

    it("reads --flag value and --flag=value", () => {
        const o = parseArgs(["--stack=prod", "--source", "/data/dogImages.zip", "--bucket=b-1", "--prefix", "p/", "--region", "eu-west-1",
            "--concurrency", "4", "--part-size-mib=64", "--force", "--dry-run"]);
        assert.deepStrictEqual(o, {
            stack: "prod", source: "/data/dogImages.zip", bucket: "b-1", prefix: "p/", region: "eu-west-1",
            concurrency: 4, partSizeMiB: 64, force: true, dryRun: true, help: false,
        });
        assert.strictEqual(parseArgs(["-h"]).help, true);
    });

    const bad: [string[], string][] = [
        [["--stack", "dev", "--bogus"], `unknown flag "--bogus" (allowed: --stack, --source, --bucket, --prefix, --region, --concurrency, --part-size-mib, --force, --dry-run, --help)`],
        [[], "--stack is required (for example --stack dev)"],
        [["--stack"], "--stack needs a value"],
        [["--stack", "dev", "--source", "--bucket", "b"], "--source needs a value"],
        [["--stack", "dev", "--source="], "--source needs a non-empty value"],
        [["--stack", "dev", "extra"], `unexpected argument "extra" (flags start with "--"; see --help)`],
        [["--stack", "dev", "--stack", "prod"], "--stack given twice"],
        [["--stack", "dev", "--force=yes"], `--force takes no value (got "--force=yes")`],
        [["--stack", "dev", "--concurrency", "0"], "--concurrency must be from 1 to 128 (got 0)"],
        [["--stack", "dev", "--concurrency", "2.5"], `--concurrency must be a whole number from 1 to 128 (got "2.5")`],
        [["--stack", "dev", "--part-size-mib", "4"], "--part-size-mib must be from 5 to 5120 (got 4)"],
    ];
    for (const [argv, message] of bad) {
        it(`refuses ${JSON.stringify(argv)} with a usage error`, () => {
            assert.throws(() => parseArgs(argv), (err: unknown) => err instanceof UsageError && err.message === message && err.exitCode === 2);
        });
    }
});

describe("dataset layout", () => {
    const entries = (paths: string[]) => paths.map(p => ({ path: p, item: p }));

    it("treats directories, __MACOSX, .DS_Store and hidden files as junk, and images as data", () => {
        for (const junk of ["dogImages/", "__MACOSX/dogImages/train/._a.jpg", "dogImages/.DS_Store", "train/.hidden/a.jpg", "dogImages/Thumbs.db"]) {
            assert.strictEqual(isJunk(junk), true, junk);
        }
        for (const data of ["dogImages/train/001.Affenpinscher/Affenpinscher_00001.jpg", "train/a.b/c.jpg"]) {
            assert.strictEqual(isJunk(data), false, data);
        }
    });

    it("strips one top folder and keeps keys under train/, valid/, test/", () => {
        const layout = locateSplits(entries([
            "dogImages/", "dogImages/train/001.A/a.jpg", "dogImages/valid/001.A/b.jpg", "dogImages/test/001.A/c.jpg",
            "dogImages/README.txt", "__MACOSX/dogImages/._README.txt", "dogImages/.DS_Store",
        ]), "x.zip");
        assert.strictEqual(layout.root, "dogImages/");
        assert.deepStrictEqual(layout.files.map(f => f.key), ["test/001.A/c.jpg", "train/001.A/a.jpg", "valid/001.A/b.jpg"]);
        assert.deepStrictEqual(layout.ignored, ["dogImages/README.txt"]);
    });

    it("takes splits at the top as they are", () => {
        const layout = locateSplits(entries(["train/1/a.jpg", "valid/1/b.jpg", "test/1/c.jpg"]), "d");
        assert.strictEqual(layout.root, "");
        assert.strictEqual(layout.files.length, 3);
    });

    it("names the source and what it found when the splits are not there", () => {
        assert.throws(() => locateSplits(entries(["photos/a.jpg", "more/b.jpg"]), "x.zip"),
            { message: "x.zip has no train/, valid/ and test/ folders at its top or inside a single top folder (top level: more/, photos/)" });
        assert.throws(() => locateSplits(entries(["dogImages/train/1/a.jpg", "dogImages/valid/1/b.jpg"]), "x.zip"),
            { message: "x.zip has no files under dogImages/test/ (train.py needs train/, valid/ and test/)" });
        assert.throws(() => locateSplits(entries(["__MACOSX/x", ".DS_Store"]), "x.zip"),
            { message: "x.zip holds no files (expected train/, valid/ and test/ folders of images)" });
        assert.throws(() => locateSplits(entries(["a/train/1/x.jpg", "a/valid/1/x.jpg", "a/test/1/x.jpg", "b/train/1/x.jpg"]), "d"),
            /top level: a\/, b\//);
    });
});

describe("dataset upload planning", () => {
    const file = (key: string, size: number): DatasetFile => ({ key, size, open: async () => { throw new Error("not read in planning"); } });

    it("skips only objects already there with the same size, and reports the ones the source lacks", () => {
        const files = [file("train/1/a.jpg", 10), file("train/1/b.jpg", 20), file("test/1/c.jpg", 30)];
        const existing = new Map([["p/train/1/a.jpg", 10], ["p/train/1/b.jpg", 19], ["p/old/x.jpg", 1]]);
        const plan = planUploads(files, existing, "p/");
        assert.deepStrictEqual(plan.skipped.map(f => f.key), ["train/1/a.jpg"]);
        assert.deepStrictEqual(plan.toUpload.map(f => f.key), ["train/1/b.jpg", "test/1/c.jpg"]);
        assert.deepStrictEqual([plan.bytesSkipped, plan.bytesToUpload], [10, 50]);
        assert.deepStrictEqual(plan.extraneous, ["p/old/x.jpg"]);
        assert.strictEqual(planUploads(files, existing, "p/", true).toUpload.length, 3);
    });

    it("sends a content type from the extension", () => {
        assert.strictEqual(contentTypeFor("train/1/a.JPG"), "image/jpeg");
        assert.strictEqual(contentTypeFor("train/1/a.png"), "image/png");
        assert.strictEqual(contentTypeFor("train/1/noext"), "application/octet-stream");
    });
});

describe("dataset progress output", () => {
    it("renders bar, percentage, files, bytes and rate on one line", () => {
        assert.strictEqual(
            renderProgress({ label: "upload", bytesDone: 1024 * 1024, bytesTotal: 4 * 1024 * 1024, filesDone: 3, filesTotal: 12, elapsedMs: 2000 }, 8),
            "upload [##......] 25% 3/12 files 1.0 MiB/4.0 MiB 512.0 KiB/s");
        assert.strictEqual(renderProgress({ label: "download", bytesDone: 512, elapsedMs: 0 }), "download 512 B -/s");
        assert.strictEqual(formatBytes(1536), "1.5 KiB");
    });

    it("prints plain lines at most every interval when stderr is not a terminal, and always the final state", () => {
        let now = 0;
        const out = new Capture();
        const bar = new ProgressBar(out, { label: "upload", filesTotal: 4, bytesTotal: 400, now: () => now, plainIntervalMs: 10_000 });
        bar.update(100, 1); // first update draws
        now = 5_000;
        bar.update(200, 2); // too soon
        now = 10_000;
        bar.update(300, 3);
        now = 12_000;
        bar.update(400, 4);
        bar.finish();
        bar.finish(); // once only
        const lines = out.text.trimEnd().split("\n");
        assert.deepStrictEqual(lines.map(l => / (\d+\/4 files)/.exec(l)?.[1]), ["1/4 files", "3/4 files", "4/4 files"]);
        assert.ok(!out.text.includes("\r"), "no carriage returns in logs");
    });

    it("redraws one line in place on a terminal", () => {
        let now = 0;
        const out = Object.assign(new Capture(), { isTTY: true, columns: 80 });
        const bar = new ProgressBar(out, { label: "upload", filesTotal: 2, bytesTotal: 20, now: () => now });
        bar.update(10, 1);
        now = 1000;
        bar.update(20, 2);
        bar.finish();
        assert.strictEqual(out.text.split("\r\x1b[2K").length - 1, 3);
        assert.strictEqual(out.text.split("\n").length - 1, 1, "one newline, at the end");
    });
});
