import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** The account, partition and region every ARN in the stack is built from. */
export interface AwsContext {
    accountId: pulumi.Output<string>;
    partition: pulumi.Output<string>;
    region: string;
}

export function lookupAwsContext(region: string): AwsContext {
    return {
        accountId: pulumi.output(aws.getCallerIdentity({})).accountId,
        partition: pulumi.output(aws.getPartition({})).partition,
        region,
    };
}
