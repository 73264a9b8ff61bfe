// The operations guide gives exact commands: these tests run them, or parse them with the code that
// will receive them, so that the guide cannot drift from the program, the plan and the Lambda.

import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { uploadCommand } from "../../components/dataset";
import { schemaAt } from "../../config/errors";
import { SETTINGS } from "../../config/schema";
import { loadConfig } from "../../lambda/config";
import { parseEvent } from "../../lambda/request";
import { parseArgs } from "../../plan/cli";
import { PROJECT_DIR } from "../support/program";

const read = (file: string) => fs.readFileSync(path.join(PROJECT_DIR, file), "utf8");
const GUIDE = read("docs/operations.md");
const README = read("README.md");
const DOCS = fs.readdirSync(path.join(PROJECT_DIR, "docs")).filter(f => f.endsWith(".md")).map(f => `docs/${f}`);

/** The lines of the guide's shell blocks. */
const shellLines = (doc: string) => [...doc.matchAll(/```bash\n([\s\S]*?)```/g)].flatMap(m => m[1].split("\n"));
/** One command per entry: continuation lines joined, comments dropped. */
function commands(doc: string): string[] {
    const out: string[] = [];
    let pending = "";
    for (const raw of shellLines(doc)) {
        const line = raw.replace(/\s+#.*$/, "").trim();
        if (line === "" || line.startsWith("#")) continue;
        pending += (pending ? " " : "") + line.replace(/\\$/, "").trim();
        if (!line.endsWith("\\")) {
            out.push(pending);
            pending = "";
        }
    }
    return out;
}

describe("the operations guide", () => {
    it("never deploys part of a stack with --target, in the guide, the README or any doc", () => {
        for (const file of ["README.md", ...DOCS]) assert.doesNotMatch(read(file), /--target\b/, file);
    });

    it("gives the one first-deployment sequence, the same in the README, with the upload command the program prints", () => {
        const sequence = ["pulumi up", uploadCommand("dev"), "pulumi up"];
        for (const [name, doc] of [["guide", GUIDE], ["README", README]]) {
            const cmds = commands(doc);
            const first = cmds.indexOf("pulumi stack select --create dev");
            assert.ok(first >= 0, `${name}: no \`pulumi stack select --create dev\``);
            assert.deepStrictEqual(cmds.slice(first + 2, first + 5), sequence, `${name}: ${cmds.slice(first, first + 6).join(" | ")}`);
        }
    });

    it("runs the offline plan only with flags the plan takes, and a sample manifest that exists", () => {
        const plans = commands(GUIDE).filter(c => c.startsWith("npm run plan -- "));
        assert.ok(plans.length >= 2);
        for (const plan of plans) {
            const args = parseArgs(plan.slice("npm run plan -- ".length).split(/\s+/));
            if (args.datasetManifest) assert.ok(fs.existsSync(path.join(PROJECT_DIR, args.datasetManifest)), args.datasetManifest);
            if (args.policyConfig) assert.match(args.policyConfig, /^policies\/config\/[a-z0-9-]+\.json$/);
        }
    });

    it("invokes the function with the by-hand project's URL event, which the function accepts as a URL request", () => {
        const payload = /--payload '(\{[^']*\})'/.exec(GUIDE);
        assert.ok(payload, "no --payload '{...}' in the guide");
        const request = parseEvent(JSON.parse(payload[1]), loadConfig({ ENDPOINT_NAME: "mlops-dev-endpoint" }));
        assert.deepStrictEqual(request, {
            kind: "predict",
            source: { type: "url", url: "https://s3.amazonaws.com/cdn-origin-etr.akc.org/wp-content/uploads/2017/11/20113314/Carolina-Dog-standing-outdoors.jpg" },
            topK: 5,
        });
    });

    it("builds the base64 event with a command whose output the function accepts as an image", () => {
        const printf = commands(GUIDE).find(c => c.startsWith("printf '{\"image\""));
        assert.ok(printf, "no printf ... > event.json in the guide");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-guide-"));
        try {
            // The smallest file the function takes for a JPEG: its magic number, then anything.
            fs.writeFileSync(path.join(dir, "dog.jpg"), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]));
            execFileSync("bash", ["-c", printf], { cwd: dir });
            const request = parseEvent(JSON.parse(fs.readFileSync(path.join(dir, "event.json"), "utf8")), loadConfig({ ENDPOINT_NAME: "mlops-dev-endpoint" }));
            assert.deepStrictEqual(request.kind === "predict" && request.source.type === "image" && request.source.kind, { contentType: "image/jpeg", format: "jpeg" });
            assert.strictEqual(request.kind === "predict" && request.topK, 3);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("names only configuration keys that exist, and an enabled switch for every part", () => {
        const keys = new Set([...GUIDE.matchAll(/mlops:([a-zA-Z]+(?:\.[a-zA-Z]+|\[\d+\])*)/g)].map(m => m[1]));
        assert.ok(keys.size >= 5);
        for (const key of keys) {
            const at = key.split(/\.|\[(\d+)\]/).filter(Boolean).map(k => (/^\d+$/.test(k) ? 0 : k));
            assert.ok(schemaAt(SETTINGS, at), `the guide names mlops:${key}, which the configuration does not have`);
        }
        const switches = [...GUIDE.matchAll(/^\| `([a-zA-Z]+(?:\.runs\[\]|\.url)?)\.enabled` \|/gm)].map(m => m[1]);
        assert.deepStrictEqual(switches, ["kms", "notebook", "tuning", "training.runs[]", "endpoint", "lambda", "lambda.url", "gpuTrainer", "budget"]);
        for (const part of switches) {
            const at = [...part.replace("[]", "").split("."), ...(part.endsWith("[]") ? [0] : []), "enabled"];
            assert.ok(schemaAt(SETTINGS, at), `no ${part}.enabled in the configuration`);
        }
    });
});
