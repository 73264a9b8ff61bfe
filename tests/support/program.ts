import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import type { JobLinks } from "../../components/console-links";
import type { PlanResource } from "../../plan/policy-engine";
import { ProgramRun, runProgram } from "../../plan/run-program";
import { type ArgsOfClass, type AwsClass, type OutputsOfClass, tokenOf } from "../../policies/lib/resource-types";

export const PROJECT_DIR = path.join(__dirname, "..", "..");
const PROGRAM = path.join(PROJECT_DIR, "index.ts");
/** The offline plan's sample manifest: a small dataset in the dogImages layout. */
export const SAMPLE_MANIFEST = fs.readFileSync(path.join(PROJECT_DIR, "plan", "sample-dataset-manifest.json"), "utf8");

type Overrides = Record<string, unknown>;

function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep merge for config objects; lists and scalars replace. `undefined` deletes a key. */
function merge(base: unknown, over: unknown): unknown {
    if (!isObject(base) || !isObject(over)) return over;
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
        if (v === undefined) delete out[k];
        else out[k] = merge(base[k], v);
    }
    return out;
}

export interface StackRunOptions {
    /**
     * The dataset manifest's text in the stack's bucket (default: the sample manifest, so that the
     * stack trains and serves); `null`: no dataset uploaded yet, as on a new stack.
     */
    datasetManifest?: string | null;
    /** Keys under the dataset prefix without a manifest: an upload under way or cut off. */
    datasetKeys?: string[];
}

/**
 * Runs index.ts under the mocks for a stack, optionally with config overrides merged into the
 * stack's file (keys as in the file: `mlops:endpoint`), exactly as the offline plan runs it.
 */
export async function runStack(stack: "dev" | "prod", overrides: Overrides = {}, options: StackRunOptions = {}): Promise<ProgramRun> {
    const datasetManifest = options.datasetManifest === null ? undefined : options.datasetManifest ?? SAMPLE_MANIFEST;
    const base = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-stack-"));
    try {
        fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
        fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), YAML.stringify({ config: merge(base.config, overrides) }));
        // The program registers resources when it is loaded: load it afresh for every run.
        delete require.cache[require.resolve(PROGRAM)];
        return await runProgram({ stack, program: PROGRAM, projectDir: dir, datasetManifest, datasetKeys: options.datasetKeys });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

export function ofType(run: ProgramRun, type: string): PlanResource[] {
    return run.resources.filter(r => r.type === type);
}

export function one(run: ProgramRun, type: string, nameIncludes = ""): PlanResource {
    const found = ofType(run, type).filter(r => r.name.includes(nameIncludes));
    if (found.length !== 1) {
        throw new Error(`expected exactly one ${type}${nameIncludes ? ` named *${nameIncludes}*` : ""}, found ${found.map(r => r.name).join(", ") || "none"}`);
    }
    return found[0];
}

/** A resource whose inputs are typed as its class's Args, resolved (what the program passed). */
export type TypedResource<C extends AwsClass> = Omit<PlanResource, "props"> & { props: ArgsOfClass<C> };

/** `r`'s inputs typed as `cls`'s Args; throws when `r` is of another type. */
export function typed<C extends AwsClass>(r: PlanResource, cls: C): TypedResource<C> {
    const token = tokenOf(cls);
    if (r.type !== token) throw new Error(`${r.name} is a ${r.type}, not a ${token}`);
    return r as unknown as TypedResource<C>;
}

/** The resources of `cls`'s type, typed. */
export function allOf<C extends AwsClass>(run: ProgramRun, cls: C): TypedResource<C>[] {
    return ofType(run, tokenOf(cls)).map((r) => typed(r, cls));
}

/** The one resource of `cls`'s type (whose name includes `nameIncludes`), typed. */
export function oneOf<C extends AwsClass>(run: ProgramRun, cls: C, nameIncludes = ""): TypedResource<C> {
    return typed(one(run, tokenOf(cls), nameIncludes), cls);
}

/** The outputs the mocks gave a resource (ids, ARNs, names) merged over its inputs. */
export function outputsOf(r: PlanResource): Record<string, unknown> {
    return { ...r.props, ...(r.outputs ?? {}) };
}

/** The parent's type, from the URN's type chain (`...::parentType$childType::name`). */
export function parentTypeOf(r: PlanResource): string | undefined {
    const chain = r.urn.split("::")[2].split("$");
    return chain.length > 1 ? chain[chain.length - 2] : undefined;
}

// --- Typed reads of stack outputs, JSON documents and assets, for tests that would otherwise cast.

/** `value`, asserted set: a test reading a nested optional input fails naming it, not with a TypeError. */
export function defined<T>(value: T | null | undefined, what: string): T {
    if (value === undefined || value === null) throw new assert.AssertionError({ message: `${what} is not set`, actual: value });
    return value;
}

/** `r`'s outputs merged over its inputs (as `outputsOf`), typed as `cls`'s resolved outputs; throws when `r` is of another type. */
export function typedOutputs<C extends AwsClass>(r: PlanResource, cls: C): OutputsOfClass<C> {
    typed(r, cls);
    return outputsOf(r) as OutputsOfClass<C>;
}

/** The outputs of the one resource of `cls`'s type (whose name includes `nameIncludes`), typed. */
export function outputsOfOne<C extends AwsClass>(run: ProgramRun, cls: C, nameIncludes = ""): OutputsOfClass<C> {
    return typedOutputs(one(run, tokenOf(cls), nameIncludes), cls);
}

/** One training in the `trainingJobs` output. */
export interface TrainingJobOutput {
    jobName: string;
    arn: string;
    modelDataUrl: string;
    /** The run's final metrics by name; absent where no model release reads them. */
    metrics?: Record<string, number>;
    links: JobLinks;
}

/**
 * The stack outputs as index.ts exports them (plain JSON). A part that is switched off, or that
 * waits for the dataset, has no output: its keys are optional.
 */
export interface StackOutputs {
    bucketName: string;
    datasetUri: string;
    dataset: { status: string; manifestUri?: string; contentHash?: string; uploadCommand: string };
    trainingCodeUri: string;
    notebookName?: string;
    notebookUrl?: string;
    notebookConsoleUrl?: string;
    budgetName?: string;
    encryptionKeyArn?: string;
    tuningJobName?: string;
    tuningJobLinks?: JobLinks;
    bestHyperparameters?: Record<string, string>;
    bestObjectiveValue?: number;
    trainingJobs?: Record<string, TrainingJobOutput>;
    qualityGate?: { run: string; metric: string; value: number; minimum: number; comparedWith: string };
    deployedModelDataUrl?: string;
    endpointName?: string;
    endpointLinks?: JobLinks;
    functionName?: string;
    functionInvokeArn?: string;
    functionAliasArn?: string;
    functionLinks?: JobLinks;
    dashboardUrl?: string;
    frontDoorUrl?: string;
    trainerInstanceId?: string;
    trainerOutputUri?: string;
}

/** The stack outputs of a run (or of a plan's report), typed as the program exports them. */
export function stackOutputs(run: Pick<ProgramRun, "outputs">): StackOutputs {
    return run.outputs as unknown as StackOutputs;
}

/** The JSON document in a string input (an IAM policy, a dashboard body), as the shape the test declares. */
export function parseJson<T>(text: unknown, what: string): T {
    if (typeof text !== "string") throw new assert.AssertionError({ message: `${what} is not a JSON string`, actual: text });
    return JSON.parse(text) as T;
}

/** An asset or archive as the engine marshals it: its signature, then its path, text or assets. */
export interface SerializedAsset {
    path?: string;
    text?: string;
    uri?: string;
    assets?: Record<string, SerializedAsset>;
}

/** `value` read as a marshalled asset or archive; fails when it carries neither signature. */
export function serializedAsset(value: unknown, what: string): SerializedAsset {
    const sig = isObject(value) ? value[pulumi.runtime.specialSigKey] : undefined;
    if (sig !== pulumi.runtime.specialAssetSig && sig !== pulumi.runtime.specialArchiveSig) {
        throw new assert.AssertionError({ message: `${what} is not a marshalled asset or archive`, actual: value });
    }
    return value as SerializedAsset;
}

