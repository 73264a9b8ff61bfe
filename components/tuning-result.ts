import * as pulumi from "@pulumi/pulumi";
import { tuningJobConsoleUrl } from "./console-links";

/**
 * Waits for a hyperparameter tuning job and outputs its best training job, hyperparameters and
 * objective. The native HyperParameterTuningJob resource only starts the job; training runs
 * need its result, so `pulumi up` must wait here. A dynamic provider, because no provider
 * resource reads a tuning job's result.
 */

export interface TuningResultInputs {
    tuningJobName: string;
    region: string;
    /** Give up after this long (the job keeps running; a later `pulumi up` waits again). */
    waitTimeoutMinutes: number;
    pollSeconds: number;
    /** A progress line every this many minutes while waiting (state written before it existed has none: 5). */
    progressMinutes?: number;
}

export interface TuningResultOutputs extends TuningResultInputs {
    status: string;
    bestTrainingJobName: string;
    bestHyperparameters: Record<string, string>;
    objectiveMetric: string;
    objectiveValue: number;
}

/** What DescribeHyperParameterTuningJob says, reduced to what decides our next step. */
export interface TuningJobDescription {
    HyperParameterTuningJobStatus?: string;
    FailureReason?: string;
    HyperParameterTuningJobConfig?: {
        HyperParameterTuningJobObjective?: { MetricName?: string; Type?: string };
        ResourceLimits?: { MaxNumberOfTrainingJobs?: number };
    };
    TrainingJobStatusCounters?: { Completed?: number; InProgress?: number; RetryableError?: number; NonRetryableError?: number; Stopped?: number };
    BestTrainingJob?: {
        TrainingJobName?: string;
        TunedHyperParameters?: Record<string, string>;
        FinalHyperParameterTuningJobObjectiveMetric?: { MetricName?: string; Value?: number };
    };
}

export type TuningVerdict =
    | { done: false }
    | { done: true; result: Omit<TuningResultOutputs, keyof TuningResultInputs> };

/**
 * Decides, from one description, whether the job is still running, has a usable result, or
 * failed (thrown, with SageMaker's FailureReason). Pure, so the tests cover every status.
 */
export function judgeTuningJob(name: string, d: TuningJobDescription): TuningVerdict {
    const status = d.HyperParameterTuningJobStatus ?? "Unknown";
    if (status === "InProgress" || status === "Stopping") return { done: false };
    const best = d.BestTrainingJob;
    const usable = best?.TrainingJobName && best.TunedHyperParameters && best.FinalHyperParameterTuningJobObjectiveMetric?.Value !== undefined;
    if ((status === "Completed" || status === "Stopped") && usable) {
        return {
            done: true,
            result: {
                status,
                bestTrainingJobName: best.TrainingJobName!,
                // The console and the SDK quote categorical values ("\"64\""): hand train.py plain strings.
                bestHyperparameters: Object.fromEntries(
                    Object.entries(best.TunedHyperParameters!).map(([k, v]) => [k, v.replace(/^"(.*)"$/, "$1")]),
                ),
                objectiveMetric: best.FinalHyperParameterTuningJobObjectiveMetric!.MetricName ?? "",
                objectiveValue: best.FinalHyperParameterTuningJobObjectiveMetric!.Value!,
            },
        };
    }
    const reason = d.FailureReason ? `: ${d.FailureReason}` : status === "Completed" || status === "Stopped"
        ? ": no training job reported the objective metric (check train.py's log lines against training/metrics.json)"
        : "";
    throw new Error(`hyperparameter tuning job ${name} ended ${status}${reason}`);
}

/**
 * One line on how far the tuning job is: trials completed of the total, those running or failed,
 * and the best objective so far. Pure, so the tests pin its wording.
 */
export function describeTuningProgress(name: string, d: TuningJobDescription, waitedMinutes: number): string {
    const c = d.TrainingJobStatusCounters ?? {};
    const total = d.HyperParameterTuningJobConfig?.ResourceLimits?.MaxNumberOfTrainingJobs;
    const failed = (c.RetryableError ?? 0) + (c.NonRetryableError ?? 0);
    const counts = [`${c.InProgress ?? 0} running`, ...(failed > 0 ? [`${failed} failed`] : []), ...(c.Stopped ? [`${c.Stopped} stopped`] : [])];
    const objective = d.HyperParameterTuningJobConfig?.HyperParameterTuningJobObjective;
    const best = d.BestTrainingJob?.FinalHyperParameterTuningJobObjectiveMetric;
    const bestText = best?.Value !== undefined
        ? `best ${best.MetricName ?? objective?.MetricName ?? "objective"} so far ${Number(best.Value.toFixed(6))} (${objective?.Type === "Maximize" ? "higher" : "lower"} is better; trial ${d.BestTrainingJob?.TrainingJobName})`
        : "no trial has reported the objective yet";
    return `tuning job ${name}: ${c.Completed ?? 0} of ${total ?? "?"} trials completed (${counts.join(", ")}); ${bestText}; waited ${Math.round(waitedMinutes)} min`;
}

/** Polls until the verdict is reached or the deadline passes. Serialised with the provider below. */
async function waitForTuningJob(inputs: TuningResultInputs): Promise<TuningResultOutputs> {
    // Imported here: Pulumi serialises this function into the state, and it must stay self-contained.
    const { SageMakerClient, DescribeHyperParameterTuningJobCommand } = await import("@aws-sdk/client-sagemaker");
    const client = new SageMakerClient({ region: inputs.region });
    const started = Date.now();
    const deadline = started + inputs.waitTimeoutMinutes * 60_000;
    const progressMs = (inputs.progressMinutes ?? 5) * 60_000;
    let nextProgress = started;
    console.log(`waiting for tuning job ${inputs.tuningJobName} (up to ${inputs.waitTimeoutMinutes} min): ${tuningJobConsoleUrl(inputs.region, inputs.tuningJobName)}`);
    for (;;) {
        const description = await client.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: inputs.tuningJobName }));
        const verdict = judgeTuningJob(inputs.tuningJobName, description);
        if (verdict.done) return { ...inputs, ...verdict.result };
        if (Date.now() >= nextProgress) {
            // The engine shows each line a dynamic provider writes to stdout as a diagnostic, while the step runs.
            console.log(describeTuningProgress(inputs.tuningJobName, description, (Date.now() - started) / 60_000));
            nextProgress += progressMs;
        }
        if (Date.now() > deadline) {
            throw new Error(`hyperparameter tuning job ${inputs.tuningJobName} still ${description.HyperParameterTuningJobStatus} after ${inputs.waitTimeoutMinutes} minutes; run pulumi up again to keep waiting, or raise mlops:tuning.waitTimeoutMinutes`);
        }
        await new Promise(resolve => setTimeout(resolve, inputs.pollSeconds * 1000));
    }
}

export const tuningResultProvider: pulumi.dynamic.ResourceProvider<TuningResultInputs, TuningResultOutputs> = {
    async create(inputs: TuningResultInputs) {
        const outs = await waitForTuningJob(inputs);
        return { id: inputs.tuningJobName, outs };
    },
    diff(_id: string, olds: TuningResultOutputs, news: TuningResultInputs) {
        // A new tuning job means a new result; timeouts and polling only change how we wait.
        const replace = olds.tuningJobName !== news.tuningJobName || olds.region !== news.region;
        const waiting = olds.waitTimeoutMinutes !== news.waitTimeoutMinutes || olds.pollSeconds !== news.pollSeconds || olds.progressMinutes !== news.progressMinutes;
        return Promise.resolve({ changes: replace || waiting, replaces: replace ? ["tuningJobName"] : [] });
    },
    update(_id: string, olds: TuningResultOutputs, news: TuningResultInputs) {
        return Promise.resolve({ outs: { ...olds, ...news } });
    },
    async read(id: string, props?: TuningResultOutputs) {
        // `pulumi refresh` hands back the recorded state; an import by id alone has nothing to read from.
        if (!props) throw new Error(`tuning result ${id} cannot be imported by id: the program creates it from the job it names`);
        return { id, props: await waitForTuningJob(props) };
    },
    // Nothing to delete: the tuning job belongs to the HyperParameterTuningJob resource.
    async delete() {},
};

export interface TuningResultArgs {
    tuningJobName: pulumi.Input<string>;
    region: string;
    waitTimeoutMinutes: number;
    pollSeconds?: number;
    progressMinutes?: number;
}

export class TuningResult extends pulumi.dynamic.Resource {
    declare readonly status: pulumi.Output<string>;
    declare readonly bestTrainingJobName: pulumi.Output<string>;
    declare readonly bestHyperparameters: pulumi.Output<Record<string, string>>;
    declare readonly objectiveMetric: pulumi.Output<string>;
    declare readonly objectiveValue: pulumi.Output<number>;

    constructor(name: string, args: TuningResultArgs, opts?: pulumi.CustomResourceOptions) {
        super(tuningResultProvider, name, {
            tuningJobName: args.tuningJobName,
            region: args.region,
            waitTimeoutMinutes: args.waitTimeoutMinutes,
            pollSeconds: args.pollSeconds ?? 60,
            progressMinutes: args.progressMinutes ?? 5,
            status: undefined,
            bestTrainingJobName: undefined,
            bestHyperparameters: undefined,
            objectiveMetric: undefined,
            objectiveValue: undefined,
        }, opts);
    }
}
