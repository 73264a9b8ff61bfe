import * as assert from "assert";
import { spawn } from "child_process";
import * as path from "path";
import { SSRF_CASES } from "./support/ssrf-cases";
import type { SsrfReport } from "./support/ssrf-scenarios";

/**
 * Runs tests/lambda/support/ssrf-scenarios.ts in a private network namespace (`unshare -n`, root
 * required, as in CI): the attacked addresses live on that namespace's loopback with canaries
 * counting connections, so even a broken guard could not send a packet anywhere else.
 */
function runInNamespace(env: Record<string, string>): Promise<SsrfReport> {
    const root = path.join(__dirname, "..", "..");
    return new Promise((resolve, reject) => {
        const child = spawn("unshare", ["-n", process.execPath, "-r", "ts-node/register/transpile-only", "tests/lambda/support/ssrf-scenarios.ts"], {
            cwd: root,
            env: { ...process.env, ...env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (err += d));
        child.on("error", reject);
        child.on("close", (code) => {
            if (code !== 0) return reject(new Error(`the namespace runner exited with ${code}:\n${err.slice(-3000)}`));
            try {
                resolve(JSON.parse(out) as SsrfReport);
            } catch {
                reject(new Error(`the namespace runner printed no report:\n${out.slice(-2000)}\n${err.slice(-2000)}`));
            }
        });
    });
}

describe("lambda URL fetching cannot reach private networks (SSRF), in a private network namespace", function () {
    this.timeout(120000);
    let report: SsrfReport;
    const tls = path.join(__dirname, "support", "tls");

    before(async () => {
        // A self-signed certificate for `images.test`, trusted by the runner process only.
        report = await runInNamespace({
            SSRF_TLS_KEY: path.join(tls, "images.test.key.pem"),
            SSRF_TLS_CERT: path.join(tls, "images.test.cert.pem"),
            NODE_EXTRA_CA_CERTS: path.join(tls, "images.test.cert.pem"),
        });
    });

    it("the canaries work: a direct connection and an explicitly exempted fetch are both counted", () => {
        assert.deepStrictEqual(report.controlConnections, { "169.254.169.254:80": 2 });
        assert.strictEqual(report.controlStatus, 422, "the canary hangs up, so the exempted fetch fails");
    });

    for (const c of SSRF_CASES) {
        it(`${c.name} -> ${c.expected.status}${c.expected.code ? ` ${c.expected.code}` : ""}`, () => {
            const r = report.scenarios.find((s) => s.name === c.name);
            assert.ok(r, `no result for ${c.name}`);
            assert.strictEqual(r.status, c.expected.status, JSON.stringify(r));
            if (c.expected.code) assert.strictEqual(r.code, c.expected.code, JSON.stringify(r));
            if (c.expected.message) assert.ok(r.message?.includes(c.expected.message), `${r.message} should mention "${c.expected.message}"`);
            if (c.expected.lookups !== undefined) assert.strictEqual(r.lookups, c.expected.lookups, "DNS lookups");
            // The log names the host at most: never the path or the query string.
            const logged = JSON.stringify(r.log);
            assert.ok(!logged.includes("/latest/meta-data") && !logged.includes("token=") && !logged.includes("?"), logged);
            assert.strictEqual(r.log.status, r.status);
        });
    }

    it("no scenario connected to any canary (169.254.169.254, 10.0.0.1, 100.64.0.1, 192.168.1.1, 172.16.0.1, 127.0.0.1, ::1, fd00:ec2::254, ...)", () => {
        assert.deepStrictEqual(report.canaryConnections, {});
    });

    it("the fetcher hung up on every endless body (413 and redirect alike)", () => {
        assert.strictEqual(report.streamsLeftOpen, 0);
    });

    it("a pinned TLS connection presents the requested name (SNI), not the address", () => {
        assert.deepStrictEqual(report.tlsServerNames, ["images.test"]);
    });
});
