import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ConfigError, gpuCount, HYPERPARAMETERS, INSTANCE_TYPES, isGpuInstance, parseStackConfig, processesPerHost } from "../../config";
import type { ProgramRun } from "../../plan/run-program";
import { one, PROJECT_DIR, runStack } from "../support/program";

/** The one table, read here as train.py reads it: plain JSON. */
const TABLE: { hyperparameters: any[] } = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "training", "hyperparameters.json"), "utf8"));
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
        for (const h of TABLE.hyperparameters.filter(h => h.type === "integer" || h.type === "float")) {
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
        for (const h of TABLE.hyperparameters.filter(h => h.values)) {
            assert.ok(refused({ training: { hyperparameters: { [h.configKey]: "vgg16" } } }), `${h.configKey} outside its values is refused`);
        }
    });

    it("passes SageMaker every hyperparameter by its flag name, with the configured values", () => {
        const job = one(dev, "aws:sagemaker/trainingJob:TrainingJob", "single").props;
        const own = Object.fromEntries(Object.entries(job.hyperParameters as Record<string, string>).filter(([k]) => !k.startsWith("sagemaker_")));
        assert.deepStrictEqual(own, Object.fromEntries(TABLE.hyperparameters.map(h => [h.name, String(h.default)])));
    });

    it("tunes the table's tunable hyperparameters over its default ranges, and fixes the others", async () => {
        const tuned = await runStack("dev");
        const job = one(tuned, "aws:sagemaker/hyperParameterTuningJob:HyperParameterTuningJob").props;
        const tunable = TABLE.hyperparameters.filter(h => h.tuning);
        assert.deepStrictEqual(job.config.parameterRanges, {
            continuousParameterRanges: tunable.filter(h => h.tuning.kind === "continuous")
                .map(h => ({ name: h.name, minValue: String(h.tuning.min), maxValue: String(h.tuning.max), scalingType: h.tuning.scaling })),
            categoricalParameterRanges: tunable.filter(h => h.tuning.kind === "categorical")
                .map(h => ({ name: h.name, values: h.tuning.values.map(String) })),
        });
        const fixed = Object.keys(job.trainingJobDefinition.staticHyperParameters).filter(k => !k.startsWith("sagemaker_"));
        assert.deepStrictEqual(fixed.sort(), TABLE.hyperparameters.filter(h => !h.tuning).map(h => h.name).sort());
    });

    it("runs the EC2 trainer with every flag of the table, booleans as --x / --no-x, and its own epochs", async () => {
        const run = await runStack("dev", {
            "mlops:tuning": { enabled: false },
            "mlops:training": { hyperparameters: { pretrained: false, learningRate: 0.02 } },
            "mlops:gpuTrainer": { epochs: 7 },
        });
        const script = one(run, "aws:ec2/instance:Instance").props.userData as string;
        const flags = TABLE.hyperparameters.map(h => {
            const value = { epochs: 7, pretrained: false, learningRate: 0.02 }[h.configKey as string] ?? h.default;
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
