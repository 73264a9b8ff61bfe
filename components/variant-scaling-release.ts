import * as pulumi from "@pulumi/pulumi";

/**
 * Takes an endpoint's variants out of Application Auto Scaling before an update that AWS refuses
 * while they are registered. SageMaker fails an UpdateEndpoint that changes the instance type of a
 * variant registered as a scalable target, or removes such a variant; the documented procedure is
 * to deregister the variant first (which deletes its scaling policies) and register it again after
 * the update:
 * https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html
 *
 * The endpoint depends on this resource, so the engine runs it before the endpoint's update. It
 * compares the endpoint as it runs now (DescribeEndpoint, DescribeEndpointConfig) with the variants
 * about to be deployed, and deregisters each registered variant whose instance type changes or that
 * goes away. The scalable target and policy resources are then replaced (their replacement trigger
 * is the variant's instance spec), which registers the new variant after the update. A dynamic
 * provider, because no provider resource orders a deregistration before another resource's update.
 */

export const SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount";

/** A variant as the update will deploy it; `instanceType` null for a serverless variant. */
export interface VariantSpec {
    variantName: string;
    instanceType: string | null;
}

export interface ScalingReleaseInputs {
    endpointName: string;
    region: string;
    variants: VariantSpec[];
}

export interface ScalingReleaseOutputs extends ScalingReleaseInputs {
    /** Scalable targets (resource ids) this resource deregistered the last time it ran. */
    released: string[];
}

/** `endpoint/<endpoint>/variant/<variant>`: how Application Auto Scaling names a variant. */
export const variantResourceId = (endpointName: string, variantName: string) => `endpoint/${endpointName}/variant/${variantName}`;

/**
 * The registered variants that must leave autoscaling before the update: those whose instance
 * type changes (a serverless variant has none) and those the update removes. Pure, for the tests.
 */
export function variantsToRelease(live: VariantSpec[], registered: ReadonlySet<string>, desired: VariantSpec[], endpointName: string): string[] {
    return live
        .filter(v => registered.has(variantResourceId(endpointName, v.variantName)))
        .filter(v => {
            const next = desired.find(d => d.variantName === v.variantName);
            return next === undefined || next.instanceType !== v.instanceType;
        })
        .map(v => variantResourceId(endpointName, v.variantName));
}

/** The name of an AWS SDK error (`ValidationException`, `ObjectNotFoundException`). */
function errorName(error: unknown): string {
    return (error as { name?: string })?.name ?? "";
}

/** Reads the running endpoint, finds what it must release, deregisters it. Serialised with the provider below. */
async function releaseChangingVariants(inputs: ScalingReleaseInputs): Promise<string[]> {
    // Imported here: Pulumi serialises this function into the state, and it must stay self-contained.
    const { SageMakerClient, DescribeEndpointCommand, DescribeEndpointConfigCommand } = await import("@aws-sdk/client-sagemaker");
    const {
        ApplicationAutoScalingClient, DescribeScalableTargetsCommand, DeregisterScalableTargetCommand,
    } = await import("@aws-sdk/client-application-auto-scaling");
    const sagemaker = new SageMakerClient({ region: inputs.region });
    const scaling = new ApplicationAutoScalingClient({ region: inputs.region });
    try {
        let configName: string | undefined;
        try {
            configName = (await sagemaker.send(new DescribeEndpointCommand({ EndpointName: inputs.endpointName }))).EndpointConfigName;
        } catch (error) {
            // A new endpoint: nothing runs yet, nothing to release.
            if (errorName(error) === "ValidationException" && /could not find endpoint/i.test(String((error as Error).message))) return [];
            throw error;
        }
        if (configName === undefined) return [];
        const config = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: configName }));
        const live: VariantSpec[] = (config.ProductionVariants ?? []).map(v => ({ variantName: v.VariantName ?? "", instanceType: v.InstanceType ?? null }));
        if (live.length === 0) return [];

        const registered = new Set<string>();
        let nextToken: string | undefined;
        do {
            const page = await scaling.send(new DescribeScalableTargetsCommand({
                ServiceNamespace: "sagemaker",
                ScalableDimension: SCALABLE_DIMENSION,
                ResourceIds: live.map(v => variantResourceId(inputs.endpointName, v.variantName)),
                NextToken: nextToken,
            }));
            for (const target of page.ScalableTargets ?? []) if (target.ResourceId) registered.add(target.ResourceId);
            nextToken = page.NextToken;
        } while (nextToken);

        const release = variantsToRelease(live, registered, inputs.variants, inputs.endpointName);
        for (const resourceId of release) {
            try {
                await scaling.send(new DeregisterScalableTargetCommand({ ServiceNamespace: "sagemaker", ScalableDimension: SCALABLE_DIMENSION, ResourceId: resourceId }));
            } catch (error) {
                // Gone already (deregistered by hand, or with its endpoint): the goal is reached.
                if (errorName(error) !== "ObjectNotFoundException") throw error;
            }
        }
        return release;
    } finally {
        sagemaker.destroy();
        scaling.destroy();
    }
}

export const scalingReleaseProvider: pulumi.dynamic.ResourceProvider<ScalingReleaseInputs, ScalingReleaseOutputs> = {
    async create(inputs: ScalingReleaseInputs) {
        const released = await releaseChangingVariants(inputs);
        return { id: `${inputs.endpointName}-scaling-release`, outs: { ...inputs, released } };
    },
    diff(_id: string, olds: ScalingReleaseOutputs, news: ScalingReleaseInputs) {
        const changed = (key: keyof ScalingReleaseInputs) => JSON.stringify(olds[key]) !== JSON.stringify(news[key]);
        const changes = changed("endpointName") || changed("region") || changed("variants");
        return Promise.resolve({ changes, replaces: [] });
    },
    async update(_id: string, _olds: ScalingReleaseOutputs, news: ScalingReleaseInputs) {
        const released = await releaseChangingVariants(news);
        return { outs: { ...news, released } };
    },
    // Nothing to delete: the scalable targets belong to their own resources.
    delete() {
        return Promise.resolve();
    },
};

export interface VariantScalingReleaseArgs {
    endpointName: pulumi.Input<string>;
    region: string;
    /** The variants the endpoint update will deploy. */
    variants: pulumi.Input<VariantSpec[]>;
}

export class VariantScalingRelease extends pulumi.dynamic.Resource {
    declare readonly released: pulumi.Output<string[]>;

    constructor(name: string, args: VariantScalingReleaseArgs, opts?: pulumi.CustomResourceOptions) {
        super(scalingReleaseProvider, name, { endpointName: args.endpointName, region: args.region, variants: args.variants, released: undefined }, opts);
    }
}
