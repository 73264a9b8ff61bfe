import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { InstanceVariant, ServerlessVariant, TrafficShift } from "../config";
import { AwsContext } from "./aws-context";
import { inferenceSourceArns, modelPermissions, objectArnOf } from "./iam";
import { ServiceRole } from "./service-role";
import { variantResourceId, VariantScalingRelease, SCALABLE_DIMENSION } from "./variant-scaling-release";

/**
 * One name for the one variant, whatever it runs on: SageMaker's blue/green deployments need the
 * new endpoint configuration's variant to have the old one's name.
 */
export const VARIANT_NAME = "primary";

/** The endpoint's fixed name: the alarms, the quality gate and the dashboard know it before the endpoint exists. */
export const endpointNameFor = (namePrefix: string) => `${namePrefix}-endpoint`;

export interface ModelEndpointArgs {
    context: AwsContext;
    /** Stack name prefix: the endpoint is `<prefix>-endpoint`. */
    namePrefix: string;
    /** `model.tar.gz` with model.pth, labels.json and code/inference.py. */
    modelDataUrl: pulumi.Input<string>;
    /** PyTorch inference image URI (CPU or GPU build matching the variant). */
    inferenceImage: pulumi.Input<string>;
    variant: InstanceVariant | ServerlessVariant;
    /** How blue/green shifts traffic to a new fleet (a serverless variant: ALL_AT_ONCE). */
    trafficShift: TrafficShift;
    /** CANARY: share of capacity in the canary; LINEAR: size of each step. */
    canaryPercent: number;
    /** Baking time between traffic steps, watched by the rollback alarms. */
    waitIntervalSeconds: number;
    /** How long the old fleet stays after the shift, for a fast rollback. */
    terminationWaitSeconds: number;
    /** Roll back when model latency averages above this over a minute. */
    latencyAlarmMs: number;
    /** Roll back at this many 5XX errors in a minute. */
    errorAlarmCount: number;
    kmsKeyArn?: pulumi.Input<string>;
}

/**
 * The model behind an endpoint: network-isolated (it can fetch nothing), rolled out blue/green
 * with automatic rollback on alarms, autoscaled on invocations per instance (or serverless).
 *
 * A change AWS refuses while the variant is autoscaled (another instance type, instance to
 * serverless) deploys in one `pulumi up`: the scaling release deregisters the variant before the
 * endpoint's update, and the scalable target and its policy, replaced when the instance type
 * changes, register it again after.
 */
export class ModelEndpoint extends pulumi.ComponentResource {
    readonly model: aws.sagemaker.Model;
    readonly endpointConfig: aws.sagemaker.EndpointConfiguration;
    readonly endpoint: aws.sagemaker.Endpoint;
    readonly endpointName: pulumi.Output<string>;
    readonly endpointArn: pulumi.Output<string>;
    readonly alarms: aws.cloudwatch.MetricAlarm[];
    readonly scalingRelease: VariantScalingRelease;
    readonly scalingTarget?: aws.appautoscaling.Target;
    readonly scalingPolicy?: aws.appautoscaling.Policy;

    constructor(name: string, args: ModelEndpointArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlops:serving:ModelEndpoint", name, {}, opts);
        const parent = { parent: this };
        const { partition, accountId, region } = args.context;
        const variant = args.variant;
        const endpointName = endpointNameFor(args.namePrefix);

        const role = new ServiceRole(`${name}-model-role`, {
            service: "sagemaker",
            purpose: `Model behind ${endpointName}: reads its artifact, pulls its image, writes its logs`,
            trustedSourceArns: pulumi.all([partition, accountId]).apply(([p, a]) => inferenceSourceArns({ partition: p, region, accountId: a })),
            policy: pulumi.all([partition, accountId, args.modelDataUrl, args.inferenceImage, args.kmsKeyArn]).apply(([p, a, url, imageUri, kmsKeyArn]) =>
                modelPermissions({ partition: p, region, accountId: a }, { artifactArn: objectArnOf(p, url), imageUri, endpointName, kmsKeyArn })),
        }, parent);

        this.model = new aws.sagemaker.Model(`${name}-model`, {
            executionRoleArn: role.arn,
            primaryContainer: {
                image: args.inferenceImage,
                modelDataUrl: args.modelDataUrl,
                environment: {
                    // The handlers ship inside model.tar.gz (code/), so nothing is fetched at start.
                    SAGEMAKER_PROGRAM: "inference.py",
                    SAGEMAKER_SUBMIT_DIRECTORY: "/opt/ml/model/code",
                    SAGEMAKER_CONTAINER_LOG_LEVEL: "20",
                    SAGEMAKER_REGION: region,
                },
            },
            enableNetworkIsolation: true,
        }, { parent: this, dependsOn: [role] });

        // Auto-named: every change is a new configuration, which is what makes the endpoint roll out.
        this.endpointConfig = new aws.sagemaker.EndpointConfiguration(`${name}-config`, {
            productionVariants: [variant.kind === "instance"
                ? {
                    variantName: VARIANT_NAME,
                    modelName: this.model.name,
                    instanceType: variant.instanceType,
                    initialInstanceCount: variant.minInstances,
                    initialVariantWeight: 1,
                }
                : {
                    variantName: VARIANT_NAME,
                    modelName: this.model.name,
                    serverlessConfig: { memorySizeInMb: variant.memorySizeMb, maxConcurrency: variant.maxConcurrency },
                }],
            // Serverless variants have no ML storage volume to encrypt.
            kmsKeyArn: variant.kind === "instance" ? args.kmsKeyArn : undefined,
        }, parent);

        // The alarms name the endpoint and variant, so the endpoint's name is fixed up front.
        const dimensions = { EndpointName: endpointName, VariantName: VARIANT_NAME };
        const errors = new aws.cloudwatch.MetricAlarm(`${name}-5xx`, {
            name: `${endpointName}-5xx-errors`,
            alarmDescription: `${endpointName}: model returned 5XX errors; blue/green deployments roll back on it`,
            namespace: "AWS/SageMaker",
            metricName: "Invocation5XXErrors",
            dimensions,
            statistic: "Sum",
            period: 60,
            evaluationPeriods: 1,
            threshold: args.errorAlarmCount,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            treatMissingData: "notBreaching",
        }, parent);
        const latency = new aws.cloudwatch.MetricAlarm(`${name}-latency`, {
            name: `${endpointName}-model-latency`,
            alarmDescription: `${endpointName}: model latency too high; blue/green deployments roll back on it`,
            namespace: "AWS/SageMaker",
            metricName: "ModelLatency",
            dimensions,
            statistic: "Average",
            period: 60,
            evaluationPeriods: 2,
            // ModelLatency is reported in microseconds.
            threshold: args.latencyAlarmMs * 1000,
            comparisonOperator: "GreaterThanThreshold",
            treatMissingData: "notBreaching",
        }, parent);
        this.alarms = [errors, latency];

        // Runs before the endpoint's update (the endpoint depends on it): deregisters the running
        // variant from autoscaling when the update would change its instance type or remove it.
        this.scalingRelease = new VariantScalingRelease(`${name}-scaling-release`, {
            endpointName,
            region,
            variants: [{ variantName: VARIANT_NAME, instanceType: variant.kind === "instance" ? variant.instanceType : null }],
        }, parent);

        this.endpoint = new aws.sagemaker.Endpoint(name, {
            name: endpointName,
            endpointConfigName: this.endpointConfig.name,
            deploymentConfig: {
                blueGreenUpdatePolicy: {
                    trafficRoutingConfiguration: trafficRouting(args),
                    terminationWaitInSeconds: args.terminationWaitSeconds,
                },
                autoRollbackConfiguration: { alarms: this.alarms.map(a => ({ alarmName: a.name })) },
            },
        }, { parent: this, deleteBeforeReplace: true, dependsOn: [this.scalingRelease] });

        if (variant.kind === "instance") {
            // A new instance type: the release deregistered the variant before the update, so the
            // target and policy are registered anew after it. Delete before replace, because the
            // new target has the old one's id, which deleting the old one afterwards would deregister.
            const reRegister = { parent: this, replacementTrigger: variant.instanceType, deleteBeforeReplace: true };
            this.scalingTarget = new aws.appautoscaling.Target(`${name}-scaling`, {
                serviceNamespace: "sagemaker",
                resourceId: this.endpoint.name.apply(endpoint => variantResourceId(endpoint, VARIANT_NAME)),
                scalableDimension: SCALABLE_DIMENSION,
                minCapacity: variant.minInstances,
                maxCapacity: variant.maxInstances,
            }, reRegister);
            this.scalingPolicy = new aws.appautoscaling.Policy(`${name}-invocations`, {
                name: `${endpointName}-invocations-per-instance`,
                policyType: "TargetTrackingScaling",
                serviceNamespace: this.scalingTarget.serviceNamespace,
                resourceId: this.scalingTarget.resourceId,
                scalableDimension: this.scalingTarget.scalableDimension,
                targetTrackingScalingPolicyConfiguration: {
                    // Average invocations per instance per minute.
                    targetValue: variant.targetInvocationsPerInstance,
                    predefinedMetricSpecification: { predefinedMetricType: "SageMakerVariantInvocationsPerInstance" },
                    scaleInCooldown: variant.scaleInCooldownSeconds,
                    scaleOutCooldown: variant.scaleOutCooldownSeconds,
                },
            }, reRegister);
        }

        this.endpointName = this.endpoint.name;
        this.endpointArn = this.endpoint.arn;
        this.registerOutputs({ endpointName: this.endpointName, endpointArn: this.endpointArn });
    }
}

function trafficRouting(args: ModelEndpointArgs) {
    const waitIntervalInSeconds = args.waitIntervalSeconds;
    const percent = { type: "CAPACITY_PERCENT", value: args.canaryPercent };
    switch (args.trafficShift) {
        case "CANARY":
            return { type: "CANARY", waitIntervalInSeconds, canarySize: percent };
        case "LINEAR":
            return { type: "LINEAR", waitIntervalInSeconds, linearStepSize: percent };
        default:
            return { type: "ALL_AT_ONCE", waitIntervalInSeconds };
    }
}
