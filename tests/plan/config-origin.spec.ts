// Violations in the user's words: a value the configuration reference allows but the stack's
// policy config caps fails the plan, and the violation names the key, its value, and the policy
// file, rule, setting and cap that refused it.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import type { ViolationWithOrigin } from "../../plan/config-origin";
import { planJson, REPO, runPlan } from "./run-plan";

const POLICY_FILE = "policies/config/dev.json";
type PolicyFile = Record<string, Record<string, number & string[]>>;
const DEV_CAPS = JSON.parse(fs.readFileSync(path.join(REPO, POLICY_FILE), "utf8")) as PolicyFile;

interface StackSettings {
    "mlops:endpoint": { maxInstances: number };
    "mlops:notebook": { instanceType: string };
    "mlops:tuning": { maxJobs: number };
    "mlops:training": { runs: { instanceCount: number }[] };
}

/** The real program and the dev stack file, with the values the user set. */
function projectWithStack(edit: (config: StackSettings) => void): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-caps-plan-"));
    fs.copyFileSync(path.join(REPO, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    const stack = YAML.parse(fs.readFileSync(path.join(REPO, "Pulumi.dev.yaml"), "utf8")) as { config: StackSettings };
    edit(stack.config);
    fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), YAML.stringify(stack));
    fs.writeFileSync(path.join(dir, "index.ts"), `import main = require(${JSON.stringify(path.join(REPO, "index"))});\nexport = main;\n`);
    return dir;
}

interface Expected { key: string; value: unknown; rule: string; setting: string; cap: unknown; type: string }

const EXPECTED: Expected[] = [
    { key: "endpoint.maxInstances", value: 6, rule: "sagemaker-autoscaling-bounds", setting: "maxCapacity", cap: DEV_CAPS["sagemaker-autoscaling-bounds"].maxCapacity, type: "aws:appautoscaling/target:Target" },
    { key: "notebook.instanceType", value: "ml.t3.large", rule: "sagemaker-notebook-instance-type", setting: "allowedInstanceTypes", cap: DEV_CAPS["sagemaker-notebook-instance-type"].allowedInstanceTypes, type: "aws:sagemaker/notebookInstance:NotebookInstance" },
    { key: "tuning.maxJobs", value: 10, rule: "sagemaker-tuning-limits", setting: "maxTrainingJobs", cap: DEV_CAPS["sagemaker-tuning-limits"].maxTrainingJobs, type: "aws:sagemaker/hyperParameterTuningJob:HyperParameterTuningJob" },
    // A list key names the element the value came from.
    { key: "training.runs[1].instanceCount", value: 4, rule: "sagemaker-training-limits", setting: "maxInstanceCount", cap: DEV_CAPS["sagemaker-training-limits"].maxInstanceCount, type: "aws:sagemaker/trainingJob:TrainingJob" },
];

const show = (x: unknown) => (Array.isArray(x) ? `[${x.join(", ")}]` : String(x));
const line = (e: Expected) => `from stack config \`mlops:${e.key}\` = ${show(e.value)} (`;
const capped = (e: Expected) => `); capped by ${POLICY_FILE}: ${e.rule}.${e.setting} = ${show(e.cap)}`;

describe("plan: violations of capped stack config name the key and the cap", function () {
    this.timeout(300_000);
    let dir: string;
    const args = () => ["--stack", "dev", "--program", path.join(dir, "index.ts"), "--policy-config", POLICY_FILE, "--dataset-manifest", "plan/sample-dataset-manifest.json"];

    before(() => {
        dir = projectWithStack(config => {
            config["mlops:endpoint"].maxInstances = 6;
            config["mlops:notebook"].instanceType = "ml.t3.large";
            config["mlops:tuning"].maxJobs = 10;
            config["mlops:training"].runs[1].instanceCount = 4;
        });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("the JSON carries configOrigin on each, and only on these", async () => {
        const { code, report, stderr } = (await planJson(args())) as { code: number; report: { violations: ViolationWithOrigin[] }; stderr: string };
        assert.strictEqual(code, 1, stderr);
        const withOrigin = report.violations.filter((v) => v.configOrigin);
        for (const e of EXPECTED) {
            const v = withOrigin.find((x) => x.configOrigin?.key === e.key);
            assert.ok(v, `no violation names ${e.key}: ${JSON.stringify(report.violations.map((x) => x.message), null, 1)}`);
            assert.strictEqual(v.policyName, e.rule);
            assert.strictEqual(v.resourceType, e.type);
            assert.strictEqual(v.enforcementLevel, "mandatory");
            assert.deepStrictEqual(
                { ...v.configOrigin, stackFile: path.basename(v.configOrigin!.stackFile) },
                { key: e.key, value: e.value, stackFile: "Pulumi.dev.yaml", policyFile: POLICY_FILE, rule: e.rule, setting: e.setting, cap: e.cap },
            );
        }
        assert.strictEqual(withOrigin.length, EXPECTED.length, JSON.stringify(withOrigin.map(v => v.configOrigin)));
        // The other run stays within the cap and is not blamed.
        assert.ok(!report.violations.some((v) => v.configOrigin?.key === "training.runs[0].instanceCount"));
    });

    it("the text report says it under each violation", async () => {
        const run = await runPlan(args());
        assert.strictEqual(run.code, 1, run.stderr);
        for (const e of EXPECTED) {
            const at = run.stdout.indexOf(line(e));
            assert.ok(at > 0, `missing: ${line(e)}\n${run.stdout}`);
            const rest = run.stdout.slice(at, run.stdout.indexOf("\n", at));
            assert.ok(rest.includes(path.join(path.relative(REPO, dir), "Pulumi.dev.yaml")) && rest.endsWith(capped(e)), rest);
            const header = run.stdout.lastIndexOf("[mandatory] ", at);
            assert.ok(run.stdout.slice(header, at).startsWith(`[mandatory] ${e.rule}  `), run.stdout.slice(header, at));
        }
    });

    it("the markdown report says it in the violation's message cell", async () => {
        const run = await runPlan([...args(), "--markdown"]);
        assert.strictEqual(run.code, 1, run.stderr);
        for (const e of EXPECTED) {
            const row = run.stdout.split("\n").find(l => l.includes(line(e)));
            assert.ok(row, `missing: ${line(e)}\n${run.stdout}`);
            assert.ok(row.startsWith(`| 🛑 mandatory | \`${e.rule}\` |`) && row.includes(`<br>${line(e)}`) && row.endsWith(`${capped(e).replace(/\|/g, "\\|")} |`), row);
        }
    });

    it("the stack as committed has no such line", async () => {
        const { code, report } = (await planJson(["--stack", "dev", "--dataset-manifest", "plan/sample-dataset-manifest.json"])) as { code: number; report: { violations: ViolationWithOrigin[] } };
        assert.strictEqual(code, 0);
        assert.ok(!report.violations.some((v) => v.configOrigin));
    });
});
