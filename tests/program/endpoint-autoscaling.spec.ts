import * as assert from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { InstanceVariant, ServerlessVariant } from "../../config";
import { ModelEndpoint, VARIANT_NAME } from "../../components/model-endpoint";
import {
    SCALABLE_DIMENSION, ScalingReleaseInputs, ScalingReleaseOutputs, scalingReleaseProvider, variantResourceId, variantsToRelease,
} from "../../components/variant-scaling-release";
import type { ProgramRun } from "../../plan/run-program";
import { one, oneOf, runStack } from "../support/program";
import { registered, Registered, registrationsOf } from "../support/registrations";

const INSTANCE: InstanceVariant = {
    kind: "instance", instanceType: "ml.m5.large", minInstances: 1, maxInstances: 4,
    targetInvocationsPerInstance: 5, scaleInCooldownSeconds: 30, scaleOutCooldownSeconds: 30,
};
const SERVERLESS: ServerlessVariant = { kind: "serverless", memorySizeMb: 2048, maxConcurrency: 5 };

/** Builds one ModelEndpoint under the mocks and returns what it registered, options included. */
function buildEndpoint(variant: InstanceVariant | ServerlessVariant): Promise<Registered[]> {
    return registrationsOf(() => {
        const endpoint = new ModelEndpoint("mlops-dev-endpoint", {
            context: { accountId: pulumi.output("123456789012"), partition: pulumi.output("aws"), region: "us-east-1" },
            namePrefix: "mlops-dev",
            modelDataUrl: "s3://mlops-dev-data-123456789012-us-east-1/training/mlops-dev-single-0123456789/output/model.tar.gz",
            inferenceImage: "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5.1-cpu-py311",
            variant,
            trafficShift: "ALL_AT_ONCE",
            canaryPercent: 25,
            waitIntervalSeconds: 300,
            terminationWaitSeconds: 300,
            latencyAlarmMs: 2000,
            errorAlarmCount: 5,
        });
        return [endpoint.endpoint, endpoint.scalingRelease, ...(endpoint.scalingPolicy ? [endpoint.scalingPolicy] : [])];
    });
}

const releaseOf = (all: Registered[]) => registered(all, "pulumi-nodejs:dynamic:Resource", "scaling-release");
/** The inputs the release was registered with: what its provider receives. */
const releaseInputsOf = (all: Registered[]) => releaseOf(all).inputs as unknown as ScalingReleaseInputs;
/** The release's state after a run with these inputs (what diff receives as olds). */
const stateOf = (inputs: ScalingReleaseInputs): ScalingReleaseOutputs => ({ ...inputs, released: [] });
const provider = scalingReleaseProvider;

describe("endpoint changes that AWS refuses while the variant is autoscaled", () => {
    describe("the resource graph of the stack", () => {
        let dev: ProgramRun;
        before(async () => {
            dev = await runStack("dev");
        });

        it("makes the endpoint depend on the scaling release, so the release runs before any endpoint update", () => {
            const release = one(dev, "pulumi-nodejs:dynamic:Resource", "scaling-release");
            const endpoint = one(dev, "aws:sagemaker/endpoint:Endpoint");
            assert.ok(endpoint.dependencies?.includes(release.urn), `endpoint dependencies: ${JSON.stringify(endpoint.dependencies)}`);
            assert.deepStrictEqual(release.props.variants, [{ variantName: VARIANT_NAME, instanceType: "ml.m5.large" }]);
            assert.strictEqual(release.props.endpointName, "mlops-dev-endpoint");
            assert.strictEqual(release.props.region, "us-east-1");
        });

        it("registers the variant for autoscaling only after the endpoint, and its policy after the target", () => {
            const order = (type: string, name = "") => dev.resources.findIndex(r => r.type === type && r.name.includes(name));
            const release = order("pulumi-nodejs:dynamic:Resource", "scaling-release");
            const endpoint = order("aws:sagemaker/endpoint:Endpoint");
            const target = order("aws:appautoscaling/target:Target");
            const policy = order("aws:appautoscaling/policy:Policy");
            assert.ok(release < endpoint && endpoint < target && target < policy, `registration order ${[release, endpoint, target, policy].join(", ")}`);
            const endpointUrn = one(dev, "aws:sagemaker/endpoint:Endpoint").urn;
            const targetResource = one(dev, "aws:appautoscaling/target:Target");
            assert.ok(targetResource.dependencies?.includes(endpointUrn), "the target waits for the endpoint (its resourceId is the endpoint's name)");
            assert.strictEqual(targetResource.props.resourceId, variantResourceId("mlops-dev-endpoint", VARIANT_NAME));
            assert.ok(one(dev, "aws:appautoscaling/policy:Policy").dependencies?.includes(targetResource.urn));
        });

        it("keeps one variant name, which SageMaker's blue/green deployments require", async () => {
            const bigger = await runStack("dev", { "mlops:endpoint": { instanceType: "ml.m5.xlarge" } });
            for (const run of [dev, bigger]) {
                const config = oneOf(run, aws.sagemaker.EndpointConfiguration);
                assert.deepStrictEqual(config.props.productionVariants.map(v => v.variantName), [VARIANT_NAME]);
            }
            assert.deepStrictEqual(one(bigger, "pulumi-nodejs:dynamic:Resource", "scaling-release").props.variants,
                [{ variantName: VARIANT_NAME, instanceType: "ml.m5.xlarge" }]);
        });
    });

    describe("the replacement of the target and policy", () => {
        it("re-registers both after an instance-type change: replaced when the type changes, deleted before the replacement", async () => {
            const large = await buildEndpoint(INSTANCE);
            for (const type of ["aws:appautoscaling/target:Target", "aws:appautoscaling/policy:Policy"]) {
                const r = registered(large, type);
                assert.strictEqual(r.replacementTrigger, "ml.m5.large", `${type} replacement trigger`);
                // The new target has the old one's id: deleting the old one after creating it would deregister it.
                assert.strictEqual(r.deleteBeforeReplace, true, `${type} deleteBeforeReplace`);
            }
            const xlarge = await buildEndpoint({ ...INSTANCE, instanceType: "ml.m5.xlarge" });
            assert.strictEqual(registered(xlarge, "aws:appautoscaling/target:Target").replacementTrigger, "ml.m5.xlarge");
        });

        it("changes neither the trigger nor the release for a new capacity, which AWS updates in place", async () => {
            const before = await buildEndpoint(INSTANCE);
            const after = await buildEndpoint({ ...INSTANCE, minInstances: 2, maxInstances: 6 });
            assert.strictEqual(registered(after, "aws:appautoscaling/target:Target").replacementTrigger,
                registered(before, "aws:appautoscaling/target:Target").replacementTrigger);
            const diff = await provider.diff!("r", stateOf(releaseInputsOf(before)), releaseInputsOf(after));
            assert.strictEqual(diff.changes, false);
        });

        it("runs the release (an update) when the instance type changes or the variant turns serverless, never replacing it", async () => {
            const before = releaseInputsOf(await buildEndpoint(INSTANCE));
            for (const after of [releaseInputsOf(await buildEndpoint({ ...INSTANCE, instanceType: "ml.c5.xlarge" })), releaseInputsOf(await buildEndpoint(SERVERLESS))]) {
                const diff = await provider.diff!("r", stateOf(before), after);
                assert.deepStrictEqual({ changes: diff.changes, replaces: diff.replaces }, { changes: true, replaces: [] });
            }
        });

        it("has no scalable target for a serverless variant, and tells the release so", async () => {
            const serverless = await buildEndpoint(SERVERLESS);
            assert.strictEqual(serverless.filter(r => r.type.startsWith("aws:appautoscaling/")).length, 0);
            assert.deepStrictEqual(releaseInputsOf(serverless).variants, [{ variantName: VARIANT_NAME, instanceType: null }]);
            const endpoint = registered(serverless, "aws:sagemaker/endpoint:Endpoint");
            assert.ok(endpoint.dependencies.includes(releaseOf(serverless).urn!));
        });
    });

    describe("what to release", () => {
        const live = [{ variantName: "primary", instanceType: "ml.m5.large" }];
        const registeredIds = new Set([variantResourceId("ep", "primary")]);

        it("releases a registered variant whose instance type changes, or that becomes serverless", () => {
            assert.deepStrictEqual(variantsToRelease(live, registeredIds, [{ variantName: "primary", instanceType: "ml.m5.xlarge" }], "ep"), ["endpoint/ep/variant/primary"]);
            assert.deepStrictEqual(variantsToRelease(live, registeredIds, [{ variantName: "primary", instanceType: null }], "ep"), ["endpoint/ep/variant/primary"]);
        });

        it("releases a registered variant that the update removes", () => {
            assert.deepStrictEqual(variantsToRelease(live, registeredIds, [{ variantName: "blue", instanceType: "ml.m5.large" }], "ep"), ["endpoint/ep/variant/primary"]);
        });

        it("leaves alone a variant that keeps its type (a new model or count is allowed) and one that is not registered", () => {
            assert.deepStrictEqual(variantsToRelease(live, registeredIds, live, "ep"), []);
            assert.deepStrictEqual(variantsToRelease(live, new Set(), [{ variantName: "primary", instanceType: "ml.m5.xlarge" }], "ep"), []);
        });
    });

    describe("the release against SageMaker and Application Auto Scaling APIs on loopback", () => {
        interface FakeAws {
            /** The running endpoint's variants, or none: the endpoint does not exist. */
            variants?: { VariantName: string; InstanceType?: string; ServerlessConfig?: object }[];
            /** Registered scalable targets by resource id. */
            targets: Set<string>;
            /** Error for DeregisterScalableTarget, if any. */
            deregisterError?: { type: string; message: string };
        }
        let server: http.Server;
        let fakeAws: FakeAws;
        /** The fields of the requests that the fake reads or the tests check. */
        interface RequestBody { EndpointName?: string; EndpointConfigName?: string; ResourceIds?: string[]; ResourceId?: string }
        let requests: { target: string; body: RequestBody }[];
        const saved = { ...process.env };

        const inputs = (instanceType: string | null, variantName = "primary"): ScalingReleaseInputs =>
            ({ endpointName: "mlops-dev-endpoint", region: "us-east-1", variants: [{ variantName, instanceType }] });
        const deregistrations = () => requests.filter(r => r.target.endsWith(".DeregisterScalableTarget")).map(r => r.body);

        beforeEach(async () => {
            requests = [];
            fakeAws = { targets: new Set() };
            server = http.createServer((req, res) => {
                let text = "";
                req.on("data", c => (text += c));
                req.on("end", () => {
                    const target = String(req.headers["x-amz-target"]);
                    const body = JSON.parse(text || "{}") as RequestBody;
                    requests.push({ target, body });
                    const reply = (status: number, payload: object) => {
                        res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
                        res.end(JSON.stringify(payload));
                    };
                    const fail = (type: string, message: string) => reply(400, { __type: type, message });
                    switch (target) {
                        case "SageMaker.DescribeEndpoint":
                            if (!fakeAws.variants) return fail("ValidationException", `Could not find endpoint "${body.EndpointName}".`);
                            return reply(200, { EndpointName: body.EndpointName, EndpointArn: `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${body.EndpointName}`,
                                EndpointConfigName: "mlops-dev-endpoint-config-1234567", EndpointStatus: "InService", CreationTime: 1700000000, LastModifiedTime: 1700000000 });
                        case "SageMaker.DescribeEndpointConfig":
                            return reply(200, { EndpointConfigName: body.EndpointConfigName, EndpointConfigArn: "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/x",
                                ProductionVariants: fakeAws.variants!.map(v => ({ ModelName: "m", InitialInstanceCount: 1, ...v })), CreationTime: 1700000000 });
                        case "AnyScaleFrontendService.DescribeScalableTargets":
                            return reply(200, {
                                ScalableTargets: (body.ResourceIds ?? []).filter(id => fakeAws.targets.has(id)).map(id => ({
                                    ServiceNamespace: "sagemaker", ResourceId: id, ScalableDimension: SCALABLE_DIMENSION, MinCapacity: 1, MaxCapacity: 4,
                                    RoleARN: "arn:aws:iam::123456789012:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
                                    CreationTime: 1700000000,
                                })),
                            });
                        case "AnyScaleFrontendService.DeregisterScalableTarget":
                            if (fakeAws.deregisterError) return fail(fakeAws.deregisterError.type, fakeAws.deregisterError.message);
                            if (!body.ResourceId || !fakeAws.targets.delete(body.ResourceId)) return fail("ObjectNotFoundException", "No scalable target found for service namespace: sagemaker");
                            return reply(200, {});
                        default:
                            return fail("UnknownOperationException", target);
                    }
                });
            });
            await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
            const { port } = server.address() as AddressInfo;
            Object.assign(process.env, {
                AWS_ENDPOINT_URL_SAGEMAKER: `http://127.0.0.1:${port}`,
                AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING: `http://127.0.0.1:${port}`,
                AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_REGION: "us-east-1",
            });
        });
        afterEach(async () => {
            process.env = saved;
            await new Promise(resolve => server.close(resolve));
        });

        it("deregisters the running variant before an update to another instance type", async () => {
            fakeAws.variants = [{ VariantName: "primary", InstanceType: "ml.m5.large" }];
            fakeAws.targets.add("endpoint/mlops-dev-endpoint/variant/primary");
            const { outs } = await provider.update!("id", { ...inputs("ml.m5.large"), released: [] }, inputs("ml.m5.xlarge"));
            assert.deepStrictEqual(deregistrations(), [{ ServiceNamespace: "sagemaker", ScalableDimension: SCALABLE_DIMENSION, ResourceId: "endpoint/mlops-dev-endpoint/variant/primary" }]);
            assert.deepStrictEqual(outs?.released, ["endpoint/mlops-dev-endpoint/variant/primary"]);
            assert.strictEqual(fakeAws.targets.size, 0, "UpdateEndpoint now finds no registered variant whose type changes");
            assert.deepStrictEqual(requests.map(r => r.target), [
                "SageMaker.DescribeEndpoint", "SageMaker.DescribeEndpointConfig",
                "AnyScaleFrontendService.DescribeScalableTargets", "AnyScaleFrontendService.DeregisterScalableTarget",
            ]);
        });

        it("leaves the variant registered when its type stays (a new model or count needs no release)", async () => {
            fakeAws.variants = [{ VariantName: "primary", InstanceType: "ml.m5.large" }];
            fakeAws.targets.add("endpoint/mlops-dev-endpoint/variant/primary");
            const { outs } = await provider.update!("id", { ...inputs("ml.m5.large"), released: [] }, inputs("ml.m5.large"));
            assert.deepStrictEqual(deregistrations(), []);
            assert.deepStrictEqual(outs?.released, []);
        });

        it("does nothing for an endpoint that does not exist yet (the first deployment)", async () => {
            const { outs, id } = await provider.create(inputs("ml.m5.large"));
            assert.strictEqual(id, "mlops-dev-endpoint-scaling-release");
            assert.deepStrictEqual(outs?.released, []);
            assert.deepStrictEqual(requests.map(r => r.target), ["SageMaker.DescribeEndpoint"]);
        });

        it("releases on create too, when the running endpoint is already registered with another type", async () => {
            fakeAws.variants = [{ VariantName: "primary", InstanceType: "ml.m5.large" }];
            fakeAws.targets.add("endpoint/mlops-dev-endpoint/variant/primary");
            const { outs } = await provider.create(inputs(null));
            assert.deepStrictEqual(outs?.released, ["endpoint/mlops-dev-endpoint/variant/primary"]);
        });

        it("treats a target that disappeared meanwhile as released, and fails on any other error", async () => {
            fakeAws.variants = [{ VariantName: "primary", InstanceType: "ml.m5.large" }];
            fakeAws.targets.add("endpoint/mlops-dev-endpoint/variant/primary");
            fakeAws.deregisterError = { type: "ObjectNotFoundException", message: "No scalable target found" };
            await provider.update!("id", { ...inputs("ml.m5.large"), released: [] }, inputs("ml.m5.xlarge"));
            fakeAws.deregisterError = { type: "AccessDeniedException", message: "User is not authorized to perform: application-autoscaling:DeregisterScalableTarget" };
            await assert.rejects(provider.update!("id", { ...inputs("ml.m5.large"), released: [] }, inputs("ml.m5.xlarge")),
                /not authorized to perform: application-autoscaling:DeregisterScalableTarget/);
        });
    });
});
