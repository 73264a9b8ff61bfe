import * as assert from "assert";
import * as aws from "@pulumi/aws";
import { ALIAS_NAME } from "../../components/inference-function";
import type { ProgramRun } from "../../plan/run-program";
import { MOCK_FINAL_METRICS } from "../../plan/mocks";
import { allOf, oneOf, outputsOfOne, parseJson, runStack } from "../support/program";
import METRICS from "../../training/metrics.json";

const METRIC_NAMES: string[] = METRICS.definitions.map((d: { Name: string }) => d.Name);

interface Line { namespace: string; name: string; dimensions: Record<string, string>; options: Record<string, unknown> }
interface Graph { title: string; lines: Line[]; expressions: string[] }

/** A widget of a dashboard body, as far as the tests read it. */
type Widget = { x: number; width: number } & (
    | { type: "metric"; properties: { title: string; region: string; metrics: unknown[][] } }
    | { type: "text"; properties: { markdown: string } }
);

/** Every metric widget of a dashboard body, its lines split into namespace, name, dimensions and options. */
function graphsOf(body: string): { graphs: Graph[]; texts: string[]; widgets: Widget[] } {
    const widgets = parseJson<{ widgets: Widget[] }>(body, "the dashboard body").widgets;
    const graphs = widgets.flatMap(w => (w.type === "metric" ? [w] : [])).map(w => {
        const lines: Line[] = [];
        const expressions: string[] = [];
        for (const entry of w.properties.metrics) {
            const last = entry[entry.length - 1];
            const options = (typeof last === "object" && last !== null ? last : {}) as Record<string, unknown>;
            if (typeof options.expression === "string") {
                expressions.push(options.expression);
                continue;
            }
            const strings = entry.filter(e => typeof e === "string");
            assert.ok(strings.length >= 2 && strings.length % 2 === 0, `a metric line is namespace, name and dimension pairs: ${JSON.stringify(entry)}`);
            const dimensions: Record<string, string> = {};
            for (let i = 2; i < strings.length; i += 2) dimensions[strings[i]] = strings[i + 1];
            lines.push({ namespace: strings[0], name: strings[1], dimensions, options });
        }
        return { title: w.properties.title, lines, expressions };
    });
    return { graphs, texts: widgets.flatMap(w => (w.type === "text" ? [w.properties.markdown] : [])), widgets };
}

describe("stack dashboard", () => {
    let dev: ProgramRun;
    let prod: ProgramRun;
    before(async () => {
        dev = await runStack("dev");
        prod = await runStack("prod");
    });

    /** What the watched resources are called, read from the resources themselves. */
    function watched(run: ProgramRun) {
        const endpoint = outputsOfOne(run, aws.sagemaker.Endpoint).name;
        const variant = oneOf(run, aws.sagemaker.EndpointConfiguration).props.productionVariants[0].variantName;
        const fn = outputsOfOne(run, aws.lambda.Function).name;
        const aliases = allOf(run, aws.lambda.Alias).map(a => a.props.name);
        const jobs = allOf(run, aws.sagemaker.TrainingJob).map(j => j.props.trainingJobName);
        return { endpoint, variant, fn, alias: aliases[0], jobs };
    }

    function check(run: ProgramRun) {
        const dashboard = oneOf(run, aws.cloudwatch.Dashboard).props;
        const { graphs, texts, widgets } = graphsOf(dashboard.dashboardBody);
        const w = watched(run);
        const all = graphs.flatMap(g => g.lines);

        // Every line names a namespace of a service the stack runs, with exactly the dimensions
        // CloudWatch publishes that service's metrics under, for this stack's resources.
        for (const line of all) {
            if (line.namespace === "AWS/SageMaker") {
                assert.deepStrictEqual(line.dimensions, { EndpointName: w.endpoint, VariantName: w.variant }, `${line.name}`);
            } else if (line.namespace === "AWS/Lambda") {
                const expected = w.alias ? { FunctionName: w.fn, Resource: `${w.fn}:${w.alias}` } : { FunctionName: w.fn };
                assert.deepStrictEqual(line.dimensions, expected, `${line.name}`);
            } else if (line.namespace === "/aws/sagemaker/TrainingJobs") {
                assert.deepStrictEqual(Object.keys(line.dimensions), ["Host"]);
                const [job, host] = line.dimensions.Host.split("/");
                assert.ok(w.jobs.includes(job), `${line.dimensions.Host} is a host of one of the stack's training jobs (${w.jobs.join(", ")})`);
                assert.strictEqual(host, "algo-1");
                assert.ok(METRIC_NAMES.includes(line.name), `${line.name} is a metric train.py logs`);
            } else {
                assert.fail(`unexpected namespace ${line.namespace}`);
            }
        }

        const names = (ns: string) => new Set(all.filter(l => l.namespace === ns).map(l => l.name));
        assert.deepStrictEqual([...names("AWS/SageMaker")].sort(), ["Invocation4XXErrors", "Invocation5XXErrors", "Invocations", "InvocationsPerInstance", "ModelLatency"]);
        assert.deepStrictEqual([...names("AWS/Lambda")].sort(), ["Duration", "Errors", "Invocations", "Throttles"]);
        const stats = (ns: string, name: string) => all.filter(l => l.namespace === ns && l.name === name).map(l => l.options.stat).sort();
        assert.deepStrictEqual(stats("AWS/SageMaker", "ModelLatency"), ["p50", "p99"]);
        assert.deepStrictEqual(stats("AWS/Lambda", "Duration"), ["p50", "p99"]);
        for (const sum of ["Invocation4XXErrors", "Invocation5XXErrors"]) assert.deepStrictEqual(stats("AWS/SageMaker", sum), ["Sum"]);
        for (const sum of ["Invocations", "Errors", "Throttles"]) assert.deepStrictEqual(stats("AWS/Lambda", sum), ["Sum"]);

        // Instances: Invocations / InvocationsPerInstance, from hidden lines the expression names.
        const instances = graphs.find(g => g.expressions.length > 0)!;
        assert.deepStrictEqual(instances.expressions, ["invocations / perInstance"]);
        assert.deepStrictEqual(instances.lines.map(l => [l.name, l.options.id, l.options.visible]), [["Invocations", "invocations", false], ["InvocationsPerInstance", "perInstance", false]]);

        // Each run's every metric is graphed, and its final values are on the dashboard itself.
        for (const job of w.jobs) {
            const graphed = all.filter(l => l.dimensions.Host === `${job}/algo-1`).map(l => l.name).sort();
            assert.deepStrictEqual(graphed, [...METRIC_NAMES].sort());
            assert.ok(texts[0].includes(job));
        }
        for (const value of Object.values(MOCK_FINAL_METRICS)) assert.ok(texts[0].includes(String(value)), `the runs table shows ${value}`);
        for (const widget of widgets) {
            assert.ok(widget.x >= 0 && widget.x + widget.width <= 24, "widgets fit CloudWatch's 24-column grid");
            if (widget.type === "metric") assert.strictEqual(widget.properties.region, run.region);
        }
        return dashboard;
    }

    it("watches dev's endpoint, function and training jobs by their names", () => {
        const dashboard = check(dev);
        assert.strictEqual(dashboard.dashboardName, "mlops-dev");
        assert.strictEqual(watched(dev).alias, undefined);
    });

    it("watches prod's function through its alias (provisioned concurrency)", () => {
        check(prod);
        assert.strictEqual(watched(prod).alias, ALIAS_NAME);
    });

    it("exports the dashboard's console URL", () => {
        assert.strictEqual(dev.outputs.dashboardUrl, "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/mlops-dev");
    });

    it("shows no instance count for a serverless endpoint, which has no instances", async () => {
        const serverless = await runStack("dev", { "mlops:endpoint": {
            instanceType: undefined, minInstances: undefined, maxInstances: undefined, targetInvocationsPerInstance: undefined,
            scaleInCooldownSeconds: undefined, scaleOutCooldownSeconds: undefined, serverless: { memorySizeMb: 2048, maxConcurrency: 5 },
        } });
        const { graphs } = graphsOf(oneOf(serverless, aws.cloudwatch.Dashboard).props.dashboardBody);
        assert.deepStrictEqual(graphs.flatMap(g => g.expressions), []);
        assert.ok(!graphs.flatMap(g => g.lines).some(l => l.name === "InvocationsPerInstance"));
        assert.ok(graphs.flatMap(g => g.lines).some(l => l.name === "ModelLatency"));
    });
});
