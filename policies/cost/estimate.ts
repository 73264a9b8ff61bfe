// The stack's cost estimate, from the one price table (./prices). Pure: the cost policy calls it on
// the stack's resources and the offline plan prints it. Linear: one pass to index, one to price.
//
// What is estimated:
// - always-on monthly USD (730 h): notebooks (as if never stopped), endpoint instance variants
//   (at autoscaling minCapacity, else initialInstanceCount), Lambda provisioned concurrency, EC2
//   instances and spot requests that do not terminate themselves (with every EBS volume they
//   declare), standalone EBS volumes, KMS keys and replicas, CloudWatch alarms; plus the peak month
//   with every endpoint variant at its autoscaling maxCapacity;
// - worst-case USD of one run of each TrainingJob (instances x maxRuntime), of each tuning job
//   (every allowed training job at its maxRuntime, capped by the tuning job's own runtime limit),
//   and of each self-terminating EC2 trainer (EC2_TRAINER_RUN_HOURS);
// - what could not be priced (unknown instance type, unknown value during preview) is listed, never
//   silently counted as zero.

import * as aws from "@pulumi/aws";
import {
    CLOUDWATCH_ALARM_USD_PER_MONTH,
    EBS_IOPS_USD_PER_MONTH,
    EBS_USD_PER_GB_MONTH,
    EC2_TRAINER_RUN_HOURS,
    EC2_USD_PER_HOUR,
    HOURS_PER_MONTH,
    KMS_KEY_USD_PER_MONTH,
    LAMBDA_PROVISIONED_USD_PER_GB_SECOND,
    PRICES_AS_OF,
    PRICE_REGION,
    SAGEMAKER_STORAGE_USD_PER_GB_MONTH,
    SAGEMAKER_USD_PER_HOUR,
    SPOT_DISCOUNT,
} from "./prices";
import { type TrainingSpec, trainingJobSpecs, tuningJobSpecs, tuningLimits } from "../lib/training";
import { type Volume, instanceVolumes, standaloneVolume } from "../lib/ec2";
import { Unknown, peek, peekEach, readNumber, readString } from "../lib/preview";
import { type ArgsOf, type Kind, RESOURCE_TYPES as T, kindOfToken, tokenOf } from "../lib/resource-types";

export interface CostResource {
    type: string;
    name: string;
    urn: string;
    props: Record<string, unknown>;
}

export interface CostLine {
    urn: string;
    name: string;
    type: string;
    /** What is priced, with the arithmetic: "ml.m5.large x 1 x 730 h x $0.115". */
    description: string;
    usd: number;
}

export interface RunCost extends CostLine {
    hours: number;
    spot: boolean;
    /** The same run at on-demand prices (what a spot run can cost at most). */
    onDemandUsd: number;
}

export interface Unpriced {
    urn: string;
    name: string;
    type: string;
    reason: string;
}

export interface CostEstimate {
    pricesAsOf: string;
    region: string;
    currency: "USD";
    monthly: { totalUsd: number; lines: CostLine[] };
    /** Always-on month with every autoscaled endpoint variant at maxCapacity. */
    peakMonthlyUsd: number;
    trainingRuns: RunCost[];
    tuningJobs: RunCost[];
    ec2Runs: RunCost[];
    unpriced: Unpriced[];
    assumptions: string[];
}

export interface EstimateOptions {
    /** Apply SPOT_DISCOUNT to spot training and spot EC2 (default true). */
    applySpotDiscount?: boolean;
}

/** AWS's default StoppingCondition.MaxRuntimeInSeconds when none is given: one day. */
const DEFAULT_MAX_RUNTIME_SECONDS = 86400;

/** A value for a message: unknown values read as "(unknown)". */
const show = (v: unknown) => (v instanceof Unknown ? "(unknown)" : String(v));
const usd = (n: number) => `$${n < 1 ? n.toFixed(4).replace(/0+$/, "").replace(/\.$/, "") : n.toFixed(2)}`;
const round2 = (n: number) => Math.round(n * 100) / 100;

export function estimateStackCost(resources: CostResource[], options: EstimateOptions = {}): CostEstimate {
    const applySpot = options.applySpotDiscount ?? true;
    const spotFactor = applySpot ? 1 - SPOT_DISCOUNT : 1;
    const lines: CostLine[] = [];
    const trainingRuns: RunCost[] = [];
    const tuningJobs: RunCost[] = [];
    const ec2Runs: RunCost[] = [];
    const unpriced: Unpriced[] = [];
    let peakExtra = 0;

    const byKind = new Map<Kind, CostResource[]>();
    for (const r of resources) {
        const kind = kindOfToken(r.type);
        if (!kind) continue;
        const list = byKind.get(kind);
        if (list) list.push(r);
        else byKind.set(kind, [r]);
    }
    /** The resources of a kind, with its props typed as that kind's inputs (outputs share the shape). */
    const of = <K extends Kind>(kind: K) => (byKind.get(kind) ?? []) as (CostResource & { props: ArgsOf<K> })[];
    const line = (r: CostResource, description: string, amount: number) => lines.push({ urn: r.urn, name: r.name, type: r.type, description, usd: round2(amount) });
    const miss = (r: CostResource, reason: string) => unpriced.push({ urn: r.urn, name: r.name, type: r.type, reason });

    // Notebooks: instance + ML storage, as if never stopped (the idle-stop lifecycle only lowers this).
    for (const nb of of(T.notebook)) {
        const type = readString(() => nb.props.instanceType);
        const price = typeof type === "string" ? SAGEMAKER_USD_PER_HOUR[type] : undefined;
        if (price === undefined) {
            miss(nb, `no price for notebook instance type ${show(type)}`);
            continue;
        }
        const volume = readNumber(() => nb.props.volumeSize);
        const gb = typeof volume === "number" ? volume : 5;
        line(nb, `notebook ${show(type)} x ${HOURS_PER_MONTH} h x ${usd(price)} + ${gb} GB x ${usd(SAGEMAKER_STORAGE_USD_PER_GB_MONTH)}`, price * HOURS_PER_MONTH + gb * SAGEMAKER_STORAGE_USD_PER_GB_MONTH);
    }

    // Endpoints: the instance variants of each deployed endpoint configuration.
    const targets = new Map<string, { min?: number; max?: number }>();
    for (const t of of(T.scalingTarget)) {
        const rid = readString(() => t.props.resourceId);
        if (typeof rid !== "string" || !rid.startsWith("endpoint/")) continue;
        const min = readNumber(() => t.props.minCapacity);
        const max = readNumber(() => t.props.maxCapacity);
        targets.set(rid, { min: typeof min === "number" ? min : undefined, max: typeof max === "number" ? max : undefined });
    }
    const configs = of(T.endpointConfig);
    type ConfigResource = (typeof configs)[number];
    const configKeys = new Map<string, ConfigResource>();
    for (const c of configs) {
        const outputs = c.props as { name?: string; id?: string; arn?: string };
        for (const k of [c.name, c.urn, peek(() => outputs.name), peek(() => outputs.id), peek(() => outputs.arn)]) if (typeof k === "string") configKeys.set(k, c);
    }
    // Inputs (rather than outputs) of an auto-named config carry only its namePrefix.
    const prefixed = configs
        .map((c) => ({ c, prefix: peek(() => (c.props as { namePrefix?: string }).namePrefix) }))
        .filter((x): x is { c: ConfigResource; prefix: string } => typeof x.prefix === "string" && x.prefix !== "");
    const deployed = new Map<ConfigResource, string[]>(); // config -> endpoint names
    const unmatched: string[] = [];
    for (const e of of(T.endpoint)) {
        const ref = readString(() => e.props.endpointConfigName);
        const cfg = typeof ref === "string" ? (configKeys.get(ref) ?? prefixed.find((x) => ref.startsWith(x.prefix))?.c) : undefined;
        const endpointName = readString(() => e.props.name);
        const name = typeof endpointName === "string" ? endpointName : e.name;
        if (cfg) deployed.set(cfg, [...(deployed.get(cfg) ?? []), name]);
        else unmatched.push(name);
    }
    // Preview: an endpoint's config name may be unknown. One unmatched endpoint and one unmatched
    // config are each other's; otherwise every unmatched config is priced as deployed once.
    if (unmatched.length > 0) {
        const rest = configs.filter((c) => !deployed.has(c));
        if (rest.length === 1 && unmatched.length === 1) deployed.set(rest[0], unmatched);
        else for (const c of rest) deployed.set(c, []);
    }
    for (const [cfg, endpointNames] of deployed) {
        const variants = peek(() => cfg.props.productionVariants);
        if (variants instanceof Unknown) {
            miss(cfg, "productionVariants unknown");
            continue;
        }
        peekEach(variants).forEach((v, i) => {
            if (v instanceof Unknown) {
                miss(cfg, `productionVariants[${i}] unknown`);
                return;
            }
            const variant = readString(() => v.variantName);
            const vname = typeof variant === "string" ? variant : `#${i}`;
            const serverless = peek(() => v.serverlessConfig);
            if (serverless) {
                if (serverless instanceof Unknown || readNumber(() => serverless.provisionedConcurrency) !== undefined) miss(cfg, `variant ${vname}: serverless provisioned concurrency is not in the price table`);
                return; // serverless: billed per request, nothing always-on
            }
            const type = readString(() => v.instanceType);
            const price = typeof type === "string" ? SAGEMAKER_USD_PER_HOUR[type] : undefined;
            if (price === undefined) {
                miss(cfg, `variant ${vname}: no price for instance type ${show(type)}`);
                return;
            }
            const initial = readNumber(() => v.initialInstanceCount);
            const scaling = endpointNames.map((n) => targets.get(`endpoint/${n}/variant/${vname}`)).find((t) => t);
            const base = scaling?.min ?? (typeof initial === "number" ? initial : 1);
            const peak = Math.max(base, scaling?.max ?? base);
            const copies = Math.max(1, endpointNames.length);
            line(cfg, `endpoint variant ${vname} ${show(type)} x ${base} x ${HOURS_PER_MONTH} h x ${usd(price)}${copies > 1 ? ` x ${copies} endpoints` : ""}`, price * base * HOURS_PER_MONTH * copies);
            peakExtra += price * (peak - base) * HOURS_PER_MONTH * copies;
        });
    }

    // Lambda provisioned concurrency: GB configured x seconds in a month.
    const functions = of(T.lambdaFunction);
    const fnKeys = new Map<string, CostResource>();
    for (const f of functions) {
        const outputs = f.props as { name?: string; arn?: string; id?: string };
        for (const k of [f.name, f.urn, peek(() => outputs.name), peek(() => outputs.arn), peek(() => outputs.id)]) if (typeof k === "string") fnKeys.set(k, f);
    }
    for (const pc of of(T.provisionedConcurrency)) {
        const n = readNumber(() => pc.props.provisionedConcurrentExecutions);
        const ref = readString(() => pc.props.functionName);
        const fn = (typeof ref === "string" ? fnKeys.get(ref) : undefined) ?? (functions.length === 1 ? functions[0] : undefined);
        const mem = fn ? readNumber(() => (fn.props as ArgsOf<typeof T.lambdaFunction>).memorySize) : undefined;
        if (typeof n !== "number" || !fn) {
            miss(pc, typeof n !== "number" ? "provisionedConcurrentExecutions unknown" : "its function is not in the stack");
            continue;
        }
        const gb = (typeof mem === "number" ? mem : 128) / 1024;
        const seconds = HOURS_PER_MONTH * 3600;
        line(pc, `Lambda provisioned concurrency ${n} x ${gb} GB x ${seconds} s x $${LAMBDA_PROVISIONED_USD_PER_GB_SECOND}`, n * gb * seconds * LAMBDA_PROVISIONED_USD_PER_GB_SECOND);
    }

    // EBS volumes: a priced volume is its GB-month (plus provisioned IOPS for io1/io2).
    const volumeCost = (r: CostResource, v: Volume): { usd: number; what: string } | undefined => {
        const type = v.type instanceof Unknown ? undefined : (v.type ?? "gp3");
        const perGb = type ? EBS_USD_PER_GB_MONTH[type] : undefined;
        const gb = v.sizeGb instanceof Unknown ? undefined : (v.sizeGb ?? (v.root ? 8 : undefined));
        if (perGb === undefined || gb === undefined) {
            miss(r, `${v.where}: no price for EBS volume ${type === undefined ? "(unknown type)" : type} of ${gb === undefined ? "(unknown) " : `${gb} `}GB`);
            return undefined;
        }
        const iops = typeof v.iops === "number" && EBS_IOPS_USD_PER_MONTH[type!] !== undefined ? v.iops : 0;
        const iopsUsd = iops * (EBS_IOPS_USD_PER_MONTH[type!] ?? 0);
        return { usd: gb * perGb + iopsUsd, what: `${gb} GB ${type}${iops ? ` + ${iops} IOPS` : ""}` };
    };

    // EC2: a self-terminating trainer is a run; anything else is always-on. A spot request is spot.
    for (const i of of(T.ec2Instance)) {
        const type = readString(() => i.props.instanceType);
        const price = typeof type === "string" ? EC2_USD_PER_HOUR[type] : undefined;
        if (price === undefined) {
            miss(i, `no price for EC2 instance type ${show(type)}`);
            continue;
        }
        const spot = i.type === tokenOf(aws.ec2.SpotInstanceRequest) || readString(() => (i.props as ArgsOf<typeof T.ec2Instance> & { instanceMarketOptions?: { marketType?: string } }).instanceMarketOptions?.marketType) === "spot";
        const { root, volumes } = instanceVolumes(i.props);
        // The root volume exists whether declared or not (8 GB gp3 when the program leaves it to the AMI).
        const disks = (root ? volumes : [{ where: "root volume", root: true, encrypted: undefined, kmsKeyId: undefined, sizeGb: 8, type: "gp3", iops: undefined }, ...volumes]).map((v) => volumeCost(i, v));
        if (disks.some((d) => d === undefined)) continue;
        const diskUsdPerMonth = disks.reduce((sum, d) => sum + d!.usd, 0);
        const diskLabel = disks.map((d) => d!.what).join(" + ");
        if (readString(() => i.props.instanceInitiatedShutdownBehavior) === "terminate") {
            const onDemand = price * EC2_TRAINER_RUN_HOURS + (diskUsdPerMonth * EC2_TRAINER_RUN_HOURS) / HOURS_PER_MONTH;
            const cost = spot ? onDemand * spotFactor : onDemand;
            ec2Runs.push({
                urn: i.urn, name: i.name, type: i.type, hours: EC2_TRAINER_RUN_HOURS, spot, onDemandUsd: round2(onDemand), usd: round2(cost),
                description: `${show(type)} x ${EC2_TRAINER_RUN_HOURS} h x ${usd(price)}${spot && applySpot ? ` x (1 - ${SPOT_DISCOUNT}) spot` : ""} + ${diskLabel}`,
            });
        } else {
            const factor = spot ? spotFactor : 1;
            line(i, `EC2 ${show(type)} x ${HOURS_PER_MONTH} h x ${usd(price)}${spot && applySpot ? ` x (1 - ${SPOT_DISCOUNT}) spot` : ""} + ${diskLabel}`, price * HOURS_PER_MONTH * factor + diskUsdPerMonth);
        }
    }
    for (const v of of(T.ebsVolume)) {
        const c = volumeCost(v, standaloneVolume(v.props));
        if (c) line(v, `EBS volume ${c.what}`, c.usd);
    }

    for (const k of [...of(T.kmsKey), ...of(T.kmsReplicaKey)]) line(k, `KMS key ${usd(KMS_KEY_USD_PER_MONTH)}/month`, KMS_KEY_USD_PER_MONTH);
    for (const a of of(T.metricAlarm)) line(a, `CloudWatch alarm ${usd(CLOUDWATCH_ALARM_USD_PER_MONTH)}/month`, CLOUDWATCH_ALARM_USD_PER_MONTH);

    // Training and tuning runs.
    const specCost = (r: CostResource, s: TrainingSpec): { hourly: number; hours: number; what: string } | undefined => {
        let hourly = 0;
        const parts: string[] = [];
        for (const pool of s.instances) {
            const type = pool.instanceType;
            const price = typeof type === "string" ? SAGEMAKER_USD_PER_HOUR[type] : undefined;
            if (price === undefined) {
                miss(r, `${s.where ? `${s.where}: ` : ""}no price for training instance type ${show(type)}`);
                return undefined;
            }
            const count = typeof pool.instanceCount === "number" ? pool.instanceCount : 1;
            hourly += price * count;
            parts.push(`${show(type)} x ${count} x ${usd(price)}`);
        }
        const seconds = typeof s.maxRuntimeSeconds === "number" ? s.maxRuntimeSeconds : DEFAULT_MAX_RUNTIME_SECONDS;
        return { hourly, hours: seconds / 3600, what: parts.join(" + ") };
    };
    for (const job of of(T.trainingJob)) {
        for (const s of trainingJobSpecs(job.props)) {
            const c = specCost(job, s);
            if (!c) continue;
            const spot = s.spot === true;
            const onDemand = c.hourly * c.hours;
            trainingRuns.push({
                urn: job.urn, name: job.name, type: job.type, hours: round2(c.hours), spot, onDemandUsd: round2(onDemand), usd: round2(spot ? onDemand * spotFactor : onDemand),
                description: `${c.what} x ${round2(c.hours)} h max runtime${spot && applySpot ? ` x (1 - ${SPOT_DISCOUNT}) spot` : ""}`,
            });
        }
    }
    for (const job of of(T.tuningJob)) {
        const limits = tuningLimits(job.props);
        if (typeof limits.maxJobs !== "number") {
            miss(job, "config.resourceLimits.maxNumberOfTrainingJobs is not set: the tuning job's cost is unbounded");
            continue;
        }
        const specs = tuningJobSpecs(job.props);
        const costs = specs.map((s) => ({ s, c: specCost(job, s) }));
        if (costs.length === 0 || costs.some((x) => !x.c)) continue;
        // Several definitions: each training job uses one of them; price every job at the dearest.
        const worst = costs.reduce((a, b) => (b.c!.hourly * b.c!.hours > a.c!.hourly * a.c!.hours ? b : a));
        let hours = worst.c!.hours * limits.maxJobs;
        let onDemand = worst.c!.hourly * hours;
        let description = `${limits.maxJobs} jobs x (${worst.c!.what}) x ${round2(worst.c!.hours)} h`;
        // The tuning job's own runtime limit caps the total: at most maxParallel jobs run at once.
        if (typeof limits.maxRuntimeSeconds === "number" && typeof limits.maxParallel === "number") {
            const capped = worst.c!.hourly * limits.maxParallel * (limits.maxRuntimeSeconds / 3600);
            if (capped < onDemand) {
                onDemand = capped;
                hours = (limits.maxParallel * limits.maxRuntimeSeconds) / 3600;
                description = `${limits.maxParallel} parallel x (${worst.c!.what}) x ${round2(limits.maxRuntimeSeconds / 3600)} h tuning runtime limit`;
            }
        }
        const spot = worst.s.spot === true;
        tuningJobs.push({
            urn: job.urn, name: job.name, type: job.type, hours: round2(hours), spot, onDemandUsd: round2(onDemand), usd: round2(spot ? onDemand * spotFactor : onDemand),
            description: `${description}${spot && applySpot ? ` x (1 - ${SPOT_DISCOUNT}) spot` : ""}`,
        });
    }

    const totalUsd = round2(lines.reduce((s, l) => s + l.usd, 0));
    return {
        pricesAsOf: PRICES_AS_OF,
        region: PRICE_REGION,
        currency: "USD",
        monthly: { totalUsd, lines },
        peakMonthlyUsd: round2(totalUsd + peakExtra),
        trainingRuns,
        tuningJobs,
        ec2Runs,
        unpriced,
        assumptions: [
            `${PRICE_REGION} on-demand list prices as of ${PRICES_AS_OF} (policies/cost/prices.ts), whatever region the stack deploys to`,
            `always-on = ${HOURS_PER_MONTH} h/month; notebooks priced as if never stopped by their idle lifecycle`,
            "endpoint variants at autoscaling minCapacity (else initialInstanceCount); peak month at maxCapacity",
            "serverless endpoints, Lambda requests, S3 storage/requests, CloudWatch Logs and data transfer are usage-billed and not estimated",
            applySpot
                ? `spot training and spot EC2 at ${Math.round(SPOT_DISCOUNT * 100)}% below on-demand (assumption SPOT_DISCOUNT; a spot run never costs more than its onDemandUsd)`
                : "no spot discount applied: spot runs priced at on-demand",
            `a training run lasts its stoppingCondition.maxRuntimeInSeconds (AWS default ${DEFAULT_MAX_RUNTIME_SECONDS / 3600} h when unset)`,
            `a tuning job runs maxNumberOfTrainingJobs jobs at their max runtime, capped by its own maxRuntimeInSeconds x maxParallelTrainingJobs`,
            `a self-terminating EC2 trainer runs at most ${EC2_TRAINER_RUN_HOURS} h (assumption EC2_TRAINER_RUN_HOURS)`,
            "EBS volumes at their type's GB-month price (an undeclared root volume as 8 GB gp3), io1/io2 plus provisioned IOPS",
        ],
    };
}
