/**
 * SSRF scenarios, run by tests/lambda/ssrf.spec.ts inside a private network namespace
 * (`unshare --user --map-root-user --net`): nothing here can reach any network but this namespace's own loopback.
 *
 * The loopback carries the addresses under attack (169.254.169.254, 10.0.0.1, ::1, ...), each with a
 * canary on ports 80 and 443 that counts every connection; an image server and the fake SageMaker
 * Runtime listen on 127.0.0.1. Host names are answered by an injected resolver, so a scenario can
 * make DNS say anything, including a different answer on each lookup (rebinding). The results go to
 * stdout as one JSON document for the spec to assert.
 */
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as zlib from "zlib";
import { createHandler, InvocationContext } from "../../../lambda/handler";
import { ResolvedAddress } from "../../../lambda/fetch-image";
import { startFakeSageMakerRuntime } from "./fake-sagemaker-runtime";
import { jpegBytes, sdkEnv, withEnv } from "./fixtures";
import { SSRF_CASES, SsrfCase } from "./ssrf-cases";

export const CANARY_V4 = ["127.0.0.1", "169.254.169.254", "10.0.0.1", "100.64.0.1", "192.168.1.1", "172.16.0.1", "127.0.0.2"];
export const CANARY_V6 = ["::1", "fd00:ec2::254", "fc00::1"];
export const LAB_MAX_IMAGE_BYTES = 65536;

export interface ScenarioResult {
    name: string;
    expected: SsrfCase["expected"];
    status: number;
    code?: string;
    message?: string;
    lookups: number;
    log: Record<string, unknown>;
}

export interface SsrfReport {
    scenarios: ScenarioResult[];
    canaryConnections: Record<string, number>;
    /** Connections the canaries saw from the controls (must be 2 on 169.254.169.254:80). */
    controlConnections: Record<string, number>;
    controlStatus: number;
    /** Endless responses the server was still sending after the scenarios (must be 0). */
    streamsLeftOpen: number;
    imageServerRequests: string[];
    tlsServerNames: string[];
}

function assertIsolated(): void {
    // Ask the kernel (netlink, this namespace) rather than /sys, which shows the mount namespace's view.
    const all = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" })
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => l.split(":")[1].trim().split("@")[0]);
    const interfaces = Object.keys(os.networkInterfaces());
    if (all.length === 0 || all.some((i) => i !== "lo") || interfaces.some((i) => i !== "lo")) {
        throw new Error(`refusing to run: this is not a private network namespace (interfaces: ${all.join(", ")})`);
    }
}

function setUpLoopback(): void {
    execFileSync("ip", ["link", "set", "lo", "up"]);
    for (const a of CANARY_V4.filter((a) => a !== "127.0.0.1")) execFileSync("ip", ["addr", "add", `${a}/32`, "dev", "lo"]);
    for (const a of CANARY_V6.filter((a) => a !== "::1")) execFileSync("ip", ["-6", "addr", "add", `${a}/128`, "dev", "lo", "nodad"]);
}

async function listen(server: net.Server, port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve());
    });
    return (server.address() as net.AddressInfo).port;
}

/** Responses still streaming an endless body: the fetcher must have hung up on all of them. */
const openStreams = new Set<http.ServerResponse>();

function endless(res: http.ServerResponse, status: number, headers: http.OutgoingHttpHeaders, first: Buffer): void {
    res.writeHead(status, headers);
    openStreams.add(res);
    const chunk = Buffer.concat([first, Buffer.alloc(16 * 1024 - first.length)]);
    const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once("drain", pump);
    };
    res.on("close", () => {
        openStreams.delete(res);
        res.removeAllListeners("drain");
    });
    pump();
}

function imageRoutes(requests: string[], image: Buffer): http.RequestListener {
    return (req, res) => {
        const url = new URL(req.url ?? "/", "http://local");
        requests.push(url.pathname);
        const jpeg = () => res.writeHead(200, { "content-type": "image/jpeg", "content-length": image.length }).end(image);
        switch (url.pathname) {
            case "/dog.jpg":
                return jpeg();
            case "/dog-octet":
                return res.writeHead(200, { "content-type": "application/octet-stream" }).end(image);
            case "/redirect":
                return res.writeHead(302, { location: url.searchParams.get("to") ?? "/" }).end();
            case "/html-as-jpeg":
                return res.writeHead(200, { "content-type": "image/jpeg" }).end("<html><body>not a dog</body></html>");
            case "/text":
                return res.writeHead(200, { "content-type": "text/html" }).end("<html></html>");
            case "/gzip":
                return res.writeHead(200, { "content-type": "image/jpeg", "content-encoding": "gzip" }).end(zlib.gzipSync(image));
            case "/missing":
                return res.writeHead(404, { "content-type": "text/plain" }).end("no");
            case "/declared-huge":
                res.writeHead(200, { "content-type": "image/jpeg", "content-length": String(1e9) });
                return void res.write(image.subarray(0, 16));
            case "/endless":
                // No Content-Length: only counting while streaming can stop this.
                return endless(res, 200, { "content-type": "image/jpeg" }, image.subarray(0, 4));
            case "/redirect-endless":
                // A redirect whose body never ends: following it must not leave this stream running.
                return endless(res, 302, { location: "/dog.jpg" }, Buffer.alloc(0));
            case "/slow": {
                res.writeHead(200, { "content-type": "image/jpeg" });
                res.write(image.subarray(0, 16));
                const timer = setInterval(() => res.write(Buffer.alloc(1)), 100);
                res.on("close", () => clearInterval(timer));
                return;
            }
        }
        const chain = /^\/chain\/(\d+)$/.exec(url.pathname);
        if (chain) {
            const n = Number(chain[1]);
            return n === 0 ? jpeg() : res.writeHead(302, { location: `/chain/${n - 1}` }).end();
        }
        res.writeHead(404).end();
    };
}

/**
 * A listener with an accept queue of one that never accepts: once one connection fills the queue,
 * the kernel drops further SYNs and a connect hangs, which is what a black-holed host looks like.
 * Node always accepts, so a small Python process holds the socket.
 */
async function startStuckListener(): Promise<{ port: number; stop: () => void }> {
    const child = spawn("python3", ["-c", "import socket,sys,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(600)"], {
        stdio: ["ignore", "pipe", "inherit"],
    });
    const port = await new Promise<number>((resolve, reject) => {
        child.stdout.once("data", (d: Buffer) => resolve(Number(String(d).trim())));
        child.once("error", reject);
    });
    const filler = await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(port, "127.0.0.1").once("connect", () => resolve(s)).once("error", reject);
    });
    return {
        port,
        stop: () => {
            filler.destroy();
            child.kill();
        },
    };
}

async function main(): Promise<void> {
    assertIsolated();
    setUpLoopback();

    const canaryConnections: Record<string, number> = {};
    const canaries: net.Server[] = [];
    for (const address of [...CANARY_V4, ...CANARY_V6]) {
        for (const port of [80, 443]) {
            const server = net.createServer((socket) => {
                canaryConnections[`${address}:${port}`] = (canaryConnections[`${address}:${port}`] ?? 0) + 1;
                socket.destroy();
            });
            await listen(server, port, address);
            canaries.push(server);
        }
    }

    const image = jpegBytes(8192, "ssrf");
    const imageServerRequests: string[] = [];
    const plain = http.createServer(imageRoutes(imageServerRequests, image));
    const P = await listen(plain, 0, "127.0.0.1");
    const tlsServerNames: string[] = [];
    const tls = https.createServer({ key: fs.readFileSync(process.env.SSRF_TLS_KEY!), cert: fs.readFileSync(process.env.SSRF_TLS_CERT!) }, imageRoutes(imageServerRequests, image));
    tls.on("secureConnection", (s: { servername?: string | false }) => tlsServerNames.push(String(s.servername)));
    const Q = await listen(tls, 0, "127.0.0.1");

    const stuck = await startStuckListener();

    const fake = await startFakeSageMakerRuntime({ endpoints: ["dog-breeds"] });
    const restore = withEnv(sdkEnv(fake.url));
    const base = { ...sdkEnv(fake.url), ENDPOINT_NAME: "dog-breeds" };
    const configs: Record<string, Record<string, string>> = {
        // What a deployment gets: https only, nothing exempted.
        default: base,
        // What tests add to reach the loopback image server: http allowed, exactly 127.0.0.1 exempted.
        lab: {
            ...base,
            ALLOW_HTTP_URLS: "true",
            URL_FETCH_ALLOWED_CIDRS: "127.0.0.1/32",
            MAX_IMAGE_BYTES: String(LAB_MAX_IMAGE_BYTES),
            URL_FETCH_TIMEOUT_MS: "1500",
            URL_FETCH_CONNECT_TIMEOUT_MS: "500",
        },
        // https only, loopback exempted, for the TLS server.
        tls: { ...base, URL_FETCH_ALLOWED_CIDRS: "127.0.0.1/32" },
    };

    const port = (url: string) =>
        url
            .replace(/\{P\}|%7BP%7D/g, String(P))
            .replace(/\{Q\}|%7BQ%7D/g, String(Q))
            .replace(/\{B\}|%7BB%7D/g, String(stuck.port));

    // Controls: the canaries must be able to see a connection, or a zero count would prove nothing.
    // 1. a plain connection; 2. the fetcher itself, when configuration exempts the metadata address.
    await new Promise<void>((resolve, reject) => net.connect(80, "169.254.169.254").on("connect", resolve).on("error", reject));
    const control = createHandler({ env: { ...configs.lab, URL_FETCH_ALLOWED_CIDRS: "169.254.169.254/32" }, log: () => undefined });
    const controlResponse = await control({ url: "http://169.254.169.254/latest/meta-data/" });
    await new Promise((r) => setTimeout(r, 50));
    const controlConnections = { ...canaryConnections };
    for (const key of Object.keys(canaryConnections)) delete canaryConnections[key];

    const results: ScenarioResult[] = [];
    for (const s of SSRF_CASES) {
        let lookups = 0;
        const seen: Record<string, number> = {};
        const resolve = (host: string): Promise<ResolvedAddress[]> => {
            lookups++;
            const answers = s.dns?.[host];
            if (!answers) return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" }));
            const n = seen[host] ?? 0;
            seen[host] = n + 1;
            return Promise.resolve(answers[Math.min(n, answers.length - 1)].map((address) => ({ address, family: net.isIP(address) })));
        };
        const logs: string[] = [];
        const handler = createHandler({ env: configs[s.config], resolve, log: (l) => logs.push(l) });
        const context: InvocationContext | undefined = s.remainingMs ? { getRemainingTimeInMillis: () => s.remainingMs! } : undefined;
        const res = await handler({ url: port(s.url) }, context);
        const body = JSON.parse(res.body) as { error?: { code?: string; message?: string } };
        results.push({ name: s.name, expected: s.expected, status: res.statusCode, code: body.error?.code, message: body.error?.message, lookups, log: JSON.parse(logs[0]) as Record<string, unknown> });
    }

    await new Promise((r) => setTimeout(r, 200));
    const streamsLeftOpen = openStreams.size;
    restore();
    stuck.stop();
    await fake.close();
    for (const server of [...canaries, plain, tls]) {
        (server as http.Server).closeAllConnections?.();
        server.close();
    }
    const report: SsrfReport = {
        scenarios: results,
        canaryConnections,
        controlConnections,
        controlStatus: controlResponse.statusCode,
        streamsLeftOpen,
        imageServerRequests,
        tlsServerNames,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
}

// Only as the namespace's entry point: `mocha tests/lambda` also loads this file, and must not run it.
if (require.main === module) {
    main().then(
        () => process.exit(0),
        (e) => {
            process.stderr.write(`${(e as Error).stack ?? e}\n`);
            process.exit(1);
        },
    );
}
