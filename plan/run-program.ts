// Runs a Pulumi TypeScript program under Pulumi's mock runtime, as a preview, and returns every
// resource it registered the way the engine would hand it to a policy pack's analyzer.
//
// The lead's `plan/mocks.ts` answers data sources and invents realistic ids/ARNs; this module adds
// what an analyzer needs and `MockResourceArgs` does not carry (parent, dependencies, property
// dependencies, provider, options), by observing the mock monitor's `registerResource` requests.
// It also adds what the engine itself contributes: the root `pulumi:pulumi:Stack` resource (the
// program runs inside `runInPulumiStack`, as `@pulumi/pulumi/cmd/run` runs it) and the default
// provider of each package, which the engine registers for custom resources without a provider.

import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { describeError } from "./errors";
import { findProjectDir, loadStackConfig, readProjectName } from "./stack-config";

export { findProjectDir };
import { DEFAULT_ACCOUNT, PipelineMocks } from "./mocks";
import type * as resourcePb from "@pulumi/pulumi/proto/resource_pb";
import type { PlanResource, PlanResourceOptions } from "./analyzer-client";

/** The two calls of the mock monitor the plan observes (the SDK's monitor client has more overloads). */
interface MonitorCalls {
    registerResource(req: resourcePb.RegisterResourceRequest, callback: (err: Error | null, resp?: resourcePb.RegisterResourceResponse) => void): unknown;
    registerResourceOutputs(req: resourcePb.RegisterResourceOutputsRequest, callback: (err: Error | null, resp?: unknown) => void): unknown;
}

// The wire sentinels the SDK serializes secrets, resource references, output values and unknowns
// with (public exports of `pulumi.runtime`).
const rpc = pulumi.runtime;

/** The SDK's queue of outstanding RPCs; exported by `pulumi.runtime` but not in its typings. */
function waitForRPCs(): Promise<void> {
    const wait = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
    return wait ? wait() : new Promise((resolve) => setTimeout(resolve, 0));
}

let collecting = 0;

/** True while runProgram collects the program's failures itself (its own report supersedes). */
export function collectingProgramFailures(): boolean {
    return collecting > 0;
}

/** The program failed while it ran under the mocks (the real preview would fail too). */
export class ProgramError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ProgramError";
    }
}

export interface ProgramRun {
    project: string;
    stack: string;
    /** `aws:region` of the stack (the mocks answer for it). */
    region: string;
    /** Registration order, as the engine analyzes them; the stack resource first. */
    resources: PlanResource[];
    /** The stack outputs (the program's exports), as plain JSON. */
    outputs: Record<string, unknown>;
    /** The flat stack config the program ran with. */
    config: Record<string, string>;
}

interface Registration {
    type: string;
    name: string;
    parent: string;
    custom: boolean;
    inputs: Record<string, unknown>;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    provider: string;
    opts: PlanResourceOptions;
    urn?: string;
    id?: string;
    /** The mock's state (inputs + invented outputs), or a component's registered outputs. */
    outputs?: Record<string, unknown>;
}

/** Go `time.ParseDuration` subset used by custom timeouts ("5m", "1h30m", "90s") -> seconds. */
export function durationSeconds(text: string): number {
    if (!text) return 0;
    const units: Record<string, number> = { ns: 1e-9, us: 1e-6, "µs": 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
    let total = 0;
    let rest = text.trim();
    const re = /^([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)/;
    if (rest === "0") return 0;
    while (rest.length > 0) {
        const m = re.exec(rest);
        if (!m) throw new Error(`custom timeout ${JSON.stringify(text)} is not a duration like "30s", "10m" or "1h30m"`);
        total += parseFloat(m[1]) * units[m[2]];
        rest = rest.slice(m[0].length);
    }
    return total;
}

/**
 * Converts serialized inputs to what the engine marshals for an analyzer: secrets unwrapped,
 * resource references replaced by the referenced resource's id (custom) or URN (component),
 * unknowns kept as the unknown sentinel, assets/archives left as their signature objects, and
 * internal keys (`__provider` of dynamic resources, ...) dropped.
 */
export function toAnalyzerValue(value: unknown, idOf: (urn: string) => string | undefined): unknown {
    if (value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) return value.map((v) => toAnalyzerValue(v, idOf));
    const obj = value as Record<string, unknown>;
    const sig = obj[rpc.specialSigKey];
    if (sig === rpc.specialSecretSig) return toAnalyzerValue(obj.value, idOf);
    if (sig === rpc.specialResourceSig) {
        const urn = String(obj.urn);
        if ("id" in obj) {
            const id = typeof obj.id === "string" && obj.id !== "" ? obj.id : idOf(urn);
            return id === undefined || id === "" ? rpc.unknownValue : id;
        }
        return urn;
    }
    if (sig === rpc.specialOutputValueSig) {
        return "value" in obj ? toAnalyzerValue(obj.value, idOf) : rpc.unknownValue;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
        // The engine marshals analyzer properties with SkipInternalKeys: "__provider", "__defaults", ...
        if (k.startsWith("__")) continue;
        out[k] = toAnalyzerValue(v, idOf);
    }
    return out;
}

/**
 * The URN the engine gives a resource (pulumi/pulumi `Deployment.generateURN`): the parent's full
 * qualified type chain, except that the root stack's type is never part of it.
 */
export function engineUrn(stack: string, project: string, parent: string, type: string, name: string): string {
    const parentType = parent ? parent.split("::")[2] : "";
    const qualified = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${type}` : type;
    return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

function packageOf(type: string): string {
    return type.split(":")[0];
}

/** Version of the Node.js SDK that defines a package's resources (the default provider's version). */
function packageVersion(pkg: string): string | undefined {
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the package named by a type token, known only at run time
        return (require(`@pulumi/${pkg}/package.json`) as { version?: string }).version?.replace(/^v/, "");
    } catch {
        return undefined;
    }
}

export interface RunProgramOptions {
    stack: string;
    program: string;
    projectDir?: string;
    /** The dataset manifest's text, as the stack's bucket would hold it; none: no dataset uploaded yet. */
    datasetManifest?: string;
    /** Keys under the dataset prefix when there is no manifest (an unfinished upload). */
    datasetKeys?: string[];
}

export async function runProgram(opts: RunProgramOptions): Promise<ProgramRun> {
    const programFile = path.resolve(opts.program);
    if (!fs.existsSync(programFile)) throw new Error(`program ${opts.program} does not exist`);
    const projectDir = opts.projectDir ?? findProjectDir(programFile);
    const project = readProjectName(projectDir);
    const config = loadStackConfig(opts.stack, projectDir);
    const region = config["aws:region"] ?? DEFAULT_ACCOUNT.region;

    pulumi.runtime.setAllConfig(config);
    const mocks = new PipelineMocks({ region, accountId: DEFAULT_ACCOUNT.accountId }, { datasetManifest: opts.datasetManifest, datasetKeys: opts.datasetKeys });
    await pulumi.runtime.setMocks(mocks, project, opts.stack, /* preview */ true);

    const registrations: Registration[] = [];
    const byUrn = new Map<string, Registration>();
    // The mock monitor's URNs differ from the engine's (it prefixes the root stack's type and keeps
    // only the last ancestor type); the program and the pack get the engine's URN, the mock
    // monitor keeps its own for its bookkeeping.
    const mockUrnOf = new Map<string, string>();
    const monitor = pulumi.runtime.getMonitor() as unknown as MonitorCalls;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        const timeouts = req.getCustomtimeouts();
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((v, k) => {
            propertyDependencies[k] = v.getUrnsList();
        });
        const reg: Registration = {
            type: req.getType(),
            name: req.getName(),
            parent: req.getParent(),
            custom: req.getCustom(),
            inputs: (req.getObject()?.toJavaScript() as Record<string, unknown> | undefined) ?? {},
            dependencies: req.getDependenciesList(),
            propertyDependencies,
            provider: req.getProvider(),
            opts: {
                protect: req.getProtect() ?? false,
                ignoreChanges: req.getIgnorechangesList(),
                deleteBeforeReplace: req.getDeletebeforereplacedefined() ? req.getDeletebeforereplace() : undefined,
                additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
                aliases: [],
                customTimeouts: {
                    createSeconds: durationSeconds(timeouts?.getCreate() ?? ""),
                    updateSeconds: durationSeconds(timeouts?.getUpdate() ?? ""),
                    deleteSeconds: durationSeconds(timeouts?.getDelete() ?? ""),
                },
            },
        };
        registrations.push(reg);
        const urn = engineUrn(opts.stack, project, reg.parent, reg.type, reg.name);
        register(req, (err, resp) => {
            if (!err && resp) {
                mockUrnOf.set(urn, resp.getUrn());
                resp.setUrn(urn);
                reg.urn = urn;
                reg.id = resp.getId();
                reg.outputs = resp.getObject()?.toJavaScript() ?? {};
                byUrn.set(urn, reg);
            }
            callback(err, resp);
        });
    };
    const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req, callback) => {
        const reg = byUrn.get(req.getUrn());
        if (reg) reg.outputs = req.getOutputs()?.toJavaScript() ?? {};
        const mockUrn = mockUrnOf.get(req.getUrn());
        if (mockUrn) req.setUrn(mockUrn);
        registerOutputs(req, callback);
    };

    // A failed registration (a rejected input, a data source the mocks refuse) surfaces as an
    // unhandled rejection, possibly after the program has returned; the real preview fails on it,
    // so the plan collects them and fails too instead of reporting a partial stack.
    const failures = new Map<string, unknown>();
    const onRejection = (e: unknown) => {
        const key = e instanceof Error ? e.message : String(e);
        if (!failures.has(key)) failures.set(key, e);
    };
    process.on("unhandledRejection", onRejection);
    collecting++;
    let outputs: Record<string, unknown> | undefined;
    try {
        outputs = await pulumi.runtime.runInPulumiStack(async () => {
            // As @pulumi/pulumi/cmd/run does: a default export wins, and a function is called.
            // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program is loaded by path at run time, as the CLI loads it
            let exported = require(programFile) as unknown;
            if (exported && Object.getOwnPropertyDescriptor(exported, "default") !== undefined) exported = (exported as { default: unknown }).default;
            return (exported instanceof Function ? await (exported as () => unknown)() : exported) as Record<string, unknown>;
        });
        // Rejections are reported after the microtask queue drains, and a failed registration can
        // reject further outputs a few turns later: wait until the RPC queue is drained and the
        // event loop has turned twice in a row with nothing new.
        for (let quiet = 0, seen = -1; quiet < 2; ) {
            await waitForRPCs();
            await new Promise((resolve) => setTimeout(resolve, 0));
            quiet = failures.size === seen ? quiet + 1 : 0;
            seen = failures.size;
        }
    } finally {
        process.off("unhandledRejection", onRejection);
        collecting--;
    }
    if (failures.size > 0) {
        const details = [...failures.values()].map(describeError);
        throw new ProgramError(`the program failed during preview:\n${details.join("\n")}`);
    }

    return {
        project,
        stack: opts.stack,
        region,
        resources: toPlanResources(registrations, project, opts.stack, config),
        // Sorted by name, as the CLI lists outputs (and independent of the module loader's order).
        outputs: Object.fromEntries(
            Object.entries(JSON.parse(JSON.stringify(outputs ?? {}, (_k, v: unknown) => (v instanceof pulumi.Resource ? undefined : v))) as Record<string, unknown>).sort(([a], [b]) =>
                a < b ? -1 : a > b ? 1 : 0,
            ),
        ),
        config,
    };
}

function toPlanResources(regs: Registration[], project: string, stack: string, config: Record<string, string>): PlanResource[] {
    const idByUrn = new Map<string, string>();
    for (const r of regs) if (r.urn && r.custom && r.id) idByUrn.set(r.urn, r.id);
    const idOf = (urn: string) => idByUrn.get(urn);

    // Default providers: one per package of the custom resources that name no provider, as the
    // engine creates them (`default_<version>`), with the package's stack config as inputs.
    const defaultProviders = new Map<string, PlanResource>();
    const defaultProviderFor = (type: string): string => {
        const pkg = packageOf(type);
        let provider = defaultProviders.get(pkg);
        if (!provider) {
            const version = packageVersion(pkg);
            const name = version ? `default_${version.replace(/[.+-]/g, "_")}` : "default";
            const props: Record<string, unknown> = {};
            for (const [k, v] of Object.entries(config)) if (k.startsWith(`${pkg}:`)) props[k.slice(pkg.length + 1)] = v;
            if (version) props.version = version;
            const ptype = `pulumi:providers:${pkg}`;
            provider = { urn: `urn:pulumi:${stack}::${project}::${ptype}::${name}`, type: ptype, name, props };
            defaultProviders.set(pkg, provider);
        }
        // In a preview the id of a provider not yet created is unknown.
        return `${provider.urn}::${rpc.unknownValue}`;
    };

    const resources: PlanResource[] = [];
    for (const r of regs) {
        if (!r.urn) continue; // its registration failed; the program run reports that error
        const outputs = toAnalyzerValue(r.outputs ?? {}, idOf) as Record<string, unknown>;
        // Bridged (Terraform-based) providers such as aws report the id among the outputs too.
        if (r.custom && r.id && packageOf(r.type) === "aws" && outputs.id === undefined) outputs.id = r.id;
        const resource: PlanResource = {
            urn: r.urn,
            type: r.type,
            name: r.name,
            props: toAnalyzerValue(r.inputs, idOf) as Record<string, unknown>,
            outputs,
            dependencies: r.dependencies,
            propertyDependencies: r.propertyDependencies,
            opts: r.opts,
        };
        if (r.parent) resource.parent = r.parent;
        const isProvider = r.type.startsWith("pulumi:providers:");
        if (r.provider) resource.provider = r.provider;
        else if (r.custom && !isProvider) resource.provider = defaultProviderFor(r.type);
        resources.push(resource);
    }
    // The engine registers a default provider before its first resource; list them first after the stack.
    const [stackResource, ...rest] = resources;
    return stackResource?.type === "pulumi:pulumi:Stack"
        ? [stackResource, ...defaultProviders.values(), ...rest]
        : [...defaultProviders.values(), ...resources];
}
