import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { judgeAgainstBar, judgeAgainstServing, QualityGateInputs } from "../components/quality-gate";
import { Account, answerDataSource } from "./data-sources";

/** Resource inputs and outputs, and invoke arguments and results: JSON as the SDK marshals it. */
type Json = Record<string, unknown>;

/**
 * Pulumi mocks that answer like AWS would, so the program runs with no credentials: used by the
 * tests and by the offline plan. Data sources are answered by plan/data-sources.ts as the provider
 * would answer them; an unknown one fails loudly, naming its token, instead of returning `{}`,
 * because a silently empty answer would hide a program change the plan no longer models.
 */
export interface RecordedResource {
    type: string;
    name: string;
    inputs: Json;
    state: Json;
    /** Undefined where an input the id comes from is missing; the SDK then registers no id. */
    id: string | undefined;
    custom: boolean;
}

/**
 * The inputs the mocks read to invent outputs (names, keys, what a resource points at): text or a
 * flag where the program sets them; absent where it leaves them to AWS.
 */
interface NamingInputs {
    name?: string;
    namePrefix?: string;
    bucket?: string;
    bucketPrefix?: string;
    key?: string;
    role?: string;
    trainingJobName?: string;
    resourceId?: string;
    functionName?: string;
    qualifier?: string;
    publish?: boolean;
    dashboardName?: string;
    endpointName?: string;
    metricNames?: unknown;
    tuningJobName?: unknown;
}

export const DEFAULT_ACCOUNT: Account = { region: "us-east-1", accountId: "123456789012" };

export interface MockOptions {
    /**
     * The text of the dataset manifest in the stack's bucket (`<dataset prefix>manifest.json`), or
     * undefined: no dataset uploaded yet, as on a new stack.
     */
    datasetManifest?: string;
    /**
     * Keys under the dataset prefix without a manifest, as an upload that is under way or was
     * interrupted leaves them; default none. (With a manifest, its objects are there.)
     */
    datasetKeys?: string[];
}

export class PipelineMocks implements pulumi.runtime.Mocks {
    readonly resources: RecordedResource[] = [];
    readonly calls: { token: string; inputs: Json }[] = [];

    constructor(private readonly account: Account = DEFAULT_ACCOUNT, private readonly options: MockOptions = {}) {}

    /** The recorded resources of one type token, e.g. `aws:iam/role:Role`. */
    ofType(type: string): RecordedResource[] {
        return this.resources.filter(r => r.type === type);
    }

    call(args: pulumi.runtime.MockCallArgs): Json {
        const inputs = args.inputs as Json;
        this.calls.push({ token: args.token, inputs });
        try {
            switch (args.token) {
                // The stack's own bucket: what the test or plan says is in it (MockOptions).
                case "aws:s3/getObject:getObject":
                    return this.datasetObject(inputs);
                case "aws:s3/getObjects:getObjects": {
                    const query = inputs as { bucket: string; prefix?: string; maxKeys?: number };
                    const keys = (this.options.datasetKeys ?? []).filter(k => k.startsWith(query.prefix ?? "")).slice(0, query.maxKeys ?? 1000);
                    return { ...query, id: query.bucket, keys, commonPrefixes: [], owners: [], requestCharged: "" };
                }
                default:
                    return answerDataSource(args.token, inputs, this.account);
            }
        } catch (e) {
            // The SDK reports a failed invoke with the gRPC error's `details`, as the engine sends it.
            if (e instanceof Error) Object.assign(e, { details: e.message });
            throw e;
        }
    }

    /**
     * The one object the program reads, its dataset manifest: the given text, or the provider's own
     * error for a missing object (its message for S3's 404 on HeadObject).
     */
    private datasetObject(inputs: Json): Json {
        const { bucket, key } = inputs as { bucket: string; key: string };
        if (this.options.datasetManifest === undefined || !String(key).endsWith("/manifest.json")) {
            // call() gives it the `details` the SDK reports a failed invoke with.
            throw new Error(`reading S3 Bucket (${bucket}) Object (${key}): couldn't find resource`);
        }
        const body = this.options.datasetManifest;
        const etag = crypto.createHash("md5").update(body).digest("hex");
        return {
            ...inputs,
            id: `${bucket}/${key}`,
            arn: `arn:aws:s3:::${bucket}/${key}`,
            contentType: "application/json",
            contentLength: Buffer.byteLength(body),
            etag,
            versionId: `v-${etag.slice(0, 12)}`,
            body,
            bodyBase64: inputs.downloadBody === "true" ? Buffer.from(body).toString("base64") : undefined,
        };
    }

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Json } {
        const inputs = (args.inputs ?? {}) as Json;
        const { id, state } = args.custom === false
            ? { id: "", state: {} }
            : this.resourceOutputs(args.type, args.name, inputs);
        const merged = { ...inputs, ...state };
        this.resources.push({ type: args.type, name: args.name, inputs, state: merged, id, custom: args.custom !== false });
        return { id, state: merged };
    }

    /** The outputs AWS would add to a resource's inputs: ids, ARNs, generated names. */
    private resourceOutputs(type: string, name: string, json: Json): { id: string | undefined; state: Json } {
        const { region, accountId } = this.account;
        const inputs = json as NamingInputs;
        // Resources whose every input forces replacement get a new auto-name whenever an input
        // changes, as a Pulumi replacement would give them; others keep one name per logical name.
        const identity = REPLACED_ON_ANY_CHANGE.has(type) ? `${type}/${name}/${stableJson(json)}` : `${type}/${name}`;
        const suffix = crypto.createHash("sha256").update(identity).digest("hex").slice(0, 7);
        const generated = `${name}-${suffix}`;
        const resourceName: string = inputs.name ?? (inputs.namePrefix ? `${inputs.namePrefix}${suffix}` : generated);
        const sm = (kind: string, n: string) => `arn:aws:sagemaker:${region}:${accountId}:${kind}/${n.toLowerCase()}`;
        switch (type) {
            case "aws:s3/bucket:Bucket": {
                const bucket = inputs.bucket ?? (inputs.bucketPrefix ? `${inputs.bucketPrefix}${suffix}` : generated);
                return { id: bucket, state: { bucket, arn: `arn:aws:s3:::${bucket}`, bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com`, region } };
            }
            case "aws:s3/bucketObjectv2:BucketObjectv2":
                return { id: inputs.key, state: { etag: suffix, versionId: `v-${suffix}` } };
            case "aws:kms/key:Key": {
                const keyId = `${suffix}-1111-4222-8333-444455556666`;
                return { id: keyId, state: { keyId, arn: `arn:aws:kms:${region}:${accountId}:key/${keyId}` } };
            }
            case "aws:kms/alias:Alias":
                return { id: inputs.name, state: { arn: `arn:aws:kms:${region}:${accountId}:${inputs.name}` } };
            case "aws:iam/role:Role":
                return { id: resourceName, state: { name: resourceName, arn: `arn:aws:iam::${accountId}:role/${resourceName}`, uniqueId: `AROA${suffix.toUpperCase()}` } };
            case "aws:iam/instanceProfile:InstanceProfile":
                return { id: resourceName, state: { name: resourceName, arn: `arn:aws:iam::${accountId}:instance-profile/${resourceName}` } };
            case "aws:iam/rolePolicy:RolePolicy":
                return { id: `${inputs.role}:${resourceName}`, state: { name: resourceName } };
            case "aws:sagemaker/notebookInstance:NotebookInstance":
                return { id: resourceName, state: { name: resourceName, arn: sm("notebook-instance", resourceName), url: `${resourceName}.notebook.${region}.sagemaker.aws` } };
            case "aws:sagemaker/notebookInstanceLifecycleConfiguration:NotebookInstanceLifecycleConfiguration":
                return { id: resourceName, state: { name: resourceName, arn: sm("notebook-instance-lifecycle-config", resourceName) } };
            case "aws:sagemaker/trainingJob:TrainingJob": {
                // The program names its jobs; without a name the job gets the generated one.
                const jobName = inputs.trainingJobName ?? generated;
                return { id: jobName, state: { arn: sm("training-job", jobName) } };
            }
            case "aws:sagemaker/hyperParameterTuningJob:HyperParameterTuningJob":
                return { id: resourceName, state: { name: resourceName, arn: sm("hyper-parameter-tuning-job", resourceName), status: "InProgress" } };
            case "aws:sagemaker/model:Model":
                return { id: resourceName, state: { name: resourceName, arn: sm("model", resourceName) } };
            case "aws:sagemaker/endpointConfiguration:EndpointConfiguration":
                return { id: resourceName, state: { name: resourceName, arn: sm("endpoint-config", resourceName) } };
            case "aws:sagemaker/endpoint:Endpoint":
                return { id: resourceName, state: { name: resourceName, arn: sm("endpoint", resourceName) } };
            case "aws:appautoscaling/target:Target":
                return { id: inputs.resourceId, state: { arn: `arn:aws:application-autoscaling:${region}:${accountId}:scalable-target/${suffix}` } };
            case "aws:appautoscaling/policy:Policy":
                return { id: resourceName, state: { name: resourceName, arn: `arn:aws:autoscaling:${region}:${accountId}:scalingPolicy:${suffix}:resource/${inputs.resourceId}:policyName/${resourceName}` } };
            case "aws:cloudwatch/metricAlarm:MetricAlarm":
                return { id: resourceName, state: { name: resourceName, arn: `arn:aws:cloudwatch:${region}:${accountId}:alarm:${resourceName}` } };
            case "aws:cloudwatch/logGroup:LogGroup":
                return { id: resourceName, state: { name: resourceName, arn: `arn:aws:logs:${region}:${accountId}:log-group:${resourceName}` } };
            case "aws:lambda/function:Function":
                return {
                    id: resourceName,
                    state: {
                        name: resourceName,
                        arn: `arn:aws:lambda:${region}:${accountId}:function:${resourceName}`,
                        invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/arn:aws:lambda:${region}:${accountId}:function:${resourceName}/invocations`,
                        version: inputs.publish ? "1" : "$LATEST",
                        qualifiedArn: `arn:aws:lambda:${region}:${accountId}:function:${resourceName}:${inputs.publish ? "1" : "$LATEST"}`,
                    },
                };
            case "aws:lambda/alias:Alias": {
                const fn = String(inputs.functionName).split(":").pop();
                return { id: resourceName, state: { name: resourceName, arn: `arn:aws:lambda:${region}:${accountId}:function:${fn}:${resourceName}` } };
            }
            case "aws:ec2/instance:Instance":
                return { id: `i-0${suffix}abcdef12`, state: { arn: `arn:aws:ec2:${region}:${accountId}:instance/i-0${suffix}abcdef12`, privateIp: "10.0.1.23", instanceState: "running" } };
            case "aws:ec2/securityGroup:SecurityGroup":
                return { id: `sg-0${suffix}1234abcd`, state: { name: resourceName, arn: `arn:aws:ec2:${region}:${accountId}:security-group/sg-0${suffix}1234abcd` } };
            case "aws:budgets/budget:Budget":
                return { id: `${accountId}:${resourceName}`, state: { name: resourceName, arn: `arn:aws:budgets::${accountId}:budget/${resourceName}` } };
            case "pulumi-nodejs:dynamic:Resource":
                return { id: `dynamic-${suffix}`, state: dynamicResourceOutputs(inputs) };
            case "pulumi-nodejs:dynamic/mlops:TrainingMetrics":
                return { id: inputs.trainingJobName, state: { status: "Completed", ...recordedMetrics(inputs.metricNames) } };
            case "pulumi-nodejs:dynamic/mlops:QualityGate":
                // Its inputs are the QualityGateInputs components/quality-gate.ts registers it with.
                return { id: inputs.endpointName, state: gateVerdict(json as unknown as QualityGateInputs) };
            case "aws:lambda/functionUrl:FunctionUrl": {
                const urlId = suffix.padEnd(32, "0");
                return { id: inputs.qualifier ? `${inputs.functionName}/${inputs.qualifier}` : inputs.functionName, state: {
                    urlId,
                    functionUrl: `https://${urlId}.lambda-url.${region}.on.aws/`,
                    functionArn: `arn:aws:lambda:${region}:${accountId}:function:${inputs.functionName}`,
                } };
            }
            case "aws:cloudwatch/dashboard:Dashboard":
                return { id: inputs.dashboardName, state: { dashboardArn: `arn:aws:cloudwatch::${accountId}:dashboard/${inputs.dashboardName}` } };
            default:
                return { id: `${name}-id`, state: inputs.name === undefined ? {} : { name: resourceName } };
        }
    }
}

/** SageMaker resources that are immutable: any changed input replaces them (and renames them). */
const REPLACED_ON_ANY_CHANGE = new Set([
    "aws:sagemaker/model:Model",
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
]);

function stableJson(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
    if (value !== null && typeof value === "object") {
        return `{${Object.keys(value).sort().map(k => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(",")}}`;
    }
    return JSON.stringify(value);
}

/**
 * The final metrics SageMaker records for a training job of train.py (FinalMetricDataList): a
 * plausible run of ResNet-50 on the dog-breed data.
 */
export const MOCK_FINAL_METRICS: Record<string, number> = { "Test Loss": 0.6931, "Test Accuracy": 0.8125 };

function recordedMetrics(names: unknown): { metrics: Record<string, number>; missing: string[] } {
    const list = Array.isArray(names) ? names.map(String) : [];
    const unknown = list.filter(n => MOCK_FINAL_METRICS[n] === undefined);
    if (unknown.length > 0) throw new Error(`plan/mocks.ts has no final value for metric ${unknown.join(", ")}: add a realistic one`);
    return { metrics: Object.fromEntries(list.map(n => [n, MOCK_FINAL_METRICS[n]])), missing: [] };
}

/**
 * The quality gate judged as `pulumi up` judges it, on a stack whose endpoint serves nothing yet:
 * a run below the bar fails the registration, as the gate's provider fails the update.
 */
function gateVerdict(inputs: QualityGateInputs): Record<string, unknown> {
    const value = judgeAgainstBar(inputs);
    const comparedWith = inputs.requireNoWorseThanServing ? judgeAgainstServing(inputs, value, { kind: "none" }) : "the bar only";
    return { approvedModelDataUrl: inputs.modelDataUrl, value, comparedWith };
}

/**
 * What the tuning-result reader (a dynamic resource) would output after a real tuning job: the
 * best training job and the hyperparameters SageMaker chose, within the job's own ranges.
 */
function dynamicResourceOutputs(inputs: NamingInputs): Json {
    if (typeof inputs.tuningJobName !== "string") {
        return {};
    }
    return {
        bestTrainingJobName: `${inputs.tuningJobName}-002-1a2b3c4d`,
        bestHyperparameters: { "batch-size": "64", "learning-rate": "0.0042" },
        objectiveMetric: "Test Loss",
        objectiveValue: 0.6931,
        status: "Completed",
    };
}

/** Resolves when every output of the program has settled: the mocks' equivalent of `pulumi up` finishing. */
export function settled<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise(resolve => output.apply(v => { resolve(v); return v; }));
}
