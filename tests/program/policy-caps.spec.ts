import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { capIn, POLICY_CAPS, stacksWithPolicyConfig } from "../../config/policy-caps";
import { renderTable, settingKeys } from "../../config/reference";
import { loadPack } from "../../plan/make-plan";
import { ruleInfo } from "../../policies/lib/rule";
import { ALL_KINDS } from "../../policies/lib/resource-types";

const REPO = path.join(__dirname, "..", "..");

describe("policy caps (config/policy-caps.ts)", () => {
    const pack = loadPack();

    it("names rules of the pack and settings of their configSchema", () => {
        for (const c of POLICY_CAPS) {
            const policy = pack.policies.find(p => p.name === c.policy.name);
            assert.ok(policy, `${c.key}: ${c.policy.name} is not a policy of ${pack.name}`);
            const schema = (policy.configSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
            assert.ok(c.setting in schema, `${c.key}: ${c.policy.name} has no setting ${c.setting} (it has ${Object.keys(schema).join(", ")})`);
        }
    });

    it("names keys of the stack config schema", () => {
        const keys = settingKeys();
        for (const c of POLICY_CAPS) assert.ok(keys.includes(c.key), `${c.key} is not a key of config/schema.ts`);
    });

    it("names resource kinds the rule checks", () => {
        for (const c of POLICY_CAPS) {
            assert.ok(ALL_KINDS.includes(c.kind), `${c.key}: ${c.kind.name} is not in RESOURCE_TYPES`);
            assert.ok(ruleInfo(c.policy)!.kinds.includes(c.kind), `${c.key}: ${c.policy.name} does not check ${c.kind.name}`);
        }
    });

    it("reads a cap from the policy file, else the rule's default, and none where the rule is disabled", () => {
        const bounds = POLICY_CAPS.find(c => c.key === "endpoint.maxInstances")!;
        assert.strictEqual(capIn({ "sagemaker-autoscaling-bounds": { maxCapacity: 3 } }, bounds), 3);
        assert.strictEqual(capIn({}, bounds), ruleInfo(bounds.policy)!.config.maxCapacity.default);
        assert.strictEqual(capIn({ "sagemaker-autoscaling-bounds": "disabled" }, bounds), undefined);
        assert.strictEqual(capIn({ all: "disabled" }, bounds), undefined);
    });
});

describe("configuration reference: each stack's caps", () => {
    const stacks = stacksWithPolicyConfig(REPO);
    type PolicyFile = Record<string, Record<string, number & string[]>>;
    const caps = Object.fromEntries(stacks.map(s => [s.stack, JSON.parse(fs.readFileSync(s.policyFile, "utf8")) as PolicyFile]));

    it("finds every stack file that has a policy config", () => {
        assert.deepStrictEqual(stacks.map(s => s.stack), ["dev", "prod"]);
    });

    it("shows the caps of dev and prod beside the allowed values, read from their policy files", () => {
        const table = renderTable();
        assert.ok(table.startsWith("| key | default | allowed | what it does | capped by the pack (dev / prod) |"), table.split("\n")[0]);
        const row = (key: string) => table.split("\n").find(l => l.startsWith(`| \`mlops:${key}\` |`)) ?? "";
        const max = caps.dev["sagemaker-autoscaling-bounds"].maxCapacity;
        assert.ok(row("endpoint.maxInstances").endsWith(
            `| dev ≤ ${max}, prod ≤ ${caps.prod["sagemaker-autoscaling-bounds"].maxCapacity} (\`sagemaker-autoscaling-bounds.maxCapacity\`) |`), row("endpoint.maxInstances"));
        assert.ok(row("notebook.instanceType").endsWith(
            `| dev: ${caps.dev["sagemaker-notebook-instance-type"].allowedInstanceTypes.join(", ")}; ` +
            `prod: ${caps.prod["sagemaker-notebook-instance-type"].allowedInstanceTypes.join(", ")} (\`sagemaker-notebook-instance-type.allowedInstanceTypes\`) |`), row("notebook.instanceType"));
        assert.ok(row("tuning.maxJobs").includes(`dev ≤ ${caps.dev["sagemaker-tuning-limits"].maxTrainingJobs}, prod ≤ ${caps.prod["sagemaker-tuning-limits"].maxTrainingJobs}`), row("tuning.maxJobs"));
        assert.ok(row("tuning.strategy").endsWith("|  |"), "an uncapped key has an empty cap cell");
    });

    it("says when a stack's policy file disables the rule, and takes the rule's default when the file omits the setting", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-caps-"));
        try {
            fs.mkdirSync(path.join(dir, "policies", "config"), { recursive: true });
            fs.writeFileSync(path.join(dir, "Pulumi.a.yaml"), "config: {}\n");
            fs.writeFileSync(path.join(dir, "Pulumi.b.yaml"), "config: {}\n");
            fs.writeFileSync(path.join(dir, "Pulumi.c.yaml"), "config: {}\n");
            fs.writeFileSync(path.join(dir, "policies", "config", "a.json"), JSON.stringify({ "sagemaker-autoscaling-bounds": "disabled" }));
            fs.writeFileSync(path.join(dir, "policies", "config", "b.json"), "{}");
            const table = renderTable(dir);
            const row = table.split("\n").find(l => l.startsWith("| `mlops:endpoint.maxInstances` |"))!;
            assert.ok(table.includes("capped by the pack (a / b) |"), "c has no policy config and is left out");
            const def = String(ruleInfo(POLICY_CAPS.find(c => c.key === "endpoint.maxInstances")!.policy)!.config.maxCapacity.default);
            assert.ok(row.endsWith(`| a not checked, b ≤ ${def} (\`sagemaker-autoscaling-bounds.maxCapacity\`) |`), row);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
