import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** The account, partition and region every ARN in the stack is built from. */
export interface AwsContext {
    accountId: pulumi.Output<string>;
    partition: pulumi.Output<string>;
    region: string;
}

/** Asks the stack's provider (its credentials, its region) who and where it is. */
export function lookupAwsContext(region: string, provider: aws.Provider): AwsContext {
    return {
        accountId: aws.getCallerIdentityOutput({}, { provider }).accountId,
        partition: aws.getPartitionOutput({}, { provider }).partition,
        region,
    };
}
