// The engine side of policy evaluation (plan/policy-engine.ts) against a real pack served by
// @pulumi/policy: the probe pack in fixtures/probe-pack, whose policies each exercise one thing and
// whose "echo" policies report what the analyzer handed them.

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { PlanResource } from "../../plan/analyzer-client";
import { evaluatePack, PolicyConfigError, PolicyEvaluationError, type Violation } from "../../plan/policy-engine";
import { PolicyPackProcess } from "../../plan/policy-pack";

const PROBE_PACK = path.join(__dirname, "fixtures", "probe-pack");

// Pulumi's markers for a value unknown during preview, and for a secret, as the engine marshals them.
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

const urn = (type: string, name: string) => `urn:pulumi:dev::mlops::${type}::${name}`;

function res(type: string, name: string, props: Record<string, unknown>, extra: Partial<PlanResource> = {}): PlanResource {
    return { urn: urn(type, name), type, name, props, ...extra };
}

/** What an echo policy reports on its message's second line: what the analyzer handed it. */
interface Echoed {
    config?: unknown;
    props?: unknown;
    /** The provider resource (resource policies) or its name (stack policies). */
    provider?: unknown;
    opts?: unknown;
}
const echoedBy = (v: Violation) => JSON.parse(v.message.split("\n")[1]) as Echoed;

const NOTEBOOK = "aws:sagemaker/notebookInstance:NotebookInstance";
const ECHO = "probe:index:Echo";
const bucket = res("aws:s3/bucket:Bucket", "data", { tags: { project: "mlops" } });
const notebook = res(NOTEBOOK, "nb", { instanceType: "ml.t3.large", rootAccess: "Enabled" });

/** The level each probe policy has on its own (or from the pack's default, "mandatory"). */
const OWN_LEVEL: Record<string, string> = {
    "notebook-root-access-disabled": "advisory",
    "notebook-instance-type": "mandatory",
    echo: "advisory",
    "echo-stack": "advisory",
    broken: "mandatory",
    "fix-root": "disabled",
    endpoints: "advisory",
};

/** A config with only the named policies on, at their own level. */
const only = (...names: string[]): Record<string, string> => Object.fromEntries([["all", "disabled"], ...names.map((n): [string, string] => [n, OWN_LEVEL[n]])]);

describe("policy engine: the probe pack served by @pulumi/policy", function () {
    this.timeout(300000);
    let pack: PolicyPackProcess;
    before(async () => {
        pack = await PolicyPackProcess.launch({ packDir: PROBE_PACK, stack: { stack: "dev", project: "mlops", dryRun: true } });
    });
    after(() => pack?.close());

    const levels = async (config: unknown, resources: PlanResource[] = [notebook]) =>
        (await evaluatePack(pack, resources, config)).violations.filter((v) => v.policyName.startsWith("notebook-")).map((v) => [v.policyName, v.enforcementLevel]);

    describe("enforcement levels", () => {
        it("uses the policy's own level, else the pack's default, and config overrides in that precedence", async () => {
            assert.deepStrictEqual(await levels({}), [
                ["notebook-root-access-disabled", "advisory"], // its own
                ["notebook-instance-type", "mandatory"], // the pack's default
            ]);
            assert.deepStrictEqual(
                await levels({ "notebook-root-access-disabled": "mandatory", "notebook-instance-type": { enforcementLevel: "advisory" } }),
                [
                    ["notebook-root-access-disabled", "mandatory"],
                    ["notebook-instance-type", "advisory"],
                ],
            );
        });

        it('applies "all" first and lets a per-policy entry override it', async () => {
            assert.deepStrictEqual(await levels({ all: "advisory", "notebook-instance-type": { enforcementLevel: "mandatory", allowed: [] } }), [
                ["notebook-root-access-disabled", "advisory"],
                ["notebook-instance-type", "mandatory"],
            ]);
        });

        it("skips disabled policies", async () => {
            assert.deepStrictEqual(await levels({ "notebook-root-access-disabled": "disabled" }), [["notebook-instance-type", "mandatory"]]);
            const { violations, notApplicable } = await evaluatePack(pack, [notebook, bucket], { all: "disabled" });
            assert.deepStrictEqual([violations, notApplicable], [[], []]);
        });

        it("gives a violation its policy, level, resource, kind, severity and the analyzer's message", async () => {
            const { violations } = await evaluatePack(pack, [bucket, notebook], only("notebook-root-access-disabled", "notebook-instance-type"));
            assert.deepStrictEqual(violations, [
                {
                    policyName: "notebook-root-access-disabled",
                    enforcementLevel: "advisory",
                    message: 'Notebook root access must be disabled.\nrootAccess is "Enabled"',
                    urn: notebook.urn,
                    resourceName: "nb",
                    resourceType: NOTEBOOK,
                    kind: "resource",
                    severity: undefined,
                },
                {
                    policyName: "notebook-instance-type",
                    enforcementLevel: "mandatory",
                    message: "Notebook instance type must be allowed.\nml.t3.large not in ml.t3.medium",
                    urn: notebook.urn,
                    resourceName: "nb",
                    resourceType: NOTEBOOK,
                    kind: "resource",
                    severity: "high",
                },
            ]);
        });
    });

    describe("config", () => {
        const echoed = async (config: unknown) => {
            const { violations, config: resolved } = await evaluatePack(pack, [res(ECHO, "e", {})], { ...only("echo"), ...(config as object) });
            return { seen: echoedBy(violations[0]).config, resolved: resolved.policies.get("echo") };
        };

        it("sends schema defaults merged with the file, and getConfig hides the level", async () => {
            assert.deepStrictEqual(await echoed({}), { seen: { limit: 3 }, resolved: { enforcementLevel: "advisory", properties: { limit: 3 } } });
            assert.deepStrictEqual(await echoed({ echo: { enforcementLevel: "mandatory", limit: 5 } }), {
                seen: { limit: 5 },
                resolved: { enforcementLevel: "mandatory", properties: { limit: 5 } },
            });
        });

        it("refuses an unknown enforcement level, naming the policy and the value", async () => {
            await assert.rejects(evaluatePack(pack, [notebook], { "notebook-root-access-disabled": "strict" }), (e: Error) =>
                e instanceof PolicyConfigError && /parsing enforcement level for "notebook-root-access-disabled": "strict" is not a valid enforcement level \(allowed: advisory, mandatory, remediate, disabled\)/.test(e.message),
            );
        });

        it("refuses a value that violates the policy's configSchema, naming policy, property and value", async () => {
            await assert.rejects(evaluatePack(pack, [notebook], { "notebook-instance-type": { allowed: "ml.t3.medium" }, echo: { limit: 0 } }), (e: Error) => {
                assert.ok(e instanceof PolicyConfigError);
                assert.deepStrictEqual(e.message.split("\n"), [
                    'rule "notebook-instance-type": allowed: must be array (got "ml.t3.medium")',
                    'rule "echo": limit: must be >= 1 (got 0)',
                ]);
                return true;
            });
        });

        it("refuses a rule name the pack lacks and a property a rule lacks, suggesting the closest", async () => {
            await assert.rejects(evaluatePack(pack, [notebook], { "notebook-instance-typ": "advisory", "notebook-instance-type": { alowed: [] } }), (e: Error) => {
                assert.ok(e instanceof PolicyConfigError);
                assert.deepStrictEqual(e.message.split("\n"), [
                    '"notebook-instance-typ" is not a rule of probe (did you mean "notebook-instance-type"?)',
                    'rule "notebook-instance-type": "alowed" is not a property of this rule (did you mean "allowed"?); its properties: allowed, note',
                ]);
                return true;
            });
            await assert.rejects(evaluatePack(pack, [notebook], { broken: { retries: 2 } }), /rule "broken": "retries" is not a property of this rule; it takes no properties/);
        });
    });

    describe("applicability and unknowns", () => {
        it("reports typed policies as not applicable to other types, and explicit notApplicable with its reason", async () => {
            const { notApplicable, violations } = await evaluatePack(pack, [bucket], only("notebook-root-access-disabled", "notebook-instance-type", "endpoints"));
            assert.deepStrictEqual(violations, []);
            assert.deepStrictEqual(notApplicable, [
                { policyName: "notebook-root-access-disabled", reason: `Policy only applies to resources of type '${NOTEBOOK}'`, urn: bucket.urn },
                { policyName: "notebook-instance-type", reason: "not a notebook", urn: bucket.urn },
                { policyName: "endpoints", reason: "Policy only applies to resources of type 'aws:sagemaker/endpoint:Endpoint'" },
            ]);
        });

        it("turns a value unknown during preview into an advisory diagnostic instead of a violation", async () => {
            const unknownNb = res(NOTEBOOK, "nb2", { rootAccess: UNKNOWN });
            const { violations } = await evaluatePack(pack, [unknownNb], { ...only("notebook-root-access-disabled"), "notebook-root-access-disabled": "mandatory" });
            assert.deepStrictEqual(violations.map((v) => [v.enforcementLevel, v.message]), [
                ["advisory", "can't run policy 'notebook-root-access-disabled' from policy pack 'probe@v1.2.3' during preview: string value at .rootAccess can't be known during preview"],
            ]);
        });

        it("hands policies secrets unwrapped, as the analyzer does", async () => {
            const secretNb = res(NOTEBOOK, "nb3", { rootAccess: { [SIG]: SECRET_SIG, value: "Disabled" } });
            const { violations } = await evaluatePack(pack, [secretNb], only("notebook-root-access-disabled"));
            assert.deepStrictEqual(violations, []);
        });

        it("fails like the CLI when a policy throws, with the analyzer's words", async () => {
            await assert.rejects(evaluatePack(pack, [bucket, res("aws:s3/bucket:Bucket", "boom", {})], only("broken")), (e: Error) => {
                assert.ok(e instanceof PolicyEvaluationError);
                assert.match(e.message, /^Error validating resource with policy 'broken' from policy pack 'probe@v1.2.3':\nError: boom\n/);
                // Where the policy threw, in its TypeScript source, and no frame of the libraries.
                const line = fs.readFileSync(path.join(PROBE_PACK, "index.ts"), "utf8").split("\n").findIndex((l) => l.includes('throw new Error("boom")')) + 1;
                assert.match(e.message, new RegExp(`at validateResource \\(.*fixtures/probe-pack/index.ts:${line}:\\d+\\)`));
                assert.doesNotMatch(e.message, /node_modules/);
                return true;
            });
        });
    });

    describe("remediation", () => {
        it("remediates inputs before analysis, so no violation remains, and lists the remediation", async () => {
            const { violations, remediations } = await evaluatePack(pack, [notebook], { ...only("notebook-root-access-disabled"), "fix-root": "remediate" });
            assert.deepStrictEqual(violations, []);
            assert.deepStrictEqual(
                remediations.map((r) => [r.policyName, r.resourceName, r.properties?.rootAccess]),
                [["fix-root", "nb", "Disabled"]],
            );
        });

        it("reports a remediate-level policy's remaining violation as mandatory", async () => {
            const { violations } = await evaluatePack(pack, [notebook], { ...only(), "notebook-root-access-disabled": "remediate" });
            assert.deepStrictEqual(violations.map((v) => [v.policyName, v.enforcementLevel]), [["notebook-root-access-disabled", "mandatory"]]);
        });
    });

    describe("stack policies", () => {
        const parent = res("mlops:storage:DataBucket", "data", {});
        const dep = res("aws:s3/bucket:Bucket", "data-bucket", { bucket: "b" }, { parent: parent.urn });
        const echoed = res(ECHO, "echoed", { in: 1 }, {
            parent: parent.urn,
            outputs: { in: 1, arn: "arn:probe" },
            dependencies: [dep.urn],
            propertyDependencies: { bucket: [dep.urn], none: [] },
        });

        it("links parent, dependencies and property dependencies, sees outputs, and attributes violations by URN", async () => {
            const { violations } = await evaluatePack(pack, [parent, dep, echoed, res(ECHO, "stack-wide", {})], only("echo-stack"));
            assert.deepStrictEqual(
                violations.map((v) => [v.kind, v.urn, v.resourceName, v.resourceType]),
                [
                    ["stack", echoed.urn, "echoed", ECHO],
                    ["stack", urn(ECHO, "stack-wide"), "stack-wide", ECHO],
                    ["stack", undefined, undefined, undefined],
                ],
            );
            assert.deepStrictEqual(JSON.parse(violations[0].message.split("\n")[1]), {
                name: "echoed",
                props: { in: 1, arn: "arn:probe" },
                parent: "data",
                dependencies: ["data-bucket"],
                propertyDependencies: { bucket: ["data-bucket"] },
            });
            assert.strictEqual(violations[2].message, "Echoes the stack's resources.\nstack-wide note");
        });
    });

    describe("provider and options", () => {
        const providerUrn = "urn:pulumi:dev::mlops::pulumi:providers:aws::default_7_48_0";
        const provider = res("pulumi:providers:aws", "default_7_48_0", { region: "eu-west-1", version: "7.48.0" });
        const stackUrn = "urn:pulumi:dev::mlops::pulumi:pulumi:Stack::mlops-dev";
        const echoed = res(ECHO, "with-provider", { rootAccess: "Disabled" }, {
            parent: stackUrn,
            provider: `${providerUrn}::${UNKNOWN}`,
            opts: { protect: true, ignoreChanges: ["tags"], customTimeouts: { createSeconds: 600 } },
        });

        it("gives resource policies the provider's inputs and the resource options, as the engine does", async () => {
            const { violations } = await evaluatePack(pack, [provider, echoed], only("echo"));
            const seen = echoedBy(violations[0]);
            assert.deepStrictEqual(seen.provider, { type: "pulumi:providers:aws", name: "default_7_48_0", urn: providerUrn, props: { region: "eu-west-1", version: "7.48.0" } });
            assert.deepStrictEqual(seen.opts, {
                protect: true,
                ignoreChanges: ["tags"],
                aliases: [],
                customTimeouts: { createSeconds: 600, updateSeconds: 0, deleteSeconds: 0 },
                additionalSecretOutputs: [],
                parent: stackUrn,
            });
        });

        it("names a provider outside the analyzed resources by its URN, with no inputs", async () => {
            const { violations } = await evaluatePack(pack, [echoed], only("echo"));
            assert.deepStrictEqual(echoedBy(violations[0]).provider, { type: "pulumi:providers:aws", name: "default_7_48_0", urn: providerUrn, props: {} });
        });

        it("gives stack policies the provider too", async () => {
            const { violations } = await evaluatePack(pack, [provider, echoed], only("echo-stack"));
            assert.strictEqual(echoedBy(violations[0]).provider, "default_7_48_0");
        });
    });
});
