// The cost of a change, as a pull request should show it: each stack's estimate on the base branch
// beside the head's, with the difference, for the always-on month, its peak, every training run,
// the tuning job and the EC2 trainer runs. Both sides are the `cost` of a plan's JSON report, so
// base and head are priced by the same estimator and price table.

import type { CostEstimate, CostLine } from "../policies/cost/estimate";
import { cell } from "./markdown";

/** One compared figure; `undefined` on a side where the item does not exist. */
export interface CostChange {
    item: string;
    kind: "always-on monthly" | "peak monthly" | "monthly line" | "training run" | "tuning job" | "EC2 trainer run";
    baseUsd?: number;
    headUsd?: number;
    /** head - base, with a missing side counted as 0. */
    deltaUsd: number;
}

export interface CostDiff {
    stack: string;
    /** The two totals first, then every line or run that differs (added, removed, or changed). */
    changes: CostChange[];
    /** The price tables the two sides used differ: their difference is partly a price change. */
    pricesChanged: boolean;
}

const cents = (n: number) => Math.round(n * 100) / 100;

function byName<T extends CostLine>(list: T[]): Map<string, T> {
    return new Map(list.map((l) => [l.name, l]));
}

/** Every item present on either side whose cost differs, in the order base then head lists them. */
function itemChanges<T extends CostLine>(kind: CostChange["kind"], base: T[], head: T[]): CostChange[] {
    const b = byName(base);
    const h = byName(head);
    const names = [...new Set([...base.map((l) => l.name), ...head.map((l) => l.name)])];
    return names
        .map((name) => ({ item: name, kind, baseUsd: b.get(name)?.usd, headUsd: h.get(name)?.usd }))
        .map((c) => ({ ...c, deltaUsd: cents((c.headUsd ?? 0) - (c.baseUsd ?? 0)) }))
        .filter((c) => c.baseUsd === undefined || c.headUsd === undefined || c.deltaUsd !== 0);
}

export function diffCosts(stack: string, base: CostEstimate, head: CostEstimate): CostDiff {
    const total = (kind: CostChange["kind"], b: number, h: number): CostChange =>
        ({ item: kind, kind, baseUsd: b, headUsd: h, deltaUsd: cents(h - b) });
    return {
        stack,
        changes: [
            total("always-on monthly", base.monthly.totalUsd, head.monthly.totalUsd),
            total("peak monthly", base.peakMonthlyUsd, head.peakMonthlyUsd),
            ...itemChanges("monthly line", base.monthly.lines, head.monthly.lines),
            ...itemChanges("training run", base.trainingRuns, head.trainingRuns),
            ...itemChanges("tuning job", base.tuningJobs, head.tuningJobs),
            ...itemChanges("EC2 trainer run", base.ec2Runs, head.ec2Runs),
        ],
        pricesChanged: base.pricesAsOf !== head.pricesAsOf,
    };
}

const money = (n: number | undefined) =>
    n === undefined ? "—" : `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const signed = (n: number) => (n > 0 ? `+${money(n)}` : n < 0 ? `-${money(-n)}` : "±$0.00");

export function renderCostDiffMarkdown(diff: CostDiff): string[] {
    const out = [`#### Cost of this change: stack \`${cell(diff.stack)}\``, ""];
    out.push("| What | Cost | Base | This change | Difference |", "|---|---|---|---|---|");
    for (const c of diff.changes) {
        const what = c.kind === c.item ? `**${c.kind}**` : `\`${cell(c.item)}\``;
        const kind = c.kind === c.item ? "" : c.baseUsd === undefined ? `${c.kind} (new)` : c.headUsd === undefined ? `${c.kind} (removed)` : c.kind;
        out.push(`| ${what} | ${kind} | ${money(c.baseUsd)} | ${money(c.headUsd)} | ${signed(c.deltaUsd)} |`);
    }
    if (diff.changes.length === 2 && diff.changes.every((c) => c.deltaUsd === 0)) out.push("", "No cost change.");
    if (diff.pricesChanged) out.push("", "The two sides were priced with different price tables; part of the difference is a price change.");
    out.push("");
    return out;
}

export function renderCostDiffText(diff: CostDiff): string[] {
    const out = [`Cost of the change, stack ${diff.stack} (base -> head, difference):`];
    for (const c of diff.changes) {
        const label = c.kind === c.item ? c.kind : `${c.kind} ${c.item}${c.baseUsd === undefined ? " (new)" : c.headUsd === undefined ? " (removed)" : ""}`;
        out.push(`  ${label}: ${money(c.baseUsd)} -> ${money(c.headUsd)} (${signed(c.deltaUsd)})`);
    }
    if (diff.pricesChanged) out.push("  (the two sides used different price tables)");
    return out;
}
