// Lambda rules: the function is the pipeline's only public-facing code, so its runtime,
// concurrency, limits, URL, permissions and environment are all checked.

import { cfg, resourceRule, stackRule } from "../lib/rule";
import { Unknown, isSet, peek, peekEach, readBoolean, readNumber, readString } from "../lib/preview";
import { RESOURCE_TYPES as T } from "../lib/resource-types";

export const runtimeSupported = resourceRule({
    name: "lambda-runtime-supported",
    description: "Lambda functions use a runtime on the supported list (deprecated runtimes get no security patches); container images are exempt.",
    anchors: ["CKV_AWS_363", "AwsSolutions-L1", "LambdaLatestVersion"],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "move to the newest runtime of the family (nodejs24.x for this project's function).",
    config: {
        allowedRuntimes: cfg.strings("Runtimes allowed (AWS's supported, non-deprecated list as of 2026-11).", [
            "nodejs22.x",
            "nodejs24.x",
            "python3.12",
            "python3.13",
            "python3.14",
            "java21",
            "java25",
            "dotnet8",
            "dotnet10",
            "ruby3.4",
            "provided.al2023",
        ]),
    },
    kinds: [T.lambdaFunction],
    validate(fn, { config, report }) {
        if (fn.packageType === "Image") return;
        const runtime = fn.runtime;
        if (runtime === undefined) report("runtime is not set.");
        else if (!config.allowedRuntimes.includes(runtime)) report(`runtime ${runtime} is not supported (allowed: ${config.allowedRuntimes.join(", ")}).`);
    },
});

export const reservedConcurrency = resourceRule({
    name: "lambda-reserved-concurrency",
    description: "Lambda functions reserve a concurrency between 1 and the cap, so a burst can neither starve the account nor run up the endpoint's bill.",
    anchors: ["CKV_AWS_115", "LambdaConcurrency"],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "set reservedConcurrentExecutions to the stack's limit (dev 5).",
    config: {
        maxReservedConcurrency: cfg.integer("Largest reservedConcurrentExecutions.", 10, 1),
    },
    kinds: [T.lambdaFunction],
    validate(fn, { config, report }) {
        const n = readNumber(() => fn.reservedConcurrentExecutions);
        if (n instanceof Unknown) return;
        if (n === undefined || n === -1) report("reservedConcurrentExecutions is not set (unreserved: the function may use the whole account's concurrency).");
        else if (n === 0) report("reservedConcurrentExecutions is 0: the function can never run.");
        else if (n > config.maxReservedConcurrency) report(`reservedConcurrentExecutions ${n} exceeds ${config.maxReservedConcurrency}.`);
    },
});

export const provisionedConcurrencyLimit = resourceRule({
    name: "lambda-provisioned-concurrency-limit",
    category: "cost",
    description: "Provisioned concurrency (billed around the clock) stays within the cap and targets an alias or version, never $LATEST.",
    anchors: [],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "lower provisionedConcurrentExecutions, and qualify it with the function's alias.",
    config: {
        maxProvisionedConcurrency: cfg.integer("Largest provisionedConcurrentExecutions.", 2, 0),
    },
    kinds: [T.provisionedConcurrency],
    validate(pc, { config, report }) {
        const n = readNumber(() => pc.provisionedConcurrentExecutions);
        if (typeof n === "number" && n > config.maxProvisionedConcurrency) report(`provisionedConcurrentExecutions ${n} exceeds ${config.maxProvisionedConcurrency}.`);
        if (readString(() => pc.qualifier) === "$LATEST") report("qualifier is $LATEST, which AWS rejects for provisioned concurrency.");
    },
});

export const timeoutMemory = resourceRule({
    name: "lambda-timeout-memory",
    category: "cost",
    description: "Lambda functions set timeout and memory explicitly, within caps.",
    anchors: ["LambdaDefaultTimeout", "LambdaDefaultMemorySize"],
    enforcementLevel: "mandatory",
    severity: "low",
    remediation: "set timeout (seconds) and memorySize (MB) explicitly, within the stack's caps.",
    config: {
        maxTimeoutSeconds: cfg.integer("Largest timeout (s).", 60, 1),
        maxMemoryMb: cfg.integer("Largest memorySize (MB).", 1024, 128),
    },
    kinds: [T.lambdaFunction],
    validate(fn, { config, report }) {
        const timeout = readNumber(() => fn.timeout);
        const memory = readNumber(() => fn.memorySize);
        if (timeout === undefined) report("timeout is not set (defaults to 3 s).");
        else if (typeof timeout === "number" && timeout > config.maxTimeoutSeconds) report(`timeout ${timeout}s exceeds ${config.maxTimeoutSeconds}s.`);
        if (memory === undefined) report("memorySize is not set (defaults to 128 MB).");
        else if (typeof memory === "number" && memory > config.maxMemoryMb) report(`memorySize ${memory} MB exceeds ${config.maxMemoryMb} MB.`);
    },
});

export const functionUrlAuth = resourceRule({
    name: "lambda-function-url-auth",
    description: "Function URLs require IAM auth (authorizationType is not NONE).",
    anchors: ["CKV_AWS_258", "LambdaFunctionUrlAuth"],
    enforcementLevel: "mandatory",
    severity: "critical",
    remediation: "set authorizationType: \"AWS_IAM\" (or put API Gateway with an authorizer in front).",
    config: {},
    kinds: [T.functionUrl],
    validate(url, { report }) {
        if (url.authorizationType !== "AWS_IAM") report(`authorizationType is ${JSON.stringify(url.authorizationType)}.`);
    },
});

export const functionUrlCors = resourceRule({
    name: "lambda-function-url-cors",
    description: "Function URL CORS does not allow every origin ('*').",
    anchors: ["CKV2_AWS_75"],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "list the exact origins (https://app.example.com) in cors.allowOrigins.",
    config: {},
    kinds: [T.functionUrl],
    validate(url, { report }) {
        const origins = peekEach(peek(() => url.cors?.allowOrigins));
        if (origins.includes("*")) report("cors.allowOrigins contains '*'.");
    },
});

/** Condition fields that scope a permission to one caller. */
const SCOPING = ["sourceArn", "sourceAccount", "principalOrgId"] as const;

export const permissionNotPublic = resourceRule({
    name: "lambda-permission-not-public",
    description: "Lambda permissions never grant principal '*' unscoped, and service principals are scoped with sourceArn or sourceAccount (confused deputy).",
    anchors: ["CKV_AWS_301", "CKV_AWS_364", "LambdaFunctionPublicAccessProhibited"],
    enforcementLevel: "mandatory",
    severity: "critical",
    remediation: "name the calling principal and set sourceArn (or sourceAccount / principalOrgId).",
    config: {},
    kinds: [T.lambdaPermission],
    validate(permission, { report }) {
        const principal = permission.principal;
        const scoped = SCOPING.some((k) => isSet(() => permission[k]));
        if (scoped) return;
        if (principal === "*") report("principal is '*' with no sourceArn, sourceAccount or principalOrgId.");
        else if (typeof principal === "string" && principal.endsWith(".amazonaws.com")) report(`service principal ${principal} without sourceArn or sourceAccount.`);
    },
});

export const tracing = resourceRule({
    name: "lambda-tracing",
    category: "governance",
    description: "Lambda functions send X-Ray traces (tracingConfig.mode 'Active'), so a slow prediction can be followed into the endpoint call.",
    anchors: ["CKV_AWS_50", "LambdaTracing"],
    enforcementLevel: "advisory",
    severity: "low",
    remediation: "set tracingConfig: { mode: \"Active\" } (mlops:lambda.xrayTracing: true) and allow xray:PutTraceSegments.",
    config: {},
    kinds: [T.lambdaFunction],
    validate(fn, { report }) {
        const mode = readString(() => fn.tracingConfig?.mode);
        if (mode !== "Active" && !(mode instanceof Unknown)) report(`tracingConfig.mode is ${JSON.stringify(mode ?? "PassThrough (default)")}.`);
    },
});

export const logRetention = resourceRule({
    name: "cloudwatch-log-retention",
    category: "cost",
    description: "CloudWatch log groups set a retention period no longer than the cap (the default keeps logs, and bills them, forever).",
    anchors: ["CKV_AWS_66", "CloudWatchLogGroupRetentionPeriod"],
    enforcementLevel: "advisory",
    severity: "low",
    remediation: "set retentionInDays (mlops:lambda.logRetentionDays) within the cap.",
    config: {
        minRetentionDays: cfg.integer("Shortest accepted retention (days).", 7, 1),
        maxRetentionDays: cfg.integer("Longest accepted retention (days).", 365, 1),
    },
    kinds: [T.logGroup],
    validate(group, { config, report }) {
        const days = readNumber(() => group.retentionInDays);
        if (days instanceof Unknown) return;
        if (days === undefined || days === 0) report("retentionInDays is not set: logs are kept forever.");
        else if (days > config.maxRetentionDays) report(`retentionInDays ${days} exceeds ${config.maxRetentionDays}.`);
        else if (days < config.minRetentionDays) report(`retentionInDays ${days} is below ${config.minRetentionDays}: too short to investigate an incident.`);
    },
});

export const logGroupKms = resourceRule({
    name: "cloudwatch-log-group-kms",
    description: "Where the stack requires KMS, CloudWatch log groups encrypt their logs with a customer-managed key (kmsKeyId).",
    anchors: ["CKV_AWS_158", "CloudWatchLogGroupEncrypted"],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "set kmsKeyId to the stack's KMS key (its key policy must let logs.<region>.amazonaws.com use it).",
    config: {
        requireKms: cfg.boolean("Require kmsKeyId on every log group.", false),
    },
    kinds: [T.logGroup],
    validate(group, { config, report }) {
        if (config.requireKms && !isSet(() => group.kmsKeyId)) report("kmsKeyId is not set: the logs are encrypted with a key CloudWatch owns.");
    },
});

export const environmentKms = resourceRule({
    name: "lambda-environment-kms",
    description: "Where the stack requires KMS, a function with environment variables encrypts them with a customer-managed key (kmsKeyArn) instead of the key Lambda owns.",
    anchors: ["CKV_AWS_173"],
    enforcementLevel: "mandatory",
    severity: "low",
    remediation: "set kmsKeyArn to the stack's KMS key (the function's role then needs nothing more: Lambda decrypts with its own grant).",
    config: {
        requireKms: cfg.boolean("Require kmsKeyArn on functions that have environment variables.", false),
    },
    kinds: [T.lambdaFunction],
    validate(fn, { config, report }) {
        if (!config.requireKms) return;
        const variables = peek(() => fn.environment?.variables);
        if (variables instanceof Unknown || variables === undefined || variables === null || Object.keys(variables).length === 0) return;
        if (!isSet(() => fn.kmsKeyArn)) report("environment variables are encrypted with the key Lambda owns (kmsKeyArn is not set).");
    },
});

/** The log group a function writes to: its loggingConfig's, else Lambda's default name. */
function logGroupNameOf(fn: { props: { name?: string; loggingConfig?: { logGroup?: string } } }): string | Unknown | undefined {
    const configured = readString(() => fn.props.loggingConfig?.logGroup);
    if (configured !== undefined && configured !== "") return configured;
    const name = readString(() => fn.props.name);
    return typeof name === "string" ? `/aws/lambda/${name}` : name;
}

export const managedLogGroup = stackRule({
    name: "lambda-managed-log-group",
    description: "Every function writes to a log group the stack manages (its loggingConfig.logGroup, else /aws/lambda/<name>), so retention and encryption are the stack's, not the never-expiring group Lambda creates on first invocation.",
    anchors: ["LambdaLogging", "LambdaLogLevel"],
    enforcementLevel: "mandatory",
    severity: "low",
    remediation: "declare an aws.cloudwatch.LogGroup named /aws/lambda/<function name> (or the loggingConfig.logGroup) with retentionInDays, before the function.",
    config: {},
    kinds: [T.lambdaFunction],
    validate({ index, report, undecided }) {
        const managed = new Set(index.of(T.logGroup).map((g) => readString(() => g.props.name)).filter((n): n is string => typeof n === "string"));
        for (const fn of index.of(T.lambdaFunction)) {
            const group = logGroupNameOf(fn);
            if (group instanceof Unknown) {
                // A name computed from another resource: a dependency edge on a log group still tells.
                if (index.refs(fn, "loggingConfig", T.logGroup).length === 0) undecided(group);
                continue;
            }
            if (group === undefined) continue;
            if (!managed.has(group)) report(fn.urn, `function ${fn.name} writes to ${group}, which the stack does not manage: Lambda creates it with no retention.`);
        }
    },
});

export const alarmActionsEnabled = resourceRule({
    name: "cloudwatch-alarm-actions-enabled",
    category: "governance",
    description: "CloudWatch alarms keep their actions enabled (actionsEnabled not false): an alarm that cannot act neither rolls back a deployment nor tells anyone.",
    anchors: ["CKV_AWS_319"],
    enforcementLevel: "mandatory",
    severity: "low",
    remediation: "remove actionsEnabled: false (the default is true).",
    config: {},
    kinds: [T.metricAlarm],
    validate(alarm, { report }) {
        if (readBoolean(() => alarm.actionsEnabled) === false) report("actionsEnabled is false.");
    },
});

export const lambdaRules = [
    runtimeSupported,
    reservedConcurrency,
    provisionedConcurrencyLimit,
    timeoutMemory,
    functionUrlAuth,
    functionUrlCors,
    permissionNotPublic,
    tracing,
    environmentKms,
    managedLogGroup,
    logRetention,
    logGroupKms,
    alarmActionsEnabled,
];
