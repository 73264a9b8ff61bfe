// `npm run -s plan:cost-diff -- --base base.json --head head.json [--markdown]`: compares the cost
// estimates of two plans of one stack (`npm run -s plan -- --stack <s> --json` on the base branch
// and on the change). Exit codes: 0 compared, 2 bad usage or an unreadable plan.

import * as fs from "fs";
import { parseArgs } from "util";
import type { CostEstimate } from "../policies/cost/estimate";
import { diffCosts, renderCostDiffMarkdown, renderCostDiffText } from "./cost-diff";
import { UsageError } from "./errors";

const USAGE = "usage: npm run -s plan:cost-diff -- --base <plan.json> --head <plan.json> [--markdown]";

function readPlan(file: string, side: string): { stack: string; cost: CostEstimate } {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new UsageError(`--${side} ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    let report: unknown;
    try {
        report = JSON.parse(text);
    } catch {
        throw new UsageError(`--${side} ${file}: not JSON (write it with \`npm run -s plan -- --stack <s> --json > ${file}\`)`);
    }
    const r = report as { stack?: unknown; cost?: { monthly?: unknown } };
    if (typeof r.stack !== "string" || typeof r.cost !== "object" || r.cost === null || typeof r.cost.monthly !== "object") {
        throw new UsageError(`--${side} ${file}: not a plan report (no stack and cost fields)`);
    }
    return { stack: r.stack, cost: r.cost as CostEstimate };
}

export function main(argv: string[]): { code: number; stdout: string; stderr: string } {
    try {
        const { values } = parseArgs({
            args: argv,
            options: { base: { type: "string" }, head: { type: "string" }, markdown: { type: "boolean", default: false } },
            strict: true,
        });
        if (!values.base || !values.head) throw new UsageError("--base and --head are required");
        const base = readPlan(values.base, "base");
        const head = readPlan(values.head, "head");
        if (base.stack !== head.stack) throw new UsageError(`the plans are of different stacks (${base.stack}, ${head.stack})`);
        const diff = diffCosts(head.stack, base.cost, head.cost);
        const lines = values.markdown ? renderCostDiffMarkdown(diff) : renderCostDiffText(diff);
        return { code: 0, stdout: lines.join("\n") + "\n", stderr: "" };
    } catch (e) {
        const message = e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ? (e as Error).message : String(e);
        return { code: 2, stdout: "", stderr: `plan:cost-diff: ${message}\n${USAGE}\n` };
    }
}

if (require.main === module) {
    const result = main(process.argv.slice(2));
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    process.exitCode = result.code;
}
