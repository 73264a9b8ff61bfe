// Generates the parts of docs/policies.md that restate the pack: the rule table (with each rule's
// level in every stack, resolved from policies/config/<stack>.json as the CLI resolves it), the
// table of resource types the pack knows, and the anchor coverage matrix (policies/coverage.ts). Run `npm run docs:policies` after changing a rule, a
// stack's config or the resource-type table; tests/policies/docs.spec.ts fails while the doc is stale.
//
//   ts-node policies/generate-docs.ts           rewrite the generated sections
//   ts-node policies/generate-docs.ts --check   exit 1 (and say which section) when they are stale

import * as fs from "fs";
import * as path from "path";
import { packName, policies } from "./pack";
import { ruleInfo } from "./lib/rule";
import { ALL_KINDS, PRICED_KINDS, TAGGABLE_KINDS, className, type Kind } from "./lib/resource-types";
import { ANCHOR_SOURCES, type AnchorRule } from "./anchors";
import { VERDICTS, coverageMatrix, coverageSummary, type Verdict } from "./coverage";
import { resolvePolicyPackConfig, type PolicyPackConfig } from "../plan/policy-config";
import { type GeneratedDoc, runGenerator } from "../lib/generated-docs";

export const STACKS = ["dev", "prod"] as const;
export const DOC_PATH = path.join(__dirname, "..", "docs", "policies.md");
const CONFIG_DIR = path.join(__dirname, "config");

const cell = (text: string) => text.replace(/\|/g, "\\|");
const code = (text: string) => `\`${text}\``;
const table = (header: string[], rows: string[][]) => [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

function sameKinds(a: readonly Kind[], b: readonly Kind[]): boolean {
    return a.length === b.length && a.every((k) => b.includes(k));
}

/** Resolved enforcement level of every rule in one stack. */
export function stackLevels(stack: string): Map<string, string> {
    const config = JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, `${stack}.json`), "utf8")) as PolicyPackConfig;
    const resolved = resolvePolicyPackConfig(policies, config, { packEnforcementLevel: "advisory", packLabel: packName });
    return new Map([...resolved.policies].map(([name, c]) => [name, c.enforcementLevel]));
}

function classesOf(kinds: readonly Kind[]): string {
    if (sameKinds(kinds, TAGGABLE_KINDS)) return "every taggable type (see Resource types)";
    if (sameKinds(kinds, PRICED_KINDS)) return "every priced type (see Resource types)";
    return kinds.flatMap((k) => k.tokens.map((t) => code(className(t)))).join(", ");
}

export function renderRuleTable(): string {
    const levels = STACKS.map((s) => stackLevels(s));
    const rows = policies.map((p) => {
        const info = ruleInfo(p);
        if (!info) throw new Error(`policy ${p.name} was not built with policies/lib/rule.ts`);
        const keys = Object.keys(info.config);
        return [
            code(p.name),
            info.category,
            ...levels.map((l) => l.get(p.name) ?? "?"),
            `${info.kind === "stack" ? "stack: " : ""}${cell(info.description)}`,
            classesOf(info.kinds),
            info.anchors.length > 0 ? cell(info.anchors.join(", ")) : "none",
            keys.length > 0 ? keys.map(code).join(", ") : "–",
        ];
    });
    const header = ["rule", "category", ...STACKS, "what it checks", "resource classes", "anchors", "config keys (all have defaults)"];
    return table(header, rows);
}

export function renderTypeTable(): string {
    const header = ["kind", "concept", "classes (deprecated ones marked)", "taggable", "priced", "note"];
    const rows = ALL_KINDS.map((k) => [
        code(k.name),
        k.concept,
        k.classes.map((c, i) => `${code(className(k.tokens[i]))}${k.legacy.includes(c) ? " (deprecated)" : ""}`).join(", "),
        k.taggable ? "yes" : k.notTaggedBecause ? `no: ${cell(k.notTaggedBecause)}` : "no (no tags)",
        k.priced ? "yes" : "no",
        k.note ? cell(k.note) : "",
    ]);
    return table(header, rows);
}

export function renderCoverageSummary(): string {
    const summary = coverageSummary(policies);
    const verdicts = Object.keys(VERDICTS) as Verdict[];
    const rows = summary.map((s) => {
        const src = ANCHOR_SOURCES[s.source];
        return [src.name, `${code(src.repository)} at ${code(src.commit.slice(0, 8))}`, String(s.total), String(s.covered), ...verdicts.map((v) => String(s.byVerdict[v]))];
    });
    const total = (f: (s: (typeof summary)[number]) => number) => String(summary.reduce((n, s) => n + f(s), 0));
    rows.push(["all", "", total((s) => s.total), total((s) => s.covered), ...verdicts.map((v) => total((s) => s.byVerdict[v]))]);
    return table(["anchor", "read from", "rules in scope", "covered by a pack rule", ...verdicts.map((v) => `not covered: ${v}`)], rows);
}

/** `SageMakerNotebookInVPC` with its pack IDs shortened: AwsSolutions-SM1, HIPAA, NIST R5. */
function anchorLabel(a: AnchorRule): string {
    if (a.source !== "cdk-nag") return code(a.id);
    const packs = (a.packIds ?? []).map((id) => {
        const [pack, rule] = [id.slice(0, id.indexOf("-")), id.slice(id.indexOf("-") + 1)];
        const short = pack.replace("HIPAA.Security", "HIPAA").replace("NIST.800.53.", "NIST ").replace("PCI.DSS.321", "PCI");
        return rule === a.id ? short : `${pack}-${rule}`;
    });
    return `${code(a.id)} (${packs.length > 0 ? packs.join(", ") : "in no pack"})`;
}

export function renderCoverageMatrix(): string {
    const levels = STACKS.map((st) => stackLevels(st));
    const rows = coverageMatrix(policies).map((row) => {
        const covered = row.rules.map((name) => {
            const off = STACKS.map((st, i) => [st, levels[i].get(name)] as const).filter(([, l]) => l !== "mandatory");
            return `${code(name)}${off.length > 0 ? ` (${off.map(([st, l]) => `${st} ${l}`).join(", ")})` : ""}`;
        });
        const decision = row.rules.length > 0 ? covered.join(", ") : row.notCovered ? `**${row.notCovered.verdict}**` : "?";
        const why = row.rules.length > 0 ? (row.note ?? "") : (row.notCovered?.reason ?? "");
        return [anchorLabel(row.anchor), ANCHOR_SOURCES[row.anchor.source].name, cell(row.anchor.title), row.anchor.types.map(code).join(", "), decision, cell(why)];
    });
    return table(["anchor rule", "from", "what it checks (its own words)", "types (its naming)", "pack rule (level where not mandatory) or verdict", "how the pack differs / why not covered"], rows);
}

/** docs/policies.md and the sections generated from the pack. */
export const POLICIES_DOC: GeneratedDoc = {
    file: DOC_PATH,
    command: "npm run docs:policies",
    sections: {
        rules: renderRuleTable,
        "resource-types": renderTypeTable,
        "coverage-summary": renderCoverageSummary,
        coverage: renderCoverageMatrix,
    },
};

if (require.main === module) process.exitCode = runGenerator(POLICIES_DOC, process.argv.slice(2));
