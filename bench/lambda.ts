/**
 * `npm run bench:lambda`: what the inference Lambda costs on top of the endpoint, measured locally.
 *
 * Prints, in one run: the bundle's size, its cold import time, per-request latency p50/p99 at
 * concurrency 1 and 50 for the deployed bundle's handler and for a bare SDK InvokeEndpoint call
 * with the same image against the same local SageMaker Runtime (so the handler's own overhead shows
 * as a ratio), the same for an image URL on a loopback server, and a soak of 10,000 handler requests at concurrency 50 with errors and memory.
 * Loopback only: the fake SageMaker Runtime runs in a child process on 127.0.0.1.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import * as v8 from "v8";
import * as vm from "vm";
import * as zlib from "zlib";
import { InvokeEndpointCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { bundleHandler } from "../lambda/bundle";
import { jpegBytes, sdkEnv } from "../tests/lambda/support/fixtures";

const ROOT = path.join(__dirname, "..");
const IMAGE = jpegBytes(64 * 1024, "bench");
const ENDPOINT = "dog-breeds";
const WARMUP = 200;
const RUNS = { c1: 1000, c50: 5000 };
const SOAK = 10000;

type Call = () => Promise<boolean>;

interface Stats {
    p50: number;
    p99: number;
    rps: number;
    errors: number;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** Runs `total` calls with `concurrency` in flight; latencies in ms. */
async function run(call: Call, total: number, concurrency: number): Promise<{ latencies: number[]; errors: number; seconds: number }> {
    const latencies: number[] = [];
    let errors = 0;
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
        Array.from({ length: concurrency }, async () => {
            while (next < total) {
                next++;
                const t0 = process.hrtime.bigint();
                const ok = await call().catch(() => false);
                latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
                if (!ok) errors++;
            }
        }),
    );
    return { latencies, errors, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

function stats(parts: Array<{ latencies: number[]; errors: number; seconds: number }>): Stats {
    const latencies = parts.flatMap((p) => p.latencies).sort((a, b) => a - b);
    const seconds = parts.reduce((a, p) => a + p.seconds, 0);
    return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), rps: latencies.length / seconds, errors: parts.reduce((a, p) => a + p.errors, 0) };
}

async function measure(call: Call, total: number, concurrency: number): Promise<Stats> {
    return stats([await run(call, total, concurrency)]);
}

/**
 * Handler and bare SDK in alternating rounds, so that load from elsewhere on a shared machine
 * falls on both sides of the ratio alike.
 */
async function compare(a: Call, b: Call, total: number, concurrency: number, rounds = 5): Promise<{ handler: Stats; sdk: Stats }> {
    const partsA = [];
    const partsB = [];
    for (let r = 0; r < rounds; r++) {
        partsA.push(await run(a, total / rounds, concurrency));
        partsB.push(await run(b, total / rounds, concurrency));
    }
    return { handler: stats(partsA), sdk: stats(partsB) };
}

function startFakeRuntime(): Promise<{ url: string; child: ChildProcess }> {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "tests/lambda/support/fake-sagemaker-runtime.ts"], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "inherit"],
    });
    return new Promise((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d) => {
            out += d;
            const line = out.split("\n")[0];
            if (out.includes("\n")) resolve({ url: (JSON.parse(line) as { url: string }).url, child });
        });
        child.on("exit", (code) => reject(new Error(`fake SageMaker Runtime exited with ${code}`)));
    });
}

function coldImportMs(file: string, runs = 7): number[] {
    const script = `const t=process.hrtime.bigint();const m=require(${JSON.stringify(file)});const d=Number(process.hrtime.bigint()-t)/1e6;if(typeof m.handler!=="function")process.exit(2);console.log(d)`;
    return Array.from({ length: runs }, () => Number(execFileSync(process.execPath, ["-e", script], { cwd: path.dirname(file), env: { PATH: process.env.PATH ?? "" } }).toString().trim())).sort((a, b) => a - b);
}

function collectGarbage(): void {
    v8.setFlagsFromString("--expose-gc");
    (vm.runInNewContext("gc") as () => void)();
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const f = (n: number) => n.toFixed(2).padStart(8);

async function main(): Promise<void> {
    const bundle = bundleHandler();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-lambda-"));
    const file = path.join(dir, "index.js");
    fs.writeFileSync(file, bundle.code);
    const gzipped = zlib.gzipSync(bundle.code).length;
    const imports = coldImportMs(file);

    const fake = await startFakeRuntime();
    // A loopback image server for the URL path, exempted the way tests exempt it (never by default).
    const images = http.createServer((_req, res) => res.writeHead(200, { "content-type": "image/jpeg", "content-length": IMAGE.length }).end(IMAGE));
    await new Promise<void>((r) => images.listen(0, "127.0.0.1", r));
    const imageUrl = `http://127.0.0.1:${(images.address() as { port: number }).port}/dog.jpg`;
    Object.assign(process.env, sdkEnv(fake.url), { ENDPOINT_NAME: ENDPOINT, ALLOW_HTTP_URLS: "true", URL_FETCH_ALLOWED_CIDRS: "127.0.0.1/32" });

    // The deployed artifact itself, loaded the way Lambda loads it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle is a CommonJS file built at run time; Lambda require()s it the same way
    const deployed = require(file) as { handler: (e: unknown, c?: unknown) => Promise<{ statusCode: number }> };
    const event = { image: IMAGE.toString("base64") };
    const context = { awsRequestId: "bench", getRemainingTimeInMillis: () => 30000 };
    const viaHandler: Call = async () => (await deployed.handler(event, context)).statusCode === 200;
    const viaHandlerUrl: Call = async () => (await deployed.handler({ url: imageUrl }, context)).statusCode === 200;

    const bare = new SageMakerRuntimeClient({
        maxAttempts: 1,
        requestHandler: { httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }), httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 64 }) },
    });
    const command = () => new InvokeEndpointCommand({ EndpointName: ENDPOINT, Body: IMAGE, ContentType: "image/jpeg", Accept: "application/json", CustomAttributes: "top_k=5" });
    const viaSdk: Call = async () => {
        const out = await bare.send(command());
        return (JSON.parse(Buffer.from(out.Body).toString("utf8")) as { predictions: unknown[] }).predictions.length === 5;
    };

    // The handler writes one log line per request to stdout; keep the serialisation, drop the output.
    const realWrite = process.stdout.write.bind(process.stdout);
    let logLines = 0;
    const quiet = () => {
        process.stdout.write = ((chunk: string | Uint8Array) => {
            logLines++;
            return typeof chunk === "string" || chunk instanceof Uint8Array;
        });
    };
    const loud = () => {
        process.stdout.write = realWrite;
    };

    quiet();
    const firstRequest = process.hrtime.bigint();
    const firstOk = await viaHandler();
    const firstMs = Number(process.hrtime.bigint() - firstRequest) / 1e6;
    await measure(viaHandler, WARMUP, 10);
    await measure(viaSdk, WARMUP, 10);
    const results = {
        c1: await compare(viaHandler, viaSdk, RUNS.c1, 1),
        c50: await compare(viaHandler, viaSdk, RUNS.c50, 50),
    };
    const urlPath = await compare(viaHandlerUrl, viaHandler, RUNS.c1, 1);
    collectGarbage();
    const before = process.memoryUsage();
    const soak = await measure(viaHandler, SOAK, 50);
    collectGarbage();
    const after = process.memoryUsage();
    loud();

    fake.child.kill("SIGTERM");
    images.close();
    fs.rmSync(dir, { recursive: true, force: true });

    const cpu = os.cpus()[0]?.model ?? "unknown CPU";
    console.log(`bench:lambda  node ${process.version}, ${os.cpus().length} x ${cpu}; image ${IMAGE.length} B JPEG-signature payload; fake SageMaker Runtime on 127.0.0.1 (child process)`);
    console.log("");
    console.log(`bundle                 ${(bundle.code.length / 1024).toFixed(0)} KiB minified, ${(gzipped / 1024).toFixed(0)} KiB gzipped (sha256 ${bundle.sha256.slice(0, 12)})`);
    console.log(`cold import (require)  median ${imports[Math.floor(imports.length / 2)].toFixed(1)} ms, min ${imports[0].toFixed(1)} ms over ${imports.length} fresh node processes`);
    console.log(`first request          ${firstMs.toFixed(1)} ms (client creation + first connection)${firstOk ? "" : "  FAILED"}`);
    console.log("");
    console.log("latency (ms)        |      handler (bundle)       |       bare SDK call         | handler/SDK");
    console.log("                    |    p50      p99     req/s   |    p50      p99     req/s   |  p50   p99");
    for (const [name, label, n] of [["c1", "concurrency 1", RUNS.c1], ["c50", "concurrency 50", RUNS.c50]] as const) {
        const { handler, sdk } = results[name];
        console.log(
            `${`${label} x${n}`.padEnd(20)}|${f(handler.p50)} ${f(handler.p99)} ${handler.rps.toFixed(0).padStart(8)}   |${f(sdk.p50)} ${f(sdk.p99)} ${sdk.rps.toFixed(0).padStart(8)}   | ${(handler.p50 / sdk.p50).toFixed(2)}  ${(handler.p99 / sdk.p99).toFixed(2)}`,
        );
        if (handler.errors + sdk.errors > 0) console.log(`  errors: handler ${handler.errors}, sdk ${sdk.errors}`);
    }
    console.log(
        `URL instead of base64, c=1: p50 ${urlPath.handler.p50.toFixed(2)} ms, p99 ${urlPath.handler.p99.toFixed(2)} ms vs ${urlPath.sdk.p50.toFixed(2)} / ${urlPath.sdk.p99.toFixed(2)} ms (image event); the fetch opens one pinned connection per request to an in-process loopback server${urlPath.handler.errors ? `; errors ${urlPath.handler.errors}` : ""}`,
    );
    console.log("");
    console.log(`soak ${SOAK} requests at concurrency 50: errors ${soak.errors}, p50 ${soak.p50.toFixed(2)} ms, p99 ${soak.p99.toFixed(2)} ms, ${soak.rps.toFixed(0)} req/s`);
    console.log(`  RSS ${mb(before.rss)} -> ${mb(after.rss)}, heap used ${mb(before.heapUsed)} -> ${mb(after.heapUsed)}, external ${mb(before.external)} -> ${mb(after.external)} (after GC); ${logLines} log lines produced`);
    if (soak.errors > 0 || urlPath.handler.errors > 0 || !firstOk) process.exitCode = 1;
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
