import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { decimal, distinctList, flag, integer, oneOf, Range, rangeText, section, text } from "./fields";
import { rule } from "./rules";

/**
 * train.py's hyperparameters, from their one definition in training/hyperparameters.json (which
 * train.py's command line reads too): the stack config's `training.hyperparameters.*` and tuning
 * ranges, the flags SageMaker and the EC2 trainer pass, and the tuning job's parameter ranges
 * are all derived here.
 */

export const HYPERPARAMETERS_FILE = path.join(__dirname, "..", "training", "hyperparameters.json");

const bound = z.number().optional();
const TABLE = z.strictObject({
    $comment: z.string().optional(),
    hyperparameters: z.array(z.strictObject({
        name: z.string().regex(/^[a-z][a-z0-9-]*$/),
        configKey: z.string().regex(/^[a-z][A-Za-z0-9]*$/),
        type: z.enum(["integer", "float", "string", "boolean"]),
        default: z.union([z.number(), z.string(), z.boolean()]),
        min: bound,
        max: bound,
        exclusiveMin: bound,
        values: z.array(z.string()).min(1).optional(),
        description: z.string(),
        tuning: z.discriminatedUnion("kind", [
            z.strictObject({ kind: z.literal("categorical"), values: z.array(z.number()).min(1) }),
            z.strictObject({ kind: z.enum(["continuous", "integer"]), min: z.number(), max: z.number(), scaling: z.enum(["Auto", "Linear", "Logarithmic", "ReverseLogarithmic"]) }),
        ]).optional(),
    })).min(1),
});

export type HyperparameterSpec = z.output<typeof TABLE>["hyperparameters"][number];
export type HyperparameterValue = number | string | boolean;

export const HYPERPARAMETERS: readonly HyperparameterSpec[] = TABLE.parse(JSON.parse(fs.readFileSync(HYPERPARAMETERS_FILE, "utf8"))).hyperparameters;

/** The hyperparameter train.py calls `--<name>`. */
export function hyperparameter(name: string): HyperparameterSpec {
    const spec = HYPERPARAMETERS.find(h => h.name === name);
    if (!spec) throw new Error(`${HYPERPARAMETERS_FILE} defines no hyperparameter "${name}"`);
    return spec;
}

/** The flag of the hyperparameter configured as `training.hyperparameters.<configKey>`. */
export function flagOf(configKey: string): string {
    const spec = HYPERPARAMETERS.find(h => h.configKey === configKey);
    if (!spec) throw new Error(`${HYPERPARAMETERS_FILE} defines no hyperparameter with configKey "${configKey}"`);
    return spec.name;
}

const rangeOf = (h: HyperparameterSpec): Range => ({ min: h.min, max: h.max, exclusiveMin: h.exclusiveMin });

/** The value schema of one hyperparameter, without its default (tuning lists reuse it). */
function valueField(h: HyperparameterSpec, description?: string): z.ZodType<HyperparameterValue, unknown> {
    switch (h.type) {
        case "integer":
            return integer(rangeOf(h), description);
        case "float":
            return decimal(rangeOf(h), description);
        case "boolean":
            return flag(description);
        case "string":
            return h.values ? oneOf(h.values as [string, ...string[]], description) : text(/^.+$/, "a non-empty string", description);
    }
}

/** `training.hyperparameters.<configKey>`: each with the table's range and default. */
export function hyperparameterField(h: HyperparameterSpec, description = `\`--${h.name}\`: ${h.description}`) {
    return valueField(h, description).default(h.default);
}

export const hyperparametersSection = () =>
    section(Object.fromEntries(HYPERPARAMETERS.map(h => [h.configKey, hyperparameterField(h)])),
        "train.py's hyperparameters (defined in training/hyperparameters.json); the tuned ones are used only when tuning is off");

/** The hyperparameters the tuning job searches. */
export const TUNABLE = HYPERPARAMETERS.filter(h => h.tuning !== undefined);

/**
 * The tuning config key of a tunable hyperparameter: categorical ranges are lists named in the
 * plural (`tuning.batchSizes`), numeric ranges are `{ min, max }` objects (`tuning.learningRate`).
 */
export function tuningKey(h: HyperparameterSpec): string {
    return h.tuning?.kind === "categorical" ? `${h.configKey}s` : h.configKey;
}

/** The `tuning.*` range keys, with the table's default ranges. */
export function tuningRangeFields(): Record<string, z.ZodType> {
    return Object.fromEntries(TUNABLE.map((h): [string, z.ZodType] => {
        const t = h.tuning!;
        if (t.kind === "categorical") {
            const allowed = `a non-empty list of distinct values, each ${rangeText(rangeOf(h), h.type === "integer")}`;
            return [tuningKey(h), distinctList(valueField(h), allowed, { nonEmpty: true, description: `\`--${h.name}\` values the tuner tries` })
                .prefault(t.values)];
        }
        const bounds = section({
            min: valueField(h, `lowest \`--${h.name}\` the tuner tries`).default(t.min),
            max: valueField(h, `highest \`--${h.name}\` the tuner tries`).default(t.max),
        }, `\`--${h.name}\` range the tuner searches (${t.scaling.toLowerCase()} scale)`)
            .superRefine(...rule<{ min: HyperparameterValue; max: HyperparameterValue }>(["min", "max"], `\`tuning.${tuningKey(h)}.max\` > \`tuning.${tuningKey(h)}.min\``, (r, report) => {
                if (r.max <= r.min) report("max", `must be > tuning.${tuningKey(h)}.min (got ${r.max} <= ${r.min})`);
            }));
        return [tuningKey(h), bounds.prefault({})];
    }));
}

/** train.py's flags as SageMaker passes hyperparameters: `{ "batch-size": "64", ... }`. */
export function hyperparameterFlags(values: Record<string, HyperparameterValue>): Record<string, string> {
    return Object.fromEntries(HYPERPARAMETERS.map(h => [h.name, String(values[h.configKey])]));
}

/** Flags as strings back to their types (booleans become `--x` / `--no-x` on a command line). */
export function typedFlags(flags: Record<string, string>): Record<string, HyperparameterValue> {
    return Object.fromEntries(HYPERPARAMETERS.map(h => {
        const text = flags[h.name];
        return [h.name, h.type === "boolean" ? text === "true" : h.type === "string" ? text : Number(text)];
    }));
}

/** The tuning job's `parameterRanges` for the configured ranges (`tuning.batchSizes`, `tuning.learningRate`). */
export function parameterRanges(ranges: Record<string, unknown>) {
    const of = (kind: string) => TUNABLE.filter(h => h.tuning!.kind === kind);
    const numeric = (h: HyperparameterSpec) => {
        const r = ranges[tuningKey(h)] as { min: number; max: number };
        return { name: h.name, minValue: String(r.min), maxValue: String(r.max), scalingType: (h.tuning as { scaling: string }).scaling };
    };
    const all = {
        continuousParameterRanges: of("continuous").map(numeric),
        integerParameterRanges: of("integer").map(numeric),
        categoricalParameterRanges: of("categorical").map(h => ({ name: h.name, values: (ranges[tuningKey(h)] as HyperparameterValue[]).map(String) })),
    };
    // Only the kinds the table uses: an empty list is noise in the job's spec (and its name).
    return Object.fromEntries(Object.entries(all).filter(([, list]) => list.length > 0)) as Partial<typeof all>;
}
