// The plan writes a resource's properties and reads `Analyze` answers without the generated message
// objects (plan/analyzer-wire.ts); the bytes must be exactly what the generated code reads and writes.

import * as assert from "assert";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { analyzeRequestBytes, analyzeStackRequestBytes, decodeAnalyzeResponse, encodeStruct } from "../../plan/analyzer-wire";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const props = {
    bucket: "data",
    count: 3,
    ratio: 0.25,
    negative: -17,
    big: 2 ** 53 - 1,
    on: true,
    off: false,
    none: null,
    skipped: undefined,
    empty: "",
    unicode: "données ✓ 数据",
    long: `${"é✓".repeat(200)}${"x".repeat(5000)}`,
    [`a key long enough to be written as bytes: ${"k".repeat(80)}`]: 1,
    list: [1, "two", null, undefined, { three: [3] }, []],
    nested: { a: { b: { c: "deep" } }, e: {} },
    unknown: UNKNOWN,
    asset: { "4dabf18193072939515e22adb298388d": "c44067f5952c0a294b673a41bacd8c17", text: "x" },
};
/** What the SDK would send: JSON semantics (undefined dropped from objects, null in arrays). */
const asJson = JSON.parse(JSON.stringify(props)) as Parameters<typeof Struct.fromJavaScript>[0];

describe("plan: the Analyzer wire format (analyzer-wire.ts) against the generated stubs", () => {
    it("encodes properties as the same google.protobuf.Struct the generated code reads", () => {
        const decoded = Struct.deserializeBinary(encodeStruct(props)).toJavaScript();
        assert.deepStrictEqual(decoded, asJson);
        assert.deepStrictEqual(decoded, Struct.deserializeBinary(Struct.fromJavaScript(asJson).serializeBinary()).toJavaScript());
    });

    it("builds an AnalyzeRequest whose every field the generated code reads back", () => {
        const envelope = new analyzerPb.AnalyzeRequest();
        envelope.setType("aws:s3/bucket:Bucket");
        envelope.setUrn("urn:pulumi:dev::mlops::aws:s3/bucket:Bucket::data");
        envelope.setName("data");
        const options = new analyzerPb.AnalyzerResourceOptions();
        options.setProtect(true);
        options.setParent("urn:pulumi:dev::mlops::pulumi:pulumi:Stack::mlops-dev");
        envelope.setOptions(options);
        const request = analyzerPb.AnalyzeRequest.deserializeBinary(analyzeRequestBytes(envelope, props));
        assert.strictEqual(request.getType(), "aws:s3/bucket:Bucket");
        assert.strictEqual(request.getUrn(), "urn:pulumi:dev::mlops::aws:s3/bucket:Bucket::data");
        assert.strictEqual(request.getName(), "data");
        assert.strictEqual(request.getOptions()!.getProtect(), true);
        assert.strictEqual(request.getOptions()!.getParent(), "urn:pulumi:dev::mlops::pulumi:pulumi:Stack::mlops-dev");
        assert.deepStrictEqual(request.getProperties()!.toJavaScript(), asJson);
    });

    it("builds an AnalyzeStackRequest of resources, each with its properties and links", () => {
        const resource = (name: string) => {
            const r = new analyzerPb.AnalyzerResource();
            r.setType("probe:index:Echo");
            r.setUrn(`urn:pulumi:dev::mlops::probe:index:Echo::${name}`);
            r.setName(name);
            r.setDependenciesList([`urn:pulumi:dev::mlops::probe:index:Echo::other`]);
            return r;
        };
        const request = analyzerPb.AnalyzeStackRequest.deserializeBinary(
            analyzeStackRequestBytes([{ envelope: resource("a"), properties: { n: 1 } }, { envelope: resource("b"), properties: props }]),
        );
        const resources = request.getResourcesList();
        assert.deepStrictEqual(resources.map((r) => [r.getName(), r.getDependenciesList(), r.getProperties()!.toJavaScript()]), [
            ["a", ["urn:pulumi:dev::mlops::probe:index:Echo::other"], { n: 1 }],
            ["b", ["urn:pulumi:dev::mlops::probe:index:Echo::other"], asJson],
        ]);
    });

    it("reads an AnalyzeResponse as the generated code writes it: diagnostics and not-applicable entries", () => {
        const response = new analyzerPb.AnalyzeResponse();
        const d = new analyzerPb.AnalyzeDiagnostic();
        d.setPolicyname("s3-bucket-encryption");
        d.setMessage("Buckets are encrypted.\nno rule ✗");
        d.setEnforcementlevel(analyzerPb.EnforcementLevel.MANDATORY);
        d.setUrn("urn:pulumi:dev::mlops::aws:s3/bucket:Bucket::data");
        d.setSeverity(analyzerPb.PolicySeverity.POLICY_SEVERITY_HIGH);
        response.addDiagnostics(d);
        const entries = [["kms-key-rotation", "Policy only applies to resources of type 'aws:kms/key:Key'"], ["ec2-no-open-ingress", ""], ["données", "raison ✓"]];
        for (const [policyName, reason] of entries) {
            const n = new analyzerPb.PolicyNotApplicable();
            n.setPolicyName(policyName);
            if (reason) n.setReason(reason);
            response.addNotApplicable(n);
        }
        const decoded = decodeAnalyzeResponse(response.serializeBinary());
        assert.deepStrictEqual(decoded.notApplicable, entries.map(([policyName, reason]) => ({ policyName, reason })));
        assert.deepStrictEqual(decoded.diagnostics.map((x) => x.toObject()), [d.toObject()]);
        assert.deepStrictEqual(decodeAnalyzeResponse(new analyzerPb.AnalyzeResponse().serializeBinary()), { diagnostics: [], notApplicable: [] });
    });
});
