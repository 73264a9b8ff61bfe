// The mutation table: one-change variants of the program's own stacks (dev and prod, as the program
// registers them under the mocks), each either insecure or over budget, with the rule that must catch
// it at the mandatory level in prod, or secure, written the way other teams write the same thing
// (deprecated-but-shipped classes, standalone forms, other documented AWS setups), which must pass.
// mutation.spec.ts runs them; docs/policies.md states the score.
//
// A change edits a deep copy of the stack through `Variant`, which keeps a resource's inputs (what
// resource rules see) and outputs (what stack rules see) in step, gives added resources the stack's
// provider and parent, and rewrites references when a resource changes class.

import { type PlanResource, doc } from "./helpers";
import { TAGGABLE_KINDS } from "../../policies/lib/resource-types";

export type StackName = "dev" | "prod";

type Props = Record<string, unknown>;

const T = {
    provider: "pulumi:providers:aws",
    bucket: "aws:s3/bucket:Bucket",
    bucketV2: "aws:s3/bucketV2:BucketV2",
    pab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    accountPab: "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    encryptionV2: "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    versioningV2: "aws:s3/bucketVersioningV2:BucketVersioningV2",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    bucketAcl: "aws:s3/bucketAcl:BucketAcl",
    bucketAclV2: "aws:s3/bucketAclV2:BucketAclV2",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    object: "aws:s3/bucketObjectv2:BucketObjectv2",
    legacyObject: "aws:s3/bucketObject:BucketObject",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    roleAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    policyAttachment: "aws:iam/policyAttachment:PolicyAttachment",
    managedPolicy: "aws:iam/policy:Policy",
    user: "aws:iam/user:User",
    userPolicy: "aws:iam/userPolicy:UserPolicy",
    userAttachment: "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    group: "aws:iam/group:Group",
    groupPolicy: "aws:iam/groupPolicy:GroupPolicy",
    groupAttachment: "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    accessKey: "aws:iam/accessKey:AccessKey",
    loginProfile: "aws:iam/userLoginProfile:UserLoginProfile",
    notebook: "aws:sagemaker/notebookInstance:NotebookInstance",
    lifecycle: "aws:sagemaker/notebookInstanceLifecycleConfiguration:NotebookInstanceLifecycleConfiguration",
    model: "aws:sagemaker/model:Model",
    endpointConfig: "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
    trainingJob: "aws:sagemaker/trainingJob:TrainingJob",
    tuningJob: "aws:sagemaker/hyperParameterTuningJob:HyperParameterTuningJob",
    target: "aws:appautoscaling/target:Target",
    scalingPolicy: "aws:appautoscaling/policy:Policy",
    scheduledAction: "aws:appautoscaling/scheduledAction:ScheduledAction",
    instance: "aws:ec2/instance:Instance",
    spot: "aws:ec2/spotInstanceRequest:SpotInstanceRequest",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    volume: "aws:ebs/volume:Volume",
    volumeAttachment: "aws:ec2/volumeAttachment:VolumeAttachment",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egressRule: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    fn: "aws:lambda/function:Function",
    functionUrl: "aws:lambda/functionUrl:FunctionUrl",
    permission: "aws:lambda/permission:Permission",
    provisioned: "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    key: "aws:kms/key:Key",
    keyPolicy: "aws:kms/keyPolicy:KeyPolicy",
} as const;

const ACCOUNT = "123456789012";
const REGION = "us-east-1";

/** A copy of a stack, edited one change at a time. */
export class Variant {
    readonly resources: PlanResource[];

    constructor(
        readonly stack: StackName,
        base: readonly PlanResource[],
    ) {
        this.resources = structuredClone(base) as PlanResource[];
    }

    /** `mlops-<stack>-<suffix>`: the program's naming. */
    name(suffix: string): string {
        return `mlops-${this.stack}-${suffix}`;
    }

    /** The one resource of `type` whose logical name is `mlops-<stack>-<suffix>`. */
    one(type: string, suffix: string): PlanResource {
        const found = this.resources.filter((r) => r.type === type && r.name === this.name(suffix));
        if (found.length !== 1) throw new Error(`the ${this.stack} stack has ${found.length} ${type} named ${this.name(suffix)}; the mutation table no longer fits the program`);
        return found[0];
    }

    /** Edits the resource's inputs and, in step, its outputs. */
    edit(r: PlanResource, change: (p: Props) => void): PlanResource {
        change(r.props);
        if (r.outputs) change(r.outputs);
        return r;
    }

    /** Sets (or, with undefined, deletes) top-level properties. */
    set(r: PlanResource, values: Props): PlanResource {
        return this.edit(r, (p) => {
            for (const [k, v] of Object.entries(values)) {
                if (v === undefined) delete p[k];
                else p[k] = structuredClone(v);
            }
        });
    }

    /**
     * Sets (or, with undefined, deletes) the value at a dotted path, "productionVariants.0.instanceType",
     * in the inputs and the outputs; missing objects on the way are created.
     */
    setIn(r: PlanResource, path: string, value: unknown): PlanResource {
        const keys = path.split(".");
        return this.edit(r, (p) => {
            let at: Record<string, unknown> = p;
            for (const k of keys.slice(0, -1)) {
                if (typeof at[k] !== "object" || at[k] === null) at[k] = {};
                at = at[k] as Record<string, unknown>;
            }
            const last = keys[keys.length - 1];
            if (value === undefined) delete at[last];
            else at[last] = structuredClone(value);
        });
    }

    /** A string output of a resource (its id, name, ARN) as the mocks invented it. */
    out(r: PlanResource, key: string): string {
        const value = (r.outputs ?? r.props)[key];
        if (typeof value !== "string") throw new Error(`${r.name} has no string output ${key}`);
        return value;
    }

    /** A string input of a resource. */
    input(r: PlanResource, key: string): string {
        const value = r.props[key];
        if (typeof value !== "string") throw new Error(`${r.name} has no string input ${key}`);
        return value;
    }

    /** Edits a JSON policy document held in `key` (inputs and outputs alike). */
    editPolicy(r: PlanResource, change: (statements: Props[]) => void, key = "policy"): PlanResource {
        return this.edit(r, (p) => {
            const doc = JSON.parse(p[key] as string) as { Statement: Props[] };
            change(doc.Statement);
            p[key] = JSON.stringify(doc);
        });
    }

    remove(r: PlanResource): void {
        this.resources.splice(this.resources.indexOf(r), 1);
    }

    private get providerRef(): string | undefined {
        return this.resources.find((r) => r.type === T.bucket || r.type === T.bucketV2)?.provider;
    }

    private get stackUrn(): string {
        return this.resources.find((r) => r.type === "pulumi:pulumi:Stack")!.urn;
    }

    /** A new resource of the stack, with mock-like outputs (id, and an ARN where the type has one). */
    add(type: string, name: string, props: Props, deps: Record<string, PlanResource[]> = {}, outputs: Props = {}): PlanResource {
        const propertyDependencies: Record<string, string[]> = {};
        for (const [k, list] of Object.entries(deps)) propertyDependencies[k] = list.map((d) => d.urn);
        const r: PlanResource = {
            urn: `urn:pulumi:${this.stack}::mlops::${type}::${name}`,
            type,
            name,
            props: structuredClone(props),
            outputs: { ...structuredClone(props), id: `${name}-id`, ...outputs },
            parent: this.stackUrn,
            dependencies: [...new Set(Object.values(propertyDependencies).flat())],
            propertyDependencies,
            provider: type.startsWith("aws:") ? this.providerRef : undefined,
        };
        this.resources.push(r);
        return r;
    }

    /** The same resource declared with another class: type, URN and every reference to it change. */
    retype(r: PlanResource, type: string, change: (p: Props) => void = () => undefined): PlanResource {
        const oldUrn = r.urn;
        r.type = type;
        r.urn = oldUrn.replace(/::[^:]+:[^:]+\/[^:]+:[^:]+::([^:]+)$/, `::${type}::$1`).replace(/\$[^$:]+:[^:]+\/[^:]+:[^:]+::([^:]+)$/, `$${type}::$1`);
        for (const other of this.resources) {
            other.dependencies = other.dependencies?.map((d) => (d === oldUrn ? r.urn : d));
            for (const list of Object.values(other.propertyDependencies ?? {})) list.forEach((d, i) => list[i] === oldUrn && (list[i] = r.urn));
            if (other.parent === oldUrn) other.parent = r.urn;
        }
        this.edit(r, change);
        return r;
    }

    /** The bucket's physical name (side resources and policies name it). */
    get bucketName(): string {
        return this.out(this.one(T.bucket, "data"), "bucket");
    }

    get keyArn(): string {
        return this.out(this.one(T.key, "key"), "arn");
    }
}

export interface Mutation {
    /** What changed, as a reviewer would say it. */
    name: string;
    stack: StackName;
    /** The rule that must report it, at the mandatory level, with prod's config. */
    rule: string;
    change(v: Variant): void;
}

export interface SecureVariant {
    name: string;
    stack: StackName;
    change(v: Variant): void;
}

// ---- shorthands over the program's resources ----------------------------------------------------

const bucket = (v: Variant) => v.one(T.bucket, "data");
const pab = (v: Variant) => v.one(T.pab, "data-public-access");
const encryption = (v: Variant) => v.one(T.encryption, "data-encryption");
const versioning = (v: Variant) => v.one(T.versioning, "data-versioning");
const tlsPolicy = (v: Variant) => v.one(T.bucketPolicy, "data-tls-only");
const ownership = (v: Variant) => v.one(T.ownership, "data-ownership");
const codeObject = (v: Variant) => v.one(T.object, "data-training-code");
const role = (v: Variant, which: string) => v.one(T.role, `${which}-role`);
const rolePolicy = (v: Variant, which: string) => v.one(T.rolePolicy, `${which}-role-permissions`);
const notebook = (v: Variant) => v.one(T.notebook, "notebook");
const model = (v: Variant) => v.one(T.model, "endpoint-model");
const endpointConfig = (v: Variant) => v.one(T.endpointConfig, "endpoint-config");
const target = (v: Variant) => v.one(T.target, "endpoint-scaling");
const scaling = (v: Variant) => v.one(T.scalingPolicy, "endpoint-invocations");
/** Adds a weekday-morning scheduled action on the endpoint's scaling target with `capacity`. */
const businessHoursSchedule = (v: Variant, capacity: { minCapacity: number; maxCapacity: number }): void =>
    void v.add(
        T.scheduledAction,
        v.name("business-hours"),
        {
            name: v.name("business-hours"),
            serviceNamespace: "sagemaker",
            resourceId: target(v).props.resourceId,
            scalableDimension: "sagemaker:variant:DesiredInstanceCount",
            schedule: "cron(0 8 ? * MON-FRI *)",
            scalableTargetAction: capacity,
        },
        { resourceId: [target(v)] },
    );
const training = (v: Variant, run = "single") => v.one(T.trainingJob, `train-${run}`);
const tuning = (v: Variant) => v.one(T.tuningJob, "tuning");
const trainer = (v: Variant) => v.one(T.instance, "gpu-trainer");
const trainerSg = (v: Variant) => v.one(T.securityGroup, "gpu-trainer-sg");
const fn = (v: Variant) => v.one(T.fn, "inference");
const logGroup = (v: Variant) => v.one(T.logGroup, "inference-logs");
const key = (v: Variant) => v.one(T.key, "key");

const addStatement = (v: Variant, which: string, statement: Props) => v.editPolicy(rolePolicy(v, which), (s) => s.push(statement));
const allow = (Action: string | string[], Resource: string | string[] = "*", extra: Props = {}): Props => ({ Sid: "Added", Effect: "Allow", Action, Resource, ...extra });

/** The trainer declared as a spot instance request (the arguments an instance takes, plus the spot ones). */
function asSpotRequest(v: Variant): PlanResource {
    return v.retype(trainer(v), T.spot, (p) => {
        delete p.instanceMarketOptions;
        p.spotType = "one-time";
        p.waitForFulfillment = true;
    });
}

/** A launch template with the trainer's settings, as teams write it for instances and fleets. */
function trainerTemplate(v: Variant, over: Props = {}): PlanResource {
    const t = trainer(v);
    return v.add(T.launchTemplate, v.name("trainer-template"), {
        imageId: v.input(t, "ami"),
        instanceType: v.input(t, "instanceType"),
        iamInstanceProfile: { name: v.input(t, "iamInstanceProfile") },
        metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
        blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { encrypted: "true", kmsKeyId: v.stack === "prod" ? v.keyArn : undefined, volumeSize: 100, volumeType: "gp3", deleteOnTermination: "true" } }],
        userData: Buffer.from("#!/bin/bash\necho training\n").toString("base64"),
        tags: { Name: v.name("trainer-template") },
        ...over,
    });
}

function addUser(v: Variant): PlanResource {
    return v.add(T.user, v.name("ci"), { name: v.name("ci") }, {}, { arn: `arn:aws:iam::${ACCOUNT}:user/${v.name("ci")}` });
}

function addFunctionUrl(v: Variant, over: Props): PlanResource {
    const f = fn(v);
    return v.add(T.functionUrl, v.name("inference-url"), { functionName: f.props.name, authorizationType: "AWS_IAM", ...over }, { functionName: [f] });
}

/** A standalone EBS volume attached to the trainer. */
function addVolume(v: Variant, props: Props): PlanResource {
    const vol = v.add(T.volume, v.name("scratch"), { availabilityZone: `${REGION}a`, size: 50, type: "gp3", encrypted: true, ...(v.stack === "prod" ? { kmsKeyId: v.keyArn } : {}), ...props }, {}, { arn: `arn:aws:ec2:${REGION}:${ACCOUNT}:volume/vol-0abc` });
    v.add(T.volumeAttachment, v.name("scratch-attach"), { deviceName: "/dev/sdf", volumeId: vol.outputs!.id, instanceId: trainer(v).outputs!.id }, { volumeId: [vol], instanceId: [trainer(v)] });
    return vol;
}

/** The endpoint's variant made serverless (2 GB, 5 concurrent invocations). */
function toServerless(v: Variant): PlanResource {
    const config = endpointConfig(v);
    v.setIn(config, "productionVariants.0.instanceType", undefined);
    v.setIn(config, "productionVariants.0.initialInstanceCount", undefined);
    return v.setIn(config, "productionVariants.0.serverlessConfig", { memorySizeInMb: 2048, maxConcurrency: 5 });
}

/** Does a statement name the action (Action as a string or a list)? */
const grants = (statement: Props, action: string) => ([] as unknown[]).concat(statement.Action).includes(action);

const PUBLIC_READ_GRANT = { grantee: { type: "Group", uri: "http://acs.amazonaws.com/groups/global/AllUsers" }, permission: "READ" };

// ---- insecure or over-budget variants ------------------------------------------------------------

export const INSECURE: Mutation[] = [
    // S3: the bucket and its side resources
    { name: "public access block removed", stack: "prod", rule: "s3-bucket-public-access-block", change: (v) => v.remove(pab(v)) },
    { name: "public access block: blockPublicAcls off", stack: "prod", rule: "s3-bucket-public-access-block", change: (v) => v.set(pab(v), { blockPublicAcls: false }) },
    { name: "public access block: blockPublicPolicy off", stack: "prod", rule: "s3-bucket-public-access-block", change: (v) => v.set(pab(v), { blockPublicPolicy: false }) },
    { name: "public access block: ignorePublicAcls off", stack: "prod", rule: "s3-bucket-public-access-block", change: (v) => v.set(pab(v), { ignorePublicAcls: false }) },
    { name: "public access block: restrictPublicBuckets off", stack: "prod", rule: "s3-bucket-public-access-block", change: (v) => v.set(pab(v), { restrictPublicBuckets: false }) },
    { name: "public access block removed (dev)", stack: "dev", rule: "s3-bucket-public-access-block", change: (v) => v.remove(pab(v)) },
    {
        name: "bucket block replaced by an account block with a flag off",
        stack: "prod",
        rule: "s3-bucket-public-access-block",
        change: (v) => {
            v.remove(pab(v));
            v.add(T.accountPab, v.name("account-pab"), { blockPublicAcls: true, blockPublicPolicy: false, ignorePublicAcls: true, restrictPublicBuckets: true });
        },
    },
    { name: "default encryption removed", stack: "prod", rule: "s3-bucket-encryption", change: (v) => v.remove(encryption(v)) },
    { name: "default encryption removed (dev)", stack: "dev", rule: "s3-bucket-encryption", change: (v) => v.remove(encryption(v)) },
    { name: "default encryption SSE-S3 where KMS is required", stack: "prod", rule: "s3-bucket-encryption", change: (v) => v.set(encryption(v), { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }) },
    { name: "default encryption aws:kms without a key", stack: "prod", rule: "s3-bucket-encryption", change: (v) => v.set(encryption(v), { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }] }) },
    {
        name: "encryption through the V2 class, SSE-S3",
        stack: "prod",
        rule: "s3-bucket-encryption",
        change: (v) => v.retype(encryption(v), T.encryptionV2, (p) => (p.rules = [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }])),
    },
    { name: "bucket as BucketV2 without default encryption", stack: "prod", rule: "s3-bucket-encryption", change: (v) => (v.retype(bucket(v), T.bucketV2), v.remove(encryption(v))) },
    { name: "bucket as BucketV2 without public access block", stack: "prod", rule: "s3-bucket-public-access-block", change: (v) => (v.retype(bucket(v), T.bucketV2), v.remove(pab(v))) },
    { name: "versioning removed", stack: "prod", rule: "s3-bucket-versioning", change: (v) => v.remove(versioning(v)) },
    { name: "versioning suspended", stack: "prod", rule: "s3-bucket-versioning", change: (v) => v.set(versioning(v), { versioningConfiguration: { status: "Suspended" } }) },
    { name: "versioning through the V2 class, suspended", stack: "prod", rule: "s3-bucket-versioning", change: (v) => v.retype(versioning(v), T.versioningV2, (p) => (p.versioningConfiguration = { status: "Suspended" })) },
    { name: "TLS-only bucket policy removed", stack: "prod", rule: "s3-bucket-tls-only", change: (v) => v.remove(tlsPolicy(v)) },
    {
        name: "bucket policy allows Principal * to read objects",
        stack: "prod",
        rule: "s3-bucket-policy-no-public-principal",
        change: (v) => v.editPolicy(tlsPolicy(v), (s) => s.push({ Sid: "Public", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${v.bucketName}/*` })),
    },
    {
        name: "bucket policy allows AWS * through the bucket's inline policy",
        stack: "prod",
        rule: "s3-bucket-policy-no-public-principal",
        change: (v) => v.set(bucket(v), { policy: doc({ Effect: "Allow", Principal: { AWS: "*" }, Action: "s3:ListBucket", Resource: `arn:aws:s3:::${v.bucketName}` }) }),
    },
    {
        name: "bucket policy denies s3:* to everyone unconditionally",
        stack: "prod",
        rule: "s3-bucket-policy-no-lockout",
        change: (v) => v.editPolicy(tlsPolicy(v), (s) => s.push({ Sid: "Lockout", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [`arn:aws:s3:::${v.bucketName}`, `arn:aws:s3:::${v.bucketName}/*`] })),
    },
    { name: "canned ACL public-read on the bucket", stack: "prod", rule: "s3-no-public-acl", change: (v) => v.add(T.bucketAcl, v.name("data-acl"), { bucket: v.bucketName, acl: "public-read" }, { bucket: [bucket(v)] }) },
    {
        name: "ACL grant to AllUsers through the V2 ACL class",
        stack: "prod",
        rule: "s3-no-public-acl",
        change: (v) => v.add(T.bucketAclV2, v.name("data-acl"), { bucket: v.bucketName, accessControlPolicy: { owner: { id: "owner" }, grants: [PUBLIC_READ_GRANT] } }, { bucket: [bucket(v)] }),
    },
    { name: "training-code object public-read", stack: "prod", rule: "s3-no-public-acl", change: (v) => v.set(codeObject(v), { acl: "public-read" }) },
    { name: "training-code object as the legacy BucketObject, public-read", stack: "prod", rule: "s3-no-public-acl", change: (v) => v.retype(codeObject(v), T.legacyObject, (p) => (p.acl = "public-read")) },
    { name: "object ownership ObjectWriter (ACLs back on)", stack: "prod", rule: "s3-bucket-acls-disabled", change: (v) => v.set(ownership(v), { rule: { objectOwnership: "ObjectWriter" } }) },
    { name: "ownership controls removed", stack: "prod", rule: "s3-bucket-acls-disabled", change: (v) => v.remove(ownership(v)) },
    { name: "training-code object written with SSE-S3", stack: "prod", rule: "s3-object-encryption", change: (v) => v.set(codeObject(v), { serverSideEncryption: "AES256" }) },
    { name: "legacy BucketObject written with SSE-S3", stack: "prod", rule: "s3-object-encryption", change: (v) => v.retype(codeObject(v), T.legacyObject, (p) => (p.serverSideEncryption = "AES256")) },

    // IAM: every principal kind and every way a policy reaches it
    { name: "training role allowed s3:*", stack: "prod", rule: "iam-no-wildcard-actions", change: (v) => addStatement(v, "training", allow("s3:*", `arn:aws:s3:::${v.bucketName}/*`)) },
    { name: "training role allowed s3:* (dev)", stack: "dev", rule: "iam-no-wildcard-actions", change: (v) => addStatement(v, "training", allow("s3:*", `arn:aws:s3:::${v.bucketName}/*`)) },
    { name: "tuning role allowed sagemaker:Create*", stack: "prod", rule: "iam-no-wildcard-actions", change: (v) => addStatement(v, "tuning", allow("sagemaker:Create*", `arn:aws:sagemaker:${REGION}:${ACCOUNT}:training-job/*`)) },
    { name: "model role uses NotAction", stack: "prod", rule: "iam-no-wildcard-actions", change: (v) => addStatement(v, "endpoint-model", { Effect: "Allow", NotAction: "iam:*", Resource: "*" }) },
    { name: "notebook role allowed iam:PutRolePolicy", stack: "prod", rule: "iam-no-privilege-escalation", change: (v) => addStatement(v, "notebook", allow("iam:PutRolePolicy", `arn:aws:iam::${ACCOUNT}:role/*`)) },
    { name: "notebook role allowed iam:Put* (dev)", stack: "dev", rule: "iam-no-privilege-escalation", change: (v) => addStatement(v, "notebook", allow("iam:Put*", `arn:aws:iam::${ACCOUNT}:role/*`)) },
    { name: "gpu trainer role allowed iam:CreatePolicyVersion", stack: "prod", rule: "iam-no-privilege-escalation", change: (v) => addStatement(v, "gpu-trainer", allow("iam:CreatePolicyVersion", `arn:aws:iam::${ACCOUNT}:policy/*`)) },
    { name: "Lambda role allowed sagemaker:*", stack: "prod", rule: "iam-lambda-role-least-privilege", change: (v) => addStatement(v, "inference", allow("sagemaker:*")) },
    { name: "Lambda role allowed s3:GetObject on everything", stack: "prod", rule: "iam-lambda-role-least-privilege", change: (v) => addStatement(v, "inference", allow("s3:GetObject")) },
    { name: "model role reads every secret", stack: "prod", rule: "iam-no-star-resource-for-sensitive-actions", change: (v) => addStatement(v, "endpoint-model", allow("secretsmanager:GetSecretValue")) },
    { name: "training role decrypts with any key", stack: "prod", rule: "iam-no-star-resource-for-sensitive-actions", change: (v) => addStatement(v, "training", allow("kms:Decrypt")) },
    { name: "tuning role reads every SSM parameter", stack: "prod", rule: "iam-no-star-resource-for-sensitive-actions", change: (v) => addStatement(v, "tuning", allow("ssm:GetParameter")) },
    { name: "training role launches EC2 instances on any resource", stack: "prod", rule: "iam-no-unscoped-actions", change: (v) => addStatement(v, "training", allow("ec2:RunInstances")) },
    { name: "notebook role assumes any role", stack: "prod", rule: "iam-no-unscoped-actions", change: (v) => addStatement(v, "notebook", allow("sts:AssumeRole")) },
    { name: "gpu trainer role updates any function's code", stack: "prod", rule: "iam-no-unscoped-actions", change: (v) => addStatement(v, "gpu-trainer", allow("lambda:UpdateFunctionCode")) },
    {
        name: "notebook role passes roles without iam:PassedToService",
        stack: "prod",
        rule: "iam-passrole-restricted",
        change: (v) =>
            v.editPolicy(rolePolicy(v, "notebook"), (s) => {
                for (const st of s) if (grants(st, "iam:PassRole")) delete st.Condition;
            }),
    },
    {
        name: "notebook role passes roles to EC2",
        stack: "prod",
        rule: "iam-passrole-restricted",
        change: (v) =>
            v.editPolicy(rolePolicy(v, "notebook"), (s) => {
                for (const st of s) if (grants(st, "iam:PassRole")) st.Condition = { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } };
            }),
    },
    { name: "role inline policy (inlinePolicies) allows s3:*", stack: "prod", rule: "iam-no-wildcard-actions", change: (v) => v.set(role(v, "training"), { inlinePolicies: [{ name: "extra", policy: doc(allow("s3:*")) }] }) },
    {
        name: "gpu trainer role attached AmazonS3FullAccess",
        stack: "prod",
        rule: "iam-no-managed-full-access",
        change: (v) => v.add(T.roleAttachment, v.name("gpu-trainer-s3"), { role: role(v, "gpu-trainer").outputs!.name, policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess" }, { role: [role(v, "gpu-trainer")] }),
    },
    {
        name: "Lambda role attached AdministratorAccess",
        stack: "prod",
        rule: "iam-no-managed-full-access",
        change: (v) => v.add(T.roleAttachment, v.name("inference-admin"), { role: role(v, "inference").outputs!.name, policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }, { role: [role(v, "inference")] }),
    },
    {
        name: "training role holds PowerUserAccess through an exclusive PolicyAttachment",
        stack: "prod",
        rule: "iam-no-managed-full-access",
        change: (v) => v.add(T.policyAttachment, v.name("power"), { policyArn: "arn:aws:iam::aws:policy/PowerUserAccess", roles: [role(v, "training").outputs!.name] }, { roles: [role(v, "training")] }),
    },
    {
        name: "model role holds AmazonSageMakerFullAccess through managedPolicyArns",
        stack: "prod",
        rule: "iam-no-managed-full-access",
        change: (v) => v.set(role(v, "endpoint-model"), { managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"] }),
    },
    {
        name: "customer-managed policy with iam:AttachRolePolicy attached to the training role",
        stack: "prod",
        rule: "iam-no-privilege-escalation",
        change: (v) => {
            const p = v.add(T.managedPolicy, v.name("extra"), { policy: doc(allow("iam:AttachRolePolicy", `arn:aws:iam::${ACCOUNT}:role/*`)) }, {}, { arn: `arn:aws:iam::${ACCOUNT}:policy/${v.name("extra")}` });
            v.add(T.roleAttachment, v.name("extra-attach"), { role: role(v, "training").outputs!.name, policyArn: p.outputs!.arn }, { role: [role(v, "training")], policyArn: [p] });
        },
    },
    { name: "role trust opened to Principal *", stack: "prod", rule: "iam-role-trust-restricted", change: (v) => v.set(role(v, "training"), { assumeRolePolicy: doc({ Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" }) }) },
    {
        name: "role trust names another account",
        stack: "prod",
        rule: "iam-role-trust-restricted",
        change: (v) => v.set(role(v, "notebook"), { assumeRolePolicy: doc({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "sts:AssumeRole" }) }),
    },
    {
        name: "Lambda's role trusts SageMaker instead of Lambda",
        stack: "prod",
        rule: "iam-role-trust-matches-use",
        change: (v) => v.set(role(v, "inference"), { assumeRolePolicy: doc({ Effect: "Allow", Principal: { Service: "sagemaker.amazonaws.com" }, Action: "sts:AssumeRole" }) }),
    },
    { name: "an IAM user", stack: "prod", rule: "iam-no-users", change: (v) => void addUser(v) },
    { name: "an access key for a user", stack: "prod", rule: "iam-no-users", change: (v) => void v.add(T.accessKey, v.name("ci-key"), { user: addUser(v).props.name }) },
    { name: "a console password for a user", stack: "prod", rule: "iam-no-users", change: (v) => void v.add(T.loginProfile, v.name("ci-login"), { user: addUser(v).props.name }) },
    {
        name: "inline policy on a user",
        stack: "prod",
        rule: "iam-user-permissions-via-groups",
        change: (v) => void v.add(T.userPolicy, v.name("ci-policy"), { user: addUser(v).props.name, policy: doc(allow("s3:GetObject", `arn:aws:s3:::${v.bucketName}/models/*`)) }),
    },
    {
        name: "managed policy attached to a user",
        stack: "prod",
        rule: "iam-user-permissions-via-groups",
        change: (v) => void v.add(T.userAttachment, v.name("ci-readonly"), { user: addUser(v).props.name, policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }),
    },
    {
        name: "group policy allows *",
        stack: "prod",
        rule: "iam-no-wildcard-actions",
        change: (v) => {
            const g = v.add(T.group, v.name("operators"), { name: v.name("operators") });
            v.add(T.groupPolicy, v.name("operators-policy"), { group: g.props.name, policy: doc(allow("*")) }, { group: [g] });
        },
    },
    {
        name: "group attached AdministratorAccess",
        stack: "prod",
        rule: "iam-no-managed-full-access",
        change: (v) => {
            const g = v.add(T.group, v.name("operators"), { name: v.name("operators") });
            v.add(T.groupAttachment, v.name("operators-admin"), { group: g.props.name, policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }, { group: [g] });
        },
    },

    // SageMaker: notebook
    { name: "notebook root access enabled", stack: "prod", rule: "sagemaker-notebook-root-access-disabled", change: (v) => v.set(notebook(v), { rootAccess: "Enabled" }) },
    { name: "notebook root access left to the default (Enabled)", stack: "prod", rule: "sagemaker-notebook-root-access-disabled", change: (v) => v.set(notebook(v), { rootAccess: undefined }) },
    { name: "notebook root access enabled (dev)", stack: "dev", rule: "sagemaker-notebook-root-access-disabled", change: (v) => v.set(notebook(v), { rootAccess: "Enabled" }) },
    { name: "notebook direct internet on in prod", stack: "prod", rule: "sagemaker-notebook-no-direct-internet", change: (v) => v.set(notebook(v), { directInternetAccess: "Enabled" }) },
    { name: "notebook outside the VPC in prod", stack: "prod", rule: "sagemaker-notebook-in-vpc", change: (v) => v.set(notebook(v), { subnetId: undefined, securityGroups: undefined }) },
    { name: "notebook allows IMDSv1", stack: "prod", rule: "sagemaker-notebook-imdsv2", change: (v) => v.set(notebook(v), { instanceMetadataServiceConfiguration: { minimumInstanceMetadataServiceVersion: "1" } }) },
    { name: "notebook volume without the stack's key", stack: "prod", rule: "sagemaker-notebook-kms", change: (v) => v.set(notebook(v), { kmsKeyId: undefined }) },
    { name: "notebook on ml.p3.2xlarge", stack: "prod", rule: "sagemaker-notebook-instance-type", change: (v) => v.set(notebook(v), { instanceType: "ml.p3.2xlarge" }) },
    { name: "notebook volume of 500 GB", stack: "prod", rule: "sagemaker-notebook-instance-type", change: (v) => v.set(notebook(v), { volumeSize: 500 }) },
    {
        name: "notebook without its idle-stop lifecycle",
        stack: "prod",
        rule: "sagemaker-notebook-idle-stop",
        change: (v) => {
            v.set(notebook(v), { lifecycleConfigName: undefined });
            v.remove(v.one(T.lifecycle, "notebook-idle-stop"));
        },
    },
    {
        name: "notebook lifecycle script exports an AWS secret key",
        stack: "prod",
        rule: "no-plaintext-secrets",
        change: (v) => v.set(v.one(T.lifecycle, "notebook-idle-stop"), { onStart: Buffer.from("#!/bin/bash\nexport AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n").toString("base64") }),
    },

    // SageMaker: model, endpoint, autoscaling
    { name: "model without network isolation", stack: "prod", rule: "sagemaker-model-network-isolation", change: (v) => v.set(model(v), { enableNetworkIsolation: false }) },
    { name: "model without network isolation (dev)", stack: "dev", rule: "sagemaker-model-network-isolation", change: (v) => v.set(model(v), { enableNetworkIsolation: undefined }) },
    { name: "model environment holds DB_PASSWORD", stack: "prod", rule: "no-plaintext-secrets", change: (v) => v.setIn(model(v), "primaryContainer.environment.DB_PASSWORD", "hunter2-prod") },
    {
        name: "model environment holds a URL with credentials",
        stack: "prod",
        rule: "no-plaintext-secrets",
        change: (v) => v.setIn(model(v), "primaryContainer.environment.FEATURE_STORE", "postgres://mlops:S3cretPassw0rd@db.internal:5432/features"),
    },
    { name: "endpoint configuration without the stack's key", stack: "prod", rule: "sagemaker-endpoint-config-kms", change: (v) => v.set(endpointConfig(v), { kmsKeyArn: undefined }) },
    { name: "endpoint variant on ml.p4d.24xlarge", stack: "prod", rule: "sagemaker-endpoint-instance-limits", change: (v) => v.setIn(endpointConfig(v), "productionVariants.0.instanceType", "ml.p4d.24xlarge") },
    { name: "endpoint variant starts 10 instances", stack: "prod", rule: "sagemaker-endpoint-instance-limits", change: (v) => v.setIn(endpointConfig(v), "productionVariants.0.initialInstanceCount", 10) },
    {
        name: "serverless variant where prod allows none",
        stack: "prod",
        rule: "sagemaker-endpoint-instance-limits",
        change: (v) =>
            void toServerless(v),
    },
    { name: "scaling target max 20 instances", stack: "prod", rule: "sagemaker-autoscaling-bounds", change: (v) => v.set(target(v), { maxCapacity: 20 }) },
    { name: "scaling target min 0 instances", stack: "prod", rule: "sagemaker-endpoint-autoscaling", change: (v) => v.set(target(v), { minCapacity: 0 }) },
    { name: "scaling policy removed", stack: "prod", rule: "sagemaker-endpoint-autoscaling", change: (v) => v.remove(scaling(v)) },
    { name: "scaling target removed", stack: "prod", rule: "sagemaker-endpoint-autoscaling", change: (v) => (v.remove(target(v)), v.remove(scaling(v))) },
    { name: "scale-in cooldown of 2 hours", stack: "prod", rule: "sagemaker-endpoint-autoscaling", change: (v) => v.setIn(scaling(v), "targetTrackingScalingPolicyConfiguration.scaleInCooldown", 7200) },
    {
        name: "scheduled action scales to 50 instances",
        stack: "prod",
        rule: "sagemaker-autoscaling-bounds",
        change: (v) => businessHoursSchedule(v, { minCapacity: 2, maxCapacity: 50 }),
    },

    // SageMaker: training and tuning jobs
    { name: "training on ml.p4d.24xlarge", stack: "prod", rule: "sagemaker-training-limits", change: (v) => v.setIn(training(v), "resourceConfig.instanceType", "ml.p4d.24xlarge") },
    { name: "training on 10 instances", stack: "prod", rule: "sagemaker-training-limits", change: (v) => v.setIn(training(v, "multi"), "resourceConfig.instanceCount", 10) },
    { name: "training volume of 1 TB", stack: "prod", rule: "sagemaker-training-limits", change: (v) => v.setIn(training(v), "resourceConfig.volumeSizeInGb", 1000) },
    { name: "training may run 5 days", stack: "prod", rule: "sagemaker-training-limits", change: (v) => v.setIn(training(v), "stoppingCondition", { maxRuntimeInSeconds: 432000, maxWaitTimeInSeconds: 432000 }) },
    { name: "training on ml.p3.16xlarge (dev)", stack: "dev", rule: "sagemaker-training-limits", change: (v) => v.setIn(training(v), "resourceConfig.instanceType", "ml.p3.16xlarge") },
    { name: "hyperparameter holds an API token", stack: "prod", rule: "no-plaintext-secrets", change: (v) => v.setIn(training(v), "hyperParameters.wandb-api-key", "3f0b2a9c7d1e4b5f8a6c0d2e4f6a8b0c1d3e5f7a") },
    { name: "training environment holds AWS keys", stack: "prod", rule: "no-plaintext-secrets", change: (v) => v.set(training(v), { environment: { AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" } }) },
    { name: "distributed training without inter-container encryption", stack: "prod", rule: "sagemaker-training-encryption", change: (v) => v.set(training(v, "multi"), { enableInterContainerTrafficEncryption: false }) },
    { name: "training volume without the stack's key", stack: "prod", rule: "sagemaker-training-encryption", change: (v) => v.setIn(training(v), "resourceConfig.volumeKmsKeyId", undefined) },
    { name: "training output without the stack's key", stack: "prod", rule: "sagemaker-training-encryption", change: (v) => v.setIn(training(v), "outputDataConfig.kmsKeyId", undefined) },
    {
        name: "training without pretrained downloads still in the service network",
        stack: "prod",
        rule: "sagemaker-training-network-isolation",
        change: (v) => v.setIn(training(v), "hyperParameters.pretrained", "false"),
    },
    { name: "tuning runs 100 trials", stack: "prod", rule: "sagemaker-tuning-limits", change: (v) => v.setIn(tuning(v), "config.resourceLimits.maxNumberOfTrainingJobs", 100) },
    { name: "tuning runs 20 trials at once", stack: "prod", rule: "sagemaker-tuning-limits", change: (v) => v.setIn(tuning(v), "config.resourceLimits", { maxNumberOfTrainingJobs: 20, maxParallelTrainingJobs: 20 }) },
    { name: "tuning trials on ml.p3.16xlarge", stack: "prod", rule: "sagemaker-tuning-limits", change: (v) => v.setIn(tuning(v), "trainingJobDefinition.resourceConfig.instanceType", "ml.p3.16xlarge") },
    { name: "tuning static hyperparameter holds a password", stack: "prod", rule: "no-plaintext-secrets", change: (v) => v.setIn(tuning(v), "trainingJobDefinition.staticHyperParameters.db-password", "Sup3rS3cret!") },
    { name: "tuning trials without the volume key", stack: "prod", rule: "sagemaker-training-encryption", change: (v) => v.setIn(tuning(v), "trainingJobDefinition.resourceConfig.volumeKmsKeyId", undefined) },

    // EC2: the GPU trainer in every form
    { name: "trainer allows IMDSv1", stack: "prod", rule: "ec2-imdsv2-required", change: (v) => v.setIn(trainer(v), "metadataOptions.httpTokens", "optional") },
    { name: "trainer allows IMDSv1 (dev)", stack: "dev", rule: "ec2-imdsv2-required", change: (v) => v.set(trainer(v), { metadataOptions: undefined }) },
    { name: "trainer token hop limit 3", stack: "prod", rule: "ec2-imdsv2-required", change: (v) => v.setIn(trainer(v), "metadataOptions.httpPutResponseHopLimit", 3) },
    { name: "trainer gets a public IP", stack: "prod", rule: "ec2-no-public-ip", change: (v) => v.set(trainer(v), { associatePublicIpAddress: true }) },
    { name: "trainer root volume unencrypted", stack: "prod", rule: "ec2-encrypted-volumes", change: (v) => v.setIn(trainer(v), "rootBlockDevice.encrypted", false) },
    { name: "trainer root volume unencrypted (dev)", stack: "dev", rule: "ec2-encrypted-volumes", change: (v) => v.setIn(trainer(v), "rootBlockDevice.encrypted", false) },
    { name: "trainer root volume on the AWS-managed key", stack: "prod", rule: "ec2-encrypted-volumes", change: (v) => v.setIn(trainer(v), "rootBlockDevice.kmsKeyId", undefined) },
    { name: "trainer extra EBS device unencrypted", stack: "prod", rule: "ec2-encrypted-volumes", change: (v) => v.set(trainer(v), { ebsBlockDevices: [{ deviceName: "/dev/sdf", volumeSize: 50, volumeType: "gp3" }] }) },
    { name: "trainer extra EBS device of 500 GB", stack: "prod", rule: "ec2-volume-size", change: (v) => v.set(trainer(v), { ebsBlockDevices: [{ deviceName: "/dev/sdf", volumeSize: 500, volumeType: "gp3", encrypted: true, kmsKeyId: v.keyArn }] }) },
    { name: "trainer root volume of 1 TB", stack: "prod", rule: "ec2-volume-size", change: (v) => v.setIn(trainer(v), "rootBlockDevice.volumeSize", 1000) },
    { name: "trainer on p4d.24xlarge", stack: "prod", rule: "ec2-instance-type", change: (v) => v.set(trainer(v), { instanceType: "p4d.24xlarge" }) },
    { name: "trainer on p3.2xlarge (dev)", stack: "dev", rule: "ec2-instance-type", change: (v) => v.set(trainer(v), { instanceType: "p3.2xlarge" }) },
    { name: "trainer without an instance profile", stack: "prod", rule: "ec2-instance-profile", change: (v) => v.set(trainer(v), { iamInstanceProfile: undefined }) },
    { name: "trainer in the default subnet", stack: "prod", rule: "ec2-instance-in-subnet", change: (v) => v.set(trainer(v), { subnetId: undefined }) },
    { name: "trainer root volume kept after termination", stack: "prod", rule: "ec2-volume-delete-on-termination", change: (v) => v.setIn(trainer(v), "rootBlockDevice.deleteOnTermination", false) },
    {
        name: "trainer user data exports an AWS secret key",
        stack: "prod",
        rule: "no-plaintext-secrets",
        change: (v) => v.setIn(trainer(v), "userData", `${v.input(trainer(v), "userData")}\nexport AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n`),
    },
    { name: "trainer user data sets DB_PASSWORD", stack: "prod", rule: "no-plaintext-secrets", change: (v) => v.setIn(trainer(v), "userData", `${v.input(trainer(v), "userData")}\nexport DB_PASSWORD=hunter2hunter2\n`) },
    { name: "trainer as a spot request allowing IMDSv1", stack: "prod", rule: "ec2-imdsv2-required", change: (v) => v.setIn(asSpotRequest(v), "metadataOptions.httpTokens", "optional") },
    { name: "trainer as a spot request with a public IP", stack: "prod", rule: "ec2-no-public-ip", change: (v) => v.set(asSpotRequest(v), { associatePublicIpAddress: true }) },
    { name: "trainer as a spot request with an unencrypted root", stack: "prod", rule: "ec2-encrypted-volumes", change: (v) => v.setIn(asSpotRequest(v), "rootBlockDevice.encrypted", false) },
    { name: "trainer as a spot request on p4d.24xlarge", stack: "prod", rule: "ec2-instance-type", change: (v) => v.set(asSpotRequest(v), { instanceType: "p4d.24xlarge" }) },
    { name: "standalone EBS volume unencrypted", stack: "prod", rule: "ec2-encrypted-volumes", change: (v) => void addVolume(v, { encrypted: false, kmsKeyId: undefined }) },
    { name: "standalone EBS volume of 2 TB", stack: "prod", rule: "ec2-volume-size", change: (v) => void addVolume(v, { size: 2000 }) },
    { name: "launch template allows IMDSv1", stack: "prod", rule: "ec2-imdsv2-required", change: (v) => void trainerTemplate(v, { metadataOptions: { httpTokens: "optional" } }) },
    {
        name: "launch template maps an unencrypted volume",
        stack: "prod",
        rule: "ec2-encrypted-volumes",
        change: (v) => void trainerTemplate(v, { blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { encrypted: "false", volumeSize: 100 } }] }),
    },
    { name: "launch template on p5.48xlarge", stack: "prod", rule: "ec2-instance-type", change: (v) => void trainerTemplate(v, { instanceType: "p5.48xlarge" }) },
    {
        name: "launch template user data holds a private key",
        stack: "prod",
        rule: "no-plaintext-secrets",
        change: (v) => void trainerTemplate(v, { userData: Buffer.from("#!/bin/bash\ncat > /root/key.pem <<EOF\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----\nEOF\n").toString("base64") }),
    },
    {
        name: "a second GPU instance",
        stack: "prod",
        rule: "ec2-instance-count",
        change: (v) => {
            const copy = structuredClone(trainer(v));
            v.add(T.instance, v.name("gpu-trainer-2"), copy.props);
        },
    },
    { name: "trainer security group admits SSH from anywhere", stack: "prod", rule: "ec2-no-open-ingress", change: (v) => v.set(trainerSg(v), { ingress: [{ description: "SSH", protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }] }) },
    {
        name: "ingress rule resource opens every port to ::/0",
        stack: "prod",
        rule: "ec2-no-open-ingress",
        change: (v) => void v.add(T.ingressRule, v.name("open"), { securityGroupId: trainerSg(v).outputs!.id, ipProtocol: "-1", cidrIpv6: "::/0", description: "debug" }, { securityGroupId: [trainerSg(v)] }),
    },
    { name: "trainer security group lets all traffic out", stack: "prod", rule: "ec2-no-unrestricted-egress", change: (v) => v.set(trainerSg(v), { egress: [{ description: "all", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] }) },
    { name: "security group without a description", stack: "prod", rule: "ec2-security-group-descriptions", change: (v) => v.set(trainerSg(v), { description: undefined }) },
    { name: "a security group nothing uses", stack: "prod", rule: "ec2-security-group-in-use", change: (v) => void v.add(T.securityGroup, v.name("leftover-sg"), { description: "left over", vpcId: trainerSg(v).props.vpcId }) },

    // Lambda and its logs
    { name: "function URL without auth", stack: "prod", rule: "lambda-function-url-auth", change: (v) => void addFunctionUrl(v, { authorizationType: "NONE" }) },
    { name: "function URL without auth (dev)", stack: "dev", rule: "lambda-function-url-auth", change: (v) => void addFunctionUrl(v, { authorizationType: "NONE" }) },
    { name: "function URL CORS allows every origin", stack: "prod", rule: "lambda-function-url-cors", change: (v) => void addFunctionUrl(v, { cors: { allowOrigins: ["*"], allowMethods: ["POST"] } }) },
    { name: "permission lets anyone invoke", stack: "prod", rule: "lambda-permission-not-public", change: (v) => void v.add(T.permission, v.name("public"), { action: "lambda:InvokeFunction", function: fn(v).props.name, principal: "*" }, { function: [fn(v)] }) },
    {
        name: "permission for S3 without source ARN",
        stack: "prod",
        rule: "lambda-permission-not-public",
        change: (v) => void v.add(T.permission, v.name("s3"), { action: "lambda:InvokeFunction", function: fn(v).props.name, principal: "s3.amazonaws.com" }, { function: [fn(v)] }),
    },
    { name: "runtime nodejs16.x", stack: "prod", rule: "lambda-runtime-supported", change: (v) => v.set(fn(v), { runtime: "nodejs16.x" }) },
    { name: "reserved concurrency removed", stack: "prod", rule: "lambda-reserved-concurrency", change: (v) => v.set(fn(v), { reservedConcurrentExecutions: undefined }) },
    { name: "reserved concurrency 500", stack: "prod", rule: "lambda-reserved-concurrency", change: (v) => v.set(fn(v), { reservedConcurrentExecutions: 500 }) },
    { name: "timeout 15 minutes", stack: "prod", rule: "lambda-timeout-memory", change: (v) => v.set(fn(v), { timeout: 900 }) },
    { name: "memory 10 GB", stack: "prod", rule: "lambda-timeout-memory", change: (v) => v.set(fn(v), { memorySize: 10240 }) },
    { name: "provisioned concurrency 50", stack: "prod", rule: "lambda-provisioned-concurrency-limit", change: (v) => v.set(v.one(T.provisioned, "inference-warm"), { provisionedConcurrentExecutions: 50 }) },
    { name: "environment holds API_KEY", stack: "prod", rule: "no-plaintext-secrets", change: (v) => v.setIn(fn(v), "environment.variables.API_KEY", "sk_live_4eC39HqLyjWDarjtT1zdp7dc") },
    {
        name: "environment holds DATABASE_URL with credentials",
        stack: "prod",
        rule: "no-plaintext-secrets",
        change: (v) => v.setIn(fn(v), "environment.variables.DATABASE_URL", "postgres://app:pa55word@db.example.com:5432/app"),
    },
    { name: "environment holds a GitHub token (dev)", stack: "dev", rule: "no-plaintext-secrets", change: (v) => v.setIn(fn(v), "environment.variables.GH", "ghp_16C7e42F292c6912E7710c838347Ae178B4a") },
    { name: "environment without the stack's key", stack: "prod", rule: "lambda-environment-kms", change: (v) => v.set(fn(v), { kmsKeyArn: undefined }) },
    { name: "tracing off in prod", stack: "prod", rule: "lambda-tracing", change: (v) => v.set(fn(v), { tracingConfig: { mode: "PassThrough" } }) },
    { name: "log group kept forever", stack: "prod", rule: "cloudwatch-log-retention", change: (v) => v.set(logGroup(v), { retentionInDays: undefined }) },
    { name: "log group kept 10 years", stack: "prod", rule: "cloudwatch-log-retention", change: (v) => v.set(logGroup(v), { retentionInDays: 3653 }) },
    { name: "log group without the stack's key", stack: "prod", rule: "cloudwatch-log-group-kms", change: (v) => v.set(logGroup(v), { kmsKeyId: undefined }) },
    { name: "function's log group left to Lambda", stack: "prod", rule: "lambda-managed-log-group", change: (v) => v.remove(logGroup(v)) },
    { name: "alarm actions disabled", stack: "prod", rule: "cloudwatch-alarm-actions-enabled", change: (v) => v.set(v.one(T.alarm, "endpoint-5xx"), { actionsEnabled: false }) },

    // KMS
    { name: "key rotation off", stack: "prod", rule: "kms-key-rotation", change: (v) => v.set(key(v), { enableKeyRotation: false }) },
    {
        name: "key policy lets Principal * use the key",
        stack: "prod",
        rule: "kms-key-policy-not-public",
        change: (v) => v.editPolicy(key(v), (s) => s.push({ Sid: "Anyone", Effect: "Allow", Principal: { AWS: "*" }, Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: "*" })),
    },
    {
        name: "standalone key policy lets Principal * use the key",
        stack: "prod",
        rule: "kms-key-policy-not-public",
        change: (v) => {
            const policy = key(v).props.policy as string;
            v.set(key(v), { policy: undefined });
            const doc = JSON.parse(policy) as { Statement: Props[] };
            doc.Statement.push({ Sid: "Anyone", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" });
            v.add(T.keyPolicy, v.name("key-policy"), { keyId: key(v).outputs!.id, policy: JSON.stringify(doc) }, { keyId: [key(v)] });
        },
    },
    { name: "key policy left to the default", stack: "prod", rule: "kms-key-policy-defined", change: (v) => v.set(key(v), { policy: undefined }) },
    { name: "key disabled", stack: "prod", rule: "kms-key-enabled", change: (v) => v.set(key(v), { isEnabled: false }) },

    // Tags and cost
    { name: "provider default tags dropped", stack: "prod", rule: "required-tags", change: (v) => v.set(v.resources.find((r) => r.type === T.provider)!, { defaultTags: undefined }) },
    { name: "standalone io2 volume with 64,000 IOPS (over the monthly budget)", stack: "prod", rule: "cost-budget", change: (v) => void addVolume(v, { size: 100, type: "io2", iops: 64000 }) },
    { name: "trainer root volume io2 with 64,000 IOPS (over the EC2 run budget)", stack: "prod", rule: "cost-budget", change: (v) => (v.setIn(trainer(v), "rootBlockDevice.volumeType", "io2"), v.setIn(trainer(v), "rootBlockDevice.iops", 64000)) },
];

// ---- secure variants, as other teams write them ------------------------------------------------

export const SECURE: SecureVariant[] = [
    { name: "bucket declared with the deprecated BucketV2 class", stack: "prod", change: (v) => void v.retype(bucket(v), T.bucketV2) },
    { name: "encryption through the deprecated V2 class", stack: "prod", change: (v) => void v.retype(encryption(v), T.encryptionV2) },
    { name: "versioning through the deprecated V2 class", stack: "prod", change: (v) => void v.retype(versioning(v), T.versioningV2) },
    {
        name: "encryption and versioning inline on the bucket (deprecated arguments, still shipped)",
        stack: "prod",
        change: (v) => {
            const rules = encryption(v).props.rules as Props[];
            v.remove(encryption(v));
            v.remove(versioning(v));
            v.set(bucket(v), { serverSideEncryptionConfiguration: { rule: rules[0] }, versioning: { enabled: true } });
        },
    },
    {
        name: "account-level public access block instead of the bucket's",
        stack: "prod",
        change: (v) => {
            v.remove(pab(v));
            v.add(T.accountPab, v.name("account-pab"), { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
        },
    },
    { name: "dual-layer KMS encryption (aws:kms:dsse)", stack: "prod", change: (v) => v.setIn(encryption(v), "rules.0.applyServerSideEncryptionByDefault.sseAlgorithm", "aws:kms:dsse") },
    { name: "SSE-S3 where the stack does not require KMS (dev)", stack: "dev", change: (v) => v.set(encryption(v), { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }) },
    {
        name: "TLS-only policy as getPolicyDocument renders it (string condition value, one Resource list, no Sid)",
        stack: "prod",
        change: (v) =>
            v.set(tlsPolicy(v), {
                policy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Deny", Principal: { AWS: "*" }, Action: ["s3:*"], Resource: [`arn:aws:s3:::${v.bucketName}/*`, `arn:aws:s3:::${v.bucketName}`], Condition: { Bool: { "aws:SecureTransport": ["false"] } } }],
                }),
            }),
    },
    { name: "training-code object as the legacy BucketObject", stack: "prod", change: (v) => void v.retype(codeObject(v), T.legacyObject) },
    { name: "training-code object naming the stack's key", stack: "prod", change: (v) => v.set(codeObject(v), { serverSideEncryption: "aws:kms", kmsKeyId: v.keyArn }) },
    {
        name: "role policy written with getPolicyDocument (object form, single-string actions)",
        stack: "prod",
        change: (v) =>
            v.edit(rolePolicy(v, "inference"), (p) => {
                const doc = JSON.parse(p.policy as string) as { Statement: Props[] };
                p.policy = { Version: "2012-10-17", Statement: doc.Statement.map((s) => ({ Effect: s.Effect, Action: s.Action, Resource: s.Resource })) };
            }),
    },
    {
        name: "job role's permissions in a customer-managed policy attached to it",
        stack: "prod",
        change: (v) => {
            const inline = rolePolicy(v, "training");
            v.remove(inline);
            const p = v.add(T.managedPolicy, v.name("training-permissions"), { policy: inline.props.policy }, {}, { arn: `arn:aws:iam::${ACCOUNT}:policy/${v.name("training-permissions")}` });
            v.add(T.roleAttachment, v.name("training-permissions"), { role: role(v, "training").outputs!.name, policyArn: p.outputs!.arn }, { role: [role(v, "training")], policyArn: [p] });
        },
    },
    {
        name: "role's permissions in its inlinePolicies argument",
        stack: "prod",
        change: (v) => {
            const inline = rolePolicy(v, "endpoint-model");
            v.remove(inline);
            v.set(role(v, "endpoint-model"), { inlinePolicies: [{ name: "permissions", policy: v.input(inline, "policy") }] });
        },
    },
    {
        name: "key policy as AWS's default (the account administers, IAM decides)",
        stack: "prod",
        change: (v) => v.set(key(v), { policy: doc({ Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" }) }),
    },
    {
        name: "key policy in a standalone KeyPolicy resource",
        stack: "prod",
        change: (v) => {
            const policy = key(v).props.policy as string;
            v.set(key(v), { policy: undefined });
            v.add(T.keyPolicy, v.name("key-policy"), { keyId: key(v).outputs!.id, policy }, { keyId: [key(v)] });
        },
    },
    {
        name: "key shared with Principal * pinned by kms:CallerAccount and kms:ViaService",
        stack: "prod",
        change: (v) =>
            v.editPolicy(key(v), (s) =>
                s.push({
                    Sid: "AccountThroughS3",
                    Effect: "Allow",
                    Principal: { AWS: "*" },
                    Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                    Resource: "*",
                    Condition: { StringEquals: { "kms:CallerAccount": ACCOUNT, "kms:ViaService": `s3.${REGION}.amazonaws.com` } },
                }),
            ),
    },
    {
        name: "step scaling instead of target tracking",
        stack: "prod",
        change: (v) =>
            v.set(scaling(v), {
                policyType: "StepScaling",
                targetTrackingScalingPolicyConfiguration: undefined,
                stepScalingPolicyConfiguration: { adjustmentType: "ChangeInCapacity", cooldown: 120, metricAggregationType: "Average", stepAdjustments: [{ metricIntervalLowerBound: "0", scalingAdjustment: 1 }] },
            }),
    },
    {
        name: "scheduled scaling for business hours within the caps",
        stack: "prod",
        change: (v) => businessHoursSchedule(v, { minCapacity: 3, maxCapacity: 6 }),
    },
    {
        name: "serverless endpoint variant where dev allows one",
        stack: "dev",
        change: (v) => {
            toServerless(v);
            v.remove(scaling(v));
            v.remove(target(v));
        },
    },
    { name: "function URL with IAM auth and one allowed origin", stack: "prod", change: (v) => void addFunctionUrl(v, { authorizationType: "AWS_IAM", cors: { allowOrigins: ["https://app.example.com"], allowMethods: ["POST"] } }) },
    {
        name: "API Gateway may invoke the function, scoped by source ARN",
        stack: "prod",
        change: (v) =>
            void v.add(T.permission, v.name("apigw"), { action: "lambda:InvokeFunction", function: fn(v).props.name, principal: "apigateway.amazonaws.com", sourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:abc123/*/POST/predict` }, { function: [fn(v)] }),
    },
    { name: "function writing to a named log group the stack manages", stack: "prod", change: (v) => (v.setIn(fn(v), "loggingConfig.logGroup", "/mlops/prod/inference"), v.set(logGroup(v), { name: "/mlops/prod/inference" })) },
    { name: "trainer as a spot instance request", stack: "prod", change: (v) => void asSpotRequest(v) },
    {
        name: "trainer launched from a launch template that holds its settings",
        stack: "prod",
        change: (v) => {
            const t = trainerTemplate(v);
            v.set(trainer(v), { launchTemplate: { id: v.out(t, "id"), version: "$Latest" }, metadataOptions: undefined, rootBlockDevice: undefined, iamInstanceProfile: undefined, ami: undefined });
        },
    },
    { name: "trainer with the metadata endpoint disabled", stack: "prod", change: (v) => v.set(trainer(v), { metadataOptions: { httpEndpoint: "disabled" } }) },
    { name: "an encrypted standalone scratch volume on the stack's key", stack: "prod", change: (v) => void addVolume(v, {}) },
    {
        name: "trainer egress as separate rule resources with descriptions",
        stack: "prod",
        change: (v) => {
            const sg = trainerSg(v);
            v.set(sg, { egress: undefined });
            v.add(T.egressRule, v.name("gpu-trainer-https"), { securityGroupId: sg.outputs!.id, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0", description: "HTTPS" }, { securityGroupId: [sg] });
        },
    },
    { name: "training job with network isolation", stack: "prod", change: (v) => v.set(training(v), { enableNetworkIsolation: true }) },
    {
        name: "training job in a VPC, without pretrained downloads",
        stack: "prod",
        change: (v) => {
            v.setIn(training(v), "hyperParameters.pretrained", "false");
            v.set(training(v), { vpcConfig: { subnets: ["subnet-0a1b2c3d4e5f60718"], securityGroupIds: [trainerSg(v).outputs!.id] } });
        },
    },
    { name: "log group kept 30 days", stack: "prod", change: (v) => v.set(logGroup(v), { retentionInDays: 30 }) },
    {
        name: "tags on every resource instead of the provider's default tags",
        stack: "prod",
        change: (v) => {
            const provider = v.resources.find((r) => r.type === T.provider)!;
            const tags = (JSON.parse(v.input(provider, "defaultTags")) as { tags: Record<string, string> }).tags;
            v.set(provider, { defaultTags: undefined });
            const taggable = new Set(TAGGABLE_KINDS.flatMap((k) => k.tokens));
            for (const r of v.resources) if (taggable.has(r.type)) v.edit(r, (p) => (p.tags = { ...(p.tags as Record<string, string> | undefined), ...tags }));
        },
    },
    { name: "bucket encryption naming the key by its alias", stack: "prod", change: (v) => v.setIn(encryption(v), "rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId", `arn:aws:kms:${REGION}:${ACCOUNT}:alias/mlops-prod`) },
    {
        name: "a pre-created SageMaker training log group with retention and the stack's key",
        stack: "prod",
        change: (v) => void v.add(T.logGroup, v.name("training-logs"), { name: "/aws/sagemaker/TrainingJobs", retentionInDays: 90, kmsKeyId: v.keyArn, tags: { Name: "training" } }),
    },
    {
        name: "a guardrail Deny with wildcards in a role policy",
        stack: "prod",
        change: (v) => addStatement(v, "training", { Sid: "DenyOtherBuckets", Effect: "Deny", Action: "s3:*", NotResource: [`arn:aws:s3:::${v.bucketName}`, `arn:aws:s3:::${v.bucketName}/*`] }),
    },
    {
        name: "an IAM group for auditors with AWS's ReadOnlyAccess (no members yet)",
        stack: "prod",
        change: (v) => {
            const g = v.add(T.group, v.name("auditors"), { name: v.name("auditors") });
            v.add(T.groupAttachment, v.name("auditors-readonly"), { group: g.props.name, policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }, { group: [g] });
        },
    },
];

// ---- the score, as docs/policies.md states it ------------------------------------------------------

export interface Outcome {
    name: string;
    /** The rule an insecure variant expects. */
    rule?: string;
    /** Caught (insecure) or not flagged (secure). */
    passed: boolean;
}

/** The block docs/policies.md must hold: the score of this run and the variants per rule. */
export function scoreBlock(insecure: Outcome[], secure: Outcome[]): string {
    const perRule = new Map<string, { total: number; caught: number }>();
    for (const o of insecure) {
        const e = perRule.get(o.rule!) ?? { total: 0, caught: 0 };
        e.total++;
        if (o.passed) e.caught++;
        perRule.set(o.rule!, e);
    }
    const falseAlarms = secure.filter((o) => !o.passed).length;
    return [
        `**Score: ${insecure.filter((o) => o.passed).length}/${insecure.length} insecure or over-budget variants caught** by their rule at the mandatory level in prod;`,
        `**${falseAlarms}/${secure.length} secure variants flagged** (a mandatory violation where none belongs).`,
        "",
        "| rule expected to catch | variants | caught |",
        "|---|---|---|",
        ...[...perRule.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([rule, e]) => `| \`${rule}\` | ${e.total} | ${e.caught} |`),
    ].join("\n");
}
