import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Readable } from "stream";
import { main } from "../../dataset/cli";
import { createS3Client, listObjectSizes } from "../../dataset/s3";
import { uploadFiles } from "../../dataset/upload";
import { sha256Hex } from "../../dataset/integrity";
import { BUCKET, LocalS3, REGION, S3RVER_KEYS, macJunk, mainDeps, startLocalS3, tempDir, tinyDataset, writeProject, writeTree, writeZip } from "./fixtures";

const PREFIX = "datasets/dogImages/";

describe("dataset:upload against a local S3 server", () => {
    let s3: LocalS3;
    let work: string;
    let projectDir: string;
    let zipFile: string;
    const dataset = tinyDataset("dogImages/");
    // Keys the prefix must hold: the zip's top folder stripped, junk gone.
    const expectedKeys = [...dataset.keys()].map(k => PREFIX + k.slice("dogImages/".length)).sort();

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

    async function run(args: string[]) {
        const deps = mainDeps(projectDir, s3.endpoint);
        const code = await main(args, deps);
        return { code, stdout: deps.out.text, stderr: deps.err.text };
    }

    async function objectBytes(key: string): Promise<Buffer> {
        const res = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
        return Buffer.from(await res.Body!.transformToByteArray());
    }

    beforeEach(emptyBucket);

    it("uploads a dogImages-shaped zip under the stack's dataset prefix, top folder stripped, junk skipped", async () => {
        const r = await run(["--stack", "test", "--source", zipFile, "--bucket", BUCKET]);
        assert.strictEqual(r.code, 0, r.stderr);
        const sizes = await listObjectSizes(s3.client, BUCKET, "");
        assert.deepStrictEqual([...sizes.keys()].sort(), expectedKeys);
        for (const [rel, data] of dataset) {
            assert.ok((await objectBytes(PREFIX + rel.slice("dogImages/".length))).equals(data), `bytes of ${rel}`);
        }
        const head = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: expectedKeys[0] }));
        assert.strictEqual(head.ContentType, "image/jpeg");
        assert.match(r.stdout, new RegExp(`uploaded ${dataset.size} files .* skipped 0 already there`));
        assert.match(r.stderr, /3 classes in train\//);
    });

    it("uploads a directory holding train/valid/test directly, and one holding them in a top folder", async () => {
        const flat = path.join(work, "flat");
        writeTree(flat, new Map([...tinyDatasetAt(dataset, ""), ...macJunk("")]));
        const r1 = await run(["--stack", "test", "--source", flat, "--bucket", BUCKET]);
        assert.strictEqual(r1.code, 0, r1.stderr);
        assert.deepStrictEqual([...(await listObjectSizes(s3.client, BUCKET, "")).keys()].sort(), expectedKeys);

        await emptyBucket();
        const nested = path.join(work, "nested");
        writeTree(nested, dataset);
        const r2 = await run(["--stack", "test", "--source", nested, "--bucket", BUCKET]);
        assert.strictEqual(r2.code, 0, r2.stderr);
        assert.deepStrictEqual([...(await listObjectSizes(s3.client, BUCKET, "")).keys()].sort(), expectedKeys);
    });

    it("takes the prefix from mlops:dataset.prefix, and --prefix over it", async () => {
        const r1 = await run(["--stack", "custom", "--source", zipFile, "--bucket", BUCKET]);
        assert.strictEqual(r1.code, 0, r1.stderr);
        const keys1 = [...(await listObjectSizes(s3.client, BUCKET, "")).keys()];
        assert.ok(keys1.length === dataset.size && keys1.every(k => k.startsWith("data/dogs/v1/")), keys1.join(", "));

        await emptyBucket();
        const r2 = await run(["--stack", "custom", "--source", zipFile, "--bucket", BUCKET, "--prefix", "other/"]);
        assert.strictEqual(r2.code, 0, r2.stderr);
        const keys2 = [...(await listObjectSizes(s3.client, BUCKET, "")).keys()];
        assert.ok(keys2.length === dataset.size && keys2.every(k => k.startsWith("other/train/") || k.startsWith("other/valid/") || k.startsWith("other/test/")), keys2.join(", "));
    });

    it("resumes: a second run skips everything; after a delete or a size change only that object is uploaded", async () => {
        const args = ["--stack", "test", "--source", zipFile, "--bucket", BUCKET];
        assert.strictEqual((await run(args)).code, 0);

        s3.resetCreated();
        const again = await run(args);
        assert.deepStrictEqual(s3.created().map(c => c.key), [], "a run with nothing to do writes nothing");
        assert.strictEqual(again.code, 0, again.stderr);
        assert.match(again.stdout, new RegExp(`uploaded 0 files .* skipped ${dataset.size} already there`));

        const deleted = expectedKeys[3];
        const resized = expectedKeys[7];
        await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: deleted }));
        await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: resized, Body: Buffer.from("truncated") }));
        s3.resetCreated();

        const third = await run(args);
        assert.strictEqual(third.code, 0, third.stderr);
        assert.match(third.stdout, new RegExp(`uploaded 2 files .* skipped ${dataset.size - 2} already there`));
        const sizes = await listObjectSizes(s3.client, BUCKET, "");
        assert.deepStrictEqual([...sizes.keys()].sort(), expectedKeys);
        assert.ok((await objectBytes(resized)).equals(dataset.get("dogImages/" + resized.slice(PREFIX.length))!));
        // The server saw exactly two writes: nothing else was rewritten.
        assert.deepStrictEqual(s3.created().map(c => c.key).sort(), [deleted, resized].sort());
    });

    it("lists every page of the prefix (ListObjectsV2 continuation), so resumption sees all objects", async () => {
        assert.strictEqual((await run(["--stack", "test", "--source", zipFile, "--bucket", BUCKET])).code, 0);
        const paged = await listObjectSizes(s3.client, BUCKET, PREFIX, 4);
        assert.deepStrictEqual([...paged.keys()].sort(), expectedKeys);
        assert.deepStrictEqual([...paged.values()], [...(await listObjectSizes(s3.client, BUCKET, PREFIX)).values()]);
    });

    it("--force uploads everything again; --dry-run uploads nothing", async () => {
        const args = ["--stack", "test", "--source", zipFile, "--bucket", BUCKET];
        const dry = await run([...args, "--dry-run"]);
        assert.strictEqual(dry.code, 0, dry.stderr);
        assert.match(dry.stdout, new RegExp(`would upload ${dataset.size} files`));
        assert.strictEqual((await listObjectSizes(s3.client, BUCKET, "")).size, 0);

        assert.strictEqual((await run(args)).code, 0);
        const forced = await run([...args, "--force"]);
        assert.strictEqual(forced.code, 0, forced.stderr);
        assert.match(forced.stdout, new RegExp(`uploaded ${dataset.size} files .* skipped 0 already there`));
    });

    it("leaves objects under the prefix that the source lacks, and says so", async () => {
        await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: PREFIX + "train/999.Extra/x.jpg", Body: Buffer.from("x") }));
        const r = await run(["--stack", "test", "--source", zipFile, "--bucket", BUCKET]);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /1 objects under s3:\/\/mlops-test-data\/datasets\/dogImages\/ are not in the source/);
        assert.ok((await listObjectSizes(s3.client, BUCKET, "")).has(PREFIX + "train/999.Extra/x.jpg"));
    });

    it("sends an object larger than the part size through multipart upload, intact", async () => {
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
        // CompleteMultipartUpload creates the big object; every small one is a plain PutObject.
        const hugeKey = PREFIX + "train/001.Affenpinscher/huge.png";
        assert.deepStrictEqual(s3.created().filter(c => c.event === "ObjectCreated:Post").map(c => c.key), [hugeKey]);
        assert.strictEqual(s3.created().filter(c => c.event === "ObjectCreated:Put").length, dataset.size);
        assert.match(r.stdout, new RegExp(`uploaded ${big.size} files .*, 1 by multipart\\)`));
        const stored = await objectBytes(PREFIX + "train/001.Affenpinscher/huge.png");
        assert.ok(stored.equals(bigData), "multipart object bytes");
        const head = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: PREFIX + "train/001.Affenpinscher/huge.png" }));
        assert.strictEqual(head.ContentType, "image/png");
    });

    it("stops at the first object that cannot be read, says how far it got, and a rerun finishes the rest", async () => {
        const damagedName = [...dataset.keys()].sort()[10];
        const damagedZip = path.join(work, "damaged.zip");
        writeZip(damagedZip, dataset, { wrongSizeFor: damagedName });
        const args = ["--stack", "test", "--source", damagedZip, "--bucket", BUCKET, "--concurrency", "1"];
        const r = await run(args);
        assert.strictEqual(r.code, 1);
        const damagedKey = damagedName.slice("dogImages/".length);
        const errorLine = r.stderr.split("\n").find(l => l.startsWith("dataset:upload:"));
        assert.match(errorLine ?? "", new RegExp(`^dataset:upload: cannot read ${damagedKey.replace(/\./g, "\\.")}: .* \\(\\d+ uploaded before it; rerun to resume\\)$`));
        const uploaded = (await listObjectSizes(s3.client, BUCKET, PREFIX)).size;
        assert.ok(uploaded >= 1 && uploaded < dataset.size, `${uploaded} uploaded before stopping`);
        assert.ok(!(await listObjectSizes(s3.client, BUCKET, PREFIX)).has(PREFIX + damagedKey));

        s3.resetCreated();
        const rerun = await run(["--stack", "test", "--source", zipFile, "--bucket", BUCKET]);
        assert.strictEqual(rerun.code, 0, rerun.stderr);
        assert.strictEqual(s3.created().length, dataset.size - uploaded, "only what the failed run had not uploaded");
        assert.deepStrictEqual([...(await listObjectSizes(s3.client, BUCKET, "")).keys()].sort(), expectedKeys);
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
            return { key: `train/1/${i}.jpg`, size: data.length, sha256: sha256Hex(data), open: async () => Readable.from([data]) };
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

function tinyDatasetAt(files: Map<string, Buffer>, root: string): Map<string, Buffer> {
    return new Map([...files].map(([k, v]) => [root + k.slice("dogImages/".length), v]));
}
