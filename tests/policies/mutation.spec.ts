// Mutation testing of the pack: the program's own dev and prod stacks (run once under the mocks),
// changed one thing at a time by the table in mutations.ts.
//  - Each insecure or over-budget variant is evaluated with prod's policy config; it is caught when
//    the rule the table names reports a mandatory violation that the unchanged stack does not have.
//  - Each secure variant is evaluated with its own stack's config and must raise no mandatory
//    violation at all.
// The score is stated in docs/policies.md between the mutation-score markers; the last test fails
// while that text is not what this run measured.

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { policies } from "../../policies/pack";
import { runStack } from "../support/program";
import { evaluatePack, type PlanResource, type Violation } from "./helpers";
import type { PolicyPackConfig } from "../../plan/policy-engine";
import { INSECURE, SECURE, Variant, scoreBlock, type Outcome, type StackName } from "./mutations";

const ROOT = path.join(__dirname, "..", "..");
const DOC = path.join(ROOT, "docs", "policies.md");
const STACKS: StackName[] = ["dev", "prod"];

const configOf = (stack: StackName) => JSON.parse(fs.readFileSync(path.join(ROOT, "policies", "config", `${stack}.json`), "utf8")) as PolicyPackConfig;
const keyOf = (v: Violation) => `${v.policyName}|${v.urn ?? ""}|${v.message}`;
const mandatory = (vs: Violation[]) => vs.filter((v) => v.enforcementLevel === "mandatory");

const caught: Outcome[] = [];
const flagged: Outcome[] = [];

describe("policies: mutation testing (tests/policies/mutations.ts)", function () {
    this.timeout(10 * 60 * 1000);
    const bases = new Map<StackName, readonly PlanResource[]>();
    /** Violation keys of each unchanged stack under prod's config. */
    const baseline = new Map<StackName, Set<string>>();
    const prodConfig = configOf("prod");

    before(async () => {
        for (const stack of STACKS) {
            const run = await runStack(stack);
            bases.set(stack, run.resources);
            const own = await evaluatePack(policies, run.resources, configOf(stack));
            assert.deepStrictEqual(mandatory(own.violations).map((v) => v.message), [], `the unchanged ${stack} stack must plan clean`);
            const underProd = await evaluatePack(policies, run.resources, prodConfig);
            baseline.set(stack, new Set(underProd.violations.map(keyOf)));
        }
    });

    it("has at least 100 insecure and 20 secure variants, each named once", () => {
        assert.ok(INSECURE.length >= 100, `${INSECURE.length} insecure variants`);
        assert.ok(SECURE.length >= 20, `${SECURE.length} secure variants`);
        const names = [...INSECURE, ...SECURE].map((m) => `${m.stack}: ${m.name}`);
        assert.strictEqual(new Set(names).size, names.length, "duplicate variant names");
        for (const m of INSECURE) assert.ok(policies.some((p) => p.name === m.rule), `${m.name}: no rule ${m.rule}`);
    });

    describe("insecure or over-budget variants: the named rule reports a new mandatory violation with prod's config", () => {
        for (const m of INSECURE) {
            it(`${m.stack}: ${m.name} -> ${m.rule}`, async () => {
                const v = new Variant(m.stack, bases.get(m.stack)!);
                m.change(v);
                const result = await evaluatePack(policies, v.resources, prodConfig);
                const known = baseline.get(m.stack)!;
                const fresh = result.violations.filter((x) => !known.has(keyOf(x)));
                const hit = fresh.some((x) => x.policyName === m.rule && x.enforcementLevel === "mandatory");
                caught.push({ name: `${m.stack}: ${m.name}`, rule: m.rule, passed: hit });
                assert.ok(hit, `not caught by ${m.rule}; new violations:\n${fresh.map((x) => `[${x.enforcementLevel}] ${x.policyName}: ${x.message}`).join("\n") || "(none)"}`);
            });
        }
    });

    describe("secure variants: no mandatory violation with their own stack's config", () => {
        for (const s of SECURE) {
            it(`${s.stack}: ${s.name}`, async () => {
                const v = new Variant(s.stack, bases.get(s.stack)!);
                s.change(v);
                const result = await evaluatePack(policies, v.resources, configOf(s.stack));
                const alarms = mandatory(result.violations);
                flagged.push({ name: `${s.stack}: ${s.name}`, passed: alarms.length === 0 });
                assert.deepStrictEqual(alarms.map((x) => `${x.policyName}: ${x.message}`), []);
            });
        }
    });

    // Nested suites run after the tests of their parent, in order: this one comes last.
    describe("score", () => it("docs/policies.md states this run's score", () => {
        assert.strictEqual(caught.length, INSECURE.length, "every insecure variant ran");
        assert.strictEqual(flagged.length, SECURE.length, "every secure variant ran");
        const doc = fs.readFileSync(DOC, "utf8");
        const begin = "<!-- mutation-score (tests/policies/mutation.spec.ts) -->";
        const end = "<!-- /mutation-score -->";
        const i = doc.indexOf(begin);
        const j = doc.indexOf(end);
        assert.ok(i >= 0 && j > i, `docs/policies.md lacks the markers ${begin} ... ${end}`);
        const stated = doc.slice(i + begin.length, j).trim();
        const measured = scoreBlock(caught, flagged);
        assert.strictEqual(stated, measured, `docs/policies.md states another score; put this between the markers:\n${measured}`);
    }));
});
