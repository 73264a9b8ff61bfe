// The resource types the pack knows: one entry per concept (a bucket, a bucket's encryption, an EC2
// instance, ...) with every @pulumi/aws class that expresses it. @pulumi/aws keeps shipping
// deprecated aliases (aws.s3.BucketV2, the *V2 side resources, BucketObject) and offers other
// forms of the same thing (a spot request is an instance too), so a rule written against one class
// would miss the others: rules, the cost estimate and the plan's mocks take their classes and type
// tokens from here. A new class is added to its entry, and everything that knows the concept sees it.
//
// Type tokens are read from the classes (`__pulumiType`, the static every generated resource class
// carries and that @pulumi/policy's own `isType` compares), never written by hand.

import * as aws from "@pulumi/aws";
import type { PolicyResource } from "@pulumi/policy";
import type * as pulumi from "@pulumi/pulumi";

/** A generated @pulumi/aws resource class. */
export type AwsClass = (new (name: string, args: never, opts?: never) => pulumi.CustomResource) & {
    isInstance(obj: unknown): boolean;
};

/** The inputs a class takes, resolved (what a resource rule sees). */
export type ArgsOfClass<C> = C extends abstract new (name: string, args: infer A, ...rest: never[]) => unknown ? pulumi.Unwrap<NonNullable<A>> : never;

declare const _resource: PolicyResource;
/** The outputs of a class, resolved (what a stack rule sees): what `PolicyResource.asType(cls)` returns. */
export type OutputsOfClass<C> = C extends abstract new (...args: never[]) => infer R
    ? R extends pulumi.Resource
        ? NonNullable<ReturnType<typeof _resource.asType<R>>>
        : never
    : never;

type HasTags<C> = C extends abstract new (name: string, args: infer A, ...rest: never[]) => unknown ? ("tags" extends keyof NonNullable<A> ? true : false) : false;
type AllTaggable<C extends readonly unknown[]> = false extends { [I in keyof C]: HasTags<C[I]> }[number] ? false : true;

/**
 * Tagging, checked against the classes' Args at compile time: `taggable: true` only where every
 * class takes `tags`, and a class that takes them may only opt out with a reason.
 */
type TagSpec<C extends readonly unknown[]> = AllTaggable<C> extends true
    ? { taggable: true; notTaggedBecause?: never } | { taggable: false; notTaggedBecause: string }
    : { taggable: false; notTaggedBecause?: never };

export interface Kind<C extends readonly AwsClass[] = readonly AwsClass[]> {
    /** The key in RESOURCE_TYPES. */
    readonly name: string;
    /** What the classes express, for messages and docs: "S3 bucket". */
    readonly concept: string;
    /** Every class, current ones first. */
    readonly classes: C;
    /** Classes @pulumi/aws marks deprecated but still ships. */
    readonly legacy: readonly AwsClass[];
    /** Other forms of the concept, and why they count (documentation only). */
    readonly note?: string;
    /** Type tokens of `classes`, in the same order. */
    readonly tokens: readonly string[];
    /** The required-tags rule applies. */
    readonly taggable: boolean;
    readonly notTaggedBecause?: string;
    /** The cost estimate puts a price on it (the cost rule applies when a stack has one). */
    readonly priced: boolean;
}

export type ArgsOf<K> = K extends Kind<infer C> ? ArgsOfClass<C[number]> : never;
export type OutputsOf<K> = K extends Kind<infer C> ? OutputsOfClass<C[number]> : never;

/** The type token a generated class carries. */
export function tokenOf(cls: AwsClass): string {
    const token = (cls as unknown as { __pulumiType?: unknown }).__pulumiType;
    if (typeof token !== "string" || token === "") throw new Error(`class ${cls.name} carries no __pulumiType: not a generated @pulumi/aws resource class`);
    return token;
}

/** `aws:s3/bucketV2:BucketV2` -> `aws.s3.BucketV2`, how a program names the class. */
export function className(token: string): string {
    const m = /^aws:([^/]+)\/[^:]+:(.+)$/.exec(token);
    return m ? `aws.${m[1]}.${m[2]}` : token;
}

function kind<const Current extends readonly AwsClass[], const Legacy extends readonly AwsClass[] = []>(
    spec: {
        concept: string;
        current: Current;
        legacy?: Legacy;
        note?: string;
        priced?: boolean;
    } & TagSpec<[...Current, ...Legacy]>,
): Kind<[...Current, ...Legacy]> {
    const classes = [...spec.current, ...(spec.legacy ?? [])] as unknown as [...Current, ...Legacy];
    return {
        name: "",
        concept: spec.concept,
        classes,
        legacy: spec.legacy ?? [],
        note: spec.note,
        tokens: classes.map(tokenOf),
        taggable: spec.taggable,
        notTaggedBecause: spec.notTaggedBecause,
        priced: spec.priced ?? false,
    };
}

const S3_SIDE = "names its bucket in `bucket`";

/** Every concept the pack knows, by name. */
export const RESOURCE_TYPES = {
    // ---- S3 ----
    bucket: kind({ concept: "S3 bucket", current: [aws.s3.Bucket], legacy: [aws.s3.BucketV2], taggable: true }),
    bucketPublicAccessBlock: kind({ concept: "S3 bucket public access block", current: [aws.s3.BucketPublicAccessBlock], note: S3_SIDE, taggable: false }),
    accountPublicAccessBlock: kind({
        concept: "S3 account-level public access block",
        current: [aws.s3.AccountPublicAccessBlock],
        note: "covers every bucket of the account (the standalone form of the bucket-level block)",
        taggable: false,
    }),
    bucketEncryption: kind({ concept: "S3 bucket default encryption", current: [aws.s3.BucketServerSideEncryptionConfiguration], legacy: [aws.s3.BucketServerSideEncryptionConfigurationV2], note: S3_SIDE, taggable: false }),
    bucketVersioning: kind({ concept: "S3 bucket versioning", current: [aws.s3.BucketVersioning], legacy: [aws.s3.BucketVersioningV2], note: S3_SIDE, taggable: false }),
    bucketPolicy: kind({ concept: "S3 bucket policy", current: [aws.s3.BucketPolicy], note: S3_SIDE, taggable: false }),
    bucketAcl: kind({ concept: "S3 bucket ACL", current: [aws.s3.BucketAcl], legacy: [aws.s3.BucketAclV2], note: S3_SIDE, taggable: false }),
    bucketOwnershipControls: kind({ concept: "S3 bucket ownership controls", current: [aws.s3.BucketOwnershipControls], note: S3_SIDE, taggable: false }),
    bucketLifecycle: kind({ concept: "S3 bucket lifecycle configuration", current: [aws.s3.BucketLifecycleConfiguration], legacy: [aws.s3.BucketLifecycleConfigurationV2], note: S3_SIDE, taggable: false }),
    bucketObject: kind({
        concept: "S3 object",
        current: [aws.s3.BucketObjectv2],
        legacy: [aws.s3.BucketObject],
        taggable: false,
        notTaggedBecause: "object tags are data (at most 10 per object, used by lifecycle and access rules), not cost allocation",
    }),

    // ---- IAM: principals, the policies they carry inline, and what attaches managed policies ----
    role: kind({ concept: "IAM role", current: [aws.iam.Role], taggable: true }),
    user: kind({ concept: "IAM user", current: [aws.iam.User], taggable: true }),
    group: kind({ concept: "IAM group", current: [aws.iam.Group], taggable: false }),
    managedPolicy: kind({ concept: "IAM customer-managed policy", current: [aws.iam.Policy], taggable: true }),
    rolePolicy: kind({ concept: "IAM role inline policy", current: [aws.iam.RolePolicy], taggable: false }),
    userPolicy: kind({ concept: "IAM user inline policy", current: [aws.iam.UserPolicy], taggable: false }),
    groupPolicy: kind({ concept: "IAM group inline policy", current: [aws.iam.GroupPolicy], taggable: false }),
    rolePolicyAttachment: kind({ concept: "IAM role policy attachment", current: [aws.iam.RolePolicyAttachment], taggable: false }),
    userPolicyAttachment: kind({ concept: "IAM user policy attachment", current: [aws.iam.UserPolicyAttachment], taggable: false }),
    groupPolicyAttachment: kind({ concept: "IAM group policy attachment", current: [aws.iam.GroupPolicyAttachment], taggable: false }),
    policyAttachment: kind({
        concept: "IAM exclusive policy attachment",
        current: [aws.iam.PolicyAttachment],
        note: "attaches one managed policy to lists of roles, users and groups",
        taggable: false,
    }),
    instanceProfile: kind({ concept: "IAM instance profile", current: [aws.iam.InstanceProfile], taggable: true }),
    accessKey: kind({ concept: "IAM access key", current: [aws.iam.AccessKey], note: "a long-lived credential of a user, kept in the stack's state", taggable: false }),
    userLoginProfile: kind({ concept: "IAM user console password", current: [aws.iam.UserLoginProfile], taggable: false }),

    // ---- SageMaker ----
    notebook: kind({ concept: "SageMaker notebook instance", current: [aws.sagemaker.NotebookInstance], taggable: true, priced: true }),
    notebookLifecycle: kind({ concept: "SageMaker notebook lifecycle configuration", current: [aws.sagemaker.NotebookInstanceLifecycleConfiguration], taggable: true }),
    model: kind({ concept: "SageMaker model", current: [aws.sagemaker.Model], taggable: true }),
    endpointConfig: kind({
        concept: "SageMaker endpoint configuration",
        current: [aws.sagemaker.EndpointConfiguration],
        note: "the estimate prices an endpoint's instances on the configuration it deploys",
        taggable: true,
        priced: true,
    }),
    endpoint: kind({ concept: "SageMaker endpoint", current: [aws.sagemaker.Endpoint], taggable: true }),
    trainingJob: kind({ concept: "SageMaker training job", current: [aws.sagemaker.TrainingJob], taggable: true, priced: true }),
    tuningJob: kind({ concept: "SageMaker hyperparameter tuning job", current: [aws.sagemaker.HyperParameterTuningJob], taggable: true, priced: true }),

    // ---- EC2 ----
    ec2Instance: kind({
        concept: "EC2 instance",
        current: [aws.ec2.Instance, aws.ec2.SpotInstanceRequest],
        note: "a spot instance request launches an instance with the same arguments",
        taggable: true,
        priced: true,
    }),
    launchTemplate: kind({ concept: "EC2 launch template", current: [aws.ec2.LaunchTemplate], note: "instances launched from it get its volumes, metadata options and user data", taggable: true }),
    ebsVolume: kind({ concept: "EBS volume (standalone)", current: [aws.ebs.Volume], note: "the standalone form of an instance's ebsBlockDevices", taggable: true, priced: true }),
    securityGroup: kind({ concept: "EC2 security group", current: [aws.ec2.SecurityGroup], taggable: true }),
    securityGroupRule: kind({ concept: "EC2 security group rule", current: [aws.ec2.SecurityGroupRule], taggable: false }),
    securityGroupIngressRule: kind({ concept: "VPC security group ingress rule", current: [aws.vpc.SecurityGroupIngressRule], taggable: true }),
    securityGroupEgressRule: kind({ concept: "VPC security group egress rule", current: [aws.vpc.SecurityGroupEgressRule], taggable: true }),

    // ---- Lambda ----
    lambdaFunction: kind({ concept: "Lambda function", current: [aws.lambda.Function], taggable: true }),
    functionUrl: kind({ concept: "Lambda function URL", current: [aws.lambda.FunctionUrl], taggable: false }),
    lambdaPermission: kind({ concept: "Lambda permission", current: [aws.lambda.Permission], taggable: false }),
    lambdaAlias: kind({ concept: "Lambda alias", current: [aws.lambda.Alias], taggable: false }),
    provisionedConcurrency: kind({ concept: "Lambda provisioned concurrency", current: [aws.lambda.ProvisionedConcurrencyConfig], taggable: false, priced: true }),

    // ---- KMS ----
    kmsKey: kind({ concept: "KMS customer-managed key", current: [aws.kms.Key], taggable: true, priced: true }),
    kmsReplicaKey: kind({ concept: "KMS multi-Region replica key", current: [aws.kms.ReplicaKey], note: "rotation follows its primary key", taggable: true, priced: true }),
    kmsAlias: kind({ concept: "KMS alias", current: [aws.kms.Alias], taggable: false }),
    kmsKeyPolicy: kind({ concept: "KMS key policy (standalone)", current: [aws.kms.KeyPolicy], note: "the standalone form of a key's `policy`", taggable: false }),

    // ---- CloudWatch, Application Auto Scaling, Budgets ----
    logGroup: kind({ concept: "CloudWatch log group", current: [aws.cloudwatch.LogGroup], taggable: true }),
    metricAlarm: kind({ concept: "CloudWatch metric alarm", current: [aws.cloudwatch.MetricAlarm], taggable: true, priced: true }),
    scalingTarget: kind({ concept: "Application Auto Scaling target", current: [aws.appautoscaling.Target], taggable: true }),
    scalingPolicy: kind({ concept: "Application Auto Scaling policy", current: [aws.appautoscaling.Policy], taggable: false }),
    scheduledAction: kind({ concept: "Application Auto Scaling scheduled action", current: [aws.appautoscaling.ScheduledAction], taggable: false }),
    budget: kind({ concept: "AWS Budgets budget", current: [aws.budgets.Budget], taggable: true }),
} as const;

export type KindName = keyof typeof RESOURCE_TYPES;
export type AnyKind = (typeof RESOURCE_TYPES)[KindName];

for (const [name, k] of Object.entries(RESOURCE_TYPES)) (k as { name: string }).name = name;

/** Every kind, in table order. */
export const ALL_KINDS: readonly Kind[] = Object.values(RESOURCE_TYPES);

const KIND_BY_TOKEN = new Map<string, Kind>();
for (const k of ALL_KINDS) {
    for (const t of k.tokens) {
        const other = KIND_BY_TOKEN.get(t);
        if (other) throw new Error(`resource type ${t} is listed under both ${other.name} and ${k.name}`);
        KIND_BY_TOKEN.set(t, k);
    }
}

/** The kind a type token belongs to, if the pack knows it. */
export function kindOfToken(token: string): Kind | undefined {
    return KIND_BY_TOKEN.get(token);
}

/** Does the type token belong to `kind`? */
export function isKind(token: string, kind: Kind): boolean {
    return KIND_BY_TOKEN.get(token) === kind;
}

export const TAGGABLE_KINDS: readonly Kind[] = ALL_KINDS.filter((k) => k.taggable);
export const PRICED_KINDS: readonly Kind[] = ALL_KINDS.filter((k) => k.priced);
