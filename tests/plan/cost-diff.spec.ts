// The pull-request comment's cost of a change: two fixture programs (the base branch and the change)
// are planned as the workflow plans them, and their estimates compared. The expected figures come
// from the price table, not from the estimator, so a wrong comparison cannot pass.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SAGEMAKER_USD_PER_HOUR, SPOT_DISCOUNT } from "../../policies/cost/prices";
import { main } from "../../plan/cost-diff-cli";
import { runPlan } from "./run-plan";

const FIXTURE = path.join("tests", "fixtures", "cost-change");
const price = (type: string) => SAGEMAKER_USD_PER_HOUR[type];
const round2 = (n: number) => Math.round(n * 100) / 100;

describe("plan: the cost of a change (base branch beside the pull request)", function () {
    this.timeout(600_000);
    let dir: string;
    let basePlan: string;
    let headPlan: string;

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "cost-diff-"));
        basePlan = path.join(dir, "base.json");
        headPlan = path.join(dir, "head.json");
        for (const [side, file] of [["base", basePlan], ["head", headPlan]] as const) {
            const run = await runPlan(["--stack", "dev", "--program", path.join(FIXTURE, side, "index.ts"), "--policy-config", "policies/config/dev.json", "--json"]);
            assert.ok(run.stdout.trim().startsWith("{"), `the ${side} plan wrote no JSON (exit ${run.code}): ${run.stderr.slice(-2000)}`);
            fs.writeFileSync(file, run.stdout);
        }
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("shows the always-on month of both sides and the difference the price table gives", () => {
        const r = main(["--base", basePlan, "--head", headPlan]);
        assert.strictEqual(r.code, 0, r.stderr);
        const monthly = (notebook: string, endpointInstances: number) =>
            round2(730 * price(notebook) + 730 * price("ml.m5.large") * endpointInstances);
        const delta = round2(monthly("ml.t3.large", 2) - monthly("ml.t3.medium", 1));
        const line = r.stdout.split("\n").find((l) => l.trim().startsWith("always-on monthly:"));
        assert.ok(line, r.stdout);
        assert.match(line, new RegExp(`\\(\\+\\$${delta.toFixed(2).replace(".", "\\.")}\\)`), `expected +$${delta.toFixed(2)} in: ${line}`);
    });

    it("lists each training run as changed, new or removed with its worst-case cost", () => {
        const r = main(["--base", basePlan, "--head", headPlan, "--markdown"]);
        assert.strictEqual(r.code, 0, r.stderr);
        const run = (count: number) => round2(count * price("ml.m5.xlarge") * 2 * (1 - SPOT_DISCOUNT));
        const row = (name: string) => r.stdout.split("\n").find((l) => l.includes(`\`${name}\``));
        assert.match(row("train-wide") ?? "", /training run \(new\) \| — \| \$[0-9.]+ \| \+\$/);
        assert.ok(row("train-wide")?.includes(`+$${run(4).toFixed(2)}`), row("train-wide"));
        assert.match(row("train-multi") ?? "", /training run \(removed\) \| \$[0-9.]+ \| — \| -\$/);
        assert.ok(row("train-multi")?.includes(`-$${run(3).toFixed(2)}`), row("train-multi"));
        assert.strictEqual(row("train-single"), undefined, "an unchanged run is not listed");
        assert.match(r.stdout, /^#### Cost of this change: stack `dev`/m);
    });

    it("says there is no change when both sides are the same", () => {
        const r = main(["--base", basePlan, "--head", basePlan, "--markdown"]);
        assert.strictEqual(r.code, 0);
        assert.match(r.stdout, /No cost change\./);
    });

    it("refuses what is not a pair of plan reports of one stack, with exit 2 and the usage", () => {
        const notJson = path.join(dir, "not.json");
        fs.writeFileSync(notJson, "npm banner\n{}");
        for (const args of [["--base", basePlan], ["--base", notJson, "--head", headPlan], ["--base", basePlan, "--head", path.join(dir, "missing.json")], ["--bogus"]]) {
            const r = main(args);
            assert.strictEqual(r.code, 2, args.join(" "));
            assert.match(r.stderr, /^plan:cost-diff: .+\nusage: /, r.stderr);
            assert.strictEqual(r.stdout, "");
        }
    });
});
