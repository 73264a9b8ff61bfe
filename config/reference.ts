// npm run docs:config [-- --check]
//
// Writes the generated parts of docs/configuration.md from the stack-config schema: the table
// of every key (default, what is allowed, what it does), the rules between keys, and a real
// error message. `--check` (and the docs test) only compares, and fails when the doc is stale.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { z } from "zod";
import { type GeneratedDoc, runGenerator } from "../lib/generated-docs";
import { loadStackConfig } from "../plan/stack-config";
import { allowedBy, unwrap } from "./errors";
import { DOCS } from "./fields";
import { ConfigError, parseFlatStackConfig } from "./index";
import { RULE_DOCS } from "./rules";
import { capIn, POLICY_CAPS, stacksWithPolicyConfig } from "./policy-caps";
import { PROJECT, SETTINGS, STACK_CONFIG } from "./schema";

export const DOC_FILE = path.join(__dirname, "..", "docs", "configuration.md");

type Schema = z.ZodType;

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
const code = (value: unknown) => `\`${typeof value === "string" ? value : JSON.stringify(value)}\``;

function describedBy(schema: Schema): string | undefined {
    let s: Schema | undefined = schema;
    while (s) {
        const doc = DOCS.get(s)?.description;
        if (doc) return doc;
        const def = s.def as { type: string; innerType?: Schema; in?: Schema; out?: Schema };
        s = def.innerType ?? (def.type === "pipe" ? (def.out!.def.type === "transform" ? def.in : def.out) : undefined);
    }
    return undefined;
}

function defaultOf(schema: Schema): string {
    const parsed = schema.safeParse(undefined);
    if (!parsed.success) return "(required)";
    return parsed.data === undefined ? "none" : code(parsed.data);
}

interface Row { key: string; default: string; allowed: string; description: string }

function rows(schema: Schema, key: string): Row[] {
    const inner = unwrap(schema).def as { type: string; shape?: Record<string, Schema>; element?: Schema; valueType?: Schema };
    const row = (k: string, s: Schema): Row => ({ key: k, default: defaultOf(s), allowed: allowedBy(s) ?? "", description: describedBy(s) ?? "" });
    if (inner.type === "object") {
        const own = key && describedBy(schema) ? [row(key, schema)] : [];
        return [...own, ...Object.entries(inner.shape!).flatMap(([k, s]) => rows(s, key ? `${key}.${k}` : k))];
    }
    if (inner.type === "array" && unwrap(inner.element!).def.type === "object") {
        return [row(key, schema), ...rows(inner.element!, `${key}[]`)];
    }
    if (inner.type === "record") return [{ ...row(`${key}.<key>`, schema), default: "none" }];
    return [row(key, schema)];
}

/** Every `mlops:` key the schema declares, without the namespace (`training.runs[].instanceType`). */
export function settingKeys(): string[] {
    return rows(SETTINGS, "").map(r => r.key);
}

const PROJECT_DIR = path.join(__dirname, "..");

/** What each stack's policy config caps a key to: `dev ≤ 4, prod ≤ 8 (sagemaker-autoscaling-bounds.maxCapacity)`. */
function capsOf(key: string, stacks: { stack: string; policyConfig: Record<string, unknown> }[]): string {
    return POLICY_CAPS.filter(c => c.key === key).map(c => {
        const limits = stacks.map(({ stack, policyConfig }) => ({ stack, limit: capIn(policyConfig, c) }));
        const each = limits.map(({ stack, limit }) => (limit === undefined
            ? `${stack} not checked`
            : Array.isArray(limit) ? `${stack}: ${limit.length === 0 ? "none allowed" : limit.join(", ")}` : `${stack} ≤ ${limit}`));
        // Allow-lists hold commas themselves.
        return `${each.join(limits.some(l => Array.isArray(l.limit)) ? "; " : ", ")} (\`${c.policy.name}.${c.setting}\`)`;
    }).join("; ");
}

export function renderTable(projectDir = PROJECT_DIR): string {
    const shape = (unwrap(STACK_CONFIG).def as unknown as { shape: Record<string, Schema> }).shape;
    const all: Row[] = [
        { ...rows(shape.region, "")[0], key: "aws:region" },
        { ...rows(shape.stack, "")[0], key: "stack name", default: "(the stack)", description: "prefixes every name the stack chooses (`mlops-<stack>-...`)" },
        ...rows(SETTINGS, "").map(r => ({ ...r, key: `${PROJECT}:${r.key}` })),
    ];
    const stacks = stacksWithPolicyConfig(projectDir).map(s => ({ stack: s.stack, policyConfig: JSON.parse(fs.readFileSync(s.policyFile, "utf8")) as Record<string, unknown> }));
    const caps = (key: string) => (key.startsWith(`${PROJECT}:`) ? capsOf(key.slice(PROJECT.length + 1), stacks) : "");
    return [
        `| key | default | allowed | what it does | capped by the pack (${stacks.map(s => s.stack).join(" / ")}) |`,
        "|---|---|---|---|---|",
        ...all.map(r => `| \`${r.key}\` | ${cell(r.default)} | ${cell(r.allowed)} | ${cell(r.description)} | ${cell(caps(r.key))} |`),
    ].join("\n");
}

export function renderRules(): string {
    return RULE_DOCS.map(doc => `- ${doc}`).join("\n");
}

/** A stack file with typical mistakes, and what the program answers: produced by the real loader. */
export const EXAMPLE_STACK_FILE = `config:
  aws:region: us-east-1
  mlops:endpoint.maxInstances: 6
  mlop:tuning:
    maxJobs: 4
  mlops:notebook:
    instanceType: ml.t3.mediun
    idleMinutes: an hour
  mlops:endpoint:
    minInstance: 2
  mlops:lambda:
    reservedConcurrency: 2
    provisionedConcurrency: 3
`;

export function renderErrorExample(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-config-example-"));
    let message = "(the example stack file was accepted)";
    try {
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${PROJECT}\nruntime: nodejs\n`);
        fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), EXAMPLE_STACK_FILE);
        parseFlatStackConfig(loadStackConfig("dev", dir), "dev");
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        message = e.message;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
    return ["```yaml", `# Pulumi.dev.yaml`, EXAMPLE_STACK_FILE.trimEnd(), "```", "", "```", message, "```"].join("\n");
}

/** docs/configuration.md and the sections generated from the schema. */
export const CONFIGURATION_DOC: GeneratedDoc = {
    file: DOC_FILE,
    command: "npm run docs:config",
    sections: { table: renderTable, rules: renderRules, "error-example": renderErrorExample },
};

if (require.main === module) process.exitCode = runGenerator(CONFIGURATION_DOC, process.argv.slice(2));
