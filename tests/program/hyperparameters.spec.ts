import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import { ConfigError, gpuCount, HYPERPARAMETERS, INSTANCE_TYPES, isGpuInstance, parseStackConfig, processesPerHost } from "../../config";
import type { ProgramRun } from "../../plan/run-program";
import { defined, oneOf, parseJson, PROJECT_DIR, runStack } from "../support/program";

/** A row of the table as the file writes it. */
type TableRow = { name: string; configKey: string } & (
    | { type: "integer" | "float"; default: number; min?: number; exclusiveMin?: number; max?: number }
    | { type: "string"; default: string; values: string[] }
    | { type: "boolean"; default: boolean }
) & { tuning?: { kind: "continuous"; min: number; max: number; scaling: string } | { kind: "categorical"; values: number[] } };

/** The one table, read here as train.py reads it: plain JSON. */
const TABLE = parseJson<{ hyperparameters: TableRow[] }>(fs.readFileSync(path.join(PROJECT_DIR, "training", "hyperparameters.json"), "utf8"), "the table");
const ctx = { stack: "dev", region: "us-east-1" };

const refused = (raw: Record<string, unknown>) => {
    try {
        parseStackConfig(raw, ctx);
        return false;
    } catch (e) {
        assert.ok(e instanceof ConfigError);
        return true;
    }
};

describe("hyperparameters: training/hyperparameters.json is the one definition", () => {
    let dev: ProgramRun;
    before(async () => {
        dev = await runStack("dev", { "mlops:tuning": { enabled: false } });
    });

    it("gives every config key its default from the table (learning rate 0.001)", () => {
        const configured = parseStackConfig({}, ctx).training.hyperparameters;
        assert.deepStrictEqual(configured, Object.fromEntries(TABLE.hyperparameters.map(h => [h.configKey, h.default])));
        assert.strictEqual(configured.learningRate, 0.001);
        assert.strictEqual(HYPERPARAMETERS.length, TABLE.hyperparameters.length);
    });

    it("accepts exactly the table's range for every numeric hyperparameter", () => {
        for (const h of TABLE.hyperparameters) {
            if (h.type !== "integer" && h.type !== "float") continue;
            // One single-host run, so that even a batch size of 1 has a sample per process.
            const at = (value: number) => ({
                training: { runs: [{ name: "one" }], deployRun: "one", hyperparameters: { [h.configKey]: value } },
                tuning: { enabled: false },
            });
            if (h.min !== undefined) {
                assert.ok(!refused(at(h.min)), `${h.configKey} = its min is allowed`);
                assert.ok(refused(at(h.min - 1)), `${h.configKey} below its min is refused`);
            }
            if (h.exclusiveMin !== undefined) assert.ok(refused(at(h.exclusiveMin)), `${h.configKey} = its exclusive min is refused`);
            if (h.max !== undefined) {
                assert.ok(!refused(at(h.max)), `${h.configKey} = its max is allowed`);
                assert.ok(refused(at(h.max + 1)), `${h.configKey} above its max is refused`);
            }
            if (h.type === "integer") assert.ok(refused(at(h.default + 0.5)), `${h.configKey} must be whole`);
        }
        for (const h of TABLE.hyperparameters.filter(h => "values" in h)) {
            assert.ok(refused({ training: { hyperparameters: { [h.configKey]: "vgg16" } } }), `${h.configKey} outside its values is refused`);
        }
    });

    it("passes SageMaker every hyperparameter by its flag name, with the configured values", () => {
        const job = oneOf(dev, aws.sagemaker.TrainingJob, "single").props;
        const own = Object.fromEntries(Object.entries(defined(job.hyperParameters, "the job's hyperparameters")).filter(([k]) => !k.startsWith("sagemaker_")));
        assert.deepStrictEqual(own, Object.fromEntries(TABLE.hyperparameters.map(h => [h.name, String(h.default)])));
    });

    it("tunes the table's tunable hyperparameters over its default ranges, and fixes the others", async () => {
        const tuned = await runStack("dev");
        const job = oneOf(tuned, aws.sagemaker.HyperParameterTuningJob).props;
        assert.deepStrictEqual(job.config.parameterRanges, {
            continuousParameterRanges: TABLE.hyperparameters.flatMap(({ name, tuning }) => tuning?.kind === "continuous"
                ? [{ name, minValue: String(tuning.min), maxValue: String(tuning.max), scalingType: tuning.scaling }] : []),
            categoricalParameterRanges: TABLE.hyperparameters.flatMap(({ name, tuning }) => tuning?.kind === "categorical"
                ? [{ name, values: tuning.values.map(String) }] : []),
        });
        const statics = defined(job.trainingJobDefinition?.staticHyperParameters, "the trials' static hyperparameters");
        const fixed = Object.keys(statics).filter(k => !k.startsWith("sagemaker_"));
        assert.deepStrictEqual(fixed.sort(), TABLE.hyperparameters.filter(h => !h.tuning).map(h => h.name).sort());
    });

    it("runs the EC2 trainer with every flag of the table, booleans as --x / --no-x, and its own epochs", async () => {
        const run = await runStack("dev", {
            "mlops:tuning": { enabled: false },
            "mlops:training": { hyperparameters: { pretrained: false, learningRate: 0.02 } },
            "mlops:gpuTrainer": { epochs: 7 },
        });
        const script = defined(oneOf(run, aws.ec2.Instance).props.userData, "the trainer's user data");
        const configured: Record<string, number | boolean> = { epochs: 7, pretrained: false, learningRate: 0.02 };
        const flags = TABLE.hyperparameters.map(h => {
            const value = configured[h.configKey] ?? h.default;
            return h.type === "boolean" ? (value ? `--${h.name}` : `--no-${h.name}`) : `--${h.name} ${value}`;
        });
        assert.ok(script.includes(`--checkpoint-dir "$WORK/checkpoints" ${flags.join(" ")}\n`), script);
    });
});

describe("instance types", () => {
    it("knows the GPUs of every GPU type the config accepts (one training process per GPU)", () => {
        const all = [...new Set(Object.values(INSTANCE_TYPES).flat())];
        const gpuFamilies = all.filter(t => /^(ml\.)?(g4dn|g5|g6|p3|p4d)\./.test(t));
        assert.deepStrictEqual(gpuFamilies.filter(t => gpuCount(t) === 0), []);
        assert.deepStrictEqual(all.filter(t => !gpuFamilies.includes(t)).filter(isGpuInstance), []);
        assert.deepStrictEqual(["ml.m5.xlarge", "ml.g4dn.xlarge", "ml.g5.12xlarge", "ml.p3.16xlarge", "g4dn.12xlarge"].map(processesPerHost), [1, 1, 4, 8, 4]);
    });
});
