import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface FrontDoorArgs {
    functionName: pulumi.Input<string>;
    /** The alias the URL serves (the warm `live` alias with provisioned concurrency); the unqualified function otherwise. */
    qualifier?: pulumi.Input<string>;
    /** Browser origins allowed to call (exact https origins; never `*`). Empty: no CORS configuration. */
    allowOrigins: string[];
    allowCredentials: boolean;
    maxAgeSeconds: number;
}

/**
 * Headers a browser may send: the JSON body's type and everything a SigV4-signed request carries
 * (the signature, its date, the payload hash, a session token).
 */
export const SIGNED_REQUEST_HEADERS = ["authorization", "content-type", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"];

/** The function's request id, which its log line carries too: what a caller quotes in a support request. */
export const EXPOSED_HEADERS = ["x-request-id"];

/** The function URL's CORS block: only for named origins, only POST (OPTIONS is the preflight Lambda answers). */
export function corsFor(args: Pick<FrontDoorArgs, "allowOrigins" | "allowCredentials" | "maxAgeSeconds">): aws.types.input.lambda.FunctionUrlCors | undefined {
    if (args.allowOrigins.includes("*")) {
        throw new Error(`FrontDoor: allowOrigins must name origins, never "*" (got ${JSON.stringify(args.allowOrigins)})`);
    }
    if (args.allowCredentials && args.allowOrigins.length === 0) {
        throw new Error("FrontDoor: allowCredentials needs at least one origin in allowOrigins");
    }
    if (args.allowOrigins.length === 0) return undefined;
    return {
        allowOrigins: args.allowOrigins,
        allowMethods: ["POST"],
        allowHeaders: SIGNED_REQUEST_HEADERS,
        exposeHeaders: EXPOSED_HEADERS,
        allowCredentials: args.allowCredentials,
        maxAge: args.maxAgeSeconds,
    };
}

/**
 * An HTTPS entry to the inference function that only SigV4-signed requests get through (a
 * function URL with AWS_IAM auth): the caller needs lambda:InvokeFunctionUrl and
 * lambda:InvokeFunction on the function in its own IAM policy. No resource policy is added, so
 * nobody outside the account, and nobody inside it without those permissions, can call it.
 * CORS is configured here, on the URL, and not in the function as well: Lambda would send both
 * sets of headers, and browsers refuse a doubled Access-Control-Allow-Origin.
 */
export class FrontDoor extends pulumi.ComponentResource {
    readonly functionUrl: aws.lambda.FunctionUrl;
    /** `https://<id>.lambda-url.<region>.on.aws/` */
    readonly url: pulumi.Output<string>;

    constructor(name: string, args: FrontDoorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlops:serving:FrontDoor", name, {}, opts);
        this.functionUrl = new aws.lambda.FunctionUrl(`${name}-url`, {
            functionName: args.functionName,
            qualifier: args.qualifier,
            authorizationType: "AWS_IAM",
            cors: corsFor(args),
        }, { parent: this });
        this.url = this.functionUrl.functionUrl;
        this.registerOutputs({ url: this.url });
    }
}
