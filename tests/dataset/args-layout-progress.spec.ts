import * as assert from "assert";
import { DEFAULT_SOURCE, parseArgs } from "../../dataset/args";
import { UsageError } from "../../dataset/errors";
import { checkSameClasses, classesBySplit, isJunk, locateSplits } from "../../dataset/layout";
import { ProgressBar, formatBytes, renderProgress } from "../../dataset/progress";
import { contentTypeFor, findExtraneous, planUploads } from "../../dataset/upload";
import { VerifiedFile } from "../../dataset/verify";
import { Capture } from "./fixtures";

describe("dataset:upload flags", () => {
    it("defaults to Udacity's public zip, 16 objects at once and 8 MiB parts", () => {
        const o = parseArgs(["--stack", "dev"]);
        assert.deepStrictEqual(o, {
            stack: "dev", source: DEFAULT_SOURCE, bucket: undefined, prefix: undefined, region: undefined,
            concurrency: 16, partSizeMiB: 8, force: false, prune: false, dryRun: false, help: false,
        });
        assert.strictEqual(DEFAULT_SOURCE, "https://s3-us-west-1.amazonaws.com/udacity-aind/dog-project/dogImages.zip");
    });

    it("reads --flag value and --flag=value", () => {
        const o = parseArgs(["--stack=prod", "--source", "/data/dogImages.zip", "--bucket=b-1", "--prefix", "p/", "--region", "eu-west-1",
            "--concurrency", "4", "--part-size-mib=64", "--force", "--prune", "--dry-run"]);
        assert.deepStrictEqual(o, {
            stack: "prod", source: "/data/dogImages.zip", bucket: "b-1", prefix: "p/", region: "eu-west-1",
            concurrency: 4, partSizeMiB: 64, force: true, prune: true, dryRun: true, help: false,
        });
        assert.strictEqual(parseArgs(["-h"]).help, true);
        assert.strictEqual(parseArgs(["--help"]).help, true);
        // A value may start with one dash; only a "--" word is taken as a missing value.
        assert.strictEqual(parseArgs(["--stack", "dev", "--prefix", "-odd/"]).prefix, "-odd/");
    });

    const bad: [string[], string | RegExp][] = [
        [["--stack", "dev", "--bogus"], `unknown flag "--bogus" (allowed: --stack, --source, --bucket, --prefix, --region, --concurrency, --part-size-mib, --force, --prune, --dry-run, --help)`],
        [["--stack", "dev", "--bogus=1"], /^unknown flag "--bogus" \(allowed: /],
        [["--stack", "dev", "-x"], /^unknown flag "-x" \(allowed: /],
        [["--stack", "dev", "--", "x"], `unexpected argument "--" (flags start with "--"; see --help)`],
        [["--stack", "dev", "--prune=yes"], `--prune takes no value (got "--prune=yes")`],
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
            assert.throws(() => parseArgs(argv), (err: unknown) => err instanceof UsageError && err.exitCode === 2
                && (typeof message === "string" ? err.message === message : message.test(err.message)));
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

describe("dataset layout: the same classes in every split", () => {
    const keys = (classes: Record<string, string[]>) =>
        Object.entries(classes).flatMap(([split, names]) => names.map(c => `${split}/${c}/x.jpg`));

    it("lists each split's class folders in code point order (Python's sorted(), train.py's label order)", () => {
        const found = classesBySplit([...keys({ train: ["b", "a", "B", "é"], valid: ["a"], test: [] }), "train/loose.jpg", "README"]);
        assert.deepStrictEqual(found, { train: ["B", "a", "b", "é"], valid: ["a"], test: [] });
    });

    it("passes when train, valid and test have the same classes", () => {
        const same = keys({ train: ["001.A", "002.B"], valid: ["001.A", "002.B"], test: ["002.B", "001.A"] });
        assert.deepStrictEqual(checkSameClasses(same, "x.zip").train, ["001.A", "002.B"]);
    });

    it("refuses, naming the split and the classes, when they differ or train has fewer than 2", () => {
        assert.throws(() => checkSameClasses(keys({ train: ["001.A", "002.B", "003.C"], valid: ["001.A", "002.B"], test: ["001.A", "002.B", "003.C", "004.D"] }), "x.zip"), {
            name: "DatasetError",
            message: "x.zip: the splits have different classes (valid/ lacks 003.C; test/ has 004.D that train/ lacks): " +
                "train.py would refuse them, labels would not line up; nothing was uploaded",
        });
        assert.throws(() => checkSameClasses(keys({ train: ["001.A"], valid: ["001.A"], test: ["001.A"] }), "d"),
            { message: "d: train/ has 1 class folder(s) (001.A); train.py needs at least 2; nothing was uploaded" });
        const many = Array.from({ length: 8 }, (_, i) => `0${i}.X`);
        assert.throws(() => checkSameClasses(keys({ train: [...many, "z"], valid: ["z"], test: [...many, "z"] }), "d"),
            { message: /valid\/ lacks 00\.X, 01\.X, 02\.X, 03\.X, 04\.X, \.\.\. \(8 in all\)\)/ });
    });
});

describe("dataset upload planning", () => {
    const SHA_A = "a".repeat(64);
    const SHA_B = "b".repeat(64);
    const file = (key: string, size: number, sha256 = SHA_A): VerifiedFile =>
        ({ key, size, sha256, open: () => Promise.reject(new Error("not read in planning")) });

    it("skips only objects already there with the same size and SHA-256", () => {
        const files = [file("train/1/a.jpg", 10), file("train/1/b.jpg", 20), file("test/1/c.jpg", 30), file("valid/1/d.jpg", 40, SHA_B)];
        const remote = new Map([
            ["p/train/1/a.jpg", { size: 10, sha256: SHA_A }],
            ["p/train/1/b.jpg", { size: 19 }],
            ["p/valid/1/d.jpg", { size: 40, sha256: SHA_A }], // same size, other bytes
            ["p/old/x.jpg", { size: 1 }],
        ]);
        const plan = planUploads(files, remote, "p/");
        assert.deepStrictEqual(plan.skipped.map(f => f.key), ["train/1/a.jpg"]);
        assert.deepStrictEqual(plan.toUpload.map(f => f.key), ["train/1/b.jpg", "test/1/c.jpg", "valid/1/d.jpg"]);
        assert.deepStrictEqual([plan.bytesSkipped, plan.bytesToUpload], [10, 90]);
        assert.strictEqual(planUploads(files, remote, "p/", true).toUpload.length, 4);
        // An object whose SHA-256 is unknown (no checksum, no metadata) is sent again.
        assert.strictEqual(planUploads([file("train/1/a.jpg", 10)], new Map([["p/train/1/a.jpg", { size: 10 }]]), "p/").toUpload.length, 1);
    });

    it("sorts objects the source lacks into those the training jobs would read and the rest; the manifest is neither", () => {
        const extra = findExtraneous(["train/1/a.jpg"], ["p/train/1/a.jpg", "p/train/9/z.jpg", "p/test/x.jpg", "p/README.md", "p/manifest.json", "p/trainee/q"], "p/");
        assert.deepStrictEqual(extra, { inSplits: ["p/test/x.jpg", "p/train/9/z.jpg"], elsewhere: ["p/README.md", "p/trainee/q"] });
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
