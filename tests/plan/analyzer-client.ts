// Plays the Pulumi CLI's part towards a policy pack: launches the pack exactly as the CLI's
// `pulumi-analyzer-policy` does (node <resolved @pulumi/pulumi/cmd/run-policy-pack> <engine> .,
// in the pack's folder), reads the port it prints, and speaks the Analyzer gRPC protocol to it with
// the stubs shipped in @pulumi/pulumi/proto, building requests the way the CLI's Go analyzer
// plugin does (sdk/go/common/resource/plugin/analyzer_plugin.go).

import { ChildProcess, spawn } from "child_process";
import * as grpc from "@grpc/grpc-js";
import type { PlanResource } from "../../plan/policy-engine";
import { providerUrn } from "../../plan/policy-engine";
import type { ResolvedPolicyConfig } from "../../plan/policy-config";

// Generated protobuf/gRPC stubs (JavaScript without usable typings here).
// eslint-disable-next-line @typescript-eslint/no-var-requires
const analyzerPb: any = require("@pulumi/pulumi/proto/analyzer_pb");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const analyzerGrpc: any = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const structPb: any = require("google-protobuf/google/protobuf/struct_pb");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const emptyPb: any = require("google-protobuf/google/protobuf/empty_pb");

const LEVEL_TO_PROTO: Record<string, number> = {
    advisory: analyzerPb.EnforcementLevel.ADVISORY,
    mandatory: analyzerPb.EnforcementLevel.MANDATORY,
    remediate: analyzerPb.EnforcementLevel.REMEDIATE,
    disabled: analyzerPb.EnforcementLevel.DISABLED,
};
export const LEVEL_FROM_PROTO: Record<number, string> = Object.fromEntries(Object.entries(LEVEL_TO_PROTO).map(([k, v]) => [v, k]));

export interface Diagnostic {
    policyName: string;
    enforcementLevel: string;
    urn?: string;
    message: string;
}

export interface NotApplicableEntry {
    policyName: string;
    reason: string;
    urn?: string;
}

export class LaunchedPack {
    private constructor(readonly child: ChildProcess, readonly port: number, private readonly client: any) {}

    /** Starts the pack in `packDir` and connects once it has printed its port. */
    static async launch(packDir: string, timeoutMs = 120000): Promise<LaunchedPack> {
        const script = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
        // The engine address comes first and is dropped by the launcher; "." is the program.
        const child = spawn(process.execPath, [script, "127.0.0.1:1", "."], { cwd: packDir, stdio: ["ignore", "pipe", "pipe"] });
        let stderr = "";
        child.stderr!.on("data", (d) => (stderr += d));
        const port = await new Promise<number>((resolve, reject) => {
            let stdout = "";
            const timer = setTimeout(() => reject(new Error(`the pack printed no port within ${timeoutMs} ms; stderr:\n${stderr}`)), timeoutMs);
            child.stdout!.on("data", (d) => {
                stdout += d;
                const line = stdout.split("\n").find((l) => /^\d+$/.test(l.trim()));
                if (line) {
                    clearTimeout(timer);
                    resolve(Number(line.trim()));
                }
            });
            child.on("exit", (code) => {
                clearTimeout(timer);
                reject(new Error(`the pack exited with ${code} before printing its port; stderr:\n${stderr}`));
            });
        });
        const client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        return new LaunchedPack(child, port, client);
    }

    private call<T>(method: string, request: unknown): Promise<T> {
        return new Promise((resolve, reject) => {
            this.client[method](request, (err: Error | null, resp: T) => (err ? reject(err) : resolve(resp)));
        });
    }

    async getAnalyzerInfo(): Promise<any> {
        return this.call("getAnalyzerInfo", new emptyPb.Empty());
    }

    /** `ConfigureStack`, as the CLI sends it when the pack starts. */
    async configureStack(stack: string, project: string): Promise<void> {
        const req = new analyzerPb.AnalyzerStackConfigureRequest();
        req.setStack(stack);
        req.setProject(project);
        req.setDryRun(true);
        await this.call("configureStack", req);
    }

    /** `Configure` with the reconciled config of every policy, levels and properties. */
    async configure(config: Map<string, ResolvedPolicyConfig>): Promise<void> {
        const req = new analyzerPb.ConfigureAnalyzerRequest();
        const map = req.getPolicyconfigMap();
        for (const [name, c] of config) {
            const pc = new analyzerPb.PolicyConfig();
            pc.setEnforcementlevel(LEVEL_TO_PROTO[c.enforcementLevel]);
            pc.setProperties(structPb.Struct.fromJavaScript(c.properties ?? {}));
            map.set(name, pc);
        }
        await this.call("configure", req);
    }

    async analyze(r: PlanResource, all: Map<string, PlanResource>): Promise<{ diagnostics: Diagnostic[]; notApplicable: NotApplicableEntry[] }> {
        const req = analyzeRequest(r, all);
        const resp: any = await this.call("analyze", req);
        return {
            // The CLI attributes a resource policy's diagnostic to the analyzed resource.
            diagnostics: resp.getDiagnosticsList().map((d: any) => diagnostic(d, r.urn)),
            notApplicable: resp.getNotApplicableList().map((n: any) => ({ policyName: n.getPolicyName(), reason: n.getReason(), urn: r.urn })),
        };
    }

    /** `Remediate` (the CLI's first pass); returns how many remediations the pack made. */
    async remediate(r: PlanResource, all: Map<string, PlanResource>): Promise<number> {
        const req = analyzeRequest(r, all);
        const resp: any = await this.call("remediate", req);
        return resp.getRemediationsList().length;
    }

    async analyzeStack(resources: PlanResource[]): Promise<{ diagnostics: Diagnostic[]; notApplicable: NotApplicableEntry[] }> {
        const all = new Map(resources.map((r) => [r.urn, r]));
        const req = new analyzerPb.AnalyzeStackRequest();
        for (const r of resources) {
            const ar = new analyzerPb.AnalyzerResource();
            ar.setType(r.type);
            ar.setProperties(structPb.Struct.fromJavaScript(r.outputs ?? r.props));
            ar.setUrn(r.urn);
            ar.setName(r.name);
            ar.setOptions(options(r));
            const provider = providerOf(r, all);
            if (provider) ar.setProvider(provider);
            ar.setParent(r.parent ?? "");
            ar.setDependenciesList(r.dependencies ?? []);
            const deps = ar.getPropertydependenciesMap();
            for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
                // The CLI skips properties without dependencies.
                if (urns.length === 0) continue;
                const pd = new analyzerPb.AnalyzerPropertyDependencies();
                pd.setUrnsList(urns);
                deps.set(k, pd);
            }
            req.addResources(ar);
        }
        const resp: any = await this.call("analyzeStack", req);
        return {
            diagnostics: resp.getDiagnosticsList().map((d: any) => diagnostic(d, undefined)),
            notApplicable: resp.getNotApplicableList().map((n: any) => ({ policyName: n.getPolicyName(), reason: n.getReason() })),
        };
    }

    close(): void {
        this.client.close();
        if (this.child.exitCode === null) this.child.kill();
    }
}

function diagnostic(d: any, resourceUrn: string | undefined): Diagnostic {
    const urn = resourceUrn ?? (d.getUrn() || undefined);
    return { policyName: d.getPolicyname(), enforcementLevel: LEVEL_FROM_PROTO[d.getEnforcementlevel()], urn, message: d.getMessage() };
}

function options(r: PlanResource): any {
    const o = r.opts ?? {};
    const opts = new analyzerPb.AnalyzerResourceOptions();
    opts.setProtect(o.protect ?? false);
    opts.setIgnorechangesList(o.ignoreChanges ?? []);
    opts.setDeletebeforereplace(o.deleteBeforeReplace ?? false);
    opts.setDeletebeforereplacedefined(o.deleteBeforeReplace !== undefined);
    opts.setAdditionalsecretoutputsList(o.additionalSecretOutputs ?? []);
    opts.setAliasesList(o.aliases ?? []);
    const timeouts = new analyzerPb.AnalyzerResourceOptions.CustomTimeouts();
    timeouts.setCreate(o.customTimeouts?.createSeconds ?? 0);
    timeouts.setUpdate(o.customTimeouts?.updateSeconds ?? 0);
    timeouts.setDelete(o.customTimeouts?.deleteSeconds ?? 0);
    opts.setCustomtimeouts(timeouts);
    opts.setParent(r.parent ?? "");
    return opts;
}

function providerOf(r: PlanResource, all: Map<string, PlanResource>): any {
    if (!r.provider) return undefined;
    const urn = providerUrn(r.provider);
    const p = all.get(urn);
    if (!p) throw new Error(`${r.urn} names provider ${r.provider}, which is not among the resources`);
    const provider = new analyzerPb.AnalyzerProviderResource();
    provider.setType(p.type);
    provider.setUrn(p.urn);
    provider.setName(p.name);
    provider.setProperties(structPb.Struct.fromJavaScript(p.props));
    return provider;
}

/** The request the CLI sends for one resource, to `Analyze` and to `Remediate` alike. */
function analyzeRequest(r: PlanResource, all: Map<string, PlanResource>): any {
    const req = new analyzerPb.AnalyzeRequest();
    req.setType(r.type);
    req.setProperties(structPb.Struct.fromJavaScript(r.props));
    req.setUrn(r.urn);
    req.setName(r.name);
    req.setOptions(options(r));
    const provider = providerOf(r, all);
    if (provider) req.setProvider(provider);
    return req;
}
