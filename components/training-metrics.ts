import * as pulumi from "@pulumi/pulumi";

/**
 * Reads the final metrics SageMaker recorded for a finished training job (DescribeTrainingJob's
 * FinalMetricDataList: the last value of each metric definition scraped from the job's logs).
 * A dynamic provider, because the TrainingJob resource outputs no metrics.
 */

export interface TrainingMetricsInputs {
    trainingJobName: string;
    region: string;
    /** The metric definitions' names (training/metrics.json) to read. */
    metricNames: string[];
}

export interface TrainingMetricsOutputs extends TrainingMetricsInputs {
    status: string;
    /** Metric name -> final value, for every requested metric the job recorded. */
    metrics: Record<string, number>;
    /** Requested metrics the job did not record. */
    missing: string[];
}

/** What DescribeTrainingJob says, reduced to what the reader needs. */
export interface TrainingJobDescription {
    TrainingJobStatus?: string;
    FinalMetricDataList?: { MetricName?: string; Value?: number }[];
}

/** The requested metrics from a description, in the order asked for. Pure, so tests cover it directly. */
export function finalMetrics(d: TrainingJobDescription, metricNames: string[]): { metrics: Record<string, number>; missing: string[] } {
    const recorded = new Map<string, number>();
    for (const m of d.FinalMetricDataList ?? []) {
        if (m.MetricName !== undefined && typeof m.Value === "number" && Number.isFinite(m.Value)) recorded.set(m.MetricName, m.Value);
    }
    const metrics: Record<string, number> = {};
    const missing: string[] = [];
    for (const name of metricNames) {
        const value = recorded.get(name);
        if (value === undefined) missing.push(name);
        else metrics[name] = value;
    }
    return { metrics, missing };
}

async function readTrainingMetrics(inputs: TrainingMetricsInputs): Promise<TrainingMetricsOutputs> {
    // Imported here: Pulumi serialises this function into the state, and it must stay self-contained.
    const { SageMakerClient, DescribeTrainingJobCommand } = await import("@aws-sdk/client-sagemaker");
    const client = new SageMakerClient({ region: inputs.region });
    const d = await client.send(new DescribeTrainingJobCommand({ TrainingJobName: inputs.trainingJobName }));
    return { ...inputs, status: d.TrainingJobStatus ?? "Unknown", ...finalMetrics(d, inputs.metricNames) };
}

export const trainingMetricsProvider: pulumi.dynamic.ResourceProvider<TrainingMetricsInputs, TrainingMetricsOutputs> = {
    async create(inputs: TrainingMetricsInputs) {
        return { id: inputs.trainingJobName, outs: await readTrainingMetrics(inputs) };
    },
    diff(_id: string, olds: TrainingMetricsOutputs, news: TrainingMetricsInputs) {
        const replace = olds.trainingJobName !== news.trainingJobName || olds.region !== news.region;
        const renamed = JSON.stringify(olds.metricNames) !== JSON.stringify(news.metricNames);
        return Promise.resolve({ changes: replace || renamed, replaces: replace ? ["trainingJobName"] : [] });
    },
    async update(_id: string, _olds: TrainingMetricsOutputs, news: TrainingMetricsInputs) {
        return { outs: await readTrainingMetrics(news) };
    },
    async read(id: string, props?: TrainingMetricsOutputs) {
        // `pulumi refresh` hands back the recorded state; an import by id alone has nothing to read from.
        if (!props) throw new Error(`training metrics ${id} cannot be imported by id: the program creates it from the job it names`);
        return { id, props: await readTrainingMetrics(props) };
    },
    // Nothing to delete: the job and its metrics belong to SageMaker.
    async delete() {},
};

export interface TrainingMetricsArgs {
    trainingJobName: pulumi.Input<string>;
    region: string;
    metricNames: string[];
}

export class TrainingMetrics extends pulumi.dynamic.Resource {
    declare readonly status: pulumi.Output<string>;
    declare readonly metrics: pulumi.Output<Record<string, number>>;
    declare readonly missing: pulumi.Output<string[]>;

    constructor(name: string, args: TrainingMetricsArgs, opts?: pulumi.CustomResourceOptions) {
        super(trainingMetricsProvider, name, {
            trainingJobName: args.trainingJobName,
            region: args.region,
            metricNames: args.metricNames,
            status: undefined,
            metrics: undefined,
            missing: undefined,
        }, opts, "mlops", "TrainingMetrics");
    }
}
