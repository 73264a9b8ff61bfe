import * as assert from "assert";
import { validateJsonSchema } from "../../plan/json-schema";

// The keywords policy configSchemas use, checked the way the CLI's validation reports them.
describe("plan: policy configSchema validation", () => {
    const schema = {
        type: "object",
        required: ["maxUsd"],
        properties: {
            maxUsd: { type: "number", minimum: 0 },
            count: { type: "integer", minimum: 1, maximum: 10 },
            mode: { type: "string", enum: ["strict", "lenient"] },
            types: { type: "array", items: { type: "string", pattern: "^ml\\." }, uniqueItems: true },
            nested: { type: "object", additionalProperties: false, properties: { on: { type: "boolean" } } },
        },
    };

    it("accepts a valid document and unknown top-level keys (additionalProperties defaults to allowed)", () => {
        assert.deepStrictEqual(validateJsonSchema(schema, { maxUsd: 10, count: 3, mode: "strict", types: ["ml.m5.large"], nested: { on: true }, other: 1 }), []);
    });

    it("names each offending key with what was expected", () => {
        assert.deepStrictEqual(
            validateJsonSchema(schema, { count: 2.5, mode: "loose", types: ["m5.large", "m5.large"], nested: { on: "yes", extra: 1 } }),
            [
                "(root): maxUsd is required",
                "count: Invalid type. Expected: integer, given: number",
                'mode: must be one of the following: "strict", "lenient" (got "loose")',
                "types: array items must be unique (\"m5.large\" repeats)",
                "types.0: Does not match pattern '^ml\\.' (got \"m5.large\")",
                "types.1: Does not match pattern '^ml\\.' (got \"m5.large\")",
                "nested.on: Invalid type. Expected: boolean, given: string",
                "nested: Additional property extra is not allowed",
            ],
        );
        assert.deepStrictEqual(validateJsonSchema(schema, { maxUsd: -1, count: 11 }), [
            "maxUsd: Must be greater than or equal to 0 (got -1)",
            "count: Must be less than or equal to 10 (got 11)",
        ]);
    });
});
