import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AwsContext } from "./aws-context";
import { keyPolicy, policyJson } from "./iam";

export interface EncryptionKeyArgs {
    context: AwsContext;
    /**
     * Log groups CloudWatch Logs may encrypt with the key, by name with `*` wildcards
     * (`/aws/lambda/mlops-prod-*`). Default: every log group of the account.
     */
    logGroupNamePattern?: string;
    /** Days a deleted key waits before it is gone (7-30). */
    deletionWindowDays: number;
}

/** The stack's customer-managed KMS key (prod): bucket, volumes, endpoint storage, logs, Lambda env. */
export class EncryptionKey extends pulumi.ComponentResource {
    readonly key: aws.kms.Key;
    readonly arn: pulumi.Output<string>;

    constructor(name: string, args: EncryptionKeyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlops:security:EncryptionKey", name, {}, opts);
        const { partition, accountId, region } = args.context;
        this.key = new aws.kms.Key(name, {
            description: `Encrypts the ${name} ML pipeline's data at rest`,
            enableKeyRotation: true,
            deletionWindowInDays: args.deletionWindowDays,
            policy: policyJson(pulumi.all([partition, accountId]).apply(([p, a]) =>
                keyPolicy({ partition: p, region, accountId: a }, args.logGroupNamePattern))),
        }, { parent: this });
        new aws.kms.Alias(name, { name: `alias/${name}`, targetKeyId: this.key.keyId }, { parent: this });
        this.arn = this.key.arn;
        this.registerOutputs({ arn: this.arn });
    }
}
