// The pack as a whole: its contract with the CLI (entry file, PulumiPolicy.yaml, package version),
// every rule's metadata, and the per-stack configuration files.

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { packName, policies } from "../../policies/pack";
import type { PolicyPackConfig } from "../../plan/policy-engine";
import { resolveConfig } from "../../policies/lib/rule";
import { check, evaluatePack, res } from "./helpers";

const POLICIES_DIR = path.join(__dirname, "..", "..", "policies");
const readJson = <T>(f: string) => JSON.parse(fs.readFileSync(path.join(POLICIES_DIR, f), "utf8")) as T;

/**
 * Rules that need a VPC subnet (with NAT or VPC endpoints) or a KMS key: advisory in dev.
 * ec2-no-public-ip belongs here: without a private subnet of the stack's
 * own, the default VPC has no NAT, so a public IP (with no inbound rule) is the trainer's only way out.
 */
const VPC_OR_KMS_RULES = ["sagemaker-notebook-no-direct-internet", "sagemaker-notebook-in-vpc", "sagemaker-notebook-kms", "sagemaker-endpoint-config-kms", "ec2-no-public-ip", "ec2-instance-in-subnet"];

async function resolvedLevels(stack: string): Promise<Map<string, { enforcementLevel: string; properties: Record<string, unknown> }>> {
    const result = await evaluatePack(policies, [], readJson<PolicyPackConfig>(`config/${stack}.json`), { packName });
    assert.deepStrictEqual(result.config.unknownPolicyNames, [], `${stack}.json names policies the pack lacks`);
    return result.config.policies;
}

describe("policies: the pack", () => {
    it("is named mlops-guardrails and its entry file only constructs the PolicyPack", () => {
        assert.strictEqual(packName, "mlops-guardrails");
        const entry = fs.readFileSync(path.join(POLICIES_DIR, "index.ts"), "utf8").replace(/\/\/.*$/gm, "").trim();
        assert.match(entry, /^import \{ PolicyPack \} from "@pulumi\/policy";\s*import \{ packName, policies \} from "\.\/pack";\s*new PolicyPack\(packName, \{ policies \}\);$/);
    });

    it("has PulumiPolicy.yaml with runtime nodejs and a versioned package.json with @pulumi/policy", () => {
        const yaml = fs.readFileSync(path.join(POLICIES_DIR, "PulumiPolicy.yaml"), "utf8");
        assert.match(yaml, /^runtime: nodejs$/m);
        const pkg = readJson<{ version: string; dependencies: Record<string, string> }>("package.json");
        assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
        assert.ok(pkg.dependencies["@pulumi/policy"]);
    });

    it("every rule has a unique kebab-case name, description, level, remediation, category and schema defaults", () => {
        const names = new Set<string>();
        for (const p of policies) {
            assert.match(p.name, /^[a-z0-9]+(-[a-z0-9]+)*$/, p.name);
            assert.ok(!names.has(p.name), `duplicate ${p.name}`);
            names.add(p.name);
            assert.ok(p.description.length > 20, p.name);
            assert.ok(["advisory", "mandatory"].includes(p.enforcementLevel!), `${p.name} level`);
            assert.ok(p.remediationSteps && p.remediationSteps.length > 10, `${p.name} remediation`);
            assert.ok(p.tags && ["security", "cost", "governance"].includes(p.tags[0]), `${p.name} category`);
            for (const [key, schema] of Object.entries(p.configSchema?.properties ?? {})) {
                assert.ok((schema as { default?: unknown }).default !== undefined, `${p.name}.${key} has no default`);
                assert.ok((schema as { description?: string }).description, `${p.name}.${key} has no description`);
            }
        }
        assert.ok(policies.length >= 40, `only ${policies.length} rules`);
    });

    it("every rule's config schema refuses unknown properties", () => {
        for (const p of policies) assert.strictEqual((p.configSchema as { additionalProperties?: unknown }).additionalProperties, false, p.name);
    });

    it("a misspelt config property fails the rule with a message naming the rule, the property and the closest one", async () => {
        // The engine validates only a schema's properties and required keys (additionalProperties
        // does not travel over the analyzer protocol), so the rule itself refuses what it does not know.
        const target = res("aws:appautoscaling/target:Target", "t", { serviceNamespace: "sagemaker", resourceId: "endpoint/e/variant/v", minCapacity: 1, maxCapacity: 40 });
        await assert.rejects(check("sagemaker-autoscaling-bounds", [target], { maxCapacty: 40 }), /policy config of 'sagemaker-autoscaling-bounds': unknown property 'maxCapacty' \(did you mean 'maxCapacity'\?\); its properties are maxCapacity/);
        await assert.rejects(check("kms-key-rotation", [res("aws:kms/key:Key", "k", { enableKeyRotation: true })], { rotate: true }), /unknown property 'rotate'; it takes no properties/);
        await assert.rejects(check("s3-bucket-versioning", [res("aws:s3/bucket:Bucket", "b", {})], { enabled: true }), /'s3-bucket-versioning': unknown property 'enabled'/);
        assert.deepStrictEqual(resolveConfig("x", { n: { type: "integer", description: "n", default: 1 } }, { enforcementLevel: "advisory", n: 2 }), { n: 2 });
    });

    it("covers every service of the pipeline", () => {
        const prefixes = new Set(policies.map((p) => p.name.split("-")[0]));
        for (const s of ["iam", "sagemaker", "s3", "ec2", "lambda", "cost", "required", "kms"]) assert.ok(prefixes.has(s), s);
    });

    it("prod.json: every security rule is mandatory; allow-lists and budgets are set", async () => {
        const prod = await resolvedLevels("prod");
        for (const p of policies) {
            if (p.tags?.[0] === "security") assert.strictEqual(prod.get(p.name)!.enforcementLevel, "mandatory", p.name);
        }
        assert.deepStrictEqual(prod.get("s3-bucket-encryption")!.properties.requireKms, true);
        assert.deepStrictEqual(prod.get("lambda-provisioned-concurrency-limit")!.properties.maxProvisionedConcurrency, 2);
        assert.ok((prod.get("cost-budget")!.properties.maxMonthlyUsd as number) > 0);
    });

    it("dev.json: VPC/KMS rules advisory, every other security rule mandatory, cheap allow-lists", async () => {
        const dev = await resolvedLevels("dev");
        for (const p of policies) {
            if (p.tags?.[0] !== "security") continue;
            assert.strictEqual(dev.get(p.name)!.enforcementLevel, VPC_OR_KMS_RULES.includes(p.name) ? "advisory" : "mandatory", p.name);
        }
        assert.deepStrictEqual(dev.get("sagemaker-notebook-instance-type")!.properties.allowedInstanceTypes, ["ml.t3.medium"]);
        assert.deepStrictEqual(dev.get("sagemaker-endpoint-instance-limits")!.properties.allowedInstanceTypes, ["ml.m5.large"]);
        assert.deepStrictEqual(dev.get("ec2-instance-type")!.properties.allowedInstanceTypes, ["g4dn.xlarge"]);
        assert.strictEqual(dev.get("ec2-volume-size")!.properties.maxVolumeGb, 150);
        assert.strictEqual(dev.get("lambda-reserved-concurrency")!.properties.maxReservedConcurrency, 5);
        assert.strictEqual(dev.get("sagemaker-training-spot")!.properties.requireSpot, true);
    });

    it("schema defaults reach rules that the config file does not mention", async () => {
        const dev = await resolvedLevels("dev");
        assert.deepStrictEqual(dev.get("iam-no-wildcard-actions")!.properties.allowedWildcardActions, []);
        assert.strictEqual(dev.get("sagemaker-autoscaling-bounds")!.properties.maxCapacity, 4);
    });
});
