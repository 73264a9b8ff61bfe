// The two hot messages of the Analyzer protocol written and read without building a message object
// per property: a resource's properties (`google.protobuf.Struct`, written with google-protobuf's
// BinaryWriter) and the answer to `Analyze` (`AnalyzeResponse`, mostly a list of not-applicable
// policies, read field by field with Buffer decoding the strings). A stack of 10,000 resources sends 20,000 Structs and receives
// 10,000 answers of 30 to 40 entries each; building and reading them as message objects took half
// the plan's side of the analysis, and most of its garbage.
//
// The bytes are the same protocol buffers: the Struct/Value/ListValue field numbers are those of
// the well-known types, and every pulumirpc field number is read from @pulumi/pulumi's generated
// stubs when this module loads (by encoding a probe message and reading its tag), never written
// here. tests/plan/analyzer-wire.spec.ts checks both directions against the generated code.

import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { BinaryReader, BinaryWriter } from "google-protobuf";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

/** The field number of the first field `message` encodes (its only one, in a probe). */
function fieldNumberOf(message: { serializeBinary(): Uint8Array }): number {
    const reader = new BinaryReader(message.serializeBinary());
    if (!reader.nextField()) throw new Error("probe message encoded no field");
    return reader.getFieldNumber();
}

const FIELD = (() => {
    const withProperties = <T extends { setProperties(s: Struct): unknown; serializeBinary(): Uint8Array }>(m: T) => {
        m.setProperties(new Struct());
        return fieldNumberOf(m);
    };
    const response = (set: (r: analyzerPb.AnalyzeResponse) => void) => {
        const r = new analyzerPb.AnalyzeResponse();
        set(r);
        return fieldNumberOf(r);
    };
    const notApplicable = (set: (n: analyzerPb.PolicyNotApplicable) => void) => {
        const n = new analyzerPb.PolicyNotApplicable();
        set(n);
        return fieldNumberOf(n);
    };
    const stack = new analyzerPb.AnalyzeStackRequest();
    stack.addResources(new analyzerPb.AnalyzerResource());
    return {
        analyzeRequestProperties: withProperties(new analyzerPb.AnalyzeRequest()),
        analyzerResourceProperties: withProperties(new analyzerPb.AnalyzerResource()),
        stackRequestResources: fieldNumberOf(stack),
        responseDiagnostics: response((r) => r.addDiagnostics(new analyzerPb.AnalyzeDiagnostic())),
        responseNotApplicable: response((r) => r.addNotApplicable(new analyzerPb.PolicyNotApplicable())),
        notApplicablePolicyName: notApplicable((n) => n.setPolicyName("p")),
        notApplicableReason: notApplicable((n) => n.setReason("r")),
    };
})();

// google.protobuf.Struct { map<string, Value> fields = 1; } (a map entry: key = 1, value = 2)
// google.protobuf.Value { null_value = 1; number_value = 2; string_value = 3; bool_value = 4;
//                         struct_value = 5; list_value = 6; }
// google.protobuf.ListValue { repeated Value values = 1; }

/** Boxes a value so that a JSON null still reaches the writer callback. */
interface Box {
    v: unknown;
}

function writeValue(box: Box, w: BinaryWriter): void {
    const v = box.v;
    // As JSON: undefined, NaN and infinities become null.
    if (v === null || v === undefined || (typeof v === "number" && !Number.isFinite(v))) w.writeEnum(1, 0);
    else if (typeof v === "number") w.writeDouble(2, v);
    else if (typeof v === "bigint") w.writeDouble(2, Number(v));
    else if (typeof v === "string") writeString(w, 3, v);
    else if (typeof v === "boolean") w.writeBool(4, v);
    else if (Array.isArray(v)) w.writeMessage(6, v, writeList);
    else if (typeof v === "object") w.writeMessage(5, v, writeStruct);
    else w.writeEnum(1, 0);
}

/**
 * A string field. Long strings (a Lambda's bundled code is half a megabyte) are encoded to UTF-8 by
 * Buffer, natively, and written as the length-delimited bytes a string field is on the wire.
 */
function writeString(w: BinaryWriter, field: number, value: string): void {
    if (value.length < 64) w.writeString(field, value);
    else w.writeBytes(field, Buffer.from(value, "utf8"));
}

function writeList(items: unknown[], w: BinaryWriter): void {
    for (const item of items) w.writeMessage(1, { v: item === undefined ? null : item }, writeValue);
}

function writeEntry(entry: [string, unknown], w: BinaryWriter): void {
    writeString(w, 1, entry[0]);
    w.writeMessage(2, { v: entry[1] }, writeValue);
}

function writeStruct(obj: Record<string, unknown>, w: BinaryWriter): void {
    for (const key of Object.keys(obj)) {
        const value = obj[key];
        // The SDK drops undefined properties; functions and symbols have no JSON form either.
        if (value === undefined || typeof value === "function" || typeof value === "symbol") continue;
        w.writeMessage(1, [key, value], writeEntry);
    }
}

/** `obj` as the bytes of a `google.protobuf.Struct`. */
export function encodeStruct(obj: Record<string, unknown>): Uint8Array {
    const w = new BinaryWriter();
    writeStruct(obj, w);
    return w.getResultBuffer();
}

/** Appends `properties` as the message's properties field to its other fields' bytes. */
function withProperties(envelope: Uint8Array, field: number, properties: Record<string, unknown>): Uint8Array {
    const w = new BinaryWriter();
    w.writeMessage(field, properties, writeStruct);
    const tail = w.getResultBuffer();
    const out = new Uint8Array(envelope.length + tail.length);
    out.set(envelope, 0);
    out.set(tail, envelope.length);
    return out;
}

/** An `AnalyzeRequest` whose other fields are set, with `properties` added, as bytes. */
export function analyzeRequestBytes(envelope: analyzerPb.AnalyzeRequest, properties: Record<string, unknown>): Uint8Array {
    return withProperties(envelope.serializeBinary(), FIELD.analyzeRequestProperties, properties);
}

/** An `AnalyzeStackRequest` of resources whose other fields are set, each with its properties. */
export function analyzeStackRequestBytes(resources: { envelope: analyzerPb.AnalyzerResource; properties: Record<string, unknown> }[]): Uint8Array {
    const w = new BinaryWriter();
    for (const r of resources) {
        w.writeBytes(FIELD.stackRequestResources, withProperties(r.envelope.serializeBinary(), FIELD.analyzerResourceProperties, r.properties));
    }
    return w.getResultBuffer();
}

export interface DecodedAnalyzeResponse {
    diagnostics: analyzerPb.AnalyzeDiagnostic[];
    notApplicable: { policyName: string; reason: string }[];
}

/** Reads a base-128 varint at `pos`; returns it and the position after it. */
function varint(buf: Buffer, pos: number): [number, number] {
    let value = 0;
    let shift = 0;
    for (;;) {
        if (pos >= buf.length) throw new Error("truncated protocol buffer");
        const byte = buf[pos++];
        value += (byte & 0x7f) * 2 ** shift;
        if (byte < 0x80) return [value, pos];
        shift += 7;
    }
}

/** Walks the fields of the message in `buf[start, end)`, calling `onField` for each length-delimited one. */
function eachField(buf: Buffer, start: number, end: number, onField: (field: number, from: number, to: number) => void): void {
    let pos = start;
    while (pos < end) {
        const [tag, afterTag] = varint(buf, pos);
        const field = Math.floor(tag / 8);
        const wireType = tag % 8;
        if (wireType === 2) {
            const [length, from] = varint(buf, afterTag);
            pos = from + length;
            onField(field, from, pos);
        } else if (wireType === 0) {
            pos = varint(buf, afterTag)[1];
        } else if (wireType === 1) {
            pos = afterTag + 8;
        } else if (wireType === 5) {
            pos = afterTag + 4;
        } else {
            throw new Error(`unexpected protocol buffer wire type ${wireType}`);
        }
    }
}

/**
 * Reads an `AnalyzeResponse`: diagnostics as the generated messages (there are few), not-applicable
 * entries as plain objects, their strings decoded by Buffer (there are tens per resource).
 */
export function decodeAnalyzeResponse(bytes: Uint8Array): DecodedAnalyzeResponse {
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const diagnostics: analyzerPb.AnalyzeDiagnostic[] = [];
    const notApplicable: { policyName: string; reason: string }[] = [];
    eachField(buf, 0, buf.length, (field, from, to) => {
        if (field === FIELD.responseDiagnostics) {
            diagnostics.push(analyzerPb.AnalyzeDiagnostic.deserializeBinary(buf.subarray(from, to)));
        } else if (field === FIELD.responseNotApplicable) {
            const entry = { policyName: "", reason: "" };
            eachField(buf, from, to, (f, a, b) => {
                if (f === FIELD.notApplicablePolicyName) entry.policyName = buf.toString("utf8", a, b);
                else if (f === FIELD.notApplicableReason) entry.reason = buf.toString("utf8", a, b);
            });
            notApplicable.push(entry);
        }
    });
    return { diagnostics, notApplicable };
}
