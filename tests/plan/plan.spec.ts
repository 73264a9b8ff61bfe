import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as aws from "@pulumi/aws";
import { parseArgs } from "../../plan/cli";
import type { PlanReport } from "../../plan/make-plan";
import { policies as packPolicies } from "../../policies/pack";
import { parseJson, stackOutputs, typed, typedOutputs } from "../support/program";
import { FAILING, FAILING_ASYNC, INSECURE, planJson, PROBE_PACK, runNpmPlan, runPlan } from "./run-plan";

const CHATTY = path.join("tests", "plan", "fixtures", "data-sources", "chatty.ts");

function tempConfig(content: unknown): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-config-"));
    const file = path.join(dir, "policy.json");
    fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
    return file;
}

describe("offline plan: the insecure variant fails with each expected violation named", () => {
    let code: number | null;
    let report: PlanReport;
    before(async () => {
        ({ code, report } = await planJson(["--stack", "dev", "--program", INSECURE]));
    });

    it("exits 1 with mandatory violations", () => {
        assert.strictEqual(code, 1);
        assert.strictEqual(report.summary.passed, false);
        assert.ok(report.summary.mandatory > 0);
    });

    // [policy, resource it must be reported on]: every mistake planted in tests/fixtures/insecure.
    const expected: [string, string][] = [
        ["iam-no-managed-full-access", "inference-role"], // AmazonSageMakerFullAccess on the Lambda role
        ["iam-lambda-role-least-privilege", "inference-role"],
        ["iam-no-wildcard-actions", "inference-inline"], // s3:*
        ["iam-no-star-resource-for-sensitive-actions", "inference-inline"], // InvokeEndpoint on *
        ["iam-role-trust-restricted", "notebook-role"], // Principal AWS *
        ["iam-no-managed-full-access", "notebook-role"], // AdministratorAccess
        ["sagemaker-notebook-root-access-disabled", "notebook"],
        ["sagemaker-notebook-no-direct-internet", "notebook"],
        ["sagemaker-notebook-imdsv2", "notebook"],
        ["sagemaker-notebook-instance-type", "notebook"], // ml.p3.16xlarge
        ["sagemaker-training-limits", "train-huge"], // 8 x ml.p4d.24xlarge for 30 days
        ["sagemaker-training-spot", "train-huge"],
        ["sagemaker-tuning-limits", "tune-huge"], // 500 jobs, 50 parallel
        ["sagemaker-model-network-isolation", "model"],
        ["sagemaker-endpoint-instance-limits", "endpoint-config"], // 4 x ml.p4d.24xlarge
        ["sagemaker-endpoint-autoscaling", "endpoint"], // no scaling target
        ["s3-bucket-public-access-block", "data"],
        ["s3-bucket-encryption", "data"],
        ["s3-bucket-versioning", "data"],
        ["s3-bucket-tls-only", "data"],
        ["s3-bucket-policy-no-public-principal", "data-policy"],
        ["s3-no-public-acl", "data-acl"],
        ["ec2-no-open-ingress", "trainer-sg"], // SSH from 0.0.0.0/0
        ["ec2-no-public-ip", "trainer"],
        ["ec2-imdsv2-required", "trainer"],
        ["ec2-encrypted-volumes", "trainer"],
        ["ec2-instance-profile", "trainer"],
        ["ec2-instance-type", "trainer"], // p4d.24xlarge
        ["lambda-runtime-supported", "inference"], // nodejs16.x
        ["lambda-reserved-concurrency", "inference"],
        ["lambda-timeout-memory", "inference"],
        ["no-plaintext-secrets", "inference"],
        ["lambda-function-url-auth", "inference-url"],
        ["lambda-function-url-cors", "inference-url"],
        ["lambda-permission-not-public", "inference-public"],
        ["required-tags", "inference"],
    ];
    for (const [policyName, resourceName] of expected) {
        it(`reports ${policyName} on ${resourceName}`, () => {
            const found = report.violations.filter((v) => v.policyName === policyName && v.resourceName === resourceName);
            assert.ok(found.length > 0, `no ${policyName} violation on ${resourceName}; got ${JSON.stringify(report.violations.map((v) => `${v.policyName}@${v.resourceName}`))}`);
        });
    }

    it("makes the issue's headline mistakes mandatory, with messages that say what is wrong", () => {
        const find = (policyName: string, resourceName: string) =>
            report.violations.filter((v) => v.policyName === policyName && v.resourceName === resourceName);
        const fullAccess = find("iam-no-managed-full-access", "inference-role");
        assert.ok(fullAccess.some((v) => v.enforcementLevel === "mandatory" && /AmazonSageMakerFullAccess/.test(v.message)), JSON.stringify(fullAccess));
        assert.ok(find("sagemaker-notebook-root-access-disabled", "notebook").some((v) => v.enforcementLevel === "mandatory"));
        assert.ok(find("sagemaker-endpoint-instance-limits", "endpoint-config").some((v) => v.enforcementLevel === "mandatory" && /ml\.p4d\.24xlarge/.test(v.message)));
        assert.ok(find("ec2-no-open-ingress", "trainer-sg").some((v) => v.enforcementLevel === "mandatory" && /0\.0\.0\.0\/0/.test(v.message) && /22/.test(v.message)));
    });

    it("fails the cost budget with the worst cases it computed", () => {
        assert.ok(report.violations.some((v) => v.policyName === "cost-budget" && v.enforcementLevel === "mandatory"));
        const run = report.cost.trainingRuns.find((r) => r.name === "train-huge");
        assert.ok(run && run.usd > 100000, JSON.stringify(report.cost.trainingRuns));
        assert.ok(report.cost.monthly.totalUsd > 100000);
    });
});

describe("offline plan: JSON shape", () => {
    let report: PlanReport;
    before(async () => {
        ({ report } = await planJson(["--stack", "dev", "--program", INSECURE]));
    });

    it("has the documented top-level fields", () => {
        assert.deepStrictEqual(Object.keys(report), [
            "schemaVersion", "project", "stack", "program", "region", "policyPack", "summary", "resources",
            "violations", "notApplicable", "remediations", "policies", "cost", "outputs", "warnings",
        ]);
        assert.strictEqual(report.schemaVersion, 1);
        assert.strictEqual(report.project, "mlops-insecure");
        assert.strictEqual(report.stack, "dev");
        assert.strictEqual(report.program, INSECURE);
        assert.strictEqual(report.region, "us-east-1");
        assert.deepStrictEqual(Object.keys(report.policyPack), ["name", "version", "config"]);
        assert.strictEqual(report.policyPack.name, "mlops-guardrails");
        assert.strictEqual(report.policyPack.config, path.join("policies", "config", "dev.json"));
    });

    it("counts in the summary what the lists hold", () => {
        const mandatory = report.violations.filter((v) => v.enforcementLevel === "mandatory").length;
        assert.deepStrictEqual(report.summary, {
            resources: report.resources.length,
            mandatory,
            advisory: report.violations.length - mandatory,
            remediations: report.remediations.length,
            passed: mandatory === 0,
        });
    });

    it("lists resources with urn, type, name, inputs, outputs, parent, provider and dependencies", () => {
        const [stack] = report.resources;
        assert.strictEqual(stack.type, "pulumi:pulumi:Stack");
        assert.strictEqual(stack.name, "mlops-insecure-dev");
        const named = (name: string) => {
            const found = report.resources.find((r) => r.name === name);
            assert.ok(found, `no resource named ${name}`);
            return found;
        };
        const provider = named("default_7_48_0");
        assert.strictEqual(provider.type, "pulumi:providers:aws");
        assert.strictEqual(provider.props.region, "us-east-1");
        const bucket = typed(named("data"), aws.s3.Bucket);
        const policy = typed(named("data-policy"), aws.s3.BucketPolicy);
        assert.strictEqual(bucket.urn, "urn:pulumi:dev::mlops-insecure::aws:s3/bucket:Bucket::data");
        assert.strictEqual(bucket.parent, stack.urn);
        assert.ok(bucket.provider?.startsWith(`${provider.urn}::`));
        assert.strictEqual(bucket.props.forceDestroy, true);
        assert.match(typedOutputs(bucket, aws.s3.Bucket).arn, /^arn:aws:s3:::/); // a bucket takes no arn input: an output
        assert.ok(policy.dependencies?.includes(bucket.urn));
        assert.deepStrictEqual(policy.propertyDependencies?.bucket, [bucket.urn]);
        // Inputs built from another resource's outputs are resolved (a deployed stack's preview).
        const document = parseJson<{ Statement: { Resource: string }[] }>(policy.props.policy, "data-policy's policy");
        assert.match(document.Statement[0].Resource, /^arn:aws:s3:::data-[0-9a-f]{7}\/\*$/);
    });

    it("gives each violation policy, level, kind, message and the resource it concerns", () => {
        const allowed = ["policyName", "enforcementLevel", "kind", "message", "urn", "resourceName", "resourceType", "severity"];
        for (const v of report.violations) {
            assert.deepStrictEqual(Object.keys(v).filter((k) => !allowed.includes(k)), []);
            for (const k of ["policyName", "enforcementLevel", "kind", "message"] as const) assert.strictEqual(typeof v[k], "string");
            assert.ok(["mandatory", "advisory"].includes(v.enforcementLevel));
            assert.ok(["resource", "stack"].includes(v.kind));
            if (v.urn) assert.ok(report.resources.some((r) => r.urn === v.urn && r.name === v.resourceName));
        }
        assert.ok(report.violations.every((v) => v.kind !== "resource" || v.urn));
    });

    it("lists every policy of the pack in order with its resolved level, and groups not-applicable reasons", () => {
        assert.deepStrictEqual(report.policies.map((p) => p.name), packPolicies.map((p) => p.name));
        for (const p of report.policies) {
            assert.ok(["advisory", "mandatory", "remediate", "disabled"].includes(p.enforcementLevel));
            assert.ok(["resource", "stack"].includes(p.kind));
            assert.strictEqual(p.violations, report.violations.filter((v) => v.policyName === p.name).length);
        }
        for (const g of report.notApplicable) {
            assert.strictEqual(typeof g.policyName, "string");
            assert.strictEqual(typeof g.reason, "string");
            assert.ok(Array.isArray(g.urns));
        }
        const kms = report.notApplicable.find((g) => g.policyName === "kms-key-rotation");
        assert.ok(kms && kms.urns.length === report.resources.length, "no KMS key in the fixture: the rule applies to nothing");
    });

    it("carries the cost estimate and the stack outputs", () => {
        assert.strictEqual(report.cost.currency, "USD");
        assert.ok(Array.isArray(report.cost.assumptions) && report.cost.assumptions.length > 0);
        assert.match(stackOutputs(report).bucketName, /^data-[0-9a-f]{7}$/);
    });
});

describe("offline plan: text and markdown", () => {
    it("prints the tree, the violations, the cost and the verdict", async () => {
        const run = await runPlan(["--stack", "dev", "--program", INSECURE]);
        assert.strictEqual(run.code, 1);
        assert.match(run.stdout, /^Offline plan of stack dev \(project mlops-insecure/);
        assert.match(run.stdout, /\n {2}pulumi:pulumi:Stack {2}mlops-insecure-dev\n {2}├─ /);
        assert.match(run.stdout, /\n {2}\[mandatory\] lambda-runtime-supported {2}inference \(aws:lambda\/function:Function\)\n/);
        assert.match(run.stdout, /\nCost estimate \(us-east-1 on-demand prices as of /);
        assert.match(run.stdout, /\nFAIL: \d+ mandatory violations \(\d+ advisory\)\n$/);
    });

    it("renders a pull-request comment with one table row per violation", async () => {
        const run = await runPlan(["--stack", "dev", "--program", INSECURE, "--markdown"]);
        assert.strictEqual(run.code, 1);
        assert.match(run.stdout, /^### ❌ Offline plan: stack `dev`\n/);
        const rows = run.stdout.split("\n").filter((l) => /^\| (🛑|⚠️) /.test(l));
        const { report } = await planJson(["--stack", "dev", "--program", INSECURE]);
        assert.strictEqual(rows.length, report.violations.length);
        for (const row of rows) assert.match(row, /^\|.*\|$/);
        assert.ok(rows.some((r) => r.includes("`lambda-permission-not-public`")));
        assert.match(run.stdout, /\*\*Estimated cost\*\*/);
    });
});

describe("offline plan: policy config handling", () => {
    it('turns every rule off with {"all": "disabled"} and exits 0', async () => {
        const { code, report } = await planJson(["--stack", "dev", "--program", INSECURE, "--policy-config", tempConfig({ all: "disabled" })]);
        assert.strictEqual(code, 0);
        assert.deepStrictEqual(report.violations, []);
        assert.ok(report.policies.every((p) => p.enforcementLevel === "disabled" && p.evaluated === 0));
    });

    it('downgrades everything with {"all": "advisory"}: violations stay, exit 0', async () => {
        const { code, report } = await planJson(["--stack", "dev", "--program", INSECURE, "--policy-config", tempConfig({ all: "advisory" })]);
        assert.strictEqual(code, 0);
        assert.ok(report.violations.length > 0);
        assert.strictEqual(report.summary.mandatory, 0);
    });

    it("refuses an unknown enforcement level with exit 2, naming the policy", async () => {
        const run = await runPlan(["--stack", "dev", "--program", INSECURE, "--policy-config", tempConfig({ "lambda-runtime-supported": "strict" })]);
        assert.strictEqual(run.code, 2);
        assert.match(run.stderr, /"lambda-runtime-supported": "strict" is not a valid enforcement level/);
    });

    it("refuses a value its configSchema rejects with exit 2, naming rule, property and value", async () => {
        const run = await runPlan(["--stack", "dev", "--program", INSECURE, "--policy-config", tempConfig({ "lambda-reserved-concurrency": { maxReservedConcurrency: "ten" } })]);
        assert.strictEqual(run.code, 2);
        assert.match(run.stderr, /rule "lambda-reserved-concurrency": maxReservedConcurrency: must be integer \(got "ten"\)/);
        assert.strictEqual(run.stdout, "");
    });

    it("refuses a typo in a rule's property or in a rule's name with exit 2, naming both and the closest", async () => {
        const dev = JSON.parse(fs.readFileSync(path.join("policies", "config", "dev.json"), "utf8")) as Record<string, unknown>;
        const typoProperty = { ...dev, "lambda-reserved-concurrency": { maxReservedConcurency: 5 } };
        const property = await runPlan(["--stack", "dev", "--policy-config", tempConfig(typoProperty)]);
        assert.strictEqual(property.code, 2, property.stderr);
        assert.match(property.stderr, /rule "lambda-reserved-concurrency": "maxReservedConcurency" is not a property of this rule \(did you mean "maxReservedConcurrency"\?\)/);
        const typoName = { ...dev, "lambda-reserved-concurency": "mandatory" };
        const name = await runPlan(["--stack", "dev", "--policy-config", tempConfig(typoName)]);
        assert.strictEqual(name.code, 2, name.stderr);
        assert.match(name.stderr, /"lambda-reserved-concurency" is not a rule of mlops-guardrails \(did you mean "lambda-reserved-concurrency"\?\)/);
        assert.doesNotMatch(name.stderr, /\n\s+at /, "no stack trace");
    });
});

describe("offline plan: exit codes for usage and run errors", () => {
    it("parses flags, with = or a separate value", () => {
        assert.deepStrictEqual(parseArgs(["--stack", "dev", "--program=x.ts", "--markdown"]), {
            stack: "dev", program: "x.ts", policyPack: undefined, policyConfig: undefined, datasetManifest: undefined, format: "markdown", help: false,
        });
        assert.deepStrictEqual(parseArgs(["-s", "prod", "--policy-pack", "p", "--policy-config", "c.json", "--json", "--dataset-manifest", "m.json"]), {
            stack: "prod", program: undefined, policyPack: "p", policyConfig: "c.json", datasetManifest: "m.json", format: "json", help: false,
        });
    });

    it("rejects bad command lines naming the problem", () => {
        const bad = (argv: string[], message: RegExp) => assert.throws(() => parseArgs(argv), message);
        bad([], /--stack is required/);
        bad(["--stack"], /^UsageError: --stack needs a value$/);
        bad(["--stack", "dev", "--verbose"], /^UsageError: unknown option --verbose$/);
        bad(["--stack", "dev", "extra"], /unexpected argument "extra"/);
        bad(["--stack", "dev", "--json", "--markdown"], /--json and --markdown exclude each other/);
    });

    it("prints the usage on stdout and exits 0 for --help", async () => {
        const run = await runPlan(["--help"]);
        assert.strictEqual(run.code, 0);
        assert.match(run.stdout, /^usage: npm run -s plan -- --stack <name>/);
    });

    it("exits 2 with the usage line when --stack is missing", async () => {
        const run = await runPlan([]);
        assert.strictEqual(run.code, 2);
        assert.match(run.stderr, /error: --stack is required\nusage: npm run -s plan -- --stack <name>/);
        assert.strictEqual(run.stdout, "");
    });

    it("exits 2 for a --policy-pack folder that is no policy pack", async () => {
        const run = await runPlan(["--stack", "dev", "--program", INSECURE, "--policy-pack", "tests"]);
        assert.strictEqual(run.code, 2);
        assert.match(run.stderr, /policy pack tests has no PulumiPolicy.yaml/);
    });

    it("exits 3, naming the pack and its error, when the policy pack cannot start", async () => {
        const run = await runPlan(["--stack", "dev", "--program", INSECURE, "--policy-pack", path.join("tests", "plan", "fixtures", "broken-pack"), "--policy-config", tempConfig({})]);
        assert.strictEqual(run.code, 3, run.stderr);
        assert.match(run.stderr, /the policy pack in .*broken-pack exited \(code \d+\) before serving:[\s\S]*the broken pack refuses to load/);
        assert.strictEqual(run.stdout, "");
    });

    it("evaluates another pack given with --policy-pack and its --policy-config", async () => {
        const { code, report } = await planJson(["--stack", "dev", "--program", INSECURE, "--policy-pack", PROBE_PACK, "--policy-config", tempConfig({ "notebook-root-access-disabled": "mandatory" })]);
        assert.strictEqual(report.policyPack.name, "probe");
        assert.strictEqual(report.policyPack.version, "1.2.3");
        assert.ok(report.violations.some((v) => v.policyName === "notebook-root-access-disabled" && v.enforcementLevel === "mandatory" && v.resourceName === "notebook"));
        assert.strictEqual(code, 1);
    });

    it("exits 2 for a stack without a Pulumi.<stack>.yaml, listing the stacks there", async () => {
        const run = await runPlan(["--stack", "staging", "--program", INSECURE]);
        assert.strictEqual(run.code, 2);
        assert.match(run.stderr, /no stack "staging".*stacks here: dev/);
    });

    it("exits 2 when the policy config file does not exist", async () => {
        const run = await runPlan(["--stack", "dev", "--program", INSECURE, "--policy-config", "policies/config/nope.json"]);
        assert.strictEqual(run.code, 2);
        assert.match(run.stderr, /policy config policies\/config\/nope.json does not exist/);
    });

    it("exits 3 with the program's error when the program fails", async () => {
        const run = await runPlan(["--stack", "dev", "--program", FAILING]);
        assert.strictEqual(run.code, 3);
        assert.match(run.stderr, /mlops-failing:maxInstances must be >= 1 \(got 0\)/);
    });

    it("exits 3, not with a partial plan, when a resource input rejects after the program returned", async () => {
        const run = await runPlan(["--stack", "dev", "--program", FAILING_ASYNC, "--json"]);
        assert.strictEqual(run.code, 3);
        assert.strictEqual(run.stdout, "");
        assert.match(run.stderr, /the program failed during preview:\nerror serializing property "vpcId": no default VPC in this account \(lookup failed\)\n {4}at tests\/fixtures\/failing\/async.ts:\d+:\d+\n$/);
        assert.doesNotMatch(run.stderr, /node_modules/, "no JavaScript stack");
        assert.strictEqual(run.stderr.match(/no default VPC/g)!.length, 1, run.stderr);
    });
});

describe("offline plan: stdout carries only the document", () => {
    it("npm run -s plan -- --stack dev --json: stdout parses as the report, diagnostics are on stderr", async () => {
        const run = await runNpmPlan(["--stack", "dev", "--json"]);
        assert.strictEqual(run.code, 0, run.stderr);
        const report = JSON.parse(run.stdout) as PlanReport;
        assert.strictEqual(report.stack, "dev");
        assert.strictEqual(report.summary.passed, true);
    });

    it("npm run -s plan -- --markdown: stdout is the comment alone, even when the program prints", async () => {
        const run = await runNpmPlan(["--stack", "dev", "--program", CHATTY, "--policy-pack", PROBE_PACK, "--policy-config", tempConfig({ all: "disabled" }), "--markdown"]);
        assert.strictEqual(run.code, 0, run.stderr);
        assert.match(run.stdout, /^### ✅ Offline plan: stack `dev`\n/);
        assert.doesNotMatch(run.stdout, /chatty program/);
        assert.match(run.stderr, /a chatty program says hello on stdout/);
        assert.match(run.stderr, /a chatty program warns on stderr/);
    });

    it("--json: a program that prints on stdout does not break the document", async () => {
        const run = await runPlan(["--stack", "dev", "--program", CHATTY, "--policy-pack", PROBE_PACK, "--policy-config", tempConfig({ all: "disabled" }), "--json"]);
        assert.strictEqual(run.code, 0, run.stderr);
        assert.strictEqual((JSON.parse(run.stdout) as PlanReport).project, "mlops-data-sources");
        assert.match(run.stderr, /a chatty program says hello on stdout/);
    });
});

describe("offline plan: module loader", () => {
    it("reports exactly the same with esbuild's loader (default) and ts-node's (PLAN_TS_LOADER=ts-node)", async () => {
        const fast = await planJson(["--stack", "dev", "--program", INSECURE]);
        const tsNode = await planJson(["--stack", "dev", "--program", INSECURE], { PLAN_TS_LOADER: "ts-node" });
        assert.strictEqual(fast.code, tsNode.code);
        assert.deepStrictEqual(fast.report, tsNode.report);
    });
});

describe("offline plan: the project's stacks pass (integration of program, pack and configs)", () => {
    for (const stack of ["dev", "prod"]) {
        it(`${stack}: exits 0 with zero mandatory violations`, async () => {
            const { code, report, stderr } = await planJson(["--stack", stack]);
            const mandatory = report.violations.filter((v) => v.enforcementLevel === "mandatory");
            assert.deepStrictEqual(mandatory.map((v) => `${v.policyName} on ${v.resourceName}: ${v.message}`), [], stderr);
            assert.strictEqual(code, 0);
            assert.ok(report.resources.length > 20, `only ${report.resources.length} resources`);
        });
    }
});
