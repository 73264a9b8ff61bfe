/**
 * The dataset manifest: what `npm run dataset:upload` stored under a dataset prefix, written as
 * `<prefix>manifest.json` after every object is in place (so a manifest always describes a complete
 * dataset). The Pulumi program reads it to address jobs by their data: `contentHash` changes exactly
 * when some object's key, size or bytes change. Kept free of SDK imports so the program can import it.
 */
import { createHash } from "crypto";
import { SPLITS, Split, byCodePoint, classesBySplit, splitOf } from "./layout";

export const MANIFEST_SCHEMA_VERSION = 1;
export const MANIFEST_NAME = "manifest.json";

export interface ManifestObject {
    /** Relative to the dataset prefix: `train/001.Affenpinscher/Affenpinscher_00001.jpg`. */
    key: string;
    /** Bytes. */
    size: number;
    /** SHA-256 of the object's bytes, 64 lowercase hex digits. */
    sha256: string;
}

export interface SplitSummary {
    files: number;
    /** Class folders, by code point: train.py's label order. */
    classes: string[];
}

export interface DatasetManifest {
    schemaVersion: typeof MANIFEST_SCHEMA_VERSION;
    /** SHA-256 (hex) of the UTF-8 bytes of `JSON.stringify([[key, size, sha256], ...])`, objects by key. */
    contentHash: string;
    splits: Record<Split, SplitSummary>;
    /** Every object of the dataset, by key (code point order). */
    objects: ManifestObject[];
}

/** A manifest that cannot be read, or that contradicts itself. */
export class ManifestError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ManifestError";
    }
}

/** Where the manifest of the dataset under `prefix` (ending with "/") lives. */
export function manifestKey(prefix: string): string {
    if (!prefix.endsWith("/")) throw new ManifestError(`dataset prefix "${prefix}" must end with "/"`);
    return prefix + MANIFEST_NAME;
}

const byKey = (a: ManifestObject, b: ManifestObject) => byCodePoint(a.key, b.key);

/**
 * The dataset's identity: SHA-256 over the (key, size, sha256) list sorted by key, written as
 * compact JSON (in Python: `json.dumps(rows, separators=(",", ":"), ensure_ascii=False)`).
 */
export function contentHash(objects: readonly ManifestObject[]): string {
    const rows = [...objects].sort(byKey).map(o => [o.key, o.size, o.sha256]);
    return createHash("sha256").update(JSON.stringify(rows), "utf8").digest("hex");
}

export function buildManifest(objects: readonly ManifestObject[]): DatasetManifest {
    const sorted = [...objects].sort(byKey).map(o => ({ key: o.key, size: o.size, sha256: o.sha256 }));
    const classes = classesBySplit(sorted.map(o => o.key));
    const splits = Object.fromEntries(SPLITS.map(split => [split, {
        files: sorted.filter(o => splitOf(o.key) === split).length,
        classes: classes[split],
    }])) as Record<Split, SplitSummary>;
    return { schemaVersion: MANIFEST_SCHEMA_VERSION, contentHash: contentHash(sorted), splits, objects: sorted };
}

/**
 * The manifest's bytes: JSON, one object per line, nothing that varies between runs, so the same
 * data always gives the same bytes.
 */
export function serializeManifest(manifest: DatasetManifest): string {
    const splits = SPLITS.map(s => `    ${JSON.stringify(s)}: ${JSON.stringify(manifest.splits[s])}`);
    const objects = manifest.objects.map(o => `    ${JSON.stringify({ key: o.key, size: o.size, sha256: o.sha256 })}`);
    return [
        "{",
        `  "schemaVersion": ${JSON.stringify(manifest.schemaVersion)},`,
        `  "contentHash": ${JSON.stringify(manifest.contentHash)},`,
        `  "splits": {`,
        splits.join(",\n"),
        "  },",
        objects.length > 0 ? `  "objects": [\n${objects.join(",\n")}\n  ]` : `  "objects": []`,
        "}",
        "",
    ].join("\n");
}

/**
 * Reads a manifest and checks it: the schema version this code knows, well-formed objects with
 * unique keys, and a contentHash and splits that match the objects. `where` names it in errors.
 */
export function parseManifest(text: string, where: string): DatasetManifest {
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch (err) {
        throw new ManifestError(`${where} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    const m = doc as Partial<DatasetManifest> | null;
    if (typeof m !== "object" || m === null || Array.isArray(m)) throw new ManifestError(`${where} is not a JSON object`);
    if (m.schemaVersion !== MANIFEST_SCHEMA_VERSION) {
        throw new ManifestError(`${where} has schemaVersion ${JSON.stringify(m.schemaVersion)}; this code reads ${MANIFEST_SCHEMA_VERSION} ` +
            "(upload the dataset again with this version of `npm run dataset:upload`)");
    }
    if (!Array.isArray(m.objects)) throw new ManifestError(`${where} has no "objects" list`);
    const seen = new Set<string>();
    for (const [i, o] of m.objects.entries()) {
        const ok = typeof o === "object" && o !== null && typeof o.key === "string" && o.key !== ""
            && Number.isSafeInteger(o.size) && o.size >= 0 && typeof o.sha256 === "string" && /^[0-9a-f]{64}$/.test(o.sha256);
        if (!ok) throw new ManifestError(`${where}: objects[${i}] is not {"key": string, "size": whole number, "sha256": 64 hex digits}`);
        if (seen.has(o.key)) throw new ManifestError(`${where}: key ${o.key} is listed twice`);
        seen.add(o.key);
    }
    const expected = buildManifest(m.objects);
    if (m.contentHash !== expected.contentHash) {
        throw new ManifestError(`${where}: contentHash ${JSON.stringify(m.contentHash)} does not match its objects (${expected.contentHash})`);
    }
    for (const split of SPLITS) {
        const given = (m.splits as Partial<Record<Split, Partial<SplitSummary>>> | undefined)?.[split];
        const want = expected.splits[split];
        if (given?.files !== want.files || JSON.stringify(given?.classes) !== JSON.stringify(want.classes)) {
            throw new ManifestError(`${where}: splits.${split} does not match its objects (${want.files} files in ${want.classes.length} classes)`);
        }
    }
    return expected;
}
