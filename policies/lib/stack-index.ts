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
// against every referenceable key of the target type (urn, logical name, id, arn, name, ...), then
// a single unambiguous resource of the target type among `dependencies`.

import type { PolicyResource } from "@pulumi/policy";
import { UNKNOWN, get, isUnknownSentinel } from "./values";

/** Output properties under which a resource can be referenced by others. */
const REFERENCE_KEYS = ["id", "arn", "name", "bucket", "functionName", "endpointConfigName", "uniqueId"];

type Edge = PolicyResource | string;

export class StackIndex {
    readonly resources: readonly PolicyResource[];
    private readonly byUrn = new Map<string, PolicyResource>();
    private readonly byType = new Map<string, PolicyResource[]>();
    private readonly keyIndexes = new Map<string, Map<string, PolicyResource[]>>();

    constructor(resources: readonly PolicyResource[]) {
        this.resources = resources;
        for (const r of resources) {
            this.byUrn.set(r.urn, r);
            let list = this.byType.get(r.type);
            if (!list) this.byType.set(r.type, (list = []));
            list.push(r);
        }
    }

    ofType(type: string): readonly PolicyResource[] {
        return this.byType.get(type) ?? [];
    }

    byUrnOf(urn: string): PolicyResource | undefined {
        return this.byUrn.get(urn);
    }

    /** Keys (urn, logical name, id, arn, name, ...) -> resources of `type`; built once per type. */
    private keyIndex(type: string): Map<string, PolicyResource[]> {
        let idx = this.keyIndexes.get(type);
        if (idx) return idx;
        idx = new Map();
        const add = (key: unknown, r: PolicyResource) => {
            if (typeof key !== "string" || key === "" || isUnknownSentinel(key)) return;
            const list = idx!.get(key);
            if (!list) idx!.set(key, [r]);
            else if (!list.includes(r)) list.push(r);
        };
        for (const r of this.ofType(type)) {
            add(r.urn, r);
            add(r.name, r);
            for (const k of REFERENCE_KEYS) add(get(r.props, k), r);
        }
        this.keyIndexes.set(type, idx);
        return idx;
    }

    /** Resources of `type` that the reference string `value` names (by urn, name, id, arn, ...). */
    lookup(type: string, value: unknown): PolicyResource[] {
        if (typeof value !== "string") return [];
        const direct = this.keyIndex(type).get(value);
        if (direct) return direct;
        // A role may be referenced by ARN while only its name is an output, or vice versa.
        const arnTail = /^arn:[^:]+:iam::[^:]*:(?:role|policy)\/(?:.*\/)?([^/]+)$/.exec(value);
        if (arnTail) return this.keyIndex(type).get(arnTail[1]) ?? [];
        return [];
    }

    private edgesToResources(edges: readonly Edge[] | undefined, type: string): PolicyResource[] {
        const out: PolicyResource[] = [];
        for (const e of edges ?? []) {
            const r = typeof e === "string" ? this.byUrn.get(e) : e;
            if (r && r.type === type && !out.includes(r)) out.push(r);
        }
        return out;
    }

    /**
     * The resources of `targetType` that `from.props[prop]` refers to. `value` overrides the
     * property value (for list elements such as PolicyAttachment.roles[i]).
     */
    refs(from: PolicyResource, prop: string, targetType: string, value: unknown = get(from.props, prop)): PolicyResource[] {
        if (value !== UNKNOWN && value !== undefined) {
            const found = this.lookup(targetType, value);
            if (found.length > 0) return found;
        }
        const viaProp = this.edgesToResources((from.propertyDependencies as Record<string, Edge[]> | undefined)?.[prop], targetType);
        if (viaProp.length > 0) return viaProp;
        const viaDeps = this.edgesToResources(from.dependencies as Edge[] | undefined, targetType);
        return viaDeps.length === 1 ? viaDeps : [];
    }
}
