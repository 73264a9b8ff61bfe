import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface CostBudgetArgs {
    namePrefix: string;
    /** Monthly spend the stack should stay under, in USD. */
    monthlyUsd: number;
    /** Told at 80% actual and 100% forecast spend. */
    alertEmails: string[];
    /** Cost allocation tag that identifies the stack's resources (must be activated in Billing); the provider puts it on every resource. */
    stackTag: { key: string; value: string };
}

/** An AWS Budget on the stack's tagged spend: the bill's guardrail, where the policy pack is the plan's. */
export class CostBudget extends pulumi.ComponentResource {
    readonly budget: aws.budgets.Budget;

    constructor(name: string, args: CostBudgetArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlops:cost:CostBudget", name, {}, opts);
        const notify = (threshold: number, notificationType: "ACTUAL" | "FORECASTED") => ({
            comparisonOperator: "GREATER_THAN",
            threshold,
            thresholdType: "PERCENTAGE",
            notificationType,
            subscriberEmailAddresses: args.alertEmails,
        });
        this.budget = new aws.budgets.Budget(name, {
            name: `${args.namePrefix}-monthly`,
            budgetType: "COST",
            limitAmount: args.monthlyUsd.toFixed(2),
            limitUnit: "USD",
            timeUnit: "MONTHLY",
            costFilters: [{ name: "TagKeyValue", values: [`user:${args.stackTag.key}$${args.stackTag.value}`] }],
            notifications: args.alertEmails.length > 0 ? [notify(80, "ACTUAL"), notify(100, "FORECASTED")] : undefined,
        }, { parent: this });
        this.registerOutputs({ budgetName: this.budget.name });
    }
}
