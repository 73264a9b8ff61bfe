import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { dashboardUrl, trainingJobLinks, tuningJobLinks } from "./console-links";

/**
 * One CloudWatch dashboard per stack: the endpoint (traffic, latency, errors, instances), the
 * inference Lambda (invocations, errors, throttles, duration) and the training runs (their
 * metrics as SageMaker published them, and their final values with links to each job).
 */

export interface DashboardRun {
    /** The run's name in config. */
    run: string;
    jobName: string;
    /** Final metrics as SageMaker recorded them (TrainingMetrics), when known. */
    metrics?: Record<string, number>;
}

export interface DashboardSpec {
    region: string;
    endpointName: string;
    variantName: string;
    /** An instance variant has instances to count; a serverless one has none. */
    instanceVariant: boolean;
    functionName: string;
    /** The alias callers invoke (provisioned concurrency), whose metrics carry a `Resource` dimension. */
    aliasName?: string;
    runs: DashboardRun[];
    tuningJobName?: string;
    /** The metric definitions' names (training/metrics.json). */
    metricNames: string[];
    /** The quality gate's metric and bar, shown beside the runs' values. */
    gate?: { metricName: string; minimum: number; deployRun: string };
}

/** Namespaces the widgets read: AWS's, for the services the stack runs. */
export const NAMESPACES = {
    endpoint: "AWS/SageMaker",
    lambda: "AWS/Lambda",
    training: "/aws/sagemaker/TrainingJobs",
} as const;

type MetricOptions = { stat?: string; label?: string; id?: string; visible?: boolean; expression?: string };
/** A dashboard metric line: namespace, name, dimension name/value pairs, then options. */
type MetricLine = (string | MetricOptions)[];
type Widget = { type: "metric" | "text"; x: number; y: number; width: number; height: number; properties: Record<string, unknown> };

const metric = (namespace: string, name: string, dimensions: Record<string, string>, options: MetricOptions): MetricLine =>
    [namespace, name, ...Object.entries(dimensions).flat(), options];

/** Training hosts publish as `<job>/algo-<n>`; rank 0, which logs the test metrics, runs on algo-1. */
export const trainingHost = (jobName: string) => `${jobName}/algo-1`;

function runsTable(spec: DashboardSpec): string {
    const header = `| run | training job | ${spec.metricNames.join(" | ")} | links |\n|---|---|${spec.metricNames.map(() => "---|").join("")}---|`;
    const rows = spec.runs.map(r => {
        const links = trainingJobLinks(spec.region, r.jobName);
        const values = spec.metricNames.map(m => (r.metrics?.[m] !== undefined ? String(Number(r.metrics[m].toFixed(4))) : "not recorded"));
        const deployed = spec.gate?.deployRun === r.run ? " (deployed)" : "";
        return `| ${r.run}${deployed} | ${r.jobName} | ${values.join(" | ")} | [job](${links.console}) · [logs](${links.logs}) |`;
    });
    const gate = spec.gate ? `\n\nQuality gate: the endpoint serves a run's model only with ${spec.gate.metricName} >= ${spec.gate.minimum}.` : "";
    const tuning = spec.tuningJobName
        ? `\n\nTuning job ${spec.tuningJobName}: [job](${tuningJobLinks(spec.region, spec.tuningJobName).console}) · [trial logs](${tuningJobLinks(spec.region, spec.tuningJobName).logs})`
        : "";
    return `## Training runs (final metrics as SageMaker recorded them)\n\n${header}\n${rows.join("\n")}${gate}${tuning}`;
}

/** The dashboard's body (CloudWatch's dashboard JSON). Pure, so tests read every widget. */
export function dashboardBody(spec: DashboardSpec): string {
    const endpoint = { EndpointName: spec.endpointName, VariantName: spec.variantName };
    // Metrics of an alias are published under FunctionName plus Resource `<function>:<alias>`.
    const fn: Record<string, string> = spec.aliasName
        ? { FunctionName: spec.functionName, Resource: `${spec.functionName}:${spec.aliasName}` }
        : { FunctionName: spec.functionName };
    const graphs: { title: string; metrics: MetricLine[]; extra?: Record<string, unknown> }[] = [
        { title: `Endpoint ${spec.endpointName}: invocations per minute`, metrics: [metric(NAMESPACES.endpoint, "Invocations", endpoint, { stat: "Sum" })] },
        {
            title: "Model latency p50 / p99 (microseconds)",
            metrics: [
                metric(NAMESPACES.endpoint, "ModelLatency", endpoint, { stat: "p50", label: "p50" }),
                metric(NAMESPACES.endpoint, "ModelLatency", endpoint, { stat: "p99", label: "p99" }),
            ],
        },
        {
            title: "Endpoint 4XX / 5XX errors per minute",
            metrics: [
                metric(NAMESPACES.endpoint, "Invocation4XXErrors", endpoint, { stat: "Sum", label: "4XX" }),
                metric(NAMESPACES.endpoint, "Invocation5XXErrors", endpoint, { stat: "Sum", label: "5XX" }),
            ],
        },
    ];
    if (spec.instanceVariant) {
        // No metric counts instances; InvocationsPerInstance is Invocations divided by the instance
        // count, so their ratio is the count (while there is traffic to measure it by).
        graphs.push({
            title: "Endpoint instances (while serving traffic)",
            metrics: [
                [{ expression: "invocations / perInstance", label: "instances", id: "instances" }],
                metric(NAMESPACES.endpoint, "Invocations", endpoint, { stat: "Sum", id: "invocations", visible: false }),
                metric(NAMESPACES.endpoint, "InvocationsPerInstance", endpoint, { stat: "Sum", id: "perInstance", visible: false }),
            ],
        });
    }
    graphs.push(
        {
            title: `Lambda ${spec.aliasName ? `${spec.functionName}:${spec.aliasName}` : spec.functionName}: invocations, errors, throttles per minute`,
            metrics: ["Invocations", "Errors", "Throttles"].map(name => metric(NAMESPACES.lambda, name, fn, { stat: "Sum", label: name })),
        },
        {
            title: "Lambda duration p50 / p99 (ms)",
            metrics: [metric(NAMESPACES.lambda, "Duration", fn, { stat: "p50", label: "p50" }), metric(NAMESPACES.lambda, "Duration", fn, { stat: "p99", label: "p99" })],
        },
    );
    if (spec.runs.length > 0) {
        graphs.push({
            title: "Training runs: metrics as published (pick the time range of the runs)",
            metrics: spec.runs.flatMap(r => spec.metricNames.map(m =>
                metric(NAMESPACES.training, m, { Host: trainingHost(r.jobName) }, { stat: "Maximum", label: `${r.run}: ${m}` }))),
        });
    }

    const widgets: Widget[] = [];
    let y = 0;
    if (spec.runs.length > 0 || spec.tuningJobName) {
        widgets.push({ type: "text", x: 0, y, width: 24, height: 3 + spec.runs.length + (spec.tuningJobName ? 2 : 0), properties: { markdown: runsTable(spec) } });
        y += widgets[0].height;
    }
    graphs.forEach((g, i) => {
        widgets.push({
            type: "metric",
            x: (i % 2) * 12,
            y: y + Math.floor(i / 2) * 6,
            width: 12,
            height: 6,
            properties: { title: g.title, region: spec.region, view: "timeSeries", stacked: false, period: 60, metrics: g.metrics },
        });
    });
    return JSON.stringify({ widgets });
}

export interface StackDashboardArgs {
    /** Stack name prefix: the dashboard is called this. */
    namePrefix: string;
    region: string;
    endpointName: pulumi.Input<string>;
    variantName: string;
    instanceVariant: boolean;
    functionName: pulumi.Input<string>;
    aliasName?: pulumi.Input<string>;
    runs: { run: string; jobName: pulumi.Input<string> }[];
    /** Run name -> final metrics (ModelRelease.metrics). */
    runMetrics?: pulumi.Input<Record<string, Record<string, number>>>;
    tuningJobName?: pulumi.Input<string>;
    metricNames: string[];
    gate?: { metricName: string; minimum: number; deployRun: string };
}

export class StackDashboard extends pulumi.ComponentResource {
    readonly dashboard: aws.cloudwatch.Dashboard;
    readonly url: pulumi.Output<string>;

    constructor(name: string, args: StackDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlops:observability:StackDashboard", name, {}, opts);
        const body = pulumi.all([
            args.endpointName, args.functionName, args.aliasName, pulumi.all(args.runs.map(r => r.jobName)), args.runMetrics, args.tuningJobName,
        ]).apply(([endpointName, functionName, aliasName, jobNames, runMetrics, tuningJobName]) => dashboardBody({
            region: args.region,
            endpointName,
            variantName: args.variantName,
            instanceVariant: args.instanceVariant,
            functionName,
            aliasName,
            runs: args.runs.map((r, i) => ({ run: r.run, jobName: jobNames[i], metrics: runMetrics?.[r.run] })),
            tuningJobName,
            metricNames: args.metricNames,
            gate: args.gate,
        }));
        this.dashboard = new aws.cloudwatch.Dashboard(`${name}`, {
            dashboardName: args.namePrefix,
            dashboardBody: body,
        }, { parent: this });
        this.url = this.dashboard.dashboardName.apply(n => dashboardUrl(args.region, n));
        this.registerOutputs({ url: this.url });
    }
}
