/**
 * Local benchmark of dataset:upload: a dogImages-sized tree (8351 files in 133 classes, split
 * 6680/835/836 like the real dataset) uploaded to s3rver on 127.0.0.1, then uploaded again (all
 * skipped). It measures this tool plus s3rver on one machine, not S3 over the internet.
 *
 *   npx ts-node --transpile-only bench/dataset.ts [--kib 16] [--concurrency 16]
 */
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../dataset/cli";
import { formatBytes } from "../dataset/progress";

async function bench(): Promise<void> {
    const argv = process.argv.slice(2);
    const flag = (name: string, fallback: number) => {
        const i = argv.indexOf(`--${name}`);
        return i >= 0 ? Number(argv[i + 1]) : fallback;
    };
    const kib = flag("kib", 16);
    const concurrency = flag("concurrency", 16);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-dataset-bench-"));
    const root = path.join(work, "dogImages");

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

    const storage = path.join(work, "s3");
    fs.mkdirSync(storage);
    const server = spawn(process.execPath, ["--openssl-legacy-provider", path.join(__dirname, "..", "tests", "dataset", "s3rver-process.js"),
        storage, "bench-bucket", path.join(work, "events")], { stdio: ["pipe", "pipe", "inherit"] });
    const port = await new Promise<number>(resolve => server.stdout!.once("data", (b: Buffer) => resolve(JSON.parse(b.toString()).port)));
    const deps = {
        env: { AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`, AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" },
        stdout: { write: (_: string) => true },
        stderr: { write: (_: string) => true },
        loadStackConfig: (_stack: string) => ({ "aws:region": "us-east-1" }),
    };
    try {
        console.log(`dataset: ${files} files, ${formatBytes(bytes)}; concurrency ${concurrency}; s3rver on 127.0.0.1; ${os.cpus().length} CPUs`);
        for (const label of ["first run (uploads all)", "second run (skips all)"]) {
            const t0 = process.hrtime.bigint();
            const code = await main(["--stack", "bench", "--bucket", "bench-bucket", "--source", root, "--concurrency", String(concurrency)], deps);
            const s = Number(process.hrtime.bigint() - t0) / 1e9;
            if (code !== 0) throw new Error(`${label}: exit ${code}`);
            console.log(`${label}: ${s.toFixed(1)} s, ${(files / s).toFixed(0)} files/s, ${formatBytes(bytes / s)}/s`);
        }
    } finally {
        server.stdin!.end();
        await new Promise(resolve => server.once("exit", resolve));
        fs.rmSync(work, { recursive: true, force: true });
    }
}

bench().catch(err => {
    console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
});
