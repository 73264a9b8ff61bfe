import * as assert from "assert";
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Readable } from "stream";
import { main } from "../../dataset/cli";
import { createS3Client, listObjectSizes } from "../../dataset/s3";
import { uploadFiles, uploadObject } from "../../dataset/upload";
import { VerifiedFile } from "../../dataset/verify";
import { DatasetManifest, parseManifest } from "../../dataset/manifest";
import { BUCKET, Capture, LocalS3, REGION, S3RVER_KEYS, macJunk, mainDeps, startLocalS3, tempDir, tinyDataset, writeProject, writeTree, writeZip } from "./fixtures";

const PREFIX = "datasets/dogImages/";
const MANIFEST = PREFIX + "manifest.json";
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

describe("dataset:upload against a local S3 server", () => {
    let s3: LocalS3;
    let work: string;
    let projectDir: string;
    let zipFile: string;
    const dataset = tinyDataset("dogImages/");
    // Keys the prefix must hold: the zip's top folder stripped, junk gone; and the manifest.
    const dataKeys = [...dataset.keys()].map(k => PREFIX + k.slice("dogImages/".length)).sort();
    const expectedKeys = [...dataKeys, MANIFEST].sort();

    before(async () => {
        s3 = await startLocalS3();
        work = tempDir("dataset-upload");
        projectDir = path.join(work, "project");
        fs.mkdirSync(projectDir);
        writeProject(projectDir, {
            test: { "aws:region": REGION },
            custom: { "aws:region": REGION, "mlops:dataset": { prefix: "data/dogs/v1/" } },
        });
        zipFile = path.join(work, "dogImages.zip");
        writeZip(zipFile, new Map([...dataset, ...macJunk("dogImages/")]));
    });

    after(async () => {
        await s3.close();
        fs.rmSync(work, { recursive: true, force: true });
    });

    async function emptyBucket(): Promise<void> {
        for (const key of (await listObjectSizes(s3.client, BUCKET, "")).keys()) {
            await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
        }
    }

    async function run(args: string[], signal?: AbortSignal, stderr?: Capture) {
        const deps = mainDeps(projectDir, s3.endpoint, { signal, ...(stderr ? { stderr } : {}) });
        const code = await main(args, deps);
        return { code, stdout: deps.out.text, stderr: (stderr ?? deps.err).text };
    }

    async function objectBytes(key: string): Promise<Buffer> {
        const res = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
        return Buffer.from(await res.Body!.transformToByteArray());
    }

    const keysThere = async (prefix = "") => [...(await listObjectSizes(s3.client, BUCKET, prefix)).keys()].sort();
    const errorLine = (stderr: string) => stderr.split("\n").find(l => l.startsWith("dataset:upload:")) ?? "";
    const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    const args = () => ["--stack", "test", "--source", zipFile, "--bucket", BUCKET];

    beforeEach(emptyBucket);

    it("uploads a dogImages-shaped zip under the stack's dataset prefix, top folder stripped, junk skipped, each object with its SHA-256", async () => {
        const r = await run(args());
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(await keysThere(), expectedKeys);
        for (const [rel, data] of dataset) {
            const key = PREFIX + rel.slice("dogImages/".length);
            assert.ok((await objectBytes(key)).equals(data), `bytes of ${rel}`);
            const head = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
            assert.strictEqual(head.Metadata?.sha256, sha256(data), `sha256 metadata of ${rel}`);
        }
        const head = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: dataKeys[0] }));
        assert.strictEqual(head.ContentType, "image/jpeg");
        assert.match(r.stdout, new RegExp(`^uploaded ${dataset.size} files .* skipped 0 already there`));
        assert.match(r.stderr, /3 classes in train\/ \(the same in valid\/ and test\/\)/);
        assert.match(r.stderr, new RegExp(`^verify \\[#{24}\\] 100% ${dataset.size}/${dataset.size} files`, "m"), "the verify pass ran over every file");
    });

    it("uploads a directory holding train/valid/test directly, and one holding them in a top folder", async () => {
        const flat = path.join(work, "flat");
        writeTree(flat, new Map([...tinyDatasetAt(dataset, ""), ...macJunk("")]));
        const r1 = await run(["--stack", "test", "--source", flat, "--bucket", BUCKET]);
        assert.strictEqual(r1.code, 0, r1.stderr);
        assert.deepStrictEqual(await keysThere(), expectedKeys);

        await emptyBucket();
        const nested = path.join(work, "nested");
        writeTree(nested, dataset);
        const r2 = await run(["--stack", "test", "--source", nested, "--bucket", BUCKET]);
        assert.strictEqual(r2.code, 0, r2.stderr);
        assert.deepStrictEqual(await keysThere(), expectedKeys);
    });

    it("takes the prefix from mlops:dataset.prefix, and --prefix over it", async () => {
        const r1 = await run(["--stack", "custom", "--source", zipFile, "--bucket", BUCKET]);
        assert.strictEqual(r1.code, 0, r1.stderr);
        const keys1 = await keysThere();
        assert.ok(keys1.length === dataset.size + 1 && keys1.every(k => k.startsWith("data/dogs/v1/")) && keys1.includes("data/dogs/v1/manifest.json"), keys1.join(", "));

        await emptyBucket();
        const r2 = await run(["--stack", "custom", "--source", zipFile, "--bucket", BUCKET, "--prefix", "other/"]);
        assert.strictEqual(r2.code, 0, r2.stderr);
        const keys2 = await keysThere();
        assert.ok(keys2.length === dataset.size + 1 && keys2.every(k => /^other\/((train|valid|test)\/|manifest\.json$)/.test(k)), keys2.join(", "));
    });

    it("resumes: a second run writes nothing; after a delete or a size change only that object (and the manifest) is written", async () => {
        assert.strictEqual((await run(args())).code, 0);

        s3.resetCreated();
        const again = await run(args());
        assert.strictEqual(again.code, 0, again.stderr);
        assert.deepStrictEqual(s3.created().map(c => c.key), [], "a run with nothing to do writes nothing, not even the manifest");
        assert.match(again.stdout, new RegExp(`uploaded 0 files .* skipped ${dataset.size} already there`));
        assert.match(again.stdout, /^manifest: s3:\/\/mlops-test-data\/datasets\/dogImages\/manifest\.json unchanged: contentHash [0-9a-f]{64} /m);

        const deleted = dataKeys[3];
        const resized = dataKeys[7];
        await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: deleted }));
        await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: resized, Body: Buffer.from("truncated") }));
        s3.resetCreated();

        const third = await run(args());
        assert.strictEqual(third.code, 0, third.stderr);
        assert.match(third.stdout, new RegExp(`uploaded 2 files .* skipped ${dataset.size - 2} already there`));
        assert.deepStrictEqual(await keysThere(), expectedKeys);
        assert.ok((await objectBytes(resized)).equals(dataset.get("dogImages/" + resized.slice(PREFIX.length))!));
        // The server saw exactly these writes, the manifest last: nothing else was rewritten.
        const created = s3.created().map(c => c.key);
        assert.deepStrictEqual(created.slice(0, 2).sort(), [deleted, resized].sort());
        assert.deepStrictEqual(created.slice(2), [MANIFEST]);
    });

    it("re-sends a changed file of the same size, and an object another writer replaced with the same size (by SHA-256, not size)", async () => {
        const dir = path.join(work, "changing");
        fs.rmSync(dir, { recursive: true, force: true });
        writeTree(dir, dataset);
        const dirArgs = ["--stack", "test", "--source", dir, "--bucket", BUCKET];
        assert.strictEqual((await run(dirArgs)).code, 0);
        const before = parseManifest((await objectBytes(MANIFEST)).toString(), MANIFEST);

        const rel = [...dataset.keys()].sort()[5];
        const key = PREFIX + rel.slice("dogImages/".length);
        const edited = Buffer.from(dataset.get(rel)!);
        edited[0] ^= 0xff; // same size, other bytes
        fs.writeFileSync(path.join(dir, ...rel.split("/")), edited);
        s3.resetCreated();
        const r = await run(dirArgs);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(s3.created().map(c => c.key), [key, MANIFEST]);
        assert.ok((await objectBytes(key)).equals(edited));
        const after = parseManifest((await objectBytes(MANIFEST)).toString(), MANIFEST);
        assert.notStrictEqual(after.contentHash, before.contentHash, "changed data, new contentHash");
        assert.strictEqual(after.objects.find(o => key.endsWith(o.key))!.sha256, sha256(edited));

        const other = dataKeys[2];
        const size = (await listObjectSizes(s3.client, BUCKET, other)).get(other)!;
        await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: other, Body: Buffer.alloc(size, 7) }));
        const manifest = await objectBytes(MANIFEST);
        s3.resetCreated();
        const r2 = await run(dirArgs);
        assert.strictEqual(r2.code, 0, r2.stderr);
        // The manifest goes while the prefix changes and comes back with the same bytes (same data).
        assert.deepStrictEqual(s3.created().map(c => c.key), [other, MANIFEST]);
        assert.ok((await objectBytes(MANIFEST)).equals(manifest));
        assert.ok((await objectBytes(other)).equals(fs.readFileSync(path.join(dir, "dogImages", ...other.slice(PREFIX.length).split("/")))));
    });

    it("ends with a manifest: every object's key, size and SHA-256, the classes per split, the same bytes for the same data from a zip or a directory", async () => {
        const r = await run(args());
        assert.strictEqual(r.code, 0, r.stderr);
        const text = (await objectBytes(MANIFEST)).toString("utf8");
        const manifest = JSON.parse(text) as DatasetManifest;
        const objects = [...dataset].map(([rel, data]) => ({ key: rel.slice("dogImages/".length), size: data.length, sha256: sha256(data) }))
            .sort((a, b) => (a.key < b.key ? -1 : 1));
        assert.strictEqual(manifest.schemaVersion, 1);
        assert.deepStrictEqual(manifest.objects, objects);
        const classes = ["001.Affenpinscher", "002.Afghan_hound", "003.Airedale_terrier"];
        assert.deepStrictEqual(manifest.splits, { train: { files: 9, classes }, valid: { files: 3, classes }, test: { files: 3, classes } });
        const rows = JSON.stringify(objects.map(o => [o.key, o.size, o.sha256]));
        assert.strictEqual(manifest.contentHash, createHash("sha256").update(rows).digest("hex"));
        assert.match(r.stdout, new RegExp(`^manifest: s3://${BUCKET}/${escape(MANIFEST)} written: contentHash ${manifest.contentHash} \\(${dataset.size} objects, 3 classes\\)$`, "m"));
        const head = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: MANIFEST }));
        assert.strictEqual(head.ContentType, "application/json");

        await emptyBucket();
        const dir = path.join(work, "same-data");
        writeTree(dir, dataset);
        assert.strictEqual((await run(["--stack", "test", "--source", dir, "--bucket", BUCKET, "--concurrency", "3"])).code, 0);
        assert.strictEqual((await objectBytes(MANIFEST)).toString("utf8"), text, "a directory of the same files gives the same bytes");
    });

    it("lists every page of the prefix (ListObjectsV2 continuation), so resumption sees all objects", async () => {
        assert.strictEqual((await run(args())).code, 0);
        const paged = await listObjectSizes(s3.client, BUCKET, PREFIX, 4);
        assert.deepStrictEqual([...paged.keys()].sort(), expectedKeys);
        assert.deepStrictEqual([...paged.values()], [...(await listObjectSizes(s3.client, BUCKET, PREFIX)).values()]);
    });

    it("--force uploads everything again (the manifest bytes stay the same); --dry-run verifies and uploads nothing", async () => {
        const dry = await run([...args(), "--dry-run"]);
        assert.strictEqual(dry.code, 0, dry.stderr);
        assert.match(dry.stdout, new RegExp(`would upload ${dataset.size} files`));
        assert.match(dry.stderr, /^verify \[/m);
        assert.strictEqual((await listObjectSizes(s3.client, BUCKET, "")).size, 0);

        assert.strictEqual((await run(args())).code, 0);
        const manifest = await objectBytes(MANIFEST);
        s3.resetCreated();
        const forced = await run([...args(), "--force"]);
        assert.strictEqual(forced.code, 0, forced.stderr);
        assert.match(forced.stdout, new RegExp(`uploaded ${dataset.size} files .* skipped 0 already there`));
        assert.strictEqual(s3.created().length, dataset.size + 1);
        assert.ok((await objectBytes(MANIFEST)).equals(manifest), "same data, same manifest bytes");
    });

    it("leaves objects outside train/, valid/, test/ that the source lacks, and says so", async () => {
        await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: PREFIX + "notes/README.txt", Body: Buffer.from("x") }));
        const r = await run(args());
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /note: 1 objects under s3:\/\/mlops-test-data\/datasets\/dogImages\/ are not in the source; left as they are \(e\.g\. datasets\/dogImages\/notes\/README\.txt\)/);
        assert.ok((await listObjectSizes(s3.client, BUCKET, "")).has(PREFIX + "notes/README.txt"));
    });

    it("refuses objects under train/, valid/, test/ that the source lacks (training would read them) unless --prune deletes them", async () => {
        const stale = PREFIX + "train/999.Extra/x.jpg";
        await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: stale, Body: Buffer.from("x") }));
        s3.resetCreated();
        const r = await run(args());
        assert.strictEqual(r.code, 1);
        assert.strictEqual(errorLine(r.stderr), "dataset:upload: s3://mlops-test-data/datasets/dogImages/ holds 1 objects under train/, valid/, test/ " +
            "that the source lacks (e.g. datasets/dogImages/train/999.Extra/x.jpg); the training jobs read everything there, " +
            "so pass --prune to delete them (or choose another --prefix); nothing was uploaded");
        assert.deepStrictEqual(s3.created(), []);

        const pruned = await run([...args(), "--prune"]);
        assert.strictEqual(pruned.code, 0, pruned.stderr);
        assert.match(pruned.stderr, new RegExp(`^plan: upload ${dataset.size} .*, delete 1 not in the source$`, "m"));
        assert.match(pruned.stdout, /, deleted 1 not in the source;/);
        assert.deepStrictEqual(await keysThere(), expectedKeys);
    });

    it("sends an object larger than the part size through multipart upload, intact and with its SHA-256", async () => {
        const big = new Map(dataset);
        const bigKey = "dogImages/train/001.Affenpinscher/huge.png";
        const bigData = Buffer.alloc(11 * 1024 * 1024 + 123);
        for (let i = 0; i < bigData.length; i += 4096) bigData.writeUInt32LE(i, i); // not all zeros
        big.set(bigKey, bigData);
        const bigZip = path.join(work, "big.zip");
        writeZip(bigZip, big);

        s3.resetCreated();
        const r = await run(["--stack", "test", "--source", bigZip, "--bucket", BUCKET, "--part-size-mib", "5", "--concurrency", "3"]);
        assert.strictEqual(r.code, 0, r.stderr);
        // CompleteMultipartUpload creates the big object; every small one (and the manifest) is a plain PutObject.
        const hugeKey = PREFIX + "train/001.Affenpinscher/huge.png";
        assert.deepStrictEqual(s3.created().filter(c => c.event === "ObjectCreated:Post").map(c => c.key), [hugeKey]);
        assert.strictEqual(s3.created().filter(c => c.event === "ObjectCreated:Put").length, dataset.size + 1);
        assert.match(r.stdout, new RegExp(`uploaded ${big.size} files .*, 1 by multipart\\)`));
        assert.ok((await objectBytes(hugeKey)).equals(bigData), "multipart object bytes");
        const head = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: hugeKey }));
        assert.strictEqual(head.ContentType, "image/png");
        assert.strictEqual(head.Metadata?.sha256, sha256(bigData));

        s3.resetCreated();
        const again = await run(["--stack", "test", "--source", bigZip, "--bucket", BUCKET, "--part-size-mib", "5"]);
        assert.strictEqual(again.code, 0, again.stderr);
        assert.deepStrictEqual(s3.created(), [], "the multipart object is recognised by its sha256 metadata");
    });

    describe("a damaged zip is refused, naming the entry, before anything is stored", () => {
        const damagedName = [...dataset.keys()].sort()[10];
        const pythonTestzip = (zip: string) =>
            execFileSync("python3", ["-c", "import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).testzip())", zip]).toString().trim();

        for (const [what, option, problem] of [
            ["a CRC-32 that does not match", "wrongCrcFor", "CRC-32 0x[0-9a-f]{8} where the archive says 0x[0-9a-f]{8}"],
            ["a size that does not match", "wrongSizeFor", "not enough bytes in the stream\\. expected \\d+\\. got only \\d+"],
        ] as const) {
            it(`an entry with ${what}`, async () => {
                // The last good upload, with its manifest, must survive the refused one untouched.
                assert.strictEqual((await run(args())).code, 0);
                const manifest = await objectBytes(MANIFEST);
                const damagedZip = path.join(work, `damaged-${option}.zip`);
                // Another version of the dataset, so that everything would be uploaded again.
                const changed = new Map([...dataset].map(([k, v]) => [k, Buffer.concat([v, Buffer.from("v2")])]));
                writeZip(damagedZip, changed, { [option]: damagedName });
                if (option === "wrongCrcFor") assert.strictEqual(pythonTestzip(damagedZip), damagedName, "Python's zipfile finds the same bad entry");

                s3.resetCreated();
                const r = await run(["--stack", "test", "--source", damagedZip, "--bucket", BUCKET, "--concurrency", "1"]);
                assert.strictEqual(r.code, 1, r.stderr);
                assert.match(errorLine(r.stderr), new RegExp(`^dataset:upload: ${escape(damagedZip)}: entry ${escape(damagedName)} is damaged: ${problem}; ` +
                    "the source is refused and nothing was uploaded$"));
                assert.deepStrictEqual(s3.created(), [], "nothing stored");
                assert.deepStrictEqual(await keysThere(), expectedKeys);
                assert.ok((await objectBytes(MANIFEST)).equals(manifest), "the manifest still describes the data that is there");
            });
        }

        it("the fixture's good zip passes Python's zipfile check (the damage above is in the zip, not in the checker)", () => {
            assert.strictEqual(pythonTestzip(zipFile), "None");
        });
    });

    it("an interrupt (Ctrl-C) stops after the uploads in flight, says how many files were done and remain, and leaves no manifest; a rerun finishes", async () => {
        // Many files, one at a time, so that the interrupt lands in the middle of the upload.
        const many = new Map(dataset);
        for (let i = 0; i < 120; i++) many.set(`dogImages/train/001.Affenpinscher/extra_${i}.jpg`, Buffer.from(`image ${i}`));
        const manyZip = path.join(work, "many.zip");
        writeZip(manyZip, many);
        const manyArgs = ["--stack", "test", "--source", manyZip, "--bucket", BUCKET, "--concurrency", "1"];
        assert.strictEqual((await run(args())).code, 0, "an earlier upload left a manifest");

        const controller = new AbortController();
        const stderr = new Capture();
        // The upload bar's first line is drawn at the first progress report: interrupt right there.
        stderr.write = (s: string) => {
            stderr.text += s;
            if (s.startsWith("upload [")) controller.abort("SIGINT");
            return true;
        };
        const r = await run(manyArgs, controller.signal, stderr);
        assert.strictEqual(r.code, 130, r.stderr);
        const toUpload = many.size - dataset.size;
        const m = new RegExp(`^dataset:upload: interrupted \\(SIGINT\\): (\\d+) of ${toUpload} files uploaded, (\\d+) remain; ` +
            "run the same command again to resume \\(what is there is not uploaded again\\)$").exec(errorLine(r.stderr));
        assert.ok(m, r.stderr);
        const [done, remain] = [Number(m[1]), Number(m[2])];
        assert.strictEqual(done + remain, toUpload);
        assert.ok(remain > 0, "stopped before the end");
        assert.strictEqual((await keysThere()).length, dataset.size + done, "exactly the files it says were done are there");
        assert.ok(!(await keysThere()).includes(MANIFEST), "no manifest while the dataset is incomplete");

        s3.resetCreated();
        const rerun = await run(manyArgs);
        assert.strictEqual(rerun.code, 0, rerun.stderr);
        assert.strictEqual(s3.created().length, remain + 1, "the rest, then the manifest");
        assert.strictEqual(parseManifest((await objectBytes(MANIFEST)).toString(), MANIFEST).objects.length, many.size);
    });

    it("a failed upload names the object and says how many files were done and how many remain", async () => {
        const client = createS3Client({ region: REGION, endpoint: s3.endpoint, credentials: S3RVER_KEYS });
        let puts = 0;
        client.middlewareStack.add(next => async args => {
            if ((args.input as { Key?: string }).Key?.startsWith("fail/") && ++puts === 4) {
                throw Object.assign(new Error("We encountered an internal error. Please try again."), { name: "InternalError" });
            }
            return next(args);
        }, { step: "initialize", name: "failFourthPut" });
        const files = verifiedFiles(10, "train/1/");
        await assert.rejects(uploadFiles(files, { client, bucket: BUCKET, prefix: "fail/", concurrency: 1, partSizeBytes: 5 * 1024 * 1024 }), {
            name: "DatasetError",
            message: "upload of s3://mlops-test-data/fail/train/1/3.jpg failed: InternalError: We encountered an internal error. Please try again. " +
                "(3 of 10 files uploaded, 7 remain; rerun to resume)",
        });
        client.destroy();
        assert.strictEqual((await listObjectSizes(s3.client, BUCKET, "fail/")).size, 3);
    });

    it("sends each object's SHA-256 for S3 to check on arrival (x-amz-checksum-sha256) and as x-amz-meta-sha256", async () => {
        const client = createS3Client({ region: REGION, endpoint: s3.endpoint, credentials: S3RVER_KEYS });
        const seen: Record<string, string>[] = [];
        client.middlewareStack.add(next => async args => {
            seen.push({ ...(args.request as { headers: Record<string, string> }).headers });
            return next(args);
        }, { step: "finalizeRequest", name: "captureHeaders" });
        const files = verifiedFiles(3, "train/1/");
        await uploadFiles(files, { client, bucket: BUCKET, prefix: "sums/", concurrency: 1, partSizeBytes: 5 * 1024 * 1024 });
        client.destroy();
        assert.strictEqual(seen.length, 3);
        for (const [i, headers] of seen.entries()) {
            const body = Buffer.from(`bytes of file ${i}`);
            assert.strictEqual(headers["x-amz-checksum-sha256"], createHash("sha256").update(body).digest("base64"));
            assert.strictEqual(headers["x-amz-meta-sha256"], sha256(body));
        }
    });

    it("does not store a file whose bytes changed since they were verified (single PUT and multipart)", async () => {
        const client = createS3Client({ region: REGION, endpoint: s3.endpoint, credentials: S3RVER_KEYS });
        const options = { client, bucket: BUCKET, prefix: "changed/", concurrency: 1, partSizeBytes: 5 * 1024 * 1024 };
        const small = Buffer.from("new bytes");
        const lying = (key: string, data: Buffer): VerifiedFile => ({ key, size: data.length, sha256: sha256(Buffer.alloc(data.length)), open: () => Promise.resolve(Readable.from([data])) });
        await assert.rejects(uploadObject(lying("train/1/small.jpg", small), options),
            { message: /^train\/1\/small\.jpg changed since it was verified \(SHA-256 [0-9a-f]{64}, [0-9a-f]{64} when verified\); it was not stored$/ });
        const big = Buffer.alloc(11 * 1024 * 1024, 1);
        s3.resetCreated();
        await assert.rejects(uploadObject(lying("train/1/big.jpg", big), options),
            { message: /^train\/1\/big\.jpg changed since it was verified \(SHA-256 [0-9a-f]{64}, [0-9a-f]{64} when verified\); it was not stored$/ });
        client.destroy();
        assert.deepStrictEqual(s3.created(), []);
        assert.strictEqual((await listObjectSizes(s3.client, BUCKET, "changed/")).size, 0);
    });

    it("keeps at most `concurrency` objects in flight, and really runs them in parallel", async () => {
        const client = createS3Client({ region: REGION, endpoint: s3.endpoint, credentials: S3RVER_KEYS });
        let active = 0;
        let maxActive = 0;
        client.middlewareStack.add(next => async args => {
            active++;
            maxActive = Math.max(maxActive, active);
            try {
                return await next(args);
            } finally {
                active--;
            }
        }, { step: "initialize", name: "countInFlight" });
        const files = Array.from({ length: 24 }, (_, i) => {
            const data = Buffer.alloc(1000 + i, i);
            return { key: `train/1/${i}.jpg`, size: data.length, sha256: sha256(data), open: () => Promise.resolve(Readable.from([data])) };
        });
        const progress: number[] = [];
        const result = await uploadFiles(files, {
            client, bucket: BUCKET, prefix: "conc/", concurrency: 3, partSizeBytes: 5 * 1024 * 1024,
            onProgress: (filesDone) => progress.push(filesDone),
        });
        client.destroy();
        assert.deepStrictEqual(result, { files: 24, bytes: files.reduce((n, f) => n + f.size, 0), multipart: 0 });
        assert.ok(maxActive <= 3, `at most 3 requests at once (saw ${maxActive})`);
        assert.ok(maxActive >= 2, `requests overlapped (saw ${maxActive})`);
        assert.strictEqual(progress[progress.length - 1], 24);
        assert.strictEqual((await listObjectSizes(s3.client, BUCKET, "conc/")).size, 24);
    });

    it("fails with one line and exit 1 when the bucket does not exist", async () => {
        const r = await run(["--stack", "test", "--source", zipFile, "--bucket", "no-such-bucket-here"]);
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /cannot list s3:\/\/no-such-bucket-here\/datasets\/dogImages\/: bucket "no-such-bucket-here" does not exist/);
        assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
});

/** n small verified files `<dir><i>.jpg` holding "bytes of file <i>". */
function verifiedFiles(n: number, dir: string): VerifiedFile[] {
    return Array.from({ length: n }, (_, i) => {
        const data = Buffer.from(`bytes of file ${i}`);
        return { key: `${dir}${i}.jpg`, size: data.length, sha256: sha256(data), open: () => Promise.resolve(Readable.from([data])) };
    });
}

function tinyDatasetAt(files: Map<string, Buffer>, root: string): Map<string, Buffer> {
    return new Map([...files].map(([k, v]) => [root + k.slice("dogImages/".length), v]));
}
