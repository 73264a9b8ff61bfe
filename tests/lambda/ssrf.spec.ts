import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as path from "path";
import { SSRF_CASES } from "./support/ssrf-cases";
import type { SsrfReport } from "./support/ssrf-scenarios";

/**
 * Runs tests/lambda/support/ssrf-scenarios.ts in a private network namespace: the attacked
 * addresses live on that namespace's loopback with canaries counting connections, so even a broken
 * guard could not send a packet anywhere else. `unshare -rn` makes the network namespace inside a
 * new user namespace, so any user may create it (no root, no capabilities), and inside it the runner
 * may configure its own loopback and bind ports 80 and 443.
 */
const UNSHARE = ["--user", "--map-root-user", "--net"];

/** Where `ip` lives for users whose PATH has no sbin directory. */
const searchPath = () => [process.env.PATH ?? "", "/usr/sbin", "/sbin"].join(path.delimiter);

/**
 * Why the namespace cannot be made here, naming what is missing, or undefined when it can. The
 * suite fails with this message rather than skipping: a skipped SSRF suite would prove nothing.
 */
function namespaceUnavailable(): string | undefined {
    const env = { ...process.env, PATH: searchPath() };
    const probe = spawnSync("unshare", [...UNSHARE, "ip", "-o", "link", "show"], { env, encoding: "utf8" });
    const errno = probe.error && "code" in probe.error ? probe.error.code : undefined;
    if (errno === "ENOENT") return "`unshare` is not installed (Debian/Ubuntu package util-linux); the SSRF suite needs it to make a private network namespace";
    if (probe.error) return `\`unshare\` could not be started: ${probe.error.message}`;
    const said = `${probe.stderr ?? ""}`.trim();
    if (probe.status !== 0 && /failed to execute ip\b/.test(said)) {
        return "`ip` is not installed (Debian/Ubuntu package iproute2); the SSRF suite needs it to configure its namespace's loopback";
    }
    if (probe.status !== 0) {
        return (
            `this user cannot create a user + network namespace (\`unshare ${UNSHARE.join(" ")}\` said: ${said || `exit ${probe.status}`}). ` +
            "Allow unprivileged user namespaces: sysctl user.max_user_namespaces must be > 0, kernel.unprivileged_userns_clone=1 where that " +
            "setting exists, kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu 23.10 and later; inside a container, a seccomp " +
            "profile that allows unshare/clone with CLONE_NEWUSER"
        );
    }
    const python = spawnSync("python3", ["-c", "import socket"], { env, encoding: "utf8" });
    if (python.error || python.status !== 0) return "`python3` is not installed; the SSRF suite uses it for a listener that never accepts (the connect-timeout scenario)";
    return undefined;
}

function runInNamespace(env: Record<string, string>): Promise<SsrfReport> {
    const root = path.join(__dirname, "..", "..");
    return new Promise((resolve, reject) => {
        const child = spawn("unshare", [...UNSHARE, process.execPath, "-r", "ts-node/register/transpile-only", "tests/lambda/support/ssrf-scenarios.ts"], {
            cwd: root,
            env: { ...process.env, PATH: searchPath(), ...env },
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
        const missing = namespaceUnavailable();
        if (missing) throw new Error(`the SSRF suite cannot run on this machine: ${missing}`);
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
