import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { type GeneratedDoc, regenerate, runGenerator } from "../../lib/generated-docs";

describe("lib/generated-docs: generated sections of the docs", () => {
    let dir: string;
    let doc: GeneratedDoc;
    let value: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "generated-docs-"));
        value = "one";
        doc = { file: path.join(dir, "doc.md"), command: "npm run docs:test", sections: { answer: () => value } };
        fs.writeFileSync(doc.file, "# Title\n\nby hand\n<!-- generated:answer (npm run docs:test) -->\nold\n<!-- end:answer -->\nafter\n");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("rewrites only what is between the markers", () => {
        assert.strictEqual(regenerate(doc, fs.readFileSync(doc.file, "utf8")), "# Title\n\nby hand\n<!-- generated:answer (npm run docs:test) -->\none\n<!-- end:answer -->\nafter\n");
    });

    it("--check exits 1 while stale and 0 once regenerated; a rewrite changes nothing the second time", () => {
        assert.strictEqual(runGenerator(doc, ["--check"]), 1);
        assert.strictEqual(runGenerator(doc, []), 0);
        const written = fs.readFileSync(doc.file, "utf8");
        assert.match(written, /\none\n/);
        assert.strictEqual(runGenerator(doc, ["--check"]), 0);
        assert.strictEqual(runGenerator(doc, []), 0);
        assert.strictEqual(fs.readFileSync(doc.file, "utf8"), written);
        value = "two";
        assert.strictEqual(runGenerator(doc, ["--check"]), 1);
    });

    it("names the missing markers, and refuses an unknown flag with exit 2", () => {
        fs.writeFileSync(doc.file, "# no markers\n");
        assert.throws(() => regenerate(doc, "# no markers\n"), /lacks the markers <!-- generated:answer \(npm run docs:test\) --> \.\.\. <!-- end:answer -->/);
        assert.strictEqual(runGenerator(doc, []), 2);
        assert.strictEqual(runGenerator(doc, ["--force"]), 2);
        assert.strictEqual(fs.readFileSync(doc.file, "utf8"), "# no markers\n", "nothing written on failure");
    });

    it("each project doc's --check runs clean from the command line, without a stack trace on a bad flag", function () {
        this.timeout(120000);
        for (const script of ["docs:config", "docs:policies", "docs:security"]) {
            const ok = spawnSync("npm", ["run", "-s", script, "--", "--check"], { cwd: path.join(__dirname, "..", ".."), encoding: "utf8" });
            assert.strictEqual(ok.status, 0, `${script} --check: ${ok.stderr}`);
            const bad = spawnSync("npm", ["run", "-s", script, "--", "--bogus"], { cwd: path.join(__dirname, "..", ".."), encoding: "utf8" });
            assert.strictEqual(bad.status, 2, `${script} --bogus: ${bad.stderr}`);
            assert.doesNotMatch(bad.stderr, /\n\s+at /, "no stack trace");
        }
    });
});
