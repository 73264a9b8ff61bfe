import * as assert from "assert";
import * as aws from "@pulumi/aws";
import * as policy from "@pulumi/policy";
import { evaluatePack, PlanResource, PolicyConfigError, PolicyEvaluationError } from "../../plan/policy-engine";

// Pulumi's marker for a value unknown during preview, and for a secret, as the engine marshals them.
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

const urn = (type: string, name: string) => `urn:pulumi:dev::mlops::${type}::${name}`;

function res(type: string, name: string, props: Record<string, any>, extra: Partial<PlanResource> = {}): PlanResource {
    return { urn: urn(type, name), type, name, props, ...extra };
}

const bucket = res("aws:s3/bucket:Bucket", "data", { tags: { project: "mlops" } });
const notebook = res("aws:sagemaker/notebookInstance:NotebookInstance", "nb", {
    instanceType: "ml.t3.medium",
    rootAccess: "Enabled",
});

const rootAccess: policy.ResourceValidationPolicy = {
    name: "notebook-root-access-disabled",
    description: "Notebook root access must be disabled.",
    enforcementLevel: "mandatory",
    validateResource: policy.validateResourceOfType(aws.sagemaker.NotebookInstance, (nb, _args, report) => {
        if (nb.rootAccess !== "Disabled") report(`rootAccess is ${JSON.stringify(nb.rootAccess)}`);
    }),
};

const instanceTypes: policy.ResourceValidationPolicy = {
    name: "notebook-instance-type",
    description: "Notebook instance type must be allowed.",
    configSchema: {
        properties: {
            allowed: { type: "array", items: { type: "string" }, default: ["ml.t3.medium"] },
            note: { type: "string", default: "from-schema" },
        },
    },
    validateResource: (args, report) => {
        if (!args.isType(aws.sagemaker.NotebookInstance)) args.notApplicable("not a notebook");
        const cfg = args.getConfig<{ allowed: string[] }>();
        if (!cfg.allowed.includes(args.props.instanceType)) report(`${args.props.instanceType} not in ${cfg.allowed.join(",")}`);
    },
};

describe("policy engine: enforcement levels", () => {
    it("uses the policy's own level, the pack default, and config overrides in that precedence", async () => {
        const { violations } = await evaluatePack([rootAccess, instanceTypes], [notebook], {
            "notebook-instance-type": { allowed: ["ml.t3.large"] },
        });
        assert.deepStrictEqual(
            violations.map((v) => [v.policyName, v.enforcementLevel]),
            [
                ["notebook-root-access-disabled", "mandatory"], // the policy's own
                ["notebook-instance-type", "advisory"], // pack default
            ],
        );
        const overridden = await evaluatePack([rootAccess, instanceTypes], [notebook], {
            "notebook-root-access-disabled": "advisory",
            "notebook-instance-type": { enforcementLevel: "mandatory", allowed: ["ml.t3.large"] },
        });
        assert.deepStrictEqual(
            overridden.violations.map((v) => v.enforcementLevel),
            ["advisory", "mandatory"],
        );
    });

    it('applies "all" first and lets a per-policy entry override it', async () => {
        const { violations } = await evaluatePack([rootAccess, instanceTypes], [notebook], {
            all: "advisory",
            "notebook-instance-type": { enforcementLevel: "mandatory", allowed: [] },
        });
        assert.deepStrictEqual(
            violations.map((v) => [v.policyName, v.enforcementLevel]),
            [
                ["notebook-root-access-disabled", "advisory"],
                ["notebook-instance-type", "mandatory"],
            ],
        );
    });

    it("skips disabled policies and honours the pack default level option", async () => {
        const { violations } = await evaluatePack([rootAccess, instanceTypes], [notebook], {
            "notebook-root-access-disabled": "disabled",
            "notebook-instance-type": { allowed: [] },
        }, { packEnforcementLevel: "mandatory" });
        assert.deepStrictEqual(violations.map((v) => [v.policyName, v.enforcementLevel]), [["notebook-instance-type", "mandatory"]]);
    });

    it("formats the message as the description, a newline and the reported text, with the resource", async () => {
        const { violations } = await evaluatePack([rootAccess], [bucket, notebook]);
        assert.strictEqual(violations.length, 1);
        assert.deepStrictEqual(violations[0], {
            policyName: "notebook-root-access-disabled",
            enforcementLevel: "mandatory",
            message: 'Notebook root access must be disabled.\nrootAccess is "Enabled"',
            urn: notebook.urn,
            resourceName: "nb",
            resourceType: "aws:sagemaker/notebookInstance:NotebookInstance",
            kind: "resource",
            severity: undefined,
        });
    });
});

describe("policy engine: config", () => {
    it("merges schema defaults with the config and hides enforcementLevel from getConfig", async () => {
        let seen: Record<string, unknown> | undefined;
        const probe: policy.ResourceValidationPolicy = {
            ...instanceTypes,
            name: "probe",
            validateResource: (args) => {
                seen = args.getConfig<Record<string, unknown>>();
            },
        };
        const result = await evaluatePack([probe], [notebook], { probe: { enforcementLevel: "mandatory", allowed: ["x"] } });
        assert.deepStrictEqual(seen, { allowed: ["x"], note: "from-schema" });
        assert.deepStrictEqual(result.config.policies.get("probe"), {
            enforcementLevel: "mandatory",
            properties: { allowed: ["x"], note: "from-schema" },
        });
    });

    it("refuses an unknown enforcement level, naming the policy and the value", async () => {
        await assert.rejects(
            evaluatePack([rootAccess], [notebook], { "notebook-root-access-disabled": "strict" as any }),
            (e: Error) => e instanceof PolicyConfigError && /"notebook-root-access-disabled": "strict" is not a valid enforcement level/.test(e.message),
        );
    });

    it("refuses a value that violates the policy's configSchema, naming policy and key", async () => {
        await assert.rejects(
            evaluatePack([instanceTypes], [notebook], { "notebook-instance-type": { allowed: "ml.t3.medium" } }),
            (e: Error) => e instanceof PolicyConfigError && /notebook-instance-type: allowed: Invalid type. Expected: array, given: string/.test(e.message),
        );
    });

    it("refuses config for a policy the pack lacks when it has no level (the CLI's Configure does)", async () => {
        await assert.rejects(
            evaluatePack([rootAccess], [notebook], { "no-such-policy": { max: 1 } }),
            (e: Error) => e instanceof PolicyConfigError && /no-such-policy/.test(e.message),
        );
        const ok = await evaluatePack([rootAccess], [notebook], { "no-such-policy": "advisory" });
        assert.deepStrictEqual(ok.config.unknownPolicyNames, ["no-such-policy"]);
    });
});

describe("policy engine: applicability and unknowns", () => {
    it("reports typed policies as not applicable to other types, and explicit notApplicable with its reason", async () => {
        const { notApplicable, violations } = await evaluatePack([rootAccess, instanceTypes], [bucket], {});
        assert.deepStrictEqual(violations, []);
        assert.deepStrictEqual(notApplicable, [
            {
                policyName: "notebook-root-access-disabled",
                reason: "Policy only applies to resources of type 'aws:sagemaker/notebookInstance:NotebookInstance'",
                urn: bucket.urn,
            },
            { policyName: "notebook-instance-type", reason: "not a notebook", urn: bucket.urn },
        ]);
    });

    it("turns a value unknown during preview into an advisory diagnostic instead of a violation", async () => {
        const unknownNb = res("aws:sagemaker/notebookInstance:NotebookInstance", "nb2", { rootAccess: UNKNOWN });
        const { violations } = await evaluatePack([rootAccess], [unknownNb], undefined, { packName: "pk", packVersion: "1.2.3" });
        assert.deepStrictEqual(violations.map((v) => [v.enforcementLevel, v.message]), [
            [
                "advisory",
                "can't run policy 'notebook-root-access-disabled' from policy pack 'pk@v1.2.3' during preview: string value at .rootAccess can't be known during preview",
            ],
        ]);
    });

    it("unwraps secrets the way the analyzer does", async () => {
        const secretNb = res("aws:sagemaker/notebookInstance:NotebookInstance", "nb3", {
            rootAccess: { [SIG]: SECRET_SIG, value: "Disabled" },
        });
        const { violations } = await evaluatePack([rootAccess], [secretNb]);
        assert.deepStrictEqual(violations, []);
    });

    it("fails like the CLI when a policy throws", async () => {
        const broken: policy.ResourceValidationPolicy = {
            name: "broken",
            description: "d",
            validateResource: () => {
                throw new Error("boom");
            },
        };
        await assert.rejects(
            evaluatePack([broken], [bucket], undefined, { packName: "pk", packVersion: "1" }),
            (e: Error) => e instanceof PolicyEvaluationError && /Error validating resource with policy 'broken' from policy pack 'pk@v1':\nError: boom/.test(e.message),
        );
    });
});

describe("policy engine: remediation", () => {
    const fixRoot: policy.ResourceValidationPolicy = {
        name: "fix-root",
        description: "Root access must be disabled.",
        enforcementLevel: "remediate",
        ...policy.validateRemediateResourceOfType(aws.sagemaker.NotebookInstance, (nb, _args, report) => {
            if (nb.rootAccess !== "Disabled") {
                report("root access enabled");
                return { ...nb, rootAccess: "Disabled" };
            }
            return undefined;
        }),
    };

    it("remediates inputs before analysis so no violation remains, and lists the remediation", async () => {
        const { violations, remediations } = await evaluatePack([fixRoot, rootAccess], [notebook]);
        assert.deepStrictEqual(violations, []);
        assert.strictEqual(remediations.length, 1);
        assert.strictEqual(remediations[0].policyName, "fix-root");
        assert.strictEqual(remediations[0].properties?.rootAccess, "Disabled");
    });

    it("reports a remediate-level policy's remaining violation as mandatory", async () => {
        const validateOnly: policy.ResourceValidationPolicy = { ...rootAccess, name: "root-remediate", enforcementLevel: "remediate" };
        const { violations } = await evaluatePack([validateOnly], [notebook]);
        assert.deepStrictEqual(violations.map((v) => v.enforcementLevel), ["mandatory"]);
    });
});

describe("policy engine: stack policies", () => {
    const component = res("mlops:storage:DataBucket", "data", {});
    const child = res("aws:s3/bucket:Bucket", "data-bucket", { bucket: "b" }, { parent: component.urn });
    const pab = res(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "data-pab",
        { bucket: "b", blockPublicAcls: true },
        { parent: component.urn, dependencies: [child.urn], propertyDependencies: { bucket: [child.urn] } },
    );

    it("links parent, dependencies and propertyDependencies to resource objects and attributes violations by urn", async () => {
        const seen: string[] = [];
        const joined: policy.StackValidationPolicy = {
            name: "bucket-has-pab",
            description: "Every bucket needs a public access block.",
            enforcementLevel: "mandatory",
            validateStack: (args, report) => {
                for (const r of args.resources) {
                    if (r.type === "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock") {
                        seen.push(`${r.parent?.name}|${r.dependencies.map((d) => d.name)}|${r.propertyDependencies.bucket.map((d) => d.name)}`);
                        if (r.props.blockPublicPolicy !== true) report("blockPublicPolicy is not true", r.urn);
                    }
                }
                report("stack-wide note");
            },
        };
        const { violations } = await evaluatePack([joined], [component, child, pab]);
        assert.deepStrictEqual(seen, ["data|data-bucket|data-bucket"]);
        assert.deepStrictEqual(
            violations.map((v) => [v.kind, v.urn, v.resourceName, v.resourceType, v.message]),
            [
                ["stack", pab.urn, "data-pab", pab.type, "Every bucket needs a public access block.\nblockPublicPolicy is not true"],
                ["stack", undefined, undefined, undefined, "Every bucket needs a public access block.\nstack-wide note"],
            ],
        );
    });

    it("reports a typed stack policy as not applicable when the stack lacks its type", async () => {
        const typed: policy.StackValidationPolicy = {
            name: "endpoints",
            description: "d",
            validateStack: policy.validateStackResourcesOfType(aws.sagemaker.Endpoint, () => undefined),
        };
        const { notApplicable } = await evaluatePack([typed], [component, child]);
        assert.deepStrictEqual(notApplicable, [
            { policyName: "endpoints", reason: "Policy only applies to resources of type 'aws:sagemaker/endpoint:Endpoint'" },
        ]);
    });
});

describe("policy engine: provider and options", () => {
    const providerUrnValue = "urn:pulumi:dev::mlops::pulumi:providers:aws::default_7_48_0";
    const provider = res("pulumi:providers:aws", "default_7_48_0", { region: "eu-west-1", version: "7.48.0" });
    const stackUrn = "urn:pulumi:dev::mlops::pulumi:pulumi:Stack::mlops-dev";
    const nb = res("aws:sagemaker/notebookInstance:NotebookInstance", "nb", { rootAccess: "Disabled" }, {
        parent: stackUrn,
        provider: `${providerUrnValue}::${UNKNOWN}`,
        opts: { protect: true, ignoreChanges: ["tags"], customTimeouts: { createSeconds: 600 } },
    });

    it("gives resource policies the provider's inputs and the resource options, as the analyzer does", async () => {
        let seen: any;
        const probe: policy.ResourceValidationPolicy = {
            name: "probe",
            description: "d",
            validateResource: (args) => {
                seen = { provider: { ...args.provider, props: { ...args.provider?.props } }, opts: args.opts };
            },
        };
        await evaluatePack([probe], [provider, nb]);
        assert.deepStrictEqual(seen.provider, {
            type: "pulumi:providers:aws",
            name: "default_7_48_0",
            urn: providerUrnValue,
            props: { region: "eu-west-1", version: "7.48.0" },
        });
        assert.deepStrictEqual(seen.opts, {
            protect: true,
            ignoreChanges: ["tags"],
            aliases: [],
            customTimeouts: { createSeconds: 600, updateSeconds: 0, deleteSeconds: 0 },
            additionalSecretOutputs: [],
            parent: stackUrn,
        });
    });

    it("gives stack policies the outputs when present, and the provider", async () => {
        let seen: any;
        const probe: policy.StackValidationPolicy = {
            name: "probe",
            description: "d",
            validateStack: (args) => {
                const r = args.resources.find((x) => x.name === "nb")!;
                seen = { arn: r.props.arn, rootAccess: r.props.rootAccess, provider: r.provider?.name };
            },
        };
        await evaluatePack([probe], [provider, { ...nb, outputs: { rootAccess: "Disabled", arn: "arn:aws:sagemaker:eu-west-1:1:notebook-instance/nb" } }]);
        assert.deepStrictEqual(seen, { arn: "arn:aws:sagemaker:eu-west-1:1:notebook-instance/nb", rootAccess: "Disabled", provider: "default_7_48_0" });
    });
});

