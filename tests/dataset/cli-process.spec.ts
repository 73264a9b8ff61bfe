import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { loadStackConfig } from "../../plan/stack-config";
import { listObjectSizes } from "../../dataset/s3";
import { BUCKET, LocalS3, startLocalS3, tempDir, tinyDataset, writeTree, writeZip } from "./fixtures";

const ROOT = path.join(__dirname, "..", "..");

/**
 * The real entry point as `npm run dataset:upload` runs it (ts-node, transpile only), in a child
 * process (asynchronously, so an s3rver in this process's children keeps serving).
 */
function runCli(
    args: string[],
    env: NodeJS.ProcessEnv = {},
    onStderr?: (stderr: string, child: ChildProcess) => void,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
    const tsNode = require.resolve("ts-node/dist/bin.js");
    const child = spawn(process.execPath, [tsNode, "--transpile-only", path.join(ROOT, "dataset", "cli-main.ts"), ...args], {
        cwd: ROOT,
        // No PATH (so no Pulumi CLI), no AWS settings from the developer's shell.
        env: { NODE_NO_WARNINGS: "1", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => {
        stderr += b.toString();
        onStderr?.(stderr, child);
    });
    return new Promise(resolve => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
}

describe("dataset:upload as a process", () => {
    it("--help prints the usage and exits 0", async () => {
        const r = await runCli(["--help"]);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /^Usage: npm run dataset:upload -- --stack <stack> \[options\]/);
        assert.match(r.stdout, /--source <url\|zip\|dir>/);
    });

    it("an unknown flag exits 2 with one line on stderr and no stack trace", async () => {
        const r = await runCli(["--stack", "dev", "--sorce", "x"]);
        assert.strictEqual(r.code, 2);
        assert.strictEqual(r.stdout, "");
        assert.match(r.stderr, /^dataset:upload: unknown flag "--sorce" \(allowed: [^\n]*\)\n$/);
    });

    it("a stack that does not exist exits 2 naming it", async () => {
        const r = await runCli(["--stack", "no-such-stack", "--bucket", "b-1", "--source", ROOT]);
        assert.strictEqual(r.code, 2);
        assert.match(r.stderr, /^dataset:upload: cannot read the configuration of stack "no-such-stack": no stack "no-such-stack": \S+Pulumi\.no-such-stack\.yaml does not exist[^\n]*\n$/);
    });

    describe("against the repository's dev stack and a local S3 server", () => {
        let s3: LocalS3;
        let work: string;

        before(async () => {
            s3 = await startLocalS3();
            work = tempDir("dataset-cli");
        });

        after(async () => {
            await s3.close();
            fs.rmSync(work, { recursive: true, force: true });
        });

        it("`--stack dev` uploads under the dev stack's dataset prefix, with plain progress lines when stderr is not a terminal", async () => {
            const dataset = tinyDataset("dogImages/");
            const zip = path.join(work, "dogImages.zip");
            writeZip(zip, dataset);
            // Read independently of the tool: mlops:dataset.prefix if dev sets it, else the documented default.
            const devDataset = loadStackConfig("dev")["mlops:dataset"];
            const prefix: string = (devDataset && (JSON.parse(devDataset) as { prefix?: string }).prefix) || "datasets/dogImages/";

            const env = { AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };
            const r = await runCli(["--stack", "dev", "--bucket", BUCKET, "--source", zip], env);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stderr, new RegExp(`^target: s3://${BUCKET}/${prefix} \\(us-east-1, endpoint ${s3.endpoint}\\)$`, "m"));
            assert.match(r.stderr, new RegExp(`^upload \\[#{24}\\] 100% ${dataset.size}/${dataset.size} files [\\d.]+ KiB/[\\d.]+ KiB [\\d.]+ \\S+/s$`, "m"));
            assert.doesNotMatch(r.stderr, /\r/);
            assert.match(r.stdout, new RegExp(`^uploaded ${dataset.size} files \\([\\d.]+ KiB, 0 by multipart\\) in [\\d.]+ s, skipped 0 already there`));
            assert.match(r.stdout, new RegExp(`^manifest: s3://${BUCKET}/${prefix}manifest\\.json written: contentHash [0-9a-f]{64} \\(${dataset.size} objects, 3 classes\\)$`, "m"));
            const keys = [...(await listObjectSizes(s3.client, BUCKET, "")).keys()].sort();
            assert.deepStrictEqual(keys, [...[...dataset.keys()].map(k => prefix + k.slice("dogImages/".length)), prefix + "manifest.json"].sort());
        });

        it("Ctrl-C (SIGINT) exits 130 after the uploads in flight, saying how many files were done and how many remain", async () => {
            const dataset = tinyDataset("");
            for (let i = 0; i < 400; i++) dataset.set(`train/001.Affenpinscher/extra_${i}.jpg`, Buffer.from(`image ${i}`));
            const dir = path.join(work, "many");
            writeTree(dir, dataset);
            const env = { AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };
            let sent = false;
            const r = await runCli(["--stack", "dev", "--bucket", BUCKET, "--source", dir, "--prefix", "interrupted/", "--concurrency", "1"], env, (stderr, child) => {
                // The upload bar's first line comes with the first file uploaded.
                if (!sent && /^upload \[/m.test(stderr)) {
                    sent = true;
                    child.kill("SIGINT");
                }
            });
            assert.ok(sent, r.stderr);
            assert.strictEqual(r.code, 130, r.stderr);
            assert.match(r.stderr, /^dataset:upload: SIGINT: stopping after the uploads in flight \(again to stop at once\)$/m);
            const last = r.stderr.trimEnd().split("\n").pop()!;
            const m = new RegExp(`^dataset:upload: interrupted \\(SIGINT\\): (\\d+) of ${dataset.size} files uploaded, (\\d+) remain; run the same command again to resume`).exec(last);
            assert.ok(m, last);
            assert.strictEqual(Number(m[1]) + Number(m[2]), dataset.size);
            assert.ok(Number(m[2]) > 0);
            assert.strictEqual((await listObjectSizes(s3.client, BUCKET, "interrupted/")).size, Number(m[1]), "what it says is there, and no manifest");
        });
    });
});
