import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const LOADER = path.join(__dirname, "..", "..", "plan", "typescript-loader.js");

/** Loads `file` in a fresh Node process through the plan's TypeScript loader and returns what it prints. */
function load(file: string, env: NodeJS.ProcessEnv = {}): string {
    const script = `require(${JSON.stringify(LOADER)}).registerFastTypeScript(); console.log(JSON.stringify(require(${JSON.stringify(file)})));`;
    return execFileSync(process.execPath, ["-e", script], { encoding: "utf8", env: { ...process.env, PLAN_TS_LOADER: "", ...env } }).trim();
}

describe("plan: TypeScript loader (esbuild, with the build cache)", function () {
    this.timeout(60000);
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "ts-loader-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("strips types and loads the module", () => {
        const file = path.join(dir, "m.ts");
        fs.writeFileSync(file, "interface A { n: number }\nconst a: A = { n: 1 };\nexport const n: number = a.n + 1;\n");
        assert.strictEqual(load(file), '{"n":2}');
    });

    it("serves a changed file's new code, not the cached old one", () => {
        const file = path.join(dir, "m.ts");
        fs.writeFileSync(file, "export const v: string = 'first';\n");
        assert.strictEqual(load(file), '{"v":"first"}');
        assert.strictEqual(load(file), '{"v":"first"}', "second load, from the cache");
        fs.writeFileSync(file, "export const v: string = 'second';\n");
        assert.strictEqual(load(file), '{"v":"second"}');
    });

    it("works with the cache off, and with a cache entry that is corrupt", () => {
        const file = path.join(dir, "m.ts");
        fs.writeFileSync(file, `export const id: string = "${path.basename(dir)}";\n`);
        assert.strictEqual(load(file, { MLOPS_BUILD_CACHE: "off" }), JSON.stringify({ id: path.basename(dir) }));
        const cacheDir = path.join(__dirname, "..", "..", ".build", "cache", "typescript");
        const before = new Set(fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir) : []);
        load(file);
        const added = fs.readdirSync(cacheDir).filter((f) => !before.has(f));
        assert.strictEqual(added.length, 1, `one entry for the file: ${added.join(", ")}`);
        fs.writeFileSync(path.join(cacheDir, added[0]), "{ not json");
        assert.strictEqual(load(file), JSON.stringify({ id: path.basename(dir) }));
    });
});
