import * as pulumi from "@pulumi/pulumi";

/**
 * The gate between a training run and the endpoint: it passes the run's model artifact on only
 * when the run's recorded metric meets the stack's bar (and, when asked, is no worse than the
 * model the endpoint serves now). The endpoint's Model takes its artifact from the gate's output,
 * so when the gate fails, `pulumi up` stops before the Model, EndpointConfiguration and Endpoint
 * are touched and the serving model stays. A dynamic provider, because only a resource's failure
 * stops its dependents.
 */

/** The config keys the gate's messages point at (defined in the stack-config schema). */
export const GATE_KEYS = {
    minimum: "mlops:endpoint.minTestAccuracy",
    noWorse: "mlops:endpoint.requireNoWorseThanServing",
} as const;

export interface QualityGateInputs {
    /** The training run (config name) whose model is up for release. */
    runName: string;
    trainingJobName: string;
    modelDataUrl: string;
    /** The run's final metrics as SageMaker recorded them (TrainingMetrics). */
    metrics: Record<string, number>;
    /** The metric judged (higher is better): training/metrics.json's quality metric. */
    metricName: string;
    minimum: number;
    requireNoWorseThanServing: boolean;
    endpointName: string;
    region: string;
}

export interface QualityGateOutputs extends QualityGateInputs {
    /** The artifact the endpoint may serve: the candidate's, once it passed. */
    approvedModelDataUrl: string;
    value: number;
    /** What the candidate was compared with besides the bar, in words. */
    comparedWith: string;
}

/** The model the endpoint serves now, as far as the gate can tell. */
export type ServingModel =
    | { kind: "none" }
    | { kind: "measured"; modelDataUrl: string; trainingJobName: string; value: number }
    | { kind: "unmeasured"; modelDataUrl: string; reason: string };

const fmt = (v: number) => String(Number(v.toFixed(6)));

function candidateOf(i: QualityGateInputs): string {
    return `run "${i.runName}" (training job ${i.trainingJobName})`;
}

const KEEPS_SERVING = "the endpoint keeps serving its current model";

/**
 * The bar alone: the candidate's value, or an error naming the run, its metric and the bar.
 * Pure, so the tests (and the offline plan's mocks) judge exactly as `pulumi up` does.
 */
export function judgeAgainstBar(i: QualityGateInputs): number {
    const value = i.metrics[i.metricName];
    if (typeof value !== "number" || !Number.isFinite(value)) {
        const recorded = Object.keys(i.metrics);
        throw new Error(`quality gate: ${candidateOf(i)} recorded no ${i.metricName} ` +
            `(SageMaker's final metrics for the job: ${recorded.length > 0 ? recorded.join(", ") : "none"}), ` +
            `so the bar ${GATE_KEYS.minimum} = ${fmt(i.minimum)} cannot be checked; ${KEEPS_SERVING}. ` +
            "Check train.py's log lines against training/metrics.json");
    }
    if (value < i.minimum) {
        throw new Error(`quality gate: ${candidateOf(i)} has ${i.metricName} ${fmt(value)}, below the bar ` +
            `${GATE_KEYS.minimum} = ${fmt(i.minimum)}; ${KEEPS_SERVING}`);
    }
    return value;
}

/** The comparison with the serving model (only with requireNoWorseThanServing): what it was compared with, or an error. */
export function judgeAgainstServing(i: QualityGateInputs, value: number, serving: ServingModel): string {
    if (serving.kind === "none") return `no model serves on ${i.endpointName} yet`;
    if (serving.modelDataUrl === i.modelDataUrl) return `${i.endpointName} already serves this model`;
    if (serving.kind === "unmeasured") {
        throw new Error(`quality gate: ${GATE_KEYS.noWorse} is on, but the ${i.metricName} of the model serving on ${i.endpointName} ` +
            `(${serving.modelDataUrl}) is unknown: ${serving.reason}; ${candidateOf(i)} (${i.metricName} ${fmt(value)}) is not rolled out ` +
            `and ${KEEPS_SERVING}. Set ${GATE_KEYS.noWorse} to false for this rollout if the bar alone should decide`);
    }
    if (value < serving.value) {
        throw new Error(`quality gate: ${candidateOf(i)} has ${i.metricName} ${fmt(value)}, worse than the model serving on ` +
            `${i.endpointName} (training job ${serving.trainingJobName}, ${i.metricName} ${fmt(serving.value)}; ${GATE_KEYS.noWorse} is on); ` +
            `${KEEPS_SERVING}`);
    }
    return `training job ${serving.trainingJobName} serving on ${i.endpointName} (${i.metricName} ${fmt(serving.value)})`;
}

/** The training job behind a SageMaker artifact: `<output path>/<job>/output/model.tar.gz`. */
export function trainingJobOfArtifact(modelDataUrl: string): string | undefined {
    return /\/([a-zA-Z0-9](?:-*[a-zA-Z0-9])*)\/output\/model\.tar\.gz$/.exec(modelDataUrl)?.[1];
}

/**
 * Follows the endpoint to the model it serves: DescribeEndpoint -> its endpoint configuration ->
 * the first variant's model -> its artifact -> the training job that wrote it -> that job's
 * recorded metric. Serialised with the provider below, so it imports the SDK itself.
 */
export async function lookupServingModel(i: QualityGateInputs): Promise<ServingModel> {
    const sm = await import("@aws-sdk/client-sagemaker");
    const client = new sm.SageMakerClient({ region: i.region });
    let configName: string | undefined;
    try {
        configName = (await client.send(new sm.DescribeEndpointCommand({ EndpointName: i.endpointName }))).EndpointConfigName;
    } catch (e) {
        // SageMaker answers a missing endpoint with a ValidationException, not a 404.
        if ((e as Error).name === "ValidationException" && /could not find endpoint/i.test((e as Error).message)) return { kind: "none" };
        throw e;
    }
    if (configName === undefined) return { kind: "none" };
    const config = await client.send(new sm.DescribeEndpointConfigCommand({ EndpointConfigName: configName }));
    const modelName = config.ProductionVariants?.[0]?.ModelName;
    if (modelName === undefined) return { kind: "unmeasured", modelDataUrl: configName, reason: `endpoint configuration ${configName} names no model` };
    const model = await client.send(new sm.DescribeModelCommand({ ModelName: modelName }));
    const modelDataUrl = model.PrimaryContainer?.ModelDataUrl ?? model.Containers?.[0]?.ModelDataUrl ?? `model ${modelName}`;
    const job = trainingJobOfArtifact(modelDataUrl);
    if (job === undefined) return { kind: "unmeasured", modelDataUrl, reason: "its artifact is not a SageMaker training job's output" };
    let metrics: { MetricName?: string; Value?: number }[] | undefined;
    try {
        metrics = (await client.send(new sm.DescribeTrainingJobCommand({ TrainingJobName: job }))).FinalMetricDataList;
    } catch (e) {
        return { kind: "unmeasured", modelDataUrl, reason: `DescribeTrainingJob ${job} failed (${(e as Error).name}: ${(e as Error).message})` };
    }
    const value = metrics?.find(m => m.MetricName === i.metricName)?.Value;
    if (typeof value !== "number") return { kind: "unmeasured", modelDataUrl, reason: `training job ${job} recorded no ${i.metricName}` };
    return { kind: "measured", modelDataUrl, trainingJobName: job, value };
}

/** The whole gate: the bar, then (when asked) the serving model. Throws to stop the rollout. */
export async function evaluateGate(
    i: QualityGateInputs,
    serving: (i: QualityGateInputs) => Promise<ServingModel> = lookupServingModel,
    report: (line: string) => void = line => console.log(line),
): Promise<QualityGateOutputs> {
    const value = judgeAgainstBar(i);
    const comparedWith = i.requireNoWorseThanServing ? judgeAgainstServing(i, value, await serving(i)) : "the bar only";
    // A dynamic provider's stdout reaches the CLI as a diagnostic: say what was let through and why.
    report(`quality gate: ${candidateOf(i)} passed with ${i.metricName} ${fmt(value)} (bar ${fmt(i.minimum)}; compared with ${comparedWith})`);
    return { ...i, approvedModelDataUrl: i.modelDataUrl, value, comparedWith };
}

const INPUT_KEYS: (keyof QualityGateInputs)[] = [
    "runName", "trainingJobName", "modelDataUrl", "metrics", "metricName", "minimum", "requireNoWorseThanServing", "endpointName", "region",
];

export const qualityGateProvider: pulumi.dynamic.ResourceProvider<QualityGateInputs, QualityGateOutputs> = {
    async create(inputs: QualityGateInputs) {
        return { id: inputs.endpointName, outs: await evaluateGate(inputs) };
    },
    diff(_id: string, olds: QualityGateOutputs, news: QualityGateInputs) {
        return Promise.resolve({ changes: INPUT_KEYS.some(k => JSON.stringify(olds[k]) !== JSON.stringify(news[k])), replaces: [] });
    },
    async update(_id: string, olds: QualityGateOutputs, news: QualityGateInputs) {
        // A model is judged when it is up for release; a new bar alone does not re-judge (or pull) the serving model.
        if (news.modelDataUrl === olds.approvedModelDataUrl) return { outs: { ...olds, ...news } };
        return { outs: await evaluateGate(news) };
    },
    // Nothing to delete or re-read: the gate holds a decision, not a cloud resource.
    async delete() {},
};

export interface QualityGateArgs {
    runName: string;
    trainingJobName: pulumi.Input<string>;
    modelDataUrl: pulumi.Input<string>;
    metrics: pulumi.Input<Record<string, number>>;
    metricName: string;
    minimum: number;
    requireNoWorseThanServing: boolean;
    endpointName: string;
    region: string;
}

export class QualityGate extends pulumi.dynamic.Resource {
    declare readonly approvedModelDataUrl: pulumi.Output<string>;
    declare readonly value: pulumi.Output<number>;
    declare readonly comparedWith: pulumi.Output<string>;

    constructor(name: string, args: QualityGateArgs, opts?: pulumi.CustomResourceOptions) {
        super(qualityGateProvider, name, {
            ...args,
            approvedModelDataUrl: undefined,
            value: undefined,
            comparedWith: undefined,
        }, opts, "mlops", "QualityGate");
    }
}
