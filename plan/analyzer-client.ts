// The Pulumi CLI's side of the Analyzer gRPC protocol, towards a policy pack served by
// @pulumi/policy: the requests are built as the CLI's analyzer plugin builds them
// (pkg/resource/plugin/analyzer_plugin.go in pulumi/pulumi) with the stubs @pulumi/pulumi ships in
// `proto/`, and the answers are turned into plain objects.

import * as grpc from "@grpc/grpc-js";
import * as analyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { analyzeRequestBytes, analyzeStackRequestBytes, decodeAnalyzeResponse, DecodedAnalyzeResponse, encodeStruct } from "./analyzer-wire";

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";
export const ENFORCEMENT_LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

const LEVEL_TO_PROTO: Record<EnforcementLevel, analyzerPb.EnforcementLevel> = {
    advisory: analyzerPb.EnforcementLevel.ADVISORY,
    mandatory: analyzerPb.EnforcementLevel.MANDATORY,
    remediate: analyzerPb.EnforcementLevel.REMEDIATE,
    disabled: analyzerPb.EnforcementLevel.DISABLED,
};

function levelFromProto(level: analyzerPb.EnforcementLevel): EnforcementLevel {
    const found = ENFORCEMENT_LEVELS.find((l) => LEVEL_TO_PROTO[l] === level);
    // The CLI refuses such an answer too (convertEnforcementLevel).
    if (!found) throw new Error(`the policy pack answered with an invalid enforcement level ${level}`);
    return found;
}

const SEVERITIES: Partial<Record<analyzerPb.PolicySeverity, string>> = {
    [analyzerPb.PolicySeverity.POLICY_SEVERITY_LOW]: "low",
    [analyzerPb.PolicySeverity.POLICY_SEVERITY_MEDIUM]: "medium",
    [analyzerPb.PolicySeverity.POLICY_SEVERITY_HIGH]: "high",
    [analyzerPb.PolicySeverity.POLICY_SEVERITY_CRITICAL]: "critical",
};

/** The resource options the analyzer receives (`AnalyzerResourceOptions`). */
export interface PlanResourceOptions {
    protect?: boolean;
    ignoreChanges?: string[];
    deleteBeforeReplace?: boolean;
    aliases?: string[];
    additionalSecretOutputs?: string[];
    customTimeouts?: { createSeconds?: number; updateSeconds?: number; deleteSeconds?: number };
}

/**
 * One resource as the engine hands it to the analyzer. `props` are plain JSON as the engine
 * marshals them: resource references downgraded to ids, unknown values as Pulumi's unknown
 * sentinel string, assets/archives as their signature objects.
 */
export interface PlanResource {
    urn: string;
    type: string;
    name: string;
    /** The resource's inputs: what `Analyze` (resource policies) sees. */
    props: Record<string, unknown>;
    /** The resource's outputs: what `AnalyzeStack` (stack policies) sees. Absent: stack policies see `props`. */
    outputs?: Record<string, unknown>;
    parent?: string;
    dependencies?: string[];
    propertyDependencies?: Record<string, string[]>;
    /** Provider reference (`<provider urn>::<id>`) or provider URN. */
    provider?: string;
    opts?: PlanResourceOptions;
}

/** A policy's configuration schema as the pack advertises it (`PolicyConfigSchema`). */
export interface PolicyConfigSchema {
    properties: Record<string, Record<string, unknown>>;
    required?: string[];
}

export interface AnalyzerPolicyInfo {
    name: string;
    description: string;
    /** The policy's own level, or the pack's default when it has none. */
    enforcementLevel: EnforcementLevel;
    kind: "resource" | "stack" | "unknown";
    configSchema?: PolicyConfigSchema;
    severity?: string;
    tags: string[];
}

/** One policy's configuration: what `Configure` sends and `GetAnalyzerInfo`'s initial config holds. */
export interface PolicyConfig {
    enforcementLevel: EnforcementLevel;
    properties: Record<string, unknown>;
}

export interface AnalyzerInfo {
    name: string;
    version: string;
    supportsConfig: boolean;
    /** In the pack's order. */
    policies: AnalyzerPolicyInfo[];
    /** The pack's programmatic initial config (`new PolicyPack(..., initialConfig)`). */
    initialConfig: Map<string, Partial<PolicyConfig>>;
}

export interface AnalyzerDiagnostic {
    policyName: string;
    enforcementLevel: EnforcementLevel;
    message: string;
    /** Set by stack policies that name a resource. */
    urn?: string;
    severity?: string;
}

export interface PolicyNotApplicable {
    policyName: string;
    reason: string;
}

export interface AnalyzeResult {
    diagnostics: AnalyzerDiagnostic[];
    notApplicable: PolicyNotApplicable[];
}

export interface RemediationResult {
    policyName: string;
    /** The transformed inputs, when the remediation changed them. */
    properties?: Record<string, unknown>;
    /** Why it could not run (unknown values during preview). */
    diagnostic?: string;
}

export interface RemediateResult {
    remediations: RemediationResult[];
    notApplicable: PolicyNotApplicable[];
}

export interface StackConfiguration {
    stack: string;
    project: string;
    organization?: string;
    dryRun: boolean;
    /** The stack's flat config (`aws:region` -> `us-east-1`). */
    config?: Record<string, string>;
    tags?: Record<string, string>;
}

/** The pack failed a request (a policy threw, or the pack refused its configuration). */
export class AnalyzerError extends Error {
    constructor(
        message: string,
        readonly method: string,
        readonly code: grpc.status | undefined,
    ) {
        super(message);
        this.name = "AnalyzerError";
    }
}

/**
 * `value` as a protobuf Struct, marshalled as analyzer-wire.ts marshals every property bag (as the
 * SDK serializes inputs: no `undefined` members, `null` for numbers JSON cannot hold).
 */
function struct(value: Record<string, unknown>): Struct {
    return Struct.deserializeBinary(encodeStruct(value));
}

/** Splits a provider reference `<urn>::<id>` into its URN (a bare URN is returned as is). */
export function providerUrn(ref: string): string {
    // A URN has the form urn:pulumi:<stack>::<project>::<type>::<name>; a reference appends ::<id>.
    const parts = ref.split("::");
    return parts.length > 4 ? parts.slice(0, 4).join("::") : ref;
}

/** The type a URN names (the last of its qualified type chain). */
function urnType(urn: string): string {
    return (urn.split("::")[2] ?? "").split("$").pop() ?? "";
}

/** The name a URN names. */
function urnName(urn: string): string {
    return urn.split("::").slice(3).join("::");
}

function resourceOptions(r: PlanResource): analyzerPb.AnalyzerResourceOptions {
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

/** Resources by URN, to find the provider each resource names. */
export type ResourceIndex = ReadonlyMap<string, PlanResource>;

export function indexResources(resources: readonly PlanResource[]): ResourceIndex {
    return new Map(resources.map((r) => [r.urn, r]));
}

/**
 * The provider as the engine attaches it: its URN, type, name and inputs. The marshalled message is
 * cached per provider, since every resource of a package names the same one.
 */
class ProviderMarshaller {
    private readonly cache = new Map<string, analyzerPb.AnalyzerProviderResource>();

    constructor(private readonly index: ResourceIndex) {}

    of(r: PlanResource): analyzerPb.AnalyzerProviderResource | undefined {
        if (!r.provider) return undefined;
        const urn = providerUrn(r.provider);
        let provider = this.cache.get(urn);
        if (!provider) {
            // A provider outside the analyzed set (a test analyzing one resource of a stack) is
            // known by its URN alone: its type and name, no inputs.
            const p = this.index.get(urn) ?? { urn, type: urnType(urn), name: urnName(urn), props: {} };
            provider = new analyzerPb.AnalyzerProviderResource();
            provider.setType(p.type);
            provider.setUrn(p.urn);
            provider.setName(p.name);
            provider.setProperties(struct(p.props));
            this.cache.set(urn, provider);
        }
        return provider;
    }
}

/** What `AnalyzeRequest` and the stack's `AnalyzerResource` both say of a resource. */
interface ResourceMessage {
    setType(value: string): unknown;
    setUrn(value: string): unknown;
    setName(value: string): unknown;
    setOptions(value: analyzerPb.AnalyzerResourceOptions): unknown;
    setProvider(value: analyzerPb.AnalyzerProviderResource): unknown;
}

/** Fills in `message` the resource's identity, options and provider, as the CLI does for both. */
function describeResource<M extends ResourceMessage>(message: M, r: PlanResource, providers: ProviderMarshaller): M {
    message.setType(r.type);
    message.setUrn(r.urn);
    message.setName(r.name);
    message.setOptions(resourceOptions(r));
    const provider = providers.of(r);
    if (provider) message.setProvider(provider);
    return message;
}

/** The request the CLI sends for one resource, to `Analyze` and to `Remediate` alike, but its properties. */
function analyzeEnvelope(r: PlanResource, providers: ProviderMarshaller): analyzerPb.AnalyzeRequest {
    return describeResource(new analyzerPb.AnalyzeRequest(), r, providers);
}

function analyzeRequest(r: PlanResource, providers: ProviderMarshaller): analyzerPb.AnalyzeRequest {
    const req = analyzeEnvelope(r, providers);
    req.setProperties(struct(r.props));
    return req;
}

/** One resource of the `AnalyzeStack` request, but its properties (its outputs). */
function stackResourceEnvelope(r: PlanResource, providers: ProviderMarshaller): analyzerPb.AnalyzerResource {
    const ar = describeResource(new analyzerPb.AnalyzerResource(), r, providers);
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
    return ar;
}

function diagnostics(list: analyzerPb.AnalyzeDiagnostic[]): AnalyzerDiagnostic[] {
    return list.map((d) => {
        const out: AnalyzerDiagnostic = {
            policyName: d.getPolicyname(),
            enforcementLevel: levelFromProto(d.getEnforcementlevel()),
            message: d.getMessage(),
        };
        if (d.getUrn()) out.urn = d.getUrn();
        const severity = SEVERITIES[d.getSeverity()];
        if (severity) out.severity = severity;
        return out;
    });
}

function notApplicable(list: analyzerPb.PolicyNotApplicable[]): PolicyNotApplicable[] {
    return list.map((n) => ({ policyName: n.getPolicyName(), reason: n.getReason() }));
}

// The CLI dials plugins allowing messages up to 400 MB (rpcutil.GrpcChannelOptions); the pack's
// server accepts as much, so a stack of tens of thousands of resources fits in one AnalyzeStack.
const MAX_MESSAGE_BYTES = 400 * 1024 * 1024;

type Callback<T> = (err: grpc.ServiceError | null, resp: T) => void;

/** A connection to a served policy pack. */
export class AnalyzerClient {
    private readonly client: analyzerGrpc.AnalyzerClient;

    constructor(readonly address: string) {
        this.client = new analyzerGrpc.AnalyzerClient(address, grpc.credentials.createInsecure(), {
            "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
            "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
            "grpc.enable_retries": 0,
            "grpc.enable_channelz": 0,
        });
    }

    private call<Req, Resp>(method: string, request: Req): Promise<Resp> {
        return new Promise((resolve, reject) => {
            const fn = (this.client as unknown as Record<string, (req: Req, cb: Callback<Resp>) => void>)[method];
            fn.call(this.client, request, (err, resp) => {
                if (err) reject(new AnalyzerError(err.details || err.message, method, err.code));
                else resolve(resp);
            });
        });
    }

    /** A call whose request is already encoded and whose `AnalyzeResponse` is read by analyzer-wire.ts. */
    private callEncoded(method: "analyze" | "analyzeStack", request: Uint8Array): Promise<DecodedAnalyzeResponse> {
        const { path } = analyzerGrpc.AnalyzerService[method];
        return new Promise((resolve, reject) => {
            this.client.makeUnaryRequest(
                path,
                (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
                (buffer: Buffer) => decodeAnalyzeResponse(buffer),
                request,
                (err: grpc.ServiceError | null, resp?: DecodedAnalyzeResponse) => {
                    if (err) reject(new AnalyzerError(err.details || err.message, method, err.code));
                    else resolve(resp!);
                },
            );
        });
    }

    private empty() {
        // The Empty of the google-protobuf copy @pulumi/pulumi's stubs check against.
        const Empty = (analyzerGrpc.AnalyzerService.getAnalyzerInfo as unknown as { requestType: new () => unknown }).requestType;
        return new Empty();
    }

    /** `Handshake`, which the CLI sends first; packs served by @pulumi/policy do not implement it. */
    async handshake(packDir: string): Promise<void> {
        const req = new analyzerPb.AnalyzerHandshakeRequest();
        req.setEngineAddress("");
        req.setRootDirectory(packDir);
        req.setProgramDirectory(packDir);
        try {
            await this.call("handshake", req);
        } catch (e) {
            if (!(e instanceof AnalyzerError && e.code === grpc.status.UNIMPLEMENTED)) throw e;
        }
    }

    async getAnalyzerInfo(): Promise<AnalyzerInfo> {
        const info: analyzerPb.AnalyzerInfo = await this.call("getAnalyzerInfo", this.empty());
        const kinds: Record<number, AnalyzerPolicyInfo["kind"]> = {
            [analyzerPb.PolicyType.POLICY_TYPE_RESOURCE]: "resource",
            [analyzerPb.PolicyType.POLICY_TYPE_STACK]: "stack",
        };
        const initialConfig = new Map<string, Partial<PolicyConfig>>();
        info.getInitialconfigMap().forEach((c, name) => {
            const entry: Partial<PolicyConfig> = { enforcementLevel: levelFromProto(c.getEnforcementlevel()) };
            const props = c.getProperties()?.toJavaScript();
            if (props && Object.keys(props).length > 0) entry.properties = props;
            initialConfig.set(name, entry);
        });
        return {
            name: info.getName(),
            version: info.getVersion(),
            supportsConfig: info.getSupportsconfig(),
            policies: info.getPoliciesList().map((p) => {
                const schema = p.getConfigschema();
                const policy: AnalyzerPolicyInfo = {
                    name: p.getName(),
                    description: p.getDescription(),
                    enforcementLevel: levelFromProto(p.getEnforcementlevel()),
                    kind: kinds[p.getPolicyType()] ?? "unknown",
                    tags: p.getTagsList(),
                };
                if (schema) {
                    policy.configSchema = {
                        properties: (schema.getProperties()?.toJavaScript() ?? {}) as PolicyConfigSchema["properties"],
                        required: schema.getRequiredList(),
                    };
                }
                const severity = SEVERITIES[p.getSeverity()];
                if (severity) policy.severity = severity;
                return policy;
            }),
            initialConfig,
        };
    }

    /** `ConfigureStack`, as the CLI sends it right after starting the pack. */
    async configureStack(stack: StackConfiguration): Promise<void> {
        const req = new analyzerPb.AnalyzerStackConfigureRequest();
        req.setStack(stack.stack);
        req.setProject(stack.project);
        req.setOrganization(stack.organization ?? "");
        req.setDryRun(stack.dryRun);
        for (const [k, v] of Object.entries(stack.config ?? {})) req.getConfigMap().set(k, v);
        for (const [k, v] of Object.entries(stack.tags ?? {})) req.getTagsMap().set(k, v);
        try {
            await this.call("configureStack", req);
        } catch (e) {
            // As the CLI: a pack too old to implement it is fine.
            if (!(e instanceof AnalyzerError && e.code === grpc.status.UNIMPLEMENTED)) throw e;
        }
    }

    /** `Configure` with the reconciled config of every policy, levels and properties. */
    async configure(config: ReadonlyMap<string, PolicyConfig>): Promise<void> {
        const req = new analyzerPb.ConfigureAnalyzerRequest();
        const map = req.getPolicyconfigMap();
        for (const [name, c] of config) {
            const pc = new analyzerPb.PolicyConfig();
            pc.setEnforcementlevel(LEVEL_TO_PROTO[c.enforcementLevel]);
            pc.setProperties(struct(c.properties));
            map.set(name, pc);
        }
        await this.call("configure", req);
    }

    /** `Analyze` of one resource's inputs. */
    async analyze(r: PlanResource, index: ResourceIndex): Promise<AnalyzeResult> {
        return this.analyzeWith(r, new ProviderMarshaller(index));
    }

    private async analyzeWith(r: PlanResource, providers: ProviderMarshaller): Promise<AnalyzeResult> {
        const resp = await this.callEncoded("analyze", analyzeRequestBytes(analyzeEnvelope(r, providers), r.props));
        return { diagnostics: diagnostics(resp.diagnostics), notApplicable: resp.notApplicable };
    }

    /**
     * `Analyze` of each resource, with up to `concurrency` requests in flight so that marshalling
     * here and analysis in the pack overlap; the answers come back in the order of `resources`.
     */
    async analyzeAll(resources: readonly PlanResource[], index: ResourceIndex, concurrency = 64): Promise<AnalyzeResult[]> {
        const providers = new ProviderMarshaller(index);
        const results = new Array<AnalyzeResult>(resources.length);
        let next = 0;
        const worker = async () => {
            while (next < resources.length) {
                const i = next++;
                results[i] = await this.analyzeWith(resources[i], providers);
            }
        };
        await Promise.all(Array.from({ length: Math.min(concurrency, resources.length) }, worker));
        return results;
    }

    /** `Remediate` of one resource's inputs (the CLI's first pass). */
    async remediate(r: PlanResource, index: ResourceIndex): Promise<RemediateResult> {
        const resp: analyzerPb.RemediateResponse = await this.call("remediate", analyzeRequest(r, new ProviderMarshaller(index)));
        return {
            remediations: resp.getRemediationsList().map((m) => {
                const out: RemediationResult = { policyName: m.getPolicyname() };
                const props = m.getProperties();
                if (props) out.properties = props.toJavaScript();
                if (m.getDiagnostic()) out.diagnostic = m.getDiagnostic();
                return out;
            }),
            notApplicable: notApplicable(resp.getNotApplicableList()),
        };
    }

    /** `AnalyzeStack` with every resource's outputs and its links to the others. */
    async analyzeStack(resources: readonly PlanResource[], index: ResourceIndex): Promise<AnalyzeResult> {
        const providers = new ProviderMarshaller(index);
        const request = analyzeStackRequestBytes(
            resources.map((r) => ({ envelope: stackResourceEnvelope(r, providers), properties: r.outputs ?? r.props })),
        );
        const resp = await this.callEncoded("analyzeStack", request);
        return { diagnostics: diagnostics(resp.diagnostics), notApplicable: resp.notApplicable };
    }

    close(): void {
        this.client.close();
    }
}
