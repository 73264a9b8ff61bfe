// The policy configuration as the plan resolves it before `Configure` (plan/policy-config.ts): the
// CLI's reconciliation, validated with ajv against each policy's advertised schema, and the plan's
// own refusal of typos. Every message names the rule, the property and the value.

import * as assert from "assert";
import type { AnalyzerInfo, AnalyzerPolicyInfo } from "../../plan/analyzer-client";
import { PolicyConfigError, resolvePolicyPackConfig } from "../../plan/policy-config";

const limits: AnalyzerPolicyInfo = {
    name: "limits",
    description: "d",
    enforcementLevel: "mandatory",
    kind: "resource",
    tags: [],
    configSchema: {
        required: ["maxUsd"],
        properties: {
            maxUsd: { type: "number", minimum: 0, default: 100 },
            count: { type: "integer", minimum: 1, maximum: 10, default: 2 },
            mode: { type: "string", enum: ["strict", "lenient"], default: "strict" },
            types: { type: "array", items: { type: "string", pattern: "^ml\\." }, uniqueItems: true, default: ["ml.m5.large"] },
            nested: { type: "object", additionalProperties: false, properties: { on: { type: "boolean" } }, default: { on: true } },
        },
    },
};
const plain: AnalyzerPolicyInfo = { name: "plain", description: "d", enforcementLevel: "advisory", kind: "stack", tags: [] };

function info(initial: AnalyzerInfo["initialConfig"] = new Map()): Pick<AnalyzerInfo, "name" | "policies" | "initialConfig"> {
    return { name: "pack", policies: [limits, plain], initialConfig: initial };
}

const problems = (config: unknown) => {
    try {
        resolvePolicyPackConfig(info(), config);
    } catch (e) {
        assert.ok(e instanceof PolicyConfigError, String(e));
        return e.message.split("\n");
    }
    return [];
};

describe("plan: policy configuration, resolved as the CLI resolves it", () => {
    it("starts from each policy's advertised level and schema defaults", () => {
        const { policies } = resolvePolicyPackConfig(info(), undefined);
        assert.deepStrictEqual(Object.fromEntries(policies), {
            limits: { enforcementLevel: "mandatory", properties: { maxUsd: 100, count: 2, mode: "strict", types: ["ml.m5.large"], nested: { on: true } } },
            plain: { enforcementLevel: "advisory", properties: {} },
        });
    });

    it("layers the pack's initial config, then the file; \"all\" first; properties shallow-merged", () => {
        const { policies } = resolvePolicyPackConfig(info(new Map([["limits", { properties: { count: 3 } }]])), {
            all: "advisory",
            limits: { mode: "lenient", nested: { on: false } },
        });
        assert.deepStrictEqual(policies.get("limits"), {
            enforcementLevel: "advisory",
            properties: { maxUsd: 100, count: 3, mode: "lenient", types: ["ml.m5.large"], nested: { on: false } },
        });
        assert.deepStrictEqual(policies.get("plain"), { enforcementLevel: "advisory", properties: {} });
        // The CLI sends "all" itself to Configure too.
        assert.deepStrictEqual(policies.get("all"), { enforcementLevel: "advisory", properties: {} });
    });

    it("names each offending property with what the schema allows and the value given", () => {
        assert.deepStrictEqual(problems({ limits: { maxUsd: -1, count: 2.5, mode: "loose", types: ["m5.large", "m5.large"], nested: { on: "yes", extra: 1 } } }), [
            'rule "limits": maxUsd: must be >= 0 (got -1)',
            'rule "limits": count: must be integer (got 2.5)',
            'rule "limits": mode: must be one of "strict", "lenient" (got "loose")',
            'rule "limits": types.0: must match pattern "^ml\\." (got "m5.large")',
            'rule "limits": types.1: must match pattern "^ml\\." (got "m5.large")',
            'rule "limits": types: must NOT have duplicate items (items ## 1 and 0 are identical) (got ["m5.large","m5.large"])',
            'rule "limits": nested.extra is not allowed here',
            'rule "limits": nested.on: must be boolean (got "yes")',
        ]);
        assert.deepStrictEqual(problems({ limits: { count: 11 } }), ['rule "limits": count: must be <= 10 (got 11)']);
    });

    it("refuses a rule name the pack lacks and a property a rule lacks, suggesting the closest", () => {
        assert.deepStrictEqual(problems({ limit: "advisory", limits: { maxUSD: 5 }, plain: { x: 1 }, unrelated: "advisory" }), [
            '"limit" is not a rule of pack (did you mean "limits"?)',
            '"unrelated" is not a rule of pack',
            'rule "limits": "maxUSD" is not a property of this rule (did you mean "maxUsd"?); its properties: maxUsd, count, mode, types, nested',
            'rule "plain": "x" is not a property of this rule; it takes no properties',
        ]);
    });

    it("with typos forwarded, resolves exactly as the CLI does: unknown names and properties go to the pack", () => {
        const resolved = resolvePolicyPackConfig(info(), { limit: "advisory", limits: { maxUSD: 5 } }, { typos: "forward" });
        assert.deepStrictEqual(resolved.unknownPolicyNames, ["limit"]);
        assert.deepStrictEqual(resolved.policies.get("limit"), { enforcementLevel: "advisory", properties: {} });
        assert.strictEqual(resolved.policies.get("limits")!.properties.maxUSD, 5);
        // A name without a level is what the CLI's Configure refuses.
        assert.throws(() => resolvePolicyPackConfig(info(), { limit: { x: 1 } }, { typos: "forward" }), /invalid enforcement level "" for "limit"/);
    });

    it("refuses what the CLI refuses, with its wording", () => {
        assert.deepStrictEqual(problems({ limits: "strict" }), ['parsing enforcement level for "limits": "strict" is not a valid enforcement level (allowed: advisory, mandatory, remediate, disabled)']);
        assert.deepStrictEqual(problems({ limits: { enforcementLevel: 1 } }), ['parsing enforcement level for "limits": 1 is not a valid enforcement level (allowed: advisory, mandatory, remediate, disabled)']);
        assert.deepStrictEqual(problems({ limits: 3 }), ['parsing "limits": 3 is not a valid value; must be a string or object']);
        assert.deepStrictEqual(problems({ all: { maxUsd: 1 } }), ['invalid enforcement level "" for "all"']);
        assert.deepStrictEqual(problems([]), ["must be a JSON object mapping policy names to a level or an object (got [])"]);
    });
});
