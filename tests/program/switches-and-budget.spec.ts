import * as assert from "assert";
import * as aws from "@pulumi/aws";
import { ConfigError, parseStackConfig } from "../../config";
import { CostBudget } from "../../components/cost-budget";
import type { ProgramRun } from "../../plan/run-program";
import { defined, ofType, one, oneOf, runStack, stackOutputs } from "../support/program";
import { registered, registrationsOf } from "../support/registrations";

function problems(raw: Record<string, unknown>, stack = "dev"): string[] {
    try {
        parseStackConfig(raw, { stack, region: "us-east-1" });
        return [];
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
        return e.problems;
    }
}

const PARTS: Record<string, string> = {
    notebook: "mlops:notebook:Notebook",
    tuning: "mlops:training:Tuning",
    endpoint: "mlops:serving:ModelEndpoint",
    lambda: "mlops:serving:InferenceFunction",
    gpuTrainer: "mlops:training:GpuTrainer",
    budget: "mlops:cost:CostBudget",
};

describe("an enabled switch for every part", () => {
    describe("the rules between switches", () => {
        it("refuses the function without the endpoint it forwards to", () => {
            assert.deepStrictEqual(problems({ endpoint: { enabled: false } }), [
                "mlops:lambda.enabled needs mlops:endpoint.enabled: the inference function only forwards requests to the endpoint; turn it off too (mlops:lambda.enabled false)",
            ]);
            assert.deepStrictEqual(problems({ endpoint: { enabled: false }, lambda: { enabled: false } }), []);
        });

        it("refuses the front door without its function", () => {
            assert.deepStrictEqual(problems({ lambda: { enabled: false, url: { enabled: true } }, endpoint: { enabled: false } }), [
                "mlops:lambda.url.enabled needs mlops:lambda.enabled: the URL is the inference function's own; turn it off too (mlops:lambda.url.enabled false)",
            ]);
        });

        it("refuses an endpoint serving a run that is switched off, naming the runs it could serve", () => {
            const runs = [{ name: "single", enabled: false }, { name: "multi", instanceCount: 3 }];
            assert.deepStrictEqual(problems({ training: { runs, deployRun: "single" } }), [
                "mlops:training.deployRun names run \"single\", which is switched off (its enabled is false), and the endpoint serves its model: " +
                "enable the run, deploy another (multi), or turn the endpoint off (mlops:endpoint.enabled false)",
            ]);
            assert.deepStrictEqual(problems({ training: { runs, deployRun: "multi" } }), []);
            assert.deepStrictEqual(problems({ training: { runs, deployRun: "single" }, endpoint: { enabled: false }, lambda: { enabled: false } }), []);
        });

        it("checks batch sizes against the runs that train, and accepts a stack where nothing trains", () => {
            const big = { name: "big", instanceType: "ml.g5.12xlarge", instanceCount: 2 };
            const base = { tuning: { enabled: false }, training: { hyperparameters: { batchSize: 4 }, deployRun: "single" } };
            assert.deepStrictEqual(problems({ ...base, training: { ...base.training, runs: [{ name: "single" }, { ...big, enabled: false }] } }), []);
            assert.strictEqual(problems({ ...base, training: { ...base.training, runs: [{ name: "single" }, big] } }).length, 1);
            assert.deepStrictEqual(problems({
                tuning: { enabled: false }, endpoint: { enabled: false }, lambda: { enabled: false },
                training: { runs: [{ name: "single", enabled: false }], deployRun: "single" },
            }), []);
        });
    });

    describe("what each switch removes, and only that", () => {
        let dev: ProgramRun;
        before(async () => {
            dev = await runStack("dev");
        });

        for (const [section, type] of Object.entries(PARTS)) {
            it(`${section}.enabled false removes its ${type}`, async () => {
                const off: Record<string, unknown> = { [`mlops:${section}`]: { enabled: false } };
                if (section === "endpoint") off["mlops:lambda"] = { enabled: false };
                const run = await runStack("dev", off);
                assert.strictEqual(ofType(run, type).length, 0, `${type} is still there`);
                const gone = new Set([type, ...(section === "endpoint" ? [PARTS.lambda] : [])]);
                for (const other of Object.values(PARTS).filter(t => !gone.has(t))) {
                    assert.strictEqual(ofType(run, other).length, ofType(dev, other).length, `${other} changed when ${section} was switched off`);
                }
            });
        }

        it("training.runs[].enabled false leaves that run's job out, and the others as they were", async () => {
            const run = await runStack("dev", { "mlops:training": { runs: [{ name: "single" }, { name: "multi", instanceCount: 3, enabled: false }] } });
            assert.deepStrictEqual(ofType(run, "mlops:training:TrainingJob").map(r => r.name), ["mlops-dev-train-single"]);
            assert.deepStrictEqual(Object.keys(defined(stackOutputs(run).trainingJobs, "the training jobs output")), ["single"]);
            assert.strictEqual(one(run, "aws:sagemaker/trainingJob:TrainingJob").props.trainingJobName,
                one(dev, "aws:sagemaker/trainingJob:TrainingJob", "single").props.trainingJobName);
        });

        it("kms.enabled switches the stack's key on and off", async () => {
            assert.strictEqual(ofType(dev, "aws:kms/key:Key").length, 0);
            const withKey = await runStack("dev", { "mlops:kms": { enabled: true } });
            assert.strictEqual(ofType(withKey, "aws:kms/key:Key").length, 1);
        });
    });
});

describe("the budget alerts someone and counts the stack's spend", () => {
    describe("configuration", () => {
        it("refuses a production stack whose budget alerts nobody, or is off, with the command that fixes it", () => {
            assert.deepStrictEqual(problems({}, "prod"), [
                "mlops:budget.alertEmails needs at least one address (or mlops:budget.alertTopicArn) in production stack prod: a budget that alerts nobody " +
                "counts spend in silence; set one with `pulumi config set --path 'mlops:budget.alertEmails[0]' you@example.com --stack prod`",
            ]);
            assert.deepStrictEqual(problems({ budget: { enabled: false } }, "prod-eu"), [
                "mlops:budget.enabled cannot be false in production stack prod-eu: its spend must alert someone",
            ]);
            assert.deepStrictEqual(problems({ budget: { alertTopicArn: "arn:aws:sns:us-east-1:123456789012:budget-alerts" } }, "production"), []);
            assert.deepStrictEqual(problems({ budget: { alertEmails: ["ml-platform@example.com"] } }, "prod"), []);
            assert.deepStrictEqual(problems({}, "dev"), [], "other stacks get a warning, not an error");
        });

        it("checks the recipients and the scope", () => {
            assert.deepStrictEqual(problems({ budget: { alertTopicArn: "budget-alerts" } }), [
                "mlops:budget.alertTopicArn must be an SNS topic ARN like arn:aws:sns:us-east-1:123456789012:budget-alerts (got \"budget-alerts\")",
            ]);
            assert.strictEqual(problems({ budget: { alertEmails: Array.from({ length: 11 }, (_, i) => `a${i}@example.com`) } }).length, 1);
            assert.deepStrictEqual(problems({ budget: { scope: "account", activateStackTag: true } }), [
                "mlops:budget.activateStackTag activates the tag a stackTag budget filters on, and budget.scope is \"account\": set budget.scope to stackTag or activateStackTag to false",
            ]);
        });
    });

    describe("the budget the program creates", () => {
        it("filters on the stack tag and tells the configured addresses (dev)", async () => {
            const run = await runStack("dev");
            const budget = oneOf(run, aws.budgets.Budget).props;
            assert.deepStrictEqual(budget.costFilters, [{ name: "TagKeyValue", values: ["user:stack$dev"] }]);
            assert.deepStrictEqual(defined(budget.notifications, "the budget's notifications").map(n => n.subscriberEmailAddresses),
                [["ml-team@example.com"], ["ml-team@example.com"]]);
            assert.strictEqual(ofType(run, "aws:costexplorer/costAllocationTag:CostAllocationTag").length, 0);
        });

        it("counts the whole account with scope account, and tells an SNS topic", async () => {
            const run = await runStack("dev", { "mlops:budget": { scope: "account", alertTopicArn: "arn:aws:sns:us-east-1:123456789012:budget-alerts" } });
            const budget = oneOf(run, aws.budgets.Budget).props;
            assert.strictEqual(budget.costFilters, undefined);
            assert.deepStrictEqual(budget.notifications?.[0].subscriberSnsTopicArns, ["arn:aws:sns:us-east-1:123456789012:budget-alerts"]);
        });

        it("activates the stack tag before the budget, and never deactivates it when the stack goes", async () => {
            const all = await registrationsOf(() => {
                const b = new CostBudget("mlops-dev-budget", {
                    namePrefix: "mlops-dev", monthlyUsd: 300, scope: "stackTag", stackTag: { key: "stack", value: "dev" },
                    activateStackTag: true, alertEmails: ["ml-team@example.com"],
                });
                return [b.budget];
            });
            const tag = registered(all, "aws:costexplorer/costAllocationTag:CostAllocationTag");
            assert.deepStrictEqual({ tagKey: tag.inputs.tagKey, status: tag.inputs.status }, { tagKey: "stack", status: "Active" });
            assert.strictEqual(tag.retainOnDelete, true, "other stacks' budgets filter on the same tag");
            assert.ok(registered(all, "aws:budgets/budget:Budget").dependencies.includes(tag.urn!));
        });

        it("warns when a non-production budget alerts nobody, and creates it without notifications", async () => {
            const warnings: string[] = [];
            const warn = console.warn;
            console.warn = (...args: unknown[]) => warnings.push(args.join(" "));
            let run: ProgramRun;
            try {
                run = await runStack("dev", { "mlops:budget": { alertEmails: [] } });
            } finally {
                console.warn = warn;
            }
            assert.strictEqual(one(run, "aws:budgets/budget:Budget").props.notifications, undefined);
            assert.ok(warnings.some(w => w.includes("budget mlops-dev-monthly alerts nobody: set mlops:budget.alertEmails")), warnings.join("\n"));
        });
    });
});
