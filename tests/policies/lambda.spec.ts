import * as assert from "assert";
import { UNKNOWN_STRING, assertNone, assertViolation, check, res } from "./helpers";

const FN = "aws:lambda/function:Function";
const URL = "aws:lambda/functionUrl:FunctionUrl";
const PERMISSION = "aws:lambda/permission:Permission";
const PROVISIONED = "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig";

const fn = (over: Record<string, unknown> = {}) =>
    res(FN, "inference", {
        runtime: "nodejs24.x",
        handler: "index.handler",
        role: "arn:aws:iam::123456789012:role/fn",
        memorySize: 512,
        timeout: 30,
        reservedConcurrentExecutions: 5,
        environment: { variables: { ENDPOINT_NAME: "mlops-dev-endpoint-1234", TOP_K: "5" } },
        ...over,
    });

describe("policies: Lambda", () => {
    it("the inference function as designed passes every function rule", async () => {
        for (const rule of ["lambda-runtime-supported", "lambda-reserved-concurrency", "lambda-timeout-memory", "no-plaintext-secrets"]) assertNone(await check(rule, [fn()]));
    });

    it("lambda-runtime-supported: deprecated runtimes fail, images are exempt, the list is configurable", async () => {
        assertViolation(await check("lambda-runtime-supported", [fn({ runtime: "nodejs16.x" })]), "runtime nodejs16.x is not supported", 1);
        assertViolation(await check("lambda-runtime-supported", [fn({ runtime: undefined })]), "runtime is not set", 1);
        assertNone(await check("lambda-runtime-supported", [fn({ runtime: undefined, packageType: "Image" })]));
        assertViolation(await check("lambda-runtime-supported", [fn({ runtime: "nodejs22.x" })], { allowedRuntimes: ["nodejs24.x"] }), "nodejs22.x");
    });

    it("lambda-reserved-concurrency: unset, -1, 0 and above the cap fail", async () => {
        assertViolation(await check("lambda-reserved-concurrency", [fn({ reservedConcurrentExecutions: undefined })]), "is not set", 1);
        assertViolation(await check("lambda-reserved-concurrency", [fn({ reservedConcurrentExecutions: -1 })]), "is not set", 1);
        assertViolation(await check("lambda-reserved-concurrency", [fn({ reservedConcurrentExecutions: 0 })]), "can never run", 1);
        assertViolation(await check("lambda-reserved-concurrency", [fn({ reservedConcurrentExecutions: 50 })]), "50 exceeds 10", 1);
        assertViolation(await check("lambda-reserved-concurrency", [fn()], { maxReservedConcurrency: 2 }), "5 exceeds 2", 1);
    });

    it("lambda-provisioned-concurrency-limit: cap and no $LATEST", async () => {
        assertNone(await check("lambda-provisioned-concurrency-limit", [res(PROVISIONED, "pc", { functionName: "f", qualifier: "live", provisionedConcurrentExecutions: 2 })]));
        const v = await check("lambda-provisioned-concurrency-limit", [res(PROVISIONED, "pc", { functionName: "f", qualifier: "$LATEST", provisionedConcurrentExecutions: 3 })]);
        assertViolation(v, "3 exceeds 2");
        assertViolation(v, "qualifier is $LATEST");
        assertViolation(await check("lambda-provisioned-concurrency-limit", [res(PROVISIONED, "pc", { functionName: "f", qualifier: "live", provisionedConcurrentExecutions: 1 })], { maxProvisionedConcurrency: 0 }), "1 exceeds 0");
    });

    it("lambda-timeout-memory: explicit and capped", async () => {
        const v = await check("lambda-timeout-memory", [fn({ timeout: undefined, memorySize: undefined })]);
        assertViolation(v, "timeout is not set");
        assertViolation(v, "memorySize is not set");
        assertViolation(await check("lambda-timeout-memory", [fn({ timeout: 900, memorySize: 10240 })]), "timeout 900s exceeds 60s");
        assertViolation(await check("lambda-timeout-memory", [fn()], { maxMemoryMb: 256 }), "memorySize 512 MB exceeds 256 MB", 1);
    });

    it("lambda-function-url-auth and lambda-function-url-cors", async () => {
        const good = res(URL, "url", { functionName: "f", authorizationType: "AWS_IAM", cors: { allowOrigins: ["https://app.example.com"] } });
        assertNone(await check("lambda-function-url-auth", [good]));
        assertNone(await check("lambda-function-url-cors", [good]));
        const open = res(URL, "url", { functionName: "f", authorizationType: "NONE", cors: { allowOrigins: ["*"] } });
        assertViolation(await check("lambda-function-url-auth", [open]), "authorizationType is \"NONE\"", 1);
        assertViolation(await check("lambda-function-url-cors", [open]), "allowOrigins contains '*'", 1);
    });

    it("lambda-permission-not-public: '*' and unscoped service principals fail", async () => {
        assertNone(await check("lambda-permission-not-public", [res(PERMISSION, "apigw", { action: "lambda:InvokeFunction", function: "f", principal: "apigateway.amazonaws.com", sourceArn: "arn:aws:execute-api:us-east-1:1:abc/*" })]));
        const v = await check("lambda-permission-not-public", [
            res(PERMISSION, "star", { action: "lambda:InvokeFunction", function: "f", principal: "*" }),
            res(PERMISSION, "svc", { action: "lambda:InvokeFunction", function: "f", principal: "s3.amazonaws.com" }),
        ]);
        assertViolation(v, "principal is '*'");
        assertViolation(v, "service principal s3.amazonaws.com without sourceArn");
        assert.strictEqual(v.length, 2);
    });

    it("lambda-no-secrets-in-environment: secret names and credential-shaped values, references allowed", async () => {
        assertNone(await check("no-plaintext-secrets", [fn({ environment: { variables: { API_KEY_SECRET_ID: "prod/api-key", DB_PASSWORD_PARAMETER: "/prod/db/password", TOKEN_ARN: "arn:aws:secretsmanager:us-east-1:1:secret:t" } } })]));
        const v = await check("no-plaintext-secrets", [fn({ environment: { variables: { DB_PASSWORD: "hunter2", KEY: "AKIAABCDEFGHIJKLMNOP", PEM: "-----BEGIN RSA PRIVATE KEY-----\nMIIE" } } })]);
        assertViolation(v, "DB_PASSWORD looks like it holds a secret");
        assertViolation(v, "KEY holds a value that looks like a credential");
        assertViolation(v, "PEM holds a value that looks like a credential");
        assert.strictEqual(v.length, 3);
    });

    it("lambda-tracing: Active passes, PassThrough and unset are advisory violations", async () => {
        assertNone(await check("lambda-tracing", [fn({ tracingConfig: { mode: "Active" } })]));
        const v = await check("lambda-tracing", [fn({ tracingConfig: { mode: "PassThrough" } }), res(FN, "other", { runtime: "nodejs24.x" })]);
        assertViolation(v, "tracingConfig.mode is \"PassThrough\"");
        assertViolation(v, "PassThrough (default)");
        assert.ok(v.every((x) => x.enforcementLevel === "advisory"));
        assert.strictEqual((await check("lambda-tracing", [fn()], "mandatory"))[0].enforcementLevel, "mandatory");
    });

    it("cloudwatch-log-retention: set, and within bounds from config", async () => {
        const LOGS = "aws:cloudwatch/logGroup:LogGroup";
        assertNone(await check("cloudwatch-log-retention", [res(LOGS, "l", { retentionInDays: 30 })]));
        assertViolation(await check("cloudwatch-log-retention", [res(LOGS, "l", {})]), "kept forever", 1);
        assertViolation(await check("cloudwatch-log-retention", [res(LOGS, "l", { retentionInDays: 3653 })]), "3653 exceeds 365", 1);
        assertViolation(await check("cloudwatch-log-retention", [res(LOGS, "l", { retentionInDays: 30 })], { minRetentionDays: 60 }), "below 60", 1);
    });

    it("lambda-no-secrets-in-environment: in preview, unknown values are judged by their names only", async () => {
        assertNone(await check("no-plaintext-secrets", [fn({ environment: { variables: { ENDPOINT_NAME: UNKNOWN_STRING } } })]));
        assertViolation(await check("no-plaintext-secrets", [fn({ environment: { variables: { DB_PASSWORD: UNKNOWN_STRING } } })]), "DB_PASSWORD looks like it holds a secret", 1);
    });
});
