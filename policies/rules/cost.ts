// The cost guardrail: the stack's estimate (policies/cost/estimate.ts, one price table) against the
// stack's budgets from the policy config.

import { cfg, stackRule } from "../lib/rule";
import { estimateStackCost } from "../cost/estimate";
import { PRICED_KINDS } from "../lib/resource-types";

const money = (n: number) => `$${n.toFixed(2)}`;

export const costBudget = stackRule({
    name: "cost-budget",
    category: "cost",
    description: "The stack's estimated always-on monthly cost, the worst-case cost of each training run, of each tuning job and of each EC2 trainer run stay within the stack's budgets (us-east-1 on-demand price table, spot discount as stated).",
    anchors: [],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "use smaller or fewer instances, shorter max runtimes, spot training, or raise the budget in policies/config/<stack>.json after review.",
    config: {
        maxMonthlyUsd: cfg.number("Budget for the always-on monthly cost (USD).", 500, 0),
        maxTrainingRunUsd: cfg.number("Budget for the worst case of one training run (USD).", 50, 0),
        maxTuningUsd: cfg.number("Budget for the worst case of one tuning job (USD).", 100, 0),
        maxEc2RunUsd: cfg.number("Budget for the worst case of one EC2 trainer run (USD).", 25, 0),
        applySpotDiscount: cfg.boolean("Price spot training/instances with the stated SPOT_DISCOUNT assumption.", true),
        failOnUnpriced: cfg.boolean("Report resources the price table cannot price (unknown instance types).", true),
    },
    kinds: PRICED_KINDS,
    validate({ config, args, report }) {
        const estimate = estimateStackCost(
            args.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.props })),
            { applySpotDiscount: config.applySpotDiscount },
        );
        const asOf = `(prices ${estimate.region} ${estimate.pricesAsOf})`;
        if (estimate.monthly.totalUsd > config.maxMonthlyUsd) {
            const top = [...estimate.monthly.lines].sort((a, b) => b.usd - a.usd).slice(0, 3);
            const biggest = top[0];
            report(
                biggest?.urn,
                `estimated always-on cost ${money(estimate.monthly.totalUsd)}/month exceeds the budget ${money(config.maxMonthlyUsd)} ${asOf}; largest: ${top.map((l) => `${l.name} ${money(l.usd)} (${l.description})`).join("; ")}.`,
            );
        }
        for (const run of estimate.trainingRuns) {
            if (run.usd > config.maxTrainingRunUsd) report(run.urn, `training job ${run.name} may cost ${money(run.usd)} per run (${run.description}), above ${money(config.maxTrainingRunUsd)} ${asOf}.`);
        }
        for (const run of estimate.tuningJobs) {
            if (run.usd > config.maxTuningUsd) report(run.urn, `tuning job ${run.name} may cost ${money(run.usd)} (${run.description}), above ${money(config.maxTuningUsd)} ${asOf}.`);
        }
        for (const run of estimate.ec2Runs) {
            if (run.usd > config.maxEc2RunUsd) report(run.urn, `EC2 trainer ${run.name} may cost ${money(run.usd)} per run (${run.description}), above ${money(config.maxEc2RunUsd)} ${asOf}.`);
        }
        if (config.failOnUnpriced) {
            for (const u of estimate.unpriced) report(u.urn, `${u.name} cannot be priced: ${u.reason}.`, "use an instance type listed in policies/cost/prices.ts (or add its dated price there).");
        }
    },
});

export const costRules = [costBudget];
