import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");

/** The real entry point as `npm run dataset:upload` runs it (ts-node, transpile only), in a child process. */
function runCli(args: string[], env: NodeJS.ProcessEnv = {}) {
    const tsNode = require.resolve("ts-node/dist/bin.js");
    const r = spawnSync(process.execPath, [tsNode, "--transpile-only", path.join(ROOT, "tools", "dataset-upload.ts"), ...args], {
        cwd: ROOT,
        // No PATH (so no Pulumi CLI), no AWS settings from the developer's shell.
        env: { NODE_NO_WARNINGS: "1", ...env },
        encoding: "utf8",
        timeout: 60_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("dataset:upload as a process", () => {
    it("--help prints the usage and exits 0", () => {
        const r = runCli(["--help"]);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /^Usage: npm run dataset:upload -- --stack <stack> \[options\]/);
        assert.match(r.stdout, /--source <url\|zip\|dir>/);
    });

    it("an unknown flag exits 2 with one line on stderr and no stack trace", () => {
        const r = runCli(["--stack", "dev", "--sorce", "x"]);
        assert.strictEqual(r.code, 2);
        assert.strictEqual(r.stdout, "");
        assert.match(r.stderr, /^dataset:upload: unknown flag "--sorce" \(allowed: [^\n]*\)\n$/);
    });

    it("a stack that does not exist exits 2 naming it", () => {
        const r = runCli(["--stack", "no-such-stack", "--bucket", "b-1", "--source", ROOT]);
        assert.strictEqual(r.code, 2);
        assert.match(r.stderr, /^dataset:upload: cannot read the configuration of stack "no-such-stack": no stack "no-such-stack": \S+Pulumi\.no-such-stack\.yaml does not exist[^\n]*\n$/);
    });
});
