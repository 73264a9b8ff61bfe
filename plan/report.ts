// Renders a PlanReport for people: a terminal report and a pull-request comment (markdown).
// The JSON form is the PlanReport itself (see docs/plan.md, "JSON shape", for its shape).

import type { PlanResource, Violation } from "./policy-engine";
import { renderCostMarkdown, renderCostText } from "./cost-report";
import type { PlanReport } from "./make-plan";
import { cell } from "./markdown";
import { renderTree } from "./tree";
import { originLine } from "./config-origin";

function violationCounts(report: PlanReport): Map<string, { mandatory: number; advisory: number }> {
    const counts = new Map<string, { mandatory: number; advisory: number }>();
    for (const v of report.violations) {
        if (!v.urn) continue;
        const c = counts.get(v.urn) ?? { mandatory: 0, advisory: 0 };
        if (v.enforcementLevel === "mandatory") c.mandatory++;
        else c.advisory++;
        counts.set(v.urn, c);
    }
    return counts;
}

function annotator(report: PlanReport): (r: PlanResource) => string {
    const counts = violationCounts(report);
    return (r) => {
        const c = counts.get(r.urn);
        if (!c) return "";
        const parts = [];
        if (c.mandatory) parts.push(`${c.mandatory} mandatory`);
        if (c.advisory) parts.push(`${c.advisory} advisory`);
        return `[${parts.join(", ")}]`;
    };
}

function subject(v: Violation): string {
    return v.urn ? `${v.resourceName ?? v.urn} (${v.resourceType ?? "?"})` : "the stack";
}

/** Policies that ran on nothing, with why; and explicit notApplicable reasons per resource. */
function notApplicableLines(report: PlanReport): string[] {
    const lines: string[] = [];
    const idle = report.policies.filter((p) => p.enforcementLevel !== "disabled" && p.evaluated === 0);
    for (const p of idle) {
        const reasons = [...new Set(report.notApplicable.filter((n) => n.policyName === p.name).map((n) => n.reason))];
        lines.push(`${p.name} (${p.kind}): ${reasons.join("; ") || "not applicable"}`);
    }
    const idleNames = new Set(idle.map((p) => p.name));
    const nameOf = new Map(report.resources.map((r) => [r.urn, r.name]));
    for (const g of report.notApplicable) {
        if (idleNames.has(g.policyName) || g.reason.startsWith("Policy only applies to")) continue;
        const names = g.urns.map((u) => nameOf.get(u) ?? u);
        lines.push(`${g.policyName}: ${g.reason}${names.length ? ` (${names.join(", ")})` : ""}`);
    }
    return lines;
}

/**
 * The stack outputs as `pulumi preview` lists them, one line per value: nested objects flattened
 * to dotted keys (`dataset.status`), values that are not text as JSON.
 */
export function outputLines(outputs: Record<string, unknown>): string[] {
    const lines: string[] = [];
    const visit = (key: string, value: unknown) => {
        if (value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length > 0) {
            for (const [k, v] of Object.entries(value)) visit(`${key}.${k}`, v);
        } else {
            lines.push(`${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
        }
    };
    for (const [key, value] of Object.entries(outputs)) visit(key, value);
    return lines;
}

function verdict(report: PlanReport): string {
    const { mandatory, advisory } = report.summary;
    return report.summary.passed
        ? `PASS: no mandatory violations (${advisory} advisory)`
        : `FAIL: ${mandatory} mandatory violation${mandatory === 1 ? "" : "s"} (${advisory} advisory)`;
}

export function renderText(report: PlanReport): string {
    const out: string[] = [];
    out.push(`Offline plan of stack ${report.stack} (project ${report.project}, program ${report.program}, region ${report.region})`);
    out.push(`Policy pack ${report.policyPack.name}@${report.policyPack.version} with ${report.policyPack.config}`);
    out.push("");
    out.push(`Resources (${report.summary.resources}):`);
    for (const line of renderTree(report.resources, annotator(report))) out.push(`  ${line}`);
    out.push("");
    out.push(`Violations (${report.violations.length}: ${report.summary.mandatory} mandatory, ${report.summary.advisory} advisory):`);
    if (report.violations.length === 0) out.push("  none");
    const ordered = [...report.violations].sort((a, b) => Number(b.enforcementLevel === "mandatory") - Number(a.enforcementLevel === "mandatory"));
    for (const v of ordered) {
        out.push(`  [${v.enforcementLevel}] ${v.policyName}  ${subject(v)}`);
        for (const line of [...v.message.split("\n"), originLine(v) ?? []].flat()) out.push(`      ${line}`);
    }
    if (report.remediations.length > 0) {
        out.push("");
        out.push(`Remediations (${report.remediations.length}):`);
        for (const r of report.remediations) {
            out.push(`  ${r.policyName}  ${r.resourceName} (${r.resourceType})${r.diagnostic ? `: ${r.diagnostic}` : ": inputs changed"}`);
        }
    }
    const na = notApplicableLines(report);
    out.push("");
    out.push(`Not applicable (${na.length}):`);
    if (na.length === 0) out.push("  none");
    for (const line of na) out.push(`  ${line}`);
    out.push("");
    const outputs = outputLines(report.outputs);
    out.push(`Outputs (${outputs.length}):`);
    for (const line of outputs) out.push(`  ${line}`);
    out.push("");
    out.push(...renderCostText(report.cost));
    for (const w of report.warnings) out.push(`warning: ${w}`);
    out.push("");
    out.push(verdict(report));
    return out.join("\n") + "\n";
}


export function renderMarkdown(report: PlanReport): string {
    const out: string[] = [];
    const icon = report.summary.passed ? "✅" : "❌";
    out.push(`### ${icon} Offline plan: stack \`${report.stack}\``);
    out.push("");
    out.push(`**${verdict(report)}** · ${report.summary.resources} resources · policy pack \`${report.policyPack.name}@${report.policyPack.version}\` with \`${report.policyPack.config}\``);
    out.push("");
    if (report.violations.length > 0) {
        out.push("| Level | Policy | Resource | Message |");
        out.push("|---|---|---|---|");
        const ordered = [...report.violations].sort((a, b) => Number(b.enforcementLevel === "mandatory") - Number(a.enforcementLevel === "mandatory"));
        for (const v of ordered) {
            const level = v.enforcementLevel === "mandatory" ? "🛑 mandatory" : `⚠️ ${v.enforcementLevel}`;
            const resource = v.urn ? `\`${v.resourceName ?? v.urn}\` (${v.resourceType ?? "?"})` : "stack";
            out.push(`| ${level} | \`${v.policyName}\` | ${cell(resource)} | ${cell([v.message, originLine(v) ?? []].flat().join("\n"))} |`);
        }
        out.push("");
    }
    out.push(...renderCostMarkdown(report.cost));
    out.push("");
    out.push("<details><summary>Resource tree</summary>");
    out.push("");
    out.push("```");
    out.push(...renderTree(report.resources, annotator(report)));
    out.push("```");
    out.push("</details>");
    const na = notApplicableLines(report);
    if (na.length > 0) {
        out.push("");
        out.push(`<details><summary>Not applicable (${na.length})</summary>`);
        out.push("");
        for (const line of na) out.push(`- ${line}`);
        out.push("</details>");
    }
    const outputs = outputLines(report.outputs);
    if (outputs.length > 0) {
        out.push("");
        out.push(`<details><summary>Stack outputs (${outputs.length})</summary>`);
        out.push("");
        for (const line of outputs) out.push(`- ${cell(line)}`);
        out.push("</details>");
    }
    if (report.warnings.length > 0) {
        out.push("");
        for (const w of report.warnings) out.push(`> warning: ${w}`);
    }
    out.push("");
    out.push(`<sub>\`npm run -s plan -- --stack ${report.stack}\`: the program under Pulumi mocks, the pack served by @pulumi/policy and configured with \`${report.policyPack.config}\` as \`pulumi preview --policy-pack\` serves it; no AWS credentials used.</sub>`);
    return out.join("\n") + "\n";
}
