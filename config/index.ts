import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { closest, ConfigError, describeIssues, KeyNaming, show } from "./errors";
import { ExcludedBy, PROJECT, STACK_CONFIG, StackConfig } from "./schema";

/**
 * The stack's configuration: read from the engine (or a stack file), checked against the
 * schema in ./schema.ts, returned typed. Every problem is reported at once, as one
 * `ConfigError`, before the program creates anything.
 */

export { ConfigError } from "./errors";
export { flagOf, HYPERPARAMETERS, hyperparameterFlags, parameterRanges, TUNABLE, typedFlags } from "./hyperparameters";
export type { HyperparameterValue } from "./hyperparameters";
export { gpuCount, INSTANCE_TYPES, isGpuInstance, processesPerHost } from "./instance-types";
export type { InstanceKind } from "./instance-types";
export { PROJECT, PROGRAM_TAGS, REGIONS } from "./schema";
export type { StackConfig } from "./schema";

export type Hyperparameters = StackConfig["training"]["hyperparameters"];
export type TrainingRun = StackConfig["training"]["runs"][number];
export type DebuggerSettings = StackConfig["training"]["debugger"];
export type EndpointVariant = StackConfig["endpoint"]["variant"];
export type InstanceVariant = Extract<EndpointVariant, { kind: "instance" }>;
export type ServerlessVariant = Extract<EndpointVariant, { kind: "serverless" }>;
export type TrafficShift = StackConfig["endpoint"]["trafficShift"];

/** Settings of the AWS provider (`aws:<key>`), as @pulumi/aws declares them. */
export const AWS_PROVIDER_KEYS = Object.keys(aws.config);
/** Namespaces a stack file may use: the project's, the provider's, and the engine's own. */
const NAMESPACES = [PROJECT, "aws"];

const NAMING: KeyNaming = {
    name(path) {
        const [head, ...rest] = path;
        if (head === "stack") return "stack name";
        if (head === "region") return "aws:region";
        const tail = rest.map((s, i) => (typeof s === "number" ? `[${s}]` : `${i === 0 ? "" : "."}${String(s)}`)).join("");
        return `${PROJECT}:${tail}`;
    },
    flatKeyHint(path, key, value, known) {
        // `endpoint.maxInstances` at the top: a nested key written as one name.
        if (path.length !== 1 || !known.includes(key.split(/[.[]/)[0]) || key === key.split(/[.[]/)[0]) return undefined;
        const full = `${PROJECT}:${key}`;
        return `${full} is one flat key, so the program never reads it: \`pulumi config set\` without --path wrote it. ` +
            `Replace it with the nested setting: \`pulumi config rm '${full}'\` then \`pulumi config set --path '${full}' ${typeof value === "string" ? value : JSON.stringify(value)}\``;
    },
    excludedBy: value => (value instanceof ExcludedBy ? { key: `${PROJECT}:${value.key}`, value: value.value } : undefined),
};

/** The project's keys of a flat config map (`mlops:endpoint` -> `endpoint`), structured values JSON-decoded. */
export function projectConfig(flat: Record<string, string>): Record<string, unknown> {
    const raw: Record<string, unknown> = {};
    for (const [fullKey, value] of Object.entries(flat)) {
        const cut = fullKey.indexOf(":");
        if (fullKey.slice(0, cut) !== PROJECT) continue;
        try {
            raw[fullKey.slice(cut + 1)] = JSON.parse(value);
        } catch {
            raw[fullKey.slice(cut + 1)] = value;
        }
    }
    return raw;
}

/** Problems a schema cannot see: keys outside `mlops:` that this program would silently ignore. */
function foreignKeyProblems(flat: Record<string, string>): { problems: string[]; meant: Set<string> } {
    const problems: string[] = [];
    const meant = new Set<string>();
    for (const [fullKey, value] of Object.entries(flat)) {
        const cut = fullKey.indexOf(":");
        const [namespace, key] = [fullKey.slice(0, cut), fullKey.slice(cut + 1)];
        if (namespace === PROJECT || namespace === "pulumi") continue;
        if (namespace === "aws") {
            if (key === "defaultTags") {
                problems.push(`aws:defaultTags is not used: this program's AWS provider tags every resource itself; put your tags under ${PROJECT}:tags (got ${show(value)})`);
            } else if (!AWS_PROVIDER_KEYS.includes(key)) {
                const guess = closest(key, AWS_PROVIDER_KEYS);
                if (guess) meant.add(`aws:${guess}`);
                problems.push(`aws:${key} is not a setting of the AWS provider${guess ? `; did you mean aws:${guess}?` : ` (its settings: ${AWS_PROVIDER_KEYS.join(", ")})`}`);
            }
            continue;
        }
        const guess = closest(namespace, NAMESPACES);
        if (guess) meant.add(`${guess}:${key.split(/[.[]/)[0]}`);
        problems.push(`${fullKey} is not read by this program: its namespace "${namespace}" is unknown` +
            `${guess ? `; did you mean ${guess}:${key}?` : ` (namespaces: ${NAMESPACES.join(", ")})`}`);
    }
    return { problems, meant };
}

function parse(input: { stack: string; region: unknown; settings: Record<string, unknown> }, earlier: { problems: string[]; meant: Set<string> }): StackConfig {
    const result = STACK_CONFIG.safeParse(input, { reportInput: true });
    const problems = [...earlier.problems];
    if (!result.success) {
        for (const problem of describeIssues(result.error.issues, STACK_CONFIG, NAMING)) {
            // A key reported as misspelt is not also reported as missing.
            if (![...earlier.meant].some(key => problem.startsWith(`${key} is required`))) problems.push(problem);
        }
    }
    if (problems.length > 0) throw new ConfigError(problems, input.stack);
    return result.data!;
}

/**
 * Validates a stack's whole flat config map (`mlops:endpoint` -> JSON text, `aws:region` -> text),
 * as the engine hands it to the program or plan/stack-config.ts reads it from a stack file.
 */
export function parseFlatStackConfig(flat: Record<string, string>, stack: string): StackConfig {
    return parse({ stack, region: flat["aws:region"], settings: projectConfig(flat) }, foreignKeyProblems(flat));
}

export interface ConfigContext {
    stack: string;
    region: string;
}

/** Validates the project's settings (top-level key -> parsed value) for a stack and region. */
export function parseStackConfig(settings: Record<string, unknown>, ctx: ConfigContext): StackConfig {
    return parse({ stack: ctx.stack, region: ctx.region, settings }, { problems: [], meant: new Set() });
}

/**
 * The stack's `aws:` settings (profile, assumed roles, endpoints, ...) as the provider takes them:
 * the program's explicit provider gets what the default provider would have read itself. The
 * region comes from the validated config instead, and default tags from `mlops:tags`.
 */
export function awsProviderSettings(): Partial<aws.ProviderArgs> {
    const typed = aws.config as unknown as Record<string, unknown>;
    return Object.fromEntries(Object.keys(pulumi.runtime.allConfig())
        .filter(fullKey => fullKey.startsWith("aws:"))
        .map(fullKey => fullKey.slice("aws:".length))
        .filter(key => AWS_PROVIDER_KEYS.includes(key) && key !== "region" && key !== "defaultTags")
        .map(key => [key, typed[key]]));
}

/** Reads and validates the current stack's configuration from the Pulumi engine. */
export function readStackConfig(): StackConfig {
    return parseFlatStackConfig(pulumi.runtime.allConfig(), pulumi.getStack());
}
