/**
 * Links into the AWS console for what the stack runs: a training or tuning job's page, its logs,
 * the stack's dashboard. Plain functions of the region and names, so stack outputs, the dashboard
 * and the docs build the same URLs.
 */

/** The console's host for a region: commercial, China and GovCloud partitions differ. */
export function consoleOrigin(region: string): string {
    if (region.startsWith("cn-")) return "https://console.amazonaws.cn";
    if (region.startsWith("us-gov-")) return "https://console.amazonaws-us-gov.com";
    return `https://${region}.console.aws.amazon.com`;
}

/**
 * The CloudWatch console keeps its own state in the URL fragment, where it escapes `%` as `$25`
 * (so an encoded `/` is `$252F`), `?` as `$3F` and `=` as `$3D`.
 */
function cloudWatchFragment(value: string): string {
    return encodeURIComponent(value).replace(/%/g, "$25");
}

/** Every SageMaker training job (and each tuning trial) logs here, one stream per host: `<job>/algo-1-...`. */
export const TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs";

export function trainingJobConsoleUrl(region: string, jobName: string): string {
    return `${consoleOrigin(region)}/sagemaker/home?region=${region}#/jobs/${encodeURIComponent(jobName)}`;
}

export function tuningJobConsoleUrl(region: string, tuningJobName: string): string {
    return `${consoleOrigin(region)}/sagemaker/home?region=${region}#/hyper-tuning-jobs/${encodeURIComponent(tuningJobName)}`;
}

/**
 * The training log group filtered to streams whose name contains `streamFilter`: a job's name
 * shows its hosts' streams; a tuning job's name shows every trial's (trials are named after it).
 */
export function trainingLogsUrl(region: string, streamFilter: string): string {
    const group = cloudWatchFragment(TRAINING_LOG_GROUP);
    return `${consoleOrigin(region)}/cloudwatch/home?region=${region}#logsV2:log-groups/log-group/${group}` +
        `$3FlogStreamNameFilter$3D${cloudWatchFragment(streamFilter)}`;
}

export function dashboardUrl(region: string, dashboardName: string): string {
    return `${consoleOrigin(region)}/cloudwatch/home?region=${region}#dashboards/dashboard/${encodeURIComponent(dashboardName)}`;
}

/** What a stack output says about one job: where to look at it and at its logs. */
export interface JobLinks {
    console: string;
    logs: string;
}

export const trainingJobLinks = (region: string, jobName: string): JobLinks =>
    ({ console: trainingJobConsoleUrl(region, jobName), logs: trainingLogsUrl(region, jobName) });

export const tuningJobLinks = (region: string, tuningJobName: string): JobLinks =>
    ({ console: tuningJobConsoleUrl(region, tuningJobName), logs: trainingLogsUrl(region, tuningJobName) });

/** A CloudWatch log group in the console. */
export function logGroupUrl(region: string, logGroup: string): string {
    return `${consoleOrigin(region)}/cloudwatch/home?region=${region}#logsV2:log-groups/log-group/${cloudWatchFragment(logGroup)}`;
}

/** The endpoint's page, and its containers' log group `/aws/sagemaker/Endpoints/<endpoint>` (a failing health check shows there). */
export const endpointLinks = (region: string, endpointName: string): JobLinks => ({
    console: `${consoleOrigin(region)}/sagemaker/home?region=${region}#/endpoints/${encodeURIComponent(endpointName)}`,
    logs: logGroupUrl(region, `/aws/sagemaker/Endpoints/${endpointName}`),
});

/** The function's page, and its log group `/aws/lambda/<function>`. */
export const functionLinks = (region: string, functionName: string): JobLinks => ({
    console: `${consoleOrigin(region)}/lambda/home?region=${region}#/functions/${encodeURIComponent(functionName)}`,
    logs: logGroupUrl(region, `/aws/lambda/${functionName}`),
});

/** The notebook instance's page (open Jupyter from there, or with a presigned URL). */
export const notebookConsoleUrl = (region: string, notebookName: string) =>
    `${consoleOrigin(region)}/sagemaker/home?region=${region}#/notebook-instances/${encodeURIComponent(notebookName)}`;
