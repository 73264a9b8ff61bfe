import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { bundleHandler, LAMBDA_RUNTIME } from "../lambda/bundle";
import { AwsContext } from "./aws-context";
import { document, invokeEndpoint, writeLogGroup, writeTraces } from "./iam";
import { ServiceRole } from "./service-role";

export interface InferenceFunctionArgs {
    context: AwsContext;
    /** Stack name prefix: the function is `<prefix>-inference`. */
    namePrefix: string;
    endpointName: pulumi.Input<string>;
    endpointArn: pulumi.Input<string>;
    memoryMb: number;
    timeoutSeconds: number;
    /** Caps concurrent executions (and so what the endpoint sees). */
    reservedConcurrency: number;
    /** > 0 publishes a version behind the `live` alias, kept warm; at most reservedConcurrency. */
    provisionedConcurrency: number;
    logRetentionDays: number;
    /** The one browser origin allowed to call; no CORS headers when absent. */
    corsAllowOrigin?: string;
    /** Accept http:// image URLs (else https only). */
    allowHttpUrls: boolean;
    xrayTracing: boolean;
    kmsKeyArn?: pulumi.Input<string>;
}

export const ALIAS_NAME = "live";

/**
 * The public face of the model: validates requests, fetches image URLs safely, calls the
 * endpoint. Its role may invoke this one endpoint and write its own logs, nothing else.
 */
export class InferenceFunction extends pulumi.ComponentResource {
    readonly function: aws.lambda.Function;
    readonly functionName: pulumi.Output<string>;
    readonly role: ServiceRole;
    readonly alias?: aws.lambda.Alias;
    /** The alias ARN when provisioned concurrency is on, the function ARN otherwise. */
    readonly invokeArn: pulumi.Output<string>;

    constructor(name: string, args: InferenceFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlops:serving:InferenceFunction", name, {}, opts);
        const { reservedConcurrency: reserved, provisionedConcurrency: provisioned } = args;
        const functionName = `${args.namePrefix}-inference`;

        // Created by us, before the function, so the role never needs logs:CreateLogGroup.
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, {
            name: `/aws/lambda/${functionName}`,
            retentionInDays: args.logRetentionDays,
            kmsKeyId: args.kmsKeyArn,
        }, { parent: this });

        this.role = new ServiceRole(`${name}-role`, {
            service: "lambda",
            purpose: `Lambda ${functionName}: invoke one endpoint, write its own logs`,
            // No KMS permission: Lambda decrypts the environment through a grant it creates at deploy
            // time, and CloudWatch Logs encrypts through the key policy.
            policy: pulumi.all([args.endpointArn, logGroup.arn]).apply(([endpointArn, logGroupArn]) => document(
                invokeEndpoint(endpointArn),
                writeLogGroup(logGroupArn),
                ...(args.xrayTracing ? [writeTraces()] : []),
            )),
        }, { parent: this });

        const bundle = bundleHandler();
        const environment: Record<string, pulumi.Input<string>> = { ENDPOINT_NAME: args.endpointName };
        if (args.corsAllowOrigin) environment.CORS_ALLOW_ORIGIN = args.corsAllowOrigin;
        if (args.allowHttpUrls) environment.ALLOW_HTTP_URLS = "true";

        this.function = new aws.lambda.Function(name, {
            name: functionName,
            description: `Dog-breed inference in front of a SageMaker endpoint (bundle ${bundle.sha256.slice(0, 12)})`,
            runtime: LAMBDA_RUNTIME,
            architectures: ["arm64"],
            handler: "index.handler",
            code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(bundle.code) }),
            role: this.role.arn,
            memorySize: args.memoryMb,
            timeout: args.timeoutSeconds,
            reservedConcurrentExecutions: reserved,
            publish: provisioned > 0,
            environment: { variables: environment },
            kmsKeyArn: args.kmsKeyArn,
            tracingConfig: { mode: args.xrayTracing ? "Active" : "PassThrough" },
            loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
        }, { parent: this, dependsOn: [logGroup, this.role] });

        this.functionName = this.function.name;
        this.invokeArn = this.function.arn;
        if (provisioned > 0) {
            // Provisioned concurrency needs a published version: it cannot target $LATEST.
            this.alias = new aws.lambda.Alias(`${name}-live`, {
                name: ALIAS_NAME,
                functionName: this.function.name,
                functionVersion: this.function.version,
            }, { parent: this });
            new aws.lambda.ProvisionedConcurrencyConfig(`${name}-warm`, {
                functionName: this.function.name,
                qualifier: this.alias.name,
                provisionedConcurrentExecutions: provisioned,
            }, { parent: this });
            this.invokeArn = this.alias.arn;
        }
        this.registerOutputs({ functionName: this.functionName, invokeArn: this.invokeArn });
    }
}
