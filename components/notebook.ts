import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AwsContext } from "./aws-context";
import { BUCKET_PREFIXES } from "./bucket-layout";
import { document, manageStackJobs, notebookSelfManagement, passRolesToSageMaker, useKeyThroughS3, workbenchOnBucket } from "./iam";
import { idleStopScript } from "./notebook-idle-stop";
import { ServiceRole } from "./service-role";

export interface NotebookArgs {
    context: AwsContext;
    /** Stack name prefix: the notebook is `<prefix>-notebook`, and may manage jobs named `<prefix>-*`. */
    namePrefix: string;
    instanceType: string;
    /** Stop the instance after this many idle minutes (>= 5: the check runs every 5 minutes). */
    idleMinutes: number;
    volumeSizeGb: number;
    /** Off in prod: the notebook then lives in `subnetId` (required then) and reaches AWS through the VPC. */
    directInternetAccess: boolean;
    vpcId?: string;
    subnetId?: string;
    bucketArn: pulumi.Input<string>;
    /** The roles the notebook may pass to SageMaker when it starts jobs (training, tuning). */
    jobRoleArns: pulumi.Input<string>[];
    kmsKeyArn?: pulumi.Input<string>;
}

/** The team's SageMaker notebook: locked down, stops itself when idle, works only on this stack. */
export class Notebook extends pulumi.ComponentResource {
    readonly instance: aws.sagemaker.NotebookInstance;
    readonly role: ServiceRole;
    readonly name: pulumi.Output<string>;
    /** The Jupyter URL (sign in through the SageMaker console or a presigned URL). */
    readonly url: pulumi.Output<string>;

    constructor(name: string, args: NotebookArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlops:notebook:Notebook", name, {}, opts);
        const notebookName = `${args.namePrefix}-notebook`;
        const { partition, accountId, region } = args.context;

        this.role = new ServiceRole(`${name}-role`, {
            service: "sagemaker",
            purpose: `SageMaker notebook ${notebookName}: this stack's bucket and jobs only`,
            policy: pulumi.all([partition, accountId, args.bucketArn, pulumi.all(args.jobRoleArns), args.kmsKeyArn])
                .apply(([p, a, bucketArn, jobRoleArns, kmsKeyArn]) => {
                    const scope = { partition: p, region, accountId: a };
                    return document(
                        ...workbenchOnBucket(bucketArn, BUCKET_PREFIXES.notebook),
                        ...manageStackJobs(scope, args.namePrefix),
                        passRolesToSageMaker(jobRoleArns),
                        ...notebookSelfManagement(scope, notebookName),
                        ...(kmsKeyArn ? [useKeyThroughS3(kmsKeyArn, region, "read-write")] : []),
                    );
                }),
        }, { parent: this });

        const lifecycle = new aws.sagemaker.NotebookInstanceLifecycleConfiguration(`${name}-idle-stop`, {
            name: `${args.namePrefix}-idle-stop`,
            onStart: Buffer.from(idleStopScript(args.idleMinutes)).toString("base64"),
        }, { parent: this });

        let securityGroups: pulumi.Output<string>[] | undefined;
        if (args.subnetId) {
            // No inbound rule at all; outbound HTTPS only (SageMaker, S3, package mirrors via NAT or endpoints).
            const group = new aws.ec2.SecurityGroup(`${name}-sg`, {
                description: `SageMaker notebook ${notebookName}: no inbound, HTTPS out`,
                vpcId: args.vpcId,
                egress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"], description: "HTTPS to AWS APIs" }],
            }, { parent: this });
            securityGroups = [group.id];
        }

        this.instance = new aws.sagemaker.NotebookInstance(name, {
            name: notebookName,
            instanceType: args.instanceType,
            roleArn: this.role.arn,
            lifecycleConfigName: lifecycle.name,
            rootAccess: "Disabled",
            directInternetAccess: args.directInternetAccess ? "Enabled" : "Disabled",
            subnetId: args.subnetId,
            securityGroups,
            kmsKeyId: args.kmsKeyArn,
            volumeSize: args.volumeSizeGb,
            platformIdentifier: "notebook-al2-v3",
            instanceMetadataServiceConfiguration: { minimumInstanceMetadataServiceVersion: "2" },
        }, { parent: this, dependsOn: [this.role] });

        this.name = this.instance.name;
        this.url = this.instance.url;
        this.registerOutputs({ name: this.name, url: this.url });
    }
}
