import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface CostBudgetArgs {
    namePrefix: string;
    /** Monthly spend the stack should stay under, in USD. */
    monthlyUsd: number;
    /**
     * `stackTag`: the spend tagged with `stackTag` (the provider puts it on every resource; AWS
     * counts it once the tag key is active for cost allocation). `account`: all spend of the account.
     */
    scope: "stackTag" | "account";
    /** The tag that identifies the stack's resources. */
    stackTag: { key: string; value: string };
    /**
     * Activate `stackTag.key` for cost allocation from this stack. Only the management account of an
     * organization (or a standalone account) may, and only once billing has seen the key.
     */
    activateStackTag: boolean;
    /** Told at 80% actual and 100% forecast spend (at most 10); with no recipient at all the budget has no notifications. */
    alertEmails: string[];
    /** An SNS topic told as well; its access policy must let budgets.amazonaws.com publish. */
    alertTopicArn?: string;
}

/** Whether a budget with these recipients tells anyone anything. */
export function alertsSomeone(args: Pick<CostBudgetArgs, "alertEmails" | "alertTopicArn">): boolean {
    return args.alertEmails.length > 0 || args.alertTopicArn !== undefined;
}

/**
 * An AWS Budget on the stack's spend, which alerts someone: the bill's guardrail, where the policy
 * pack is the plan's.
 */
export class CostBudget extends pulumi.ComponentResource {
    readonly budget: aws.budgets.Budget;
    readonly costAllocationTag?: aws.costexplorer.CostAllocationTag;

    constructor(name: string, args: CostBudgetArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlops:cost:CostBudget", name, {}, opts);
        if (args.alertEmails.length > 10) {
            throw new Error(`CostBudget ${name}: alertEmails has ${args.alertEmails.length} addresses; AWS Budgets takes at most 10 per notification`);
        }
        const notify = (threshold: number, notificationType: "ACTUAL" | "FORECASTED") => ({
            comparisonOperator: "GREATER_THAN",
            threshold,
            thresholdType: "PERCENTAGE",
            notificationType,
            subscriberEmailAddresses: args.alertEmails.length > 0 ? args.alertEmails : undefined,
            subscriberSnsTopicArns: args.alertTopicArn !== undefined ? [args.alertTopicArn] : undefined,
        });
        if (args.activateStackTag) {
            // The activation belongs to the whole payer account, not to this stack: destroying the
            // stack must not switch cost allocation off for every other stack that relies on it.
            this.costAllocationTag = new aws.costexplorer.CostAllocationTag(`${name}-stack-tag`, {
                tagKey: args.stackTag.key,
                status: "Active",
            }, { parent: this, retainOnDelete: true });
        }
        this.budget = new aws.budgets.Budget(name, {
            name: `${args.namePrefix}-monthly`,
            budgetType: "COST",
            limitAmount: args.monthlyUsd.toFixed(2),
            limitUnit: "USD",
            timeUnit: "MONTHLY",
            costFilters: args.scope === "stackTag"
                ? [{ name: "TagKeyValue", values: [`user:${args.stackTag.key}$${args.stackTag.value}`] }]
                : undefined,
            notifications: alertsSomeone(args) ? [notify(80, "ACTUAL"), notify(100, "FORECASTED")] : undefined,
        }, { parent: this, dependsOn: this.costAllocationTag ? [this.costAllocationTag] : [] });
        this.registerOutputs({ budgetName: this.budget.name });
    }
}
