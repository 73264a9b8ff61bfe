// The pull-request workflows are part of the product: these tests pin what they must do, so an edit that drops a check, a stack or a permission fails here, not silently in CI.

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { inputOf, loadWorkflow, stepUsing } from "../support/workflows";

const stacks = fs
    .readdirSync(path.join(__dirname, "..", ".."))
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => !!s)
    .sort();

describe("workflow pull-request.yml: tests and the offline plan on every pull request", () => {
    const wf = loadWorkflow("pull-request.yml");
    const job = wf.jobs["test-and-plan"];
    const runs = job.steps.flatMap((s) => (s.run ? [s.run] : []));

    it("runs on pull requests and may comment on them", () => {
        assert.ok("pull_request" in wf.on);
        assert.strictEqual(job.permissions?.["pull-requests"], "write");
    });

    it("installs with npm ci, lints, and runs npm test and the training tests with their system packages", () => {
        assert.ok(runs.some((r) => /^npm ci\b/.test(r)));
        assert.ok(runs.some((r) => /^npm run lint\b/.test(r)));
        assert.ok(runs.some((r) => /\bnpm test\b/.test(r)));
        assert.ok(runs.some((r) => /npm run test:training/.test(r)));
        const apt = runs.find((r) => /apt-get install/.test(r)) ?? "";
        for (const pkg of ["python3-torch", "python3-torchvision", "python3-pil", "python3-pytest"]) assert.match(apt, new RegExp(pkg));
    });

    it("plans every stack of the project as markdown and posts it as a comment", () => {
        const plan = runs.find((r) => /npm run --silent plan -- --stack "\$stack" --markdown/.test(r));
        assert.ok(plan, "no plan step");
        const loop = /for stack in ([^;]+);/.exec(plan)![1].trim().split(/\s+/).sort();
        assert.deepStrictEqual(loop, stacks);
        const comment = stepUsing(job, "actions/github-script");
        assert.match(inputOf(comment, "script"), /createComment/);
        assert.match(inputOf(comment, "script"), /readFileSync\("plan.md"/);
    });

    it("puts the cost of the change beside each stack's plan: the base branch's estimate, this one's, the difference", () => {
        const base = job.steps.find((s) => String(s.uses).startsWith("actions/checkout@") && s.with?.path);
        assert.ok(base, "no checkout of the base branch");
        assert.strictEqual(inputOf(base, "ref"), "${{ github.event.pull_request.base.sha }}");
        const plan = runs.find((r) => /npm run --silent plan -- --stack "\$stack" --markdown/.test(r)) ?? "";
        assert.match(plan, new RegExp(`cd ${inputOf(base, "path").replace(".", "\\.")} && npm run --silent plan -- --stack "\\$stack" --json`));
        assert.match(plan, /npm run --silent plan:cost-diff -- --base "base-\$stack\.json" --head "head-\$stack\.json" --markdown >> plan\.md/);
        const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as { scripts: Record<string, string> };
        assert.ok(pkg.scripts["plan:cost-diff"], "package.json has no plan:cost-diff script");
    });

    it("fails the job when a plan has a mandatory violation or cannot run", () => {
        const last = job.steps[job.steps.length - 1];
        assert.match(last.if ?? "", /steps\.plan\.outputs\.status != '0'/);
        assert.match(last.run ?? "", /exit 1/);
    });
});

describe("workflow preview.yml: the real pulumi preview with the pack, when an AWS role is configured", () => {
    const wf = loadWorkflow("preview.yml");
    const job = wf.jobs.preview;

    it("runs only when vars.AWS_ROLE_ARN is set, with an OIDC token", () => {
        assert.ok("pull_request" in wf.on);
        assert.match(job.if ?? "", /vars\.AWS_ROLE_ARN != ''/);
        assert.strictEqual(job.permissions?.["id-token"], "write");
        const aws = stepUsing(job, "aws-actions/configure-aws-credentials");
        assert.strictEqual(inputOf(aws, "role-to-assume"), "${{ vars.AWS_ROLE_ARN }}");
    });

    it("previews every stack with the pack and that stack's policy config", () => {
        assert.deepStrictEqual([...(job.strategy?.matrix.stack ?? [])].sort(), stacks);
        const pulumi = stepUsing(job, "pulumi/actions");
        assert.strictEqual(inputOf(pulumi, "command"), "preview");
        assert.strictEqual(inputOf(pulumi, "policyPacks"), "policies");
        assert.strictEqual(inputOf(pulumi, "policyPackConfigs"), "policies/config/${{ matrix.stack }}.json");
        for (const stack of stacks) assert.ok(fs.existsSync(path.join(__dirname, "..", "..", "policies", "config", `${stack}.json`)), `no policy config for ${stack}`);
    });
});
