import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MainDeps, main } from "../../dataset/cli";
import { checkDownloadUrl, downloadToTempFile, removeTempDownloadsSync } from "../../dataset/download";
import { DEFAULT_SOURCE } from "../../dataset/args";
import { listObjectSizes } from "../../dataset/s3";
import { BUCKET, Capture, LocalS3, REGION, closedPort, mainDeps, startHttpServer, startLocalS3, tempDir, tinyDataset, writeProject, writeZip } from "./fixtures";

describe("dataset:upload from a URL (local HTTP server on 127.0.0.1)", () => {
    let s3: LocalS3;
    let web: { origin: string; close(): Promise<void> };
    let work: string;
    let projectDir: string;
    let zipBytes: Buffer;
    const dataset = tinyDataset("dogImages/");

    before(async () => {
        s3 = await startLocalS3();
        work = tempDir("dataset-url");
        projectDir = path.join(work, "project");
        fs.mkdirSync(projectDir);
        writeProject(projectDir, { test: { "aws:region": REGION } });
        const zipFile = path.join(work, "dogImages.zip");
        writeZip(zipFile, dataset);
        zipBytes = fs.readFileSync(zipFile);
        web = await startHttpServer((req, res) => {
            switch (req.url) {
                case "/dogImages.zip":
                    res.writeHead(200, { "content-type": "application/zip", "content-length": zipBytes.length });
                    res.end(zipBytes);
                    return;
                case "/moved.zip":
                    res.writeHead(302, { location: "/dogImages.zip" });
                    res.end();
                    return;
                case "/elsewhere.zip":
                    // A plain-http origin that is not on the allow-list.
                    res.writeHead(302, { location: "http://127.0.0.2:9/dogImages.zip" });
                    res.end();
                    return;
                case "/page.zip":
                    res.writeHead(200, { "content-type": "text/html" });
                    res.end("<html>not a zip</html>");
                    return;
                case "/stall.zip":
                    // Sends a little, then nothing until the client goes away.
                    res.writeHead(200, { "content-length": zipBytes.length });
                    res.write(zipBytes.subarray(0, 100));
                    return;
                case "/short.zip":
                    // Announces more bytes than it sends, then hangs up.
                    res.writeHead(200, { "content-length": zipBytes.length });
                    res.write(zipBytes.subarray(0, 100), () => res.destroy());
                    return;
                default:
                    res.writeHead(404);
                    res.end();
            }
        });
    });

    after(async () => {
        await web.close();
        await s3.close();
        fs.rmSync(work, { recursive: true, force: true });
    });

    beforeEach(() => {
        s3.resetCreated();
    });

    async function run(source: string, allowLocal = true, extra: Partial<MainDeps> = {}) {
        const deps = mainDeps(projectDir, s3.endpoint, { ...(allowLocal ? { download: { insecureHttpOrigins: [web.origin] } } : {}), ...extra });
        const code = await main(["--stack", "test", "--bucket", BUCKET, "--source", source, "--prefix", "from-url/"], deps);
        return { code, stdout: deps.out.text, stderr: deps.err.text };
    }

    it("downloads the zip (following a redirect) and uploads its files under the prefix", async () => {
        const r = await run(`${web.origin}/moved.zip`);
        assert.strictEqual(r.code, 0, r.stderr);
        const keys = [...(await listObjectSizes(s3.client, BUCKET, "from-url/")).keys()].sort();
        assert.deepStrictEqual(keys, [...[...dataset.keys()].map(k => "from-url/" + k.slice("dogImages/".length)), "from-url/manifest.json"].sort());
        assert.match(r.stderr, /download .*\d+(\.\d)? KiB/, "download progress on stderr");
    });

    it("refuses plain http unless the origin is explicitly allowed, before any request", async () => {
        const r = await run(`${web.origin}/dogImages.zip`, false);
        assert.strictEqual(r.code, 2);
        assert.strictEqual(r.stderr, `dataset:upload: only https URLs can be downloaded (got http://${web.origin.slice("http://".length)})\n`);
        assert.strictEqual(s3.created().length, 0);
    });

    it("by default allows https only: Udacity's public URL passes, http and other schemes do not", () => {
        assert.strictEqual(checkDownloadUrl(DEFAULT_SOURCE).host, "s3-us-west-1.amazonaws.com");
        assert.throws(() => checkDownloadUrl("http://s3-us-west-1.amazonaws.com/udacity-aind/dog-project/dogImages.zip"), /only https URLs/);
        assert.throws(() => checkDownloadUrl("ftp://example.com/dogImages.zip"), /only https URLs/);
        assert.throws(() => checkDownloadUrl("https://user:secret@example.com/x.zip"), /must not carry credentials/);
    });

    it("refuses a redirect to an origin that is not allowed", async () => {
        const r = await run(`${web.origin}/elsewhere.zip`);
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /^dataset:upload: cannot download http:\/\/127\.0\.0\.1:\d+\/elsewhere\.zip: refused redirect to http:\/\/127\.0\.0\.2:9\/dogImages\.zip: only https URLs/m);
    });

    it("fails with one line and exit 1 on HTTP 404, a page that is not a zip, a truncated body and an unreachable host", async () => {
        const port = await closedPort();
        const cases: [string, RegExp][] = [
            [`${web.origin}/missing.zip`, /cannot download http:\/\/127\.0\.0\.1:\d+\/missing\.zip: HTTP 404/],
            [`${web.origin}/page.zip`, /http:\/\/127\.0\.0\.1:\d+\/page\.zip is not a readable zip file: end of central directory record signature not found/i],
            [`${web.origin}/short.zip`, /cannot download http:\/\/127\.0\.0\.1:\d+\/short\.zip: .*(aborted|ECONNRESET|got 100 of)/],
            [`https://127.0.0.1:${port}/dogImages.zip`, new RegExp(`cannot download https://127\\.0\\.0\\.1:${port}/dogImages\\.zip: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}`)],
        ];
        for (const [source, message] of cases) {
            const r = await run(source);
            assert.strictEqual(r.code, 1, `${source}: ${r.stderr}`);
            const errorLines = r.stderr.split("\n").filter(l => l.startsWith("dataset:upload:"));
            assert.strictEqual(errorLines.length, 1, r.stderr);
            assert.match(errorLines[0], message);
            assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
        }
        assert.strictEqual(s3.created().length, 0);
    });

    it("an interrupt (SIGTERM) during the download exits 143, says nothing was uploaded, and removes the partial download", async () => {
        const tempDirs = () => new Set(fs.readdirSync(os.tmpdir()).filter(d => d.startsWith("mlops-dataset-")));
        const before = tempDirs();
        const controller = new AbortController();
        const stderr = new Capture();
        stderr.write = (s: string) => {
            stderr.text += s;
            if (s.startsWith("download ")) controller.abort("SIGTERM");
            return true;
        };
        const r = await run(`${web.origin}/stall.zip`, true, { signal: controller.signal, stderr });
        assert.strictEqual(r.code, 143, stderr.text);
        assert.strictEqual(stderr.text.trimEnd().split("\n").pop(), "dataset:upload: interrupted (SIGTERM) before anything was uploaded");
        assert.deepStrictEqual([...tempDirs()].filter(d => !before.has(d)), [], "no partial download left");
        assert.strictEqual(s3.created().length, 0);
    });

    it("removes the temporary download when done", async () => {
        const downloaded = await downloadToTempFile(`${web.origin}/dogImages.zip`, { insecureHttpOrigins: [web.origin] });
        assert.ok(fs.readFileSync(downloaded.file).equals(zipBytes));
        await downloaded.cleanup();
        assert.strictEqual(fs.existsSync(path.dirname(downloaded.file)), false);
    });

    it("can delete a download still in progress (what the CLI does on Ctrl-C)", async () => {
        const tempDirs = () => new Set(fs.readdirSync(os.tmpdir()).filter(d => d.startsWith("mlops-dataset-")));
        const before = tempDirs();
        let sawBytes!: () => void;
        const started = new Promise<void>(resolve => (sawBytes = resolve));
        const download = downloadToTempFile(`${web.origin}/stall.zip`, {
            insecureHttpOrigins: [web.origin],
            idleTimeoutMs: 2_000,
            onProgress: () => sawBytes(),
        });
        await started;
        const ours = [...tempDirs()].filter(d => !before.has(d));
        assert.strictEqual(ours.length, 1, "the partial download's folder is on disk");
        removeTempDownloadsSync();
        assert.strictEqual(fs.existsSync(path.join(os.tmpdir(), ours[0])), false, "and gone after the interrupt cleanup");
        await assert.rejects(download, /cannot download .*stall\.zip/);
    });
});
