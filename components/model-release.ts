import * as pulumi from "@pulumi/pulumi";
import { QualityGate } from "./quality-gate";
import { METRIC_NAMES, QUALITY_METRIC } from "./training-spec";
import { TrainingMetrics } from "./training-metrics";

export interface ReleasedRun {
    /** The run's name in config (`single`, `multi`). */
    name: string;
    jobName: pulumi.Input<string>;
    modelDataUrl: pulumi.Input<string>;
}

export interface ModelReleaseArgs {
    region: string;
    /** The endpoint the released model goes to (fixed by ModelEndpoint before it exists). */
    endpointName: string;
    runs: ReleasedRun[];
    /** The run whose model the endpoint serves: one of `runs`. */
    deployRun: string;
    /** The bar: the run's recorded quality metric (Test Accuracy, 0..1) must be at least this. */
    minTestAccuracy: number;
    /** Also require the run to be no worse than the model the endpoint serves now. */
    requireNoWorseThanServing: boolean;
}

/**
 * Each training run's final metrics as SageMaker recorded them, and the quality gate that lets
 * the deployed run's model through to the endpoint only when it meets the stack's bar.
 */
export class ModelRelease extends pulumi.ComponentResource {
    /** Run name -> metric name -> final value (every metric of training/metrics.json the job recorded). */
    readonly metrics: pulumi.Output<Record<string, Record<string, number>>>;
    /** The artifact the endpoint may serve; resolves only once the gate passed. */
    readonly approvedModelDataUrl: pulumi.Output<string>;
    readonly gate: QualityGate;

    constructor(name: string, args: ModelReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlops:serving:ModelRelease", name, {}, opts);
        const deployed = args.runs.find(r => r.name === args.deployRun);
        if (deployed === undefined) {
            throw new Error(`ModelRelease ${name}: deployRun must name one of the runs (${args.runs.map(r => r.name).join(", ")}) (got "${args.deployRun}")`);
        }
        if (!(args.minTestAccuracy >= 0 && args.minTestAccuracy <= 1)) {
            throw new Error(`ModelRelease ${name}: minTestAccuracy must be a number from 0 to 1 (got ${args.minTestAccuracy})`);
        }
        const readers = args.runs.map(run => new TrainingMetrics(`${name}-${run.name}-metrics`, {
            trainingJobName: run.jobName,
            region: args.region,
            metricNames: METRIC_NAMES,
        }, { parent: this }));
        this.metrics = pulumi.all(readers.map(r => r.metrics))
            .apply(all => Object.fromEntries(args.runs.map((run, i) => [run.name, all[i]])));

        const deployedReader = readers[args.runs.indexOf(deployed)];
        this.gate = new QualityGate(`${name}-gate`, {
            runName: deployed.name,
            trainingJobName: deployed.jobName,
            modelDataUrl: deployed.modelDataUrl,
            metrics: deployedReader.metrics,
            metricName: QUALITY_METRIC.name,
            minimum: args.minTestAccuracy,
            requireNoWorseThanServing: args.requireNoWorseThanServing,
            endpointName: args.endpointName,
            region: args.region,
        }, { parent: this });
        this.approvedModelDataUrl = this.gate.approvedModelDataUrl;
        this.registerOutputs({ metrics: this.metrics, approvedModelDataUrl: this.approvedModelDataUrl });
    }
}
