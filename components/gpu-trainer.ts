import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AwsContext } from "./aws-context";
import { BUCKET_PREFIXES, s3Uri } from "./bucket-layout";
import { document, readPrefixes, useKeyThroughS3, writePrefixes } from "./iam";
import { ServiceRole } from "./service-role";
import { trainerUserData } from "./gpu-trainer-user-data";
import { specHash } from "./training-spec";

/** Newest AWS Deep Learning AMI with PyTorch and the NVIDIA driver, owned by Amazon. */
export const DLAMI_NAME_PATTERN = "Deep Learning OSS Nvidia Driver AMI GPU PyTorch 2.* (Ubuntu *) *";

export interface GpuTrainerArgs {
    context: AwsContext;
    namePrefix: string;
    instanceType: string;
    /** One-time spot (terminated on interruption; the next run resumes from S3 checkpoints). */
    spot: boolean;
    /** At least 75 GB, the DLAMI's own size. */
    rootVolumeGb: number;
    /** With `subnetId`, a private subnet (with NAT or S3/SSM endpoints): then no public IP. Default VPC with a public IP otherwise. */
    vpcId?: string;
    subnetId?: string;
    bucketName: pulumi.Input<string>;
    bucketArn: pulumi.Input<string>;
    codeKey: string;
    datasetPrefix: string;
    /** The dataset manifest's contentHash: new data is a new run (a new output prefix, a new instance). */
    datasetContentHash: string;
    /** train.py flags (`epochs`, `batch-size`, ...), booleans as `--x`/`--no-x`. */
    trainArgs: pulumi.Input<Record<string, string | number | boolean>>;
    kmsKeyArn?: pulumi.Input<string>;
}

/**
 * A one-shot EC2 GPU training run of the same train.py: boots, trains, uploads, terminates
 * itself. No key pair, no inbound rule (Session Manager for access), IMDSv2, encrypted disk.
 */
export class GpuTrainer extends pulumi.ComponentResource {
    readonly instance: aws.ec2.Instance;
    readonly instanceId: pulumi.Output<string>;
    /** Where this run's model.tar.gz, train.log and exit-status land. */
    readonly outputUri: pulumi.Output<string>;

    constructor(name: string, args: GpuTrainerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlops:training:GpuTrainer", name, {}, opts);
        const { partition, region } = args.context;
        const { instanceType, spot } = args;

        // A run's outputs live under a prefix named for its spec: a new spec never overwrites an old model.
        const outputPrefix = pulumi.output(args.trainArgs).apply(trainArgs =>
            `${BUCKET_PREFIXES.gpuTrainer}${specHash({ codeKey: args.codeKey, datasetPrefix: args.datasetPrefix, datasetContentHash: args.datasetContentHash, instanceType, trainArgs }, 12)}/`);

        const role = new ServiceRole(`${name}-role`, {
            service: "ec2",
            purpose: `EC2 GPU trainer of ${args.namePrefix}: reads code and data, writes its own output prefix`,
            policy: pulumi.all([args.bucketArn, outputPrefix, args.kmsKeyArn]).apply(([bucketArn, prefix, kmsKeyArn]) => document(
                // The code archive is fetched by its key; the dataset and `<output>checkpoints/` are synced (user data).
                ...readPrefixes(bucketArn, [args.codeKey, args.datasetPrefix, prefix], [args.datasetPrefix, `${prefix}checkpoints/`]),
                writePrefixes(bucketArn, [prefix], { abortMultipart: true }),
                ...(kmsKeyArn ? [useKeyThroughS3(kmsKeyArn, region, "read-write")] : []),
            )),
            // Session Manager access instead of SSH: AWS's narrow instance-core policy, not a FullAccess one.
            managedPolicyArns: [pulumi.interpolate`arn:${partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`],
            instanceProfile: true,
        }, { parent: this });

        const group = new aws.ec2.SecurityGroup(`${name}-sg`, {
            description: `GPU trainer of ${args.namePrefix}: no inbound; HTTPS out to S3, SSM and PyPI/PyTorch mirrors`,
            vpcId: args.vpcId,
            egress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"], description: "HTTPS" }],
        }, { parent: this });

        const ami = aws.ec2.getAmiOutput({
            mostRecent: true,
            owners: ["amazon"],
            filters: [
                { name: "name", values: [DLAMI_NAME_PATTERN] },
                { name: "architecture", values: ["x86_64"] },
                { name: "state", values: ["available"] },
            ],
        }, { parent: this });

        const userData = pulumi.all([args.bucketName, outputPrefix, args.trainArgs]).apply(([bucket, prefix, trainArgs]) => trainerUserData({
            region, bucket, codeKey: args.codeKey, datasetPrefix: args.datasetPrefix, outputPrefix: prefix, trainArgs,
        }));

        this.instance = new aws.ec2.Instance(name, {
            ami: ami.id,
            instanceType,
            iamInstanceProfile: role.instanceProfile!.name,
            vpcSecurityGroupIds: [group.id],
            subnetId: args.subnetId,
            // Without a subnet of ours the default VPC has no NAT: a public IP is the only way out.
            associatePublicIpAddress: args.subnetId === undefined,
            metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
            rootBlockDevice: { encrypted: true, kmsKeyId: args.kmsKeyArn, volumeSize: args.rootVolumeGb, volumeType: "gp3", deleteOnTermination: true },
            instanceInitiatedShutdownBehavior: "terminate",
            instanceMarketOptions: spot
                ? { marketType: "spot", spotOptions: { spotInstanceType: "one-time", instanceInterruptionBehavior: "terminate" } }
                : undefined,
            userData,
            // A new spec is a new run: replace the instance rather than edit a finished one.
            userDataReplaceOnChange: true,
            // The stack's tags come from the provider's default tags, on the instance and its root volume.
            tags: { Name: `${args.namePrefix}-gpu-trainer` },
        }, { parent: this, dependsOn: [role] });

        this.instanceId = this.instance.id;
        this.outputUri = pulumi.all([args.bucketName, outputPrefix]).apply(([b, p]) => s3Uri(b, p));
        this.registerOutputs({ instanceId: this.instanceId, outputUri: this.outputUri });
    }
}
