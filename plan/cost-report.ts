// Prints the stack's cost estimate (computed by policies/cost/estimate.ts, the same function the
// cost policy uses) as terminal lines or markdown.

import type { CostEstimate, RunCost } from "../policies/cost/estimate";
import { cell } from "./markdown";

const money = (n: number) => `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

function runLine(r: RunCost): string {
    const spot = r.spot ? ` (spot; on-demand ${money(r.onDemandUsd)})` : "";
    return `${r.name}: ${money(r.usd)}${spot}  ${r.description}`;
}

export function renderCostText(cost: CostEstimate): string[] {
    const out: string[] = [];
    out.push(`Cost estimate (${cost.region} on-demand prices as of ${cost.pricesAsOf}, ${cost.currency}):`);
    out.push(`  Always-on monthly: ${money(cost.monthly.totalUsd)} (peak with every endpoint at max capacity: ${money(cost.peakMonthlyUsd)})`);
    for (const l of cost.monthly.lines) out.push(`    ${money(l.usd).padStart(12)}  ${l.name} (${l.type}): ${l.description}`);
    const runs: [string, RunCost[]][] = [
        ["Worst case of one training run", cost.trainingRuns],
        ["Worst case of the tuning job", cost.tuningJobs],
        ["Worst case of one EC2 trainer run", cost.ec2Runs],
    ];
    for (const [title, list] of runs) {
        if (list.length === 0) continue;
        out.push(`  ${title}:`);
        for (const r of list) out.push(`    ${runLine(r)}`);
    }
    if (cost.unpriced.length > 0) {
        out.push("  Not priced:");
        for (const u of cost.unpriced) out.push(`    ${u.name} (${u.type}): ${u.reason}`);
    }
    out.push("  Assumptions:");
    for (const a of cost.assumptions) out.push(`    - ${a}`);
    return out;
}

export function renderCostMarkdown(cost: CostEstimate): string[] {
    const out: string[] = [];
    out.push(`**Estimated cost** (${cost.region} on-demand prices as of ${cost.pricesAsOf}): always-on **${money(cost.monthly.totalUsd)}/month** (peak ${money(cost.peakMonthlyUsd)}/month with every endpoint at max capacity)`);
    out.push("");
    const runs = [
        ...cost.trainingRuns.map((r) => ["training run", r] as const),
        ...cost.tuningJobs.map((r) => ["tuning job", r] as const),
        ...cost.ec2Runs.map((r) => ["EC2 trainer run", r] as const),
    ];
    if (runs.length > 0) {
        out.push("| Worst case of one | Resource | USD | How |");
        out.push("|---|---|---|---|");
        for (const [kind, r] of runs) {
            out.push(`| ${kind} | \`${cell(r.name)}\` | ${money(r.usd)}${r.spot ? ` (spot; on-demand ${money(r.onDemandUsd)})` : ""} | ${cell(r.description)} |`);
        }
        out.push("");
    }
    out.push("<details><summary>Always-on monthly lines and assumptions</summary>");
    out.push("");
    for (const l of cost.monthly.lines) out.push(`- ${money(l.usd)}: \`${l.name}\` (${l.type}): ${l.description}`);
    for (const u of cost.unpriced) out.push(`- not priced: \`${u.name}\` (${u.type}): ${u.reason}`);
    out.push("");
    out.push("Assumptions:");
    for (const a of cost.assumptions) out.push(`- ${a}`);
    out.push("</details>");
    return out;
}
