// Required tags: cost allocation and ownership need every taggable resource to carry the same
// keys. A stack may set them once on its AWS provider (`defaultTags`, which AWS applies to every
// resource the provider creates) or on each resource (`tags`); the rule reads both, so it still
// proves every taggable resource carries them wherever they were written.

import type { PolicyProviderResource } from "@pulumi/policy";
import { cfg, resourceRule } from "../lib/rule";
import { Unknown, peek } from "../lib/preview";
import { TAGGABLE_KINDS } from "../lib/resource-types";

type TagMap = Record<string, unknown>;

/** Keys of a tag map, each value read on its own (one unknown value does not hide the others). */
function readTags(read: () => unknown): { tags: TagMap; unknown?: Unknown } {
    const v = peek(read);
    if (v instanceof Unknown) return { tags: {}, unknown: v };
    if (v === null || typeof v !== "object") return { tags: {} };
    const tags: TagMap = {};
    let unknown: Unknown | undefined;
    for (const k of Object.keys(v)) {
        const value = peek(() => (v as TagMap)[k]);
        if (value instanceof Unknown) unknown ??= value;
        tags[k] = value;
    }
    return { tags, unknown };
}

/**
 * The provider's `defaultTags.tags`. The engine sends a provider's nested inputs JSON-encoded
 * (`defaultTags` arrives as a string), the offline plan may send them as objects: both are read.
 */
function providerDefaultTags(provider: PolicyProviderResource | undefined): { tags: TagMap; unknown?: Unknown } {
    if (!provider) return { tags: {} };
    const dt = peek(() => provider.props.defaultTags as unknown);
    if (dt instanceof Unknown) return { tags: {}, unknown: dt };
    if (typeof dt === "string") {
        try {
            const parsed = JSON.parse(dt) as { tags?: unknown } | null;
            return readTags(() => parsed?.tags);
        } catch {
            return { tags: {} };
        }
    }
    return readTags(() => (dt as { tags?: unknown } | undefined)?.tags);
}

const present = (v: unknown) => v !== undefined && v !== null && v !== "";

export const requiredTags = resourceRule({
    name: "required-tags",
    category: "governance",
    description: "Every taggable resource carries the required tags (project, stack, managed-by by default) with non-empty values, directly or through its provider's defaultTags.",
    anchors: [],
    enforcementLevel: "mandatory",
    severity: "low",
    remediation: "set the missing tags in the stack's AWS provider defaultTags (or on the resource's tags).",
    config: {
        requiredTags: cfg.strings("Tag keys every taggable resource must have.", ["project", "stack", "managed-by"]),
    },
    kinds: TAGGABLE_KINDS,
    validate(_, { config, args, report, undecided }) {
        const own = readTags(() => (args.props as { tags?: unknown }).tags);
        const fromProvider = providerDefaultTags(args.provider);
        // Resource tags override provider default tags of the same key, as AWS merges them.
        const all = { ...fromProvider.tags, ...own.tags };
        const missing = config.requiredTags.filter((k) => !present(all[k]));
        const unknown = own.unknown ?? fromProvider.unknown;
        if (missing.length > 0 && unknown) return undecided(unknown);
        // A required key whose value is not known yet is carried: only its value is still computed.
        if (missing.length > 0) report(`missing tag${missing.length > 1 ? "s" : ""} ${missing.join(", ")}.`);
    },
});

export const tagRules = [requiredTags];
