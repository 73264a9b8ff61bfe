import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import { builtinModules } from "module";
import * as path from "path";
import { promisify } from "util";
import { LAMBDA_RUNTIME, bundleHandler } from "../../lambda/bundle";
import { FakeSageMakerRuntime, startFakeSageMakerRuntime } from "./support/fake-sagemaker-runtime";
import { jpegBytes, sdkEnv } from "./support/fixtures";

const run = promisify(execFile);

function withoutBuildCache<T>(f: () => T): T {
    const before = process.env.MLOPS_BUILD_CACHE;
    process.env.MLOPS_BUILD_CACHE = "off";
    try {
        return f();
    } finally {
        if (before === undefined) delete process.env.MLOPS_BUILD_CACHE;
        else process.env.MLOPS_BUILD_CACHE = before;
    }
}

/** A check that would still pass with node_modules reachable proves nothing: make sure none is. */
function nodeModulesAbove(dir: string): string | undefined {
    for (let d = dir; ; d = path.dirname(d)) {
        if (fs.existsSync(path.join(d, "node_modules"))) return path.join(d, "node_modules");
        if (path.dirname(d) === d) return undefined;
    }
}

describe("lambda bundle: self-contained, deterministic, deployable as index.handler", function () {
    this.timeout(120000);
    let bundle: ReturnType<typeof bundleHandler>;
    let dir: string;
    let fake: FakeSageMakerRuntime;

    before(async () => {
        bundle = bundleHandler();
        dir = fs.mkdtempSync(path.join("/tmp", "lambda-bundle-"));
        fs.writeFileSync(path.join(dir, "index.js"), bundle.code);
        fake = await startFakeSageMakerRuntime({ endpoints: ["dog-breeds"] });
    });
    after(async () => {
        fs.rmSync(dir, { recursive: true, force: true });
        await fake.close();
    });

    it("targets the runtime the component deploys", () => assert.strictEqual(LAMBDA_RUNTIME, "nodejs24.x"));

    it("is byte-identical across builds, with and without the build cache", () => {
        assert.strictEqual(bundleHandler().sha256, bundle.sha256);
        assert.strictEqual(withoutBuildCache(() => bundleHandler()).sha256, bundle.sha256);
    });

    it("rebuilds when a file the bundle was built from changes", () => {
        const source = fs.mkdtempSync(path.join("/tmp", "lambda-bundle-src-"));
        try {
            const entry = path.join(source, "entry.ts");
            fs.writeFileSync(path.join(source, "answer.ts"), "export const answer: number = 41;\n");
            fs.writeFileSync(entry, 'import { answer } from "./answer";\nexport const handler = () => answer;\n');
            const first = bundleHandler(entry);
            assert.strictEqual(bundleHandler(entry).code, first.code, "unchanged inputs: the same bundle");
            fs.writeFileSync(path.join(source, "answer.ts"), "export const answer: number = 42;\n");
            const second = bundleHandler(entry);
            assert.ok(second.code.includes("42") && !second.code.includes("41"), second.code);
        } finally {
            fs.rmSync(source, { recursive: true, force: true });
        }
    });

    it("requires nothing but Node built-ins (the SDK is inside)", () => {
        // `[require("...")]` is the SDK's error text telling users how to add optional CRT packages, not a call.
        const required = new Set([...bundle.code.matchAll(/(?<!\[)\brequire\(["']([^"']+)["']\)/g)].map((m) => m[1]));
        const external = [...required].filter((m) => !builtinModules.includes(m.replace(/^node:/, "")));
        assert.deepStrictEqual(external, []);
        assert.ok(bundle.code.includes("InvokeEndpoint"), "the SageMaker Runtime client is bundled");
    });

    it("loads and answers a prediction with no node_modules anywhere above it", async () => {
        assert.strictEqual(nodeModulesAbove(dir), undefined);
        const script = `
            const m = require(${JSON.stringify(path.join(dir, "index.js"))});
            if (typeof m.handler !== "function") { console.log(JSON.stringify({ type: typeof m.handler })); process.exit(2); }
            m.handler({ image: ${JSON.stringify(jpegBytes(1024).toString("base64"))}, topK: 3 }, { awsRequestId: "bundle-test", getRemainingTimeInMillis: () => 10000 })
                .then((r) => { console.log(JSON.stringify({ type: typeof m.handler, response: r })); });
        `;
        const { stdout } = await run(process.execPath, ["-e", script], {
            cwd: dir,
            env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NODE_PATH: "", ...sdkEnv(fake.url), ENDPOINT_NAME: "dog-breeds" },
        });
        const last = JSON.parse(stdout.trim().split("\n").at(-1)!) as { type: string; response: { statusCode: number; body: string } };
        assert.strictEqual(last.type, "function");
        assert.strictEqual(last.response.statusCode, 200, JSON.stringify(last.response));
        assert.strictEqual((JSON.parse(last.response.body) as { predictions: unknown[] }).predictions.length, 3);
        assert.strictEqual(fake.invocations.length, 1);
    });
});
