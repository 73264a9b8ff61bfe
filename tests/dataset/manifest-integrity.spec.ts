import * as assert from "assert";
import { createHash } from "crypto";
import { Readable } from "stream";
import * as zlib from "zlib";
import { DatasetManifest, ManifestObject, buildManifest, contentHash, manifestKey, parseManifest, serializeManifest } from "../../dataset/manifest";
import { checkSha256, checkSizeAndCrc32 } from "../../dataset/integrity";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

describe("dataset manifest format", () => {
    // Listed out of order on purpose; "é" sorts after every ASCII letter by code point.
    const objects: ManifestObject[] = [
        { key: "train/002.Bé/b.jpg", size: 2, sha256: sha("bb") },
        { key: "valid/001.A/d.jpg", size: 0, sha256: sha("") },
        { key: "train/001.A/a.jpg", size: 1, sha256: sha("a") },
        { key: "test/001.A/c.jpg", size: 3, sha256: sha("ccc") },
    ];

    it("lives at <prefix>manifest.json", () => {
        assert.strictEqual(manifestKey("datasets/dogImages/"), "datasets/dogImages/manifest.json");
        assert.throws(() => manifestKey("datasets/dogImages"), { name: "ManifestError", message: `dataset prefix "datasets/dogImages" must end with "/"` });
    });

    it("contentHash is SHA-256 over the key-sorted [key, size, sha256] rows as compact JSON (the value Python's json/hashlib give)", () => {
        // Computed independently with: json.dumps(sorted(rows), separators=(",", ":"), ensure_ascii=False), hashlib.sha256.
        assert.strictEqual(contentHash(objects), "7c4dab68f91f8d2066f70c5d1c1310d219701aa38eee8e17120d908107ed7b13");
        assert.strictEqual(contentHash([...objects].reverse()), contentHash(objects), "order of the input does not matter");
        const changed = objects.map(o => (o.key === "train/001.A/a.jpg" ? { ...o, sha256: sha("b") } : o));
        assert.notStrictEqual(contentHash(changed), contentHash(objects), "same size, other bytes: another hash");
        const renamed = objects.map(o => (o.key === "train/001.A/a.jpg" ? { ...o, key: "train/001.A/z.jpg" } : o));
        assert.notStrictEqual(contentHash(renamed), contentHash(objects), "same bytes, other key: another hash");
    });

    it("serializes to the same bytes whatever the input order: JSON, schema version, hash, classes per split, objects by key", () => {
        const text = serializeManifest(buildManifest(objects));
        assert.strictEqual(serializeManifest(buildManifest([...objects].reverse())), text);
        assert.strictEqual(text, [
            "{",
            `  "schemaVersion": 1,`,
            `  "contentHash": "7c4dab68f91f8d2066f70c5d1c1310d219701aa38eee8e17120d908107ed7b13",`,
            `  "splits": {`,
            `    "train": {"files":2,"classes":["001.A","002.Bé"]},`,
            `    "valid": {"files":1,"classes":["001.A"]},`,
            `    "test": {"files":1,"classes":["001.A"]}`,
            "  },",
            `  "objects": [`,
            `    {"key":"test/001.A/c.jpg","size":3,"sha256":"${sha("ccc")}"},`,
            `    {"key":"train/001.A/a.jpg","size":1,"sha256":"${sha("a")}"},`,
            `    {"key":"train/002.Bé/b.jpg","size":2,"sha256":"${sha("bb")}"},`,
            `    {"key":"valid/001.A/d.jpg","size":0,"sha256":"${sha("")}"}`,
            "  ]",
            "}",
            "",
        ].join("\n"));
        const parsed: DatasetManifest = parseManifest(text, "m.json");
        assert.deepStrictEqual(parsed, JSON.parse(text) as unknown);
    });

    it("parseManifest refuses what it cannot trust, naming the problem", () => {
        type Doc = { schemaVersion: unknown; objects?: ManifestObject[]; splits: Record<string, { classes: string[] }> };
        const good = JSON.parse(serializeManifest(buildManifest(objects))) as Doc;
        const bad = (change: (m: Doc) => void) => {
            const m = structuredClone(good);
            change(m);
            return JSON.stringify(m);
        };
        const cases: [string, RegExp][] = [
            ["not json", /^m\.json is not JSON: /],
            ["[]", /^m\.json is not a JSON object$/],
            [bad(m => (m.schemaVersion = 2)), /^m\.json has schemaVersion 2; this code reads 1 /],
            [bad(m => delete m.objects), /^m\.json has no "objects" list$/],
            [bad(m => (m.objects![0].sha256 = "XYZ")), /^m\.json: objects\[0\] is not \{"key": string, "size": whole number, "sha256": 64 hex digits\}$/],
            [bad(m => (m.objects![1].size = -1)), /^m\.json: objects\[1\] is not/],
            [bad(m => m.objects!.push(m.objects![0])), /^m\.json: key test\/001\.A\/c\.jpg is listed twice$/],
            [bad(m => (m.objects![0].size = 4)), /^m\.json: contentHash "7c4dab68[0-9a-f]+" does not match its objects \([0-9a-f]{64}\)$/],
            [bad(m => (m.splits.valid.classes = ["002.B"])), /^m\.json: splits\.valid does not match its objects \(1 files in 1 classes\)$/],
        ];
        for (const [text, message] of cases) {
            assert.throws(() => parseManifest(text, "m.json"), (err: unknown) => err instanceof Error && err.name === "ManifestError" && message.test(err.message), text);
        }
    });
});

describe("dataset stream checks", () => {
    const read = async (stream: Readable) => {
        const chunks: Buffer[] = [];
        for await (const c of stream) chunks.push(c as Buffer);
        return Buffer.concat(chunks);
    };
    const data = Buffer.from("the quick brown fox jumps over the lazy dog");
    const pieces = () => Readable.from([data.subarray(0, 10), data.subarray(10)]);
    const damaged = (problem: string) => new Error(`damaged: ${problem}`);

    it("passes an entry whose size and CRC-32 match through unchanged", async () => {
        assert.ok((await read(checkSizeAndCrc32(pieces(), { size: data.length, crc32: zlib.crc32(data) }, damaged))).equals(data));
    });

    it("fails an entry whose CRC-32 or size differs, before the stream ends", async () => {
        const crc = zlib.crc32(data);
        await assert.rejects(read(checkSizeAndCrc32(pieces(), { size: data.length, crc32: crc ^ 0x80 }, damaged)),
            { message: `damaged: CRC-32 0x${crc.toString(16).padStart(8, "0")} where the archive says 0x${((crc ^ 0x80) >>> 0).toString(16).padStart(8, "0")}` });
        await assert.rejects(read(checkSizeAndCrc32(pieces(), { size: data.length + 1, crc32: crc }, damaged)),
            { message: `damaged: ${data.length} bytes where the archive says ${data.length + 1}` });
        await assert.rejects(read(checkSizeAndCrc32(pieces(), { size: 12, crc32: crc }, damaged)),
            { message: "damaged: more than the 12 bytes the archive says" });
    });

    it("reports a read error of the underlying stream as damage too", async () => {
        const failing = new Readable({
            read() {
                this.destroy(new Error("invalid stored block lengths"));
            },
        });
        await assert.rejects(read(checkSizeAndCrc32(failing, { size: 1, crc32: 0 }, damaged)), { message: "damaged: invalid stored block lengths" });
    });

    it("fails bytes whose SHA-256 or size is not the verified one", async () => {
        const good = { size: data.length, sha256: createHash("sha256").update(data).digest("hex") };
        const changed = (problem: string) => new Error(`changed: ${problem}`);
        assert.ok((await read(checkSha256(pieces(), good, changed))).equals(data));
        await assert.rejects(read(checkSha256(pieces(), { ...good, sha256: "0".repeat(64) }, changed)), /^Error: changed: SHA-256 [0-9a-f]{64}, 0{64} when verified$/);
        await assert.rejects(read(checkSha256(pieces(), { ...good, size: 1 }, changed)), { message: `changed: ${data.length} bytes, 1 when verified` });
    });
});
