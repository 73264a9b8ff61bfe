// The workload permission contracts (components/permissions/contracts.ts), evaluated against the
// policies the program really produces for dev and prod, identity and resource policies together,
// by an independent IAM simulator (@cloud-copilot/iam-simulate): every request a workload makes at
// run time is allowed, every probe is denied, and no role holds a permission no request uses.

import * as assert from "assert";
import type { PolicyDocument, Statement } from "../../components/iam";
import {
    DOCUMENTED_DLC_ACCOUNTS, FOREIGN_ACCOUNT, RoleKey, stackContracts, WorkloadContract, WorkloadRequest,
} from "../../components/permissions/contracts";
import type { ProgramRun } from "../../plan/run-program";
import { Decision, Policies, simulate, SimulatedRequest } from "../support/iam-simulator";
import { runStack } from "../support/program";
import { readStackPolicies, StackPolicies } from "../support/stack-policies";

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * AWS's Deep Learning Containers repositories accept pulls from any AWS account; their repository
 * policy is not published, so it is modelled as exactly that: the verdict on a cross-account pull
 * is then our role's identity policy's.
 */
const AWS_OWNED_REPOSITORY_POLICY: PolicyDocument = {
    Version: "2012-10-17",
    Statement: [{
        Effect: "Allow",
        Principal: "*",
        Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
        Resource: "*",
    }],
};

/** A principal of another account, with every permission its own account can give it. */
const STRANGER_POLICY: PolicyDocument = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

const accountOf = (arn: string, fallback: string) => (arn.startsWith("arn:") && arn.split(":")[4]) || fallback;

/** Turns a contract request into the simulator's request and the policies that govern it. */
function toSimulation(s: StackPolicies, neighbour: StackPolicies, r: WorkloadRequest): { request: SimulatedRequest; policies: Policies } {
    const f = s.facts;
    let principal: string;
    let identity: Policies["identity"] = [];
    if ("role" in r.principal) {
        const role = s.roles[r.principal.role];
        if (!role) throw new Error(`${s.stack} has no ${r.principal.role} role`);
        principal = `arn:aws:sts::${f.accountId}:assumed-role/${role.name}/session`;
        identity = role.inline;
    } else if ("service" in r.principal) {
        principal = r.principal.service;
    } else {
        principal = `arn:aws:iam::${r.principal.foreignAccount}:role/stranger`;
        identity = [{ name: "stranger", policy: STRANGER_POLICY }];
    }

    let resource: PolicyDocument | undefined;
    let resourceAccount = accountOf(r.resource, f.accountId);
    if (r.action === "sts:AssumeRole") {
        const role = Object.values(s.roles).find(x => x.arn === r.resource);
        if (!role) throw new Error(`${r.resource} is not a role of ${s.stack}`);
        resource = role.trust;
    } else if (r.resource === f.bucketArn || r.resource.startsWith(`${f.bucketArn}/`)) {
        resource = s.bucketPolicy;
    } else if (r.resource === f.neighbour.bucketArn || r.resource.startsWith(`${f.neighbour.bucketArn}/`)) {
        resource = neighbour.bucketPolicy;
    } else if (r.resource === f.kmsKeyArn) {
        resource = s.keyPolicy;
    } else if (r.action.startsWith("ecr:") && r.resource !== "*" && resourceAccount !== f.accountId) {
        resource = AWS_OWNED_REPOSITORY_POLICY;
    }
    if (r.resource === "*") resourceAccount = f.accountId;
    return {
        request: { principal, action: r.action, resource: r.resource, resourceAccount, context: r.context },
        policies: { identity, resource },
    };
}

async function decide(s: StackPolicies, neighbour: StackPolicies, r: WorkloadRequest): Promise<Decision> {
    const { request, policies } = toSimulation(s, neighbour, r);
    return simulate(request, policies);
}

const show = (r: WorkloadRequest) => {
    const who = "role" in r.principal ? `${r.principal.role} role` : "service" in r.principal ? r.principal.service : `account ${r.principal.foreignAccount}`;
    return `${who}: ${r.does} (${r.action} ${r.resource} ${JSON.stringify(r.context)})`;
};

/** IAM's wildcard match (`*` any run of characters, `?` one character). */
const matches = (pattern: string, value: string) =>
    new RegExp(`^${pattern.split("").map(c => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&"))).join("")}$`).test(value);

/**
 * What in a role's policies no request of its workload uses: an action, a resource, or an
 * `s3:prefix` a statement allows that no request needs.
 */
function unusedGrants(docs: PolicyDocument[], requests: WorkloadRequest[]): string[] {
    const unused: string[] = [];
    for (const st of docs.flatMap(d => d.Statement).filter((x: Statement) => x.Effect === "Allow")) {
        const actions = list(st.Action);
        const resources = list(st.Resource);
        const using = requests.filter(r => actions.includes(r.action) && resources.some(p => matches(p, r.resource)));
        for (const a of actions) if (!using.some(r => r.action === a)) unused.push(`${st.Sid}: ${a}`);
        for (const p of resources) if (!using.some(r => matches(p, r.resource))) unused.push(`${st.Sid}: ${p}`);
        for (const p of list(st.Condition?.StringLike?.["s3:prefix"] as string | string[] | undefined)) {
            if (!using.some(r => matches(p, String(r.context["s3:prefix"])))) unused.push(`${st.Sid}: s3:prefix ${p}`);
        }
    }
    return unused;
}

describe("workload permission contracts, checked by an independent IAM simulator", function () {
    const stacks: Record<"dev" | "prod", StackPolicies> = {} as never;
    let runs: Record<"dev" | "prod", ProgramRun>;
    before(async () => {
        runs = { dev: await runStack("dev"), prod: await runStack("prod") };
        stacks.dev = readStackPolicies(runs.dev, runs.prod);
        stacks.prod = readStackPolicies(runs.prod, runs.dev);
    });
    const neighbourOf = (stack: "dev" | "prod") => stacks[stack === "dev" ? "prod" : "dev"];
    const contractsOf = (stack: "dev" | "prod"): WorkloadContract[] => stackContracts(stacks[stack].facts);

    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}: every request each workload makes at run time is allowed`, async () => {
            const refused: string[] = [];
            let count = 0;
            for (const contract of contractsOf(stack)) {
                for (const r of contract.requests) {
                    count++;
                    const decision = await decide(stacks[stack], neighbourOf(stack), r);
                    if (decision !== "Allowed") refused.push(`${contract.workload}: ${show(r)} -> ${decision}`);
                }
            }
            assert.ok(count > 80, `only ${count} requests: the contracts lost their requests`);
            assert.deepStrictEqual(refused, [], `refused:\n${refused.join("\n")}`);
        });

        it(`${stack}: every must-deny probe is denied`, async () => {
            const allowed: string[] = [];
            let count = 0;
            for (const contract of contractsOf(stack)) {
                for (const r of contract.mustDeny) {
                    count++;
                    const decision = await decide(stacks[stack], neighbourOf(stack), r);
                    if (decision === "Allowed") allowed.push(`${contract.workload}: ${show(r)}`);
                }
            }
            assert.ok(count > 80, `only ${count} probes: the contracts lost their probes`);
            assert.deepStrictEqual(allowed, [], `allowed although they must not be:\n${allowed.join("\n")}`);
        });

        it(`${stack}: a request without TLS is refused by the bucket policy itself, whatever the role may do`, async () => {
            const bucket = contractsOf(stack).find(c => c.workload.startsWith("Data bucket"))!;
            const insecure = bucket.mustDeny.filter(r => r.context["aws:SecureTransport"] === "false");
            assert.ok(insecure.length > 20);
            for (const r of insecure) {
                assert.strictEqual(await decide(stacks[stack], neighbourOf(stack), r), "ExplicitlyDenied", show(r));
            }
        });

        it(`${stack}: every action, resource and listed prefix a role is granted is used by a request of its workload`, () => {
            const s = stacks[stack];
            for (const [key, role] of Object.entries(s.roles) as [RoleKey, NonNullable<StackPolicies["roles"][RoleKey]>][]) {
                const requests = contractsOf(stack).flatMap(c => c.requests).filter(r => "role" in r.principal && r.principal.role === key);
                assert.deepStrictEqual(unusedGrants(role.inline.map(p => p.policy), requests), [], `${key} role holds grants no contract request uses`);
            }
        });

        it(`${stack}: every role is named by one contract, and only the EC2 trainer has a managed policy (Session Manager)`, () => {
            const s = stacks[stack];
            const contracted = contractsOf(stack).map(c => c.role).filter(Boolean).sort();
            assert.deepStrictEqual(contracted, Object.keys(s.roles).sort());
            for (const [key, role] of Object.entries(s.roles)) {
                assert.deepStrictEqual(role.managed, key === "gpuTrainer" ? ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"] : [], key);
            }
        });

        it(`${stack}: trust policies pin aws:SourceArn only for training (and Debugger processing) jobs and inference`, () => {
            const s = stacks[stack];
            const conditionOf = (key: RoleKey) => {
                const [trust, ...more] = s.roles[key]!.trust.Statement;
                assert.strictEqual(more.length, 0, `${key}: one trust statement`);
                return trust.Condition;
            };
            const sm = (resource: string) => `arn:aws:sagemaker:us-east-1:123456789012:${resource}`;
            assert.deepStrictEqual(conditionOf("training"), { ArnLike: { "aws:SourceArn": [sm(`training-job/mlops-${stack}-*`), sm("processing-job/*")] } });
            assert.deepStrictEqual(conditionOf("model"), { ArnLike: { "aws:SourceArn": [sm("*")] } });
            for (const key of ["tuning", "notebook", "inference", "gpuTrainer"] as const) {
                assert.strictEqual(conditionOf(key), undefined, `${key}: AWS documents no source key for it`);
            }
        });

        // The provider resolves the registry at deploy time from its own table; the plan's mocks answer
        // for it, and this holds that answer (and so the roles' ECR grants) to AWS's page.
        it(`${stack}: the images are planned from the Deep Learning Containers account AWS documents for the region`, () => {
            const f = stacks[stack].facts;
            const documented = DOCUMENTED_DLC_ACCOUNTS[f.region];
            assert.ok(documented, `no documented DLC account for ${f.region}`);
            const images = [f.endpoint.image, ...f.runs.map(r => r.trainingImage), ...(f.tuning ? [f.tuning.trainingImage] : [])];
            for (const image of images) assert.ok(image.startsWith(`${documented.account}.dkr.ecr.${f.region}.amazonaws.com/`), image);
        });
    }

    it("prod: the key is used only through the requests of the contracts (KMS requests are evaluated with the key policy)", async () => {
        const s = stacks.prod;
        const r: WorkloadRequest = {
            does: "a role of the account that no identity policy grants the key",
            principal: { role: "inference" },
            action: "kms:Decrypt",
            resource: s.facts.kmsKeyArn!,
            context: { "kms:ViaService": "s3.us-east-1.amazonaws.com" },
            docs: ["kmsRootDelegation"],
        };
        assert.strictEqual(await decide(s, stacks.dev, r), "ImplicitlyDenied");
        assert.strictEqual(await decide(s, stacks.dev, { ...r, principal: { foreignAccount: FOREIGN_ACCOUNT } }), "ImplicitlyDenied");
    });

    it("the check can fail: without its log statement the model role could not write the endpoint's logs", async () => {
        const s = stacks.dev;
        const model = s.roles.model!;
        const crippled: StackPolicies = {
            ...s,
            roles: {
                ...s.roles,
                model: { ...model, inline: model.inline.map(p => ({ ...p, policy: { ...p.policy, Statement: p.policy.Statement.filter(st => st.Sid !== "WriteEndpointLogs") } })) },
            },
        };
        const writeLogs = stackContracts(s.facts).find(c => c.role === "model")!.requests.find(r => r.action === "logs:PutLogEvents")!;
        assert.match(writeLogs.resource, /:log-group:\/aws\/sagemaker\/Endpoints\/mlops-dev-endpoint:log-stream:primary\//);
        assert.strictEqual(await decide(s, stacks.prod, writeLogs), "Allowed");
        assert.strictEqual(await decide(crippled, stacks.prod, writeLogs), "ImplicitlyDenied");
    });
});
