/**
 * Where to watch what a `pulumi up` waits for: AWS console pages and CloudWatch Logs of the jobs,
 * the endpoint and the function, and the CLI command that follows a log. Every name here is known
 * before the resource exists (jobs are named by their spec), so a preview already prints them.
 */

/** Links and a log-following command for one thing the stack runs. */
export interface WatchLinks {
    /** Its page in the AWS console (status, metrics, links to its logs). */
    console: string;
    /** Its CloudWatch Logs, in the console. */
    logs: string;
    /** Follows its log from a terminal. */
    tail: string;
}

const consoleHost = (region: string) => `https://${region}.console.aws.amazon.com`;

/** The SageMaker console page of a training job, tuning job or endpoint. */
export function sageMakerConsoleUrl(region: string, kind: "training-job" | "tuning-job" | "endpoint" | "notebook", name: string): string {
    const fragment = { "training-job": "jobs", "tuning-job": "hyper-tuning-jobs", endpoint: "endpoints", notebook: "notebook-instances" }[kind];
    return `${consoleHost(region)}/sagemaker/home?region=${region}#/${fragment}/${encodeURIComponent(name)}`;
}

/**
 * The CloudWatch console's Logs page of a log group, with streams filtered by prefix. The console
 * reads its fragment URL-encoded twice, with `$` for `%`.
 */
export function logsConsoleUrl(region: string, logGroup: string, streamPrefix?: string): string {
    const console = (text: string) => encodeURIComponent(text).replace(/%/g, "$");
    const group = console(encodeURIComponent(logGroup));
    const filter = streamPrefix === undefined ? "" : console(`?logStreamNameFilter=${encodeURIComponent(streamPrefix)}`);
    return `${consoleHost(region)}/cloudwatch/home?region=${region}#logsV2:log-groups/log-group/${group}${filter}`;
}

export function logsTailCommand(region: string, logGroup: string, streamPrefix?: string): string {
    return `aws logs tail ${logGroup} --follow --region ${region}${streamPrefix === undefined ? "" : ` --log-stream-name-prefix ${streamPrefix}`}`;
}

/** SageMaker training jobs (tuning trials included) log to one group, one stream per host: `<job>/algo-1-...`. */
export const TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs";

/** A training job; its streams start with its name. */
export function trainingJobLinks(region: string, jobName: string): WatchLinks {
    return {
        console: sageMakerConsoleUrl(region, "training-job", jobName),
        logs: logsConsoleUrl(region, TRAINING_LOG_GROUP, jobName),
        tail: logsTailCommand(region, TRAINING_LOG_GROUP, jobName),
    };
}

/** A tuning job; its trials are training jobs named `<tuning job>-NNN-<suffix>`, so their streams share its name. */
export function tuningJobLinks(region: string, tuningJobName: string): WatchLinks {
    return {
        console: sageMakerConsoleUrl(region, "tuning-job", tuningJobName),
        logs: logsConsoleUrl(region, TRAINING_LOG_GROUP, tuningJobName),
        tail: logsTailCommand(region, TRAINING_LOG_GROUP, tuningJobName),
    };
}

/** An endpoint; SageMaker writes its containers' logs to `/aws/sagemaker/Endpoints/<endpoint>`. */
export function endpointLinks(region: string, endpointName: string): WatchLinks {
    const group = `/aws/sagemaker/Endpoints/${endpointName}`;
    return { console: sageMakerConsoleUrl(region, "endpoint", endpointName), logs: logsConsoleUrl(region, group), tail: logsTailCommand(region, group) };
}

/** A Lambda function and its log group `/aws/lambda/<function>`. */
export function functionLinks(region: string, functionName: string): WatchLinks {
    const group = `/aws/lambda/${functionName}`;
    return {
        console: `${consoleHost(region)}/lambda/home?region=${region}#/functions/${encodeURIComponent(functionName)}`,
        logs: logsConsoleUrl(region, group),
        tail: logsTailCommand(region, group),
    };
}
