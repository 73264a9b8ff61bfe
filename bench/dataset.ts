/**
 * Local benchmark of dataset:upload: a dogImages-sized tree (8351 files in 133 classes, split
 * 6680/835/836 like the real dataset) sent to s3rver on 127.0.0.1 four ways, in one run:
 *   - baseline: a bare loop of PutObject over the same files (same concurrency), no checks at all;
 *   - the tool's first run: verify every file (SHA-256), upload with checksums, write the manifest;
 *   - the tool's second run: verify again, read every object's SHA-256 (HeadObject), upload nothing;
 *   - the verify pass alone (read and hash every file, no network).
 * It measures this tool plus s3rver on one machine, not S3 over the internet.
 *
 *   npx ts-node --transpile-only bench/dataset.ts [--kib 16] [--concurrency 16]
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { main } from "../dataset/cli";
import { openDirectorySource } from "../dataset/dir-source";
import { forEachLimited } from "../dataset/pool";
import { formatBytes } from "../dataset/progress";
import { createS3Client } from "../dataset/s3";
import { verifyFiles } from "../dataset/verify";

const BUCKET = "bench-bucket";
const KEYS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

function options(): { kib: number; concurrency: number } {
    const { values } = parseArgs({ options: { kib: { type: "string", default: "16" }, concurrency: { type: "string", default: "16" } } });
    const whole = (name: string, raw: string) => {
        if (!/^[1-9]\d*$/.test(raw)) throw new Error(`--${name} must be a whole number above 0 (got "${raw}")`);
        return Number(raw);
    };
    return { kib: whole("kib", values.kib), concurrency: whole("concurrency", values.concurrency) };
}

/** The tree: train/valid/test with 133 classes, file sizes from 0.5x to 1.5x `kib`, random bytes. */
function writeDataset(root: string, kib: number): { files: number; bytes: number } {
    const counts = { train: 6680, valid: 835, test: 836 };
    let bytes = 0;
    let files = 0;
    for (const [split, count] of Object.entries(counts)) {
        for (let i = 0; i < count; i++) {
            const cls = `${String((i % 133) + 1).padStart(3, "0")}.Breed_${i % 133}`;
            const dir = path.join(root, split, cls);
            fs.mkdirSync(dir, { recursive: true });
            const size = Math.round(kib * 1024 * (0.5 + ((i * 7919) % 1000) / 1000));
            fs.writeFileSync(path.join(dir, `img_${i}.jpg`), crypto.randomBytes(size));
            bytes += size;
            files++;
        }
    }
    return { files, bytes };
}

async function timed(run: () => Promise<void>): Promise<number> {
    const t0 = process.hrtime.bigint();
    await run();
    return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function bench(): Promise<void> {
    const { kib, concurrency } = options();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-dataset-bench-"));
    const root = path.join(work, "dogImages");
    const { files, bytes } = writeDataset(root, kib);

    const storage = path.join(work, "s3");
    fs.mkdirSync(storage);
    const server = spawn(process.execPath, ["--openssl-legacy-provider", path.join(__dirname, "..", "tests", "dataset", "s3rver-process.js"),
        storage, BUCKET, path.join(work, "events")], { stdio: ["pipe", "pipe", "inherit"] });
    const port = await new Promise<number>(resolve => server.stdout.once("data", (b: Buffer) => resolve((JSON.parse(b.toString()) as { port: number }).port)));
    const endpoint = `http://127.0.0.1:${port}`;
    const deps = {
        env: { AWS_ENDPOINT_URL_S3: endpoint, AWS_ACCESS_KEY_ID: KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: KEYS.secretAccessKey },
        stdout: { write: (_: string) => true },
        stderr: { write: (_: string) => true },
        loadStackConfig: (_stack: string) => ({ "aws:region": "us-east-1" }),
    };
    const tool = (prefix: string) => async () => {
        const code = await main(["--stack", "bench", "--bucket", BUCKET, "--source", root, "--prefix", prefix, "--concurrency", String(concurrency)], deps);
        if (code !== 0) throw new Error(`dataset:upload exited ${code}`);
    };
    try {
        const source = await openDirectorySource(root);
        const client = createS3Client({ region: "us-east-1", endpoint, credentials: KEYS });
        const baseline = await timed(async () => {
            await forEachLimited(source.files, concurrency, async f => {
                const Body = await fs.promises.readFile(path.join(root, ...f.key.split("/")));
                await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `baseline/${f.key}`, Body }));
            });
        });
        client.destroy();
        const rows: [string, number][] = [
            ["baseline: bare PutObject loop, no checks", baseline],
            ["dataset:upload, first run (verify, upload all, manifest)", await timed(tool("tool/"))],
            ["dataset:upload, second run (verify, HeadObject all, upload none)", await timed(tool("tool/"))],
            ["verify pass alone (read + SHA-256, no network)", await timed(async () => {
                await verifyFiles(source.files, { concurrency });
            })],
        ];

        console.log(`dataset: ${files} files, ${formatBytes(bytes)}; concurrency ${concurrency}; s3rver on 127.0.0.1; ${os.cpus().length} CPUs; node ${process.version}`);
        const width = Math.max(...rows.map(([label]) => label.length));
        console.log(`${"run".padEnd(width)}  time      files/s   MiB/s   vs baseline`);
        for (const [label, s] of rows) {
            console.log(`${label.padEnd(width)}  ${s.toFixed(1).padStart(6)} s  ${(files / s).toFixed(0).padStart(7)}  ${(bytes / s / 2 ** 20).toFixed(1).padStart(6)}   ${(s / baseline).toFixed(2)}x`);
        }
    } finally {
        server.stdin.end();
        await new Promise(resolve => server.once("exit", resolve));
        fs.rmSync(work, { recursive: true, force: true });
    }
}

bench().catch(err => {
    console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
});
