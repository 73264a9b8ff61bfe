// One pass over a stack's resources, so that joins (a bucket and its public access block, an
// endpoint and its scaling target, a role and its attachments) are hash lookups: every stack rule
// stays linear in the number of resources.
//
// How one resource refers to another differs between the real CLI and the offline plan:
// - real `pulumi preview`: ids, names and ARNs of resources not created yet are unknown, but the
//   engine sends `propertyDependencies` (prop -> resources it was computed from) and `dependencies`;
// - the offline plan (Pulumi mocks): values are the mocked ids/names/ARNs, property dependencies
//   are whatever the harness recorded.
// `refs()` therefore tries, in order: the property's dependency edges, then the value matched
// against every referenceable key of the target kind (urn, logical name, id, arn, name, ...), then
// a single unambiguous resource of the target kind among `dependencies`.

import type { PolicyResource } from "@pulumi/policy";
import { Unknown, peek } from "./preview";
import { type Kind, type OutputsOf, kindOfToken } from "./resource-types";

/** Output properties under which a resource can be referenced by others. */
const REFERENCE_KEYS = ["id", "arn", "name", "bucket", "functionName", "endpointConfigName", "uniqueId"];

/** A stack resource whose outputs are typed as the classes of `K`. */
export type Typed<K> = Omit<PolicyResource, "props"> & { props: OutputsOf<K> };

type Edge = PolicyResource | string;

export class StackIndex {
    readonly resources: readonly PolicyResource[];
    private readonly byUrn = new Map<string, PolicyResource>();
    private readonly byKind = new Map<Kind, PolicyResource[]>();
    private readonly keyIndexes = new Map<Kind, Map<string, PolicyResource[]>>();

    constructor(resources: readonly PolicyResource[]) {
        this.resources = resources;
        for (const r of resources) {
            this.byUrn.set(r.urn, r);
            const kind = kindOfToken(r.type);
            if (!kind) continue;
            let list = this.byKind.get(kind);
            if (!list) this.byKind.set(kind, (list = []));
            list.push(r);
        }
    }

    /** Every resource of any class of `kind`, with typed outputs. */
    of<K extends Kind>(kind: K): readonly Typed<K>[] {
        return (this.byKind.get(kind) ?? []) as unknown as Typed<K>[];
    }

    byUrnOf(urn: string): PolicyResource | undefined {
        return this.byUrn.get(urn);
    }

    /** Keys (urn, logical name, id, arn, name, ...) -> resources of `kind`; built once per kind. */
    private keyIndex(kind: Kind): Map<string, PolicyResource[]> {
        let idx = this.keyIndexes.get(kind);
        if (idx) return idx;
        const built = new Map<string, PolicyResource[]>();
        const add = (key: unknown, r: PolicyResource) => {
            if (typeof key !== "string" || key === "") return;
            const list = built.get(key);
            if (!list) built.set(key, [r]);
            else if (!list.includes(r)) list.push(r);
        };
        for (const r of this.of(kind) as readonly PolicyResource[]) {
            add(r.urn, r);
            add(r.name, r);
            for (const k of REFERENCE_KEYS) add(peek(() => (r.props as Record<string, unknown>)[k]), r);
        }
        this.keyIndexes.set(kind, (idx = built));
        return idx;
    }

    /** Resources of `kind` that the reference string `value` names (by urn, name, id, arn, ...). */
    lookup<K extends Kind>(kind: K, value: unknown): Typed<K>[] {
        if (typeof value !== "string") return [];
        const direct = this.keyIndex(kind).get(value);
        if (direct) return direct as unknown as Typed<K>[];
        // A principal or policy may be referenced by ARN while only its name is an output, or vice versa.
        const arnTail = /^arn:[^:]+:iam::[^:]*:(?:role|user|group|policy|instance-profile)\/(?:.*\/)?([^/]+)$/.exec(value);
        if (arnTail) return (this.keyIndex(kind).get(arnTail[1]) ?? []) as unknown as Typed<K>[];
        return [];
    }

    private edgesToResources<K extends Kind>(edges: readonly Edge[] | undefined, kind: K): Typed<K>[] {
        const out: PolicyResource[] = [];
        for (const e of edges ?? []) {
            const r = typeof e === "string" ? this.byUrn.get(e) : e;
            if (r && kindOfToken(r.type) === kind && !out.includes(r)) out.push(r);
        }
        return out as unknown as Typed<K>[];
    }

    /**
     * The resources of `kind` that `from.props[prop]` refers to. `value` overrides the property
     * value (for list elements such as PolicyAttachment.roles[i]).
     */
    refs<K extends Kind>(from: { props: unknown; propertyDependencies?: unknown; dependencies?: unknown }, prop: string, kind: K, value: unknown = peek(() => (from.props as Record<string, unknown>)[prop])): Typed<K>[] {
        if (!(value instanceof Unknown) && value !== undefined) {
            const found = this.lookup(kind, value);
            if (found.length > 0) return found;
        }
        const viaProp = this.edgesToResources((from.propertyDependencies as Record<string, Edge[]> | undefined)?.[prop], kind);
        if (viaProp.length > 0) return viaProp;
        const viaDeps = this.edgesToResources(from.dependencies as Edge[] | undefined, kind);
        return viaDeps.length === 1 ? viaDeps : [];
    }
}
