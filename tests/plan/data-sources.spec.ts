// The data sources the offline plan answers (plan/data-sources.ts), as the AWS provider would, and
// a program that reads each of them planned end to end (fixtures/data-sources).

import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { answerDataSource, zonesOf } from "../../plan/data-sources";
import type { PlanReport } from "../../plan/make-plan";
import { type AwsClass, tokenOf } from "../../policies/lib/resource-types";
import { typed } from "../support/program";
import type * as DataSourcesProgram from "./fixtures/data-sources";
import { planJson, PROBE_PACK, runPlan } from "./run-plan";

/** What the provider answers, by data source token: @pulumi/aws's result types. */
interface Answers {
    "aws:iam/getPolicyDocument:getPolicyDocument": aws.iam.GetPolicyDocumentResult;
    "aws:index/getAvailabilityZones:getAvailabilityZones": aws.GetAvailabilityZonesResult;
    "aws:index/getPartition:getPartition": aws.GetPartitionResult;
    "aws:index/getCallerIdentity:getCallerIdentity": aws.GetCallerIdentityResult;
    "aws:index/getRegion:getRegion": aws.GetRegionResult;
    "aws:ec2/getVpc:getVpc": aws.ec2.GetVpcResult;
    "aws:ec2/getSubnets:getSubnets": aws.ec2.GetSubnetsResult;
    "aws:ec2/getSubnet:getSubnet": aws.ec2.GetSubnetResult;
    "aws:ec2/getAmi:getAmi": aws.ec2.GetAmiResult;
}

const ACCOUNT = { region: "eu-west-1", accountId: "210987654321" };
const ask = <T extends keyof Answers>(token: T, inputs: Record<string, unknown> = {}, account = ACCOUNT) => answerDataSource(token, inputs, account) as unknown as Answers[T];
const POLICY_DOCUMENT = "aws:iam/getPolicyDocument:getPolicyDocument";

/** A policy document as the provider renders it to JSON (the fields these tests read). */
interface RenderedDocument {
    Version: string;
    Id?: string;
    Statement: { Sid?: string; Effect: string; Principal?: unknown; Condition?: Record<string, unknown> }[];
}
const parseDocument = (json: string) => JSON.parse(json) as RenderedDocument;

/** The stack outputs of fixtures/data-sources, as the plan reports them. */
type DataSourcesOutputs = pulumi.Unwrap<typeof DataSourcesProgram>;

/** The report's first resource of `cls`'s type, typed. */
function firstOf<C extends AwsClass>(report: PlanReport, cls: C) {
    const found = report.resources.find((r) => r.type === tokenOf(cls));
    assert.ok(found, `no ${tokenOf(cls)} in the plan`);
    return typed(found, cls);
}

describe("plan: data sources answered as the provider would", () => {
    describe("aws.iam.getPolicyDocument", () => {
        it("renders statements as the provider does: field order, defaults, sets sorted descending, single values unwrapped", () => {
            const doc = ask(POLICY_DOCUMENT, {
                policyId: "ReadOnly",
                statements: [
                    { sid: "Read", actions: ["s3:GetObject", "s3:ListBucket", "s3:GetObject"], resources: ["arn:aws:s3:::b/*", "arn:aws:s3:::b"] },
                    { effect: "Deny", notActions: ["iam:*"], notResources: ["arn:aws:iam::*:role/&{aws:username}"] },
                ],
            });
            const expected = {
                Version: "2012-10-17",
                Id: "ReadOnly",
                Statement: [
                    { Sid: "Read", Effect: "Allow", Action: ["s3:ListBucket", "s3:GetObject"], Resource: ["arn:aws:s3:::b/*", "arn:aws:s3:::b"] },
                    { Effect: "Deny", NotAction: "iam:*", NotResource: "arn:aws:iam::*:role/${aws:username}" },
                ],
            };
            assert.strictEqual(doc.json, JSON.stringify(expected, null, 2));
            assert.strictEqual(doc.minifiedJson, JSON.stringify(expected));
            assert.strictEqual(doc.id, String(zlib.crc32(doc.json)));
        });

        it("renders principals by type (merged, sorted) and keeps only {\"*\": \"*\"} as \"*\"", () => {
            const statement = (principals: unknown) => parseDocument(ask(POLICY_DOCUMENT, { statements: [{ actions: ["sts:AssumeRole"], principals }] }).json).Statement[0].Principal;
            assert.strictEqual(statement([{ type: "*", identifiers: ["*"] }]), "*");
            assert.deepStrictEqual(statement([{ type: "AWS", identifiers: ["*"] }]), { AWS: "*" });
            assert.deepStrictEqual(
                statement([
                    { type: "Service", identifiers: ["sagemaker.amazonaws.com"] },
                    { type: "AWS", identifiers: ["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"] },
                    { type: "Service", identifiers: ["ec2.amazonaws.com"] },
                ]),
                { AWS: ["arn:aws:iam::222222222222:root", "arn:aws:iam::111111111111:root"], Service: ["sagemaker.amazonaws.com", "ec2.amazonaws.com"] },
            );
        });

        it("renders conditions by test and variable, values in their order, single values unwrapped", () => {
            const doc = parseDocument(ask(POLICY_DOCUMENT, {
                statements: [{
                    actions: ["s3:*"],
                    resources: ["*"],
                    conditions: [
                        { test: "StringEquals", variable: "aws:PrincipalOrgID", values: ["o-b", "o-a"] },
                        { test: "Bool", variable: "aws:SecureTransport", values: ["false"] },
                        { test: "StringEquals", variable: "aws:PrincipalOrgID", values: ["o-c"] },
                        { test: "StringLike", variable: "s3:prefix", values: ["home/&{aws:username}/*"] },
                    ],
                }],
            }).json);
            assert.deepStrictEqual(doc.Statement[0].Condition, {
                Bool: { "aws:SecureTransport": "false" },
                StringEquals: { "aws:PrincipalOrgID": ["o-b", "o-a", "o-c"] },
                StringLike: { "s3:prefix": "home/${aws:username}/*" },
            });
            assert.deepStrictEqual(Object.keys(doc.Statement[0].Condition ?? {}), ["Bool", "StringEquals", "StringLike"]);
        });

        it("merges source and override documents by Sid, and refuses what the provider refuses", () => {
            const source = JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "A", Effect: "Allow", Action: "s3:GetObject", Resource: "*" }, { Sid: "B", Effect: "Allow", Action: "s3:PutObject", Resource: "*" }] });
            const override = JSON.stringify({ Statement: [{ Sid: "B", Effect: "Deny", Action: "s3:PutObject", Resource: "*" }] });
            const doc = parseDocument(ask(POLICY_DOCUMENT, { sourcePolicyDocuments: [source], overridePolicyDocuments: [override], statements: [{ sid: "C", actions: ["s3:ListBucket"], resources: ["*"] }] }).json);
            assert.deepStrictEqual(doc.Statement.map((s) => `${s.Sid}:${s.Effect}`), ["A:Allow", "B:Deny", "C:Allow"]);
            assert.throws(() => ask(POLICY_DOCUMENT, { statements: [{ sid: "X", actions: ["a:b"] }, { sid: "X", actions: ["c:d"] }] }), /duplicate Sid \(X\)/);
            assert.throws(() => ask(POLICY_DOCUMENT, { statements: [{ sid: "not-alphanumeric", actions: ["a:b"] }] }), /must only include alphanumeric characters/);
            assert.throws(() => ask(POLICY_DOCUMENT, { version: "2008-10-17", statements: [{ actions: ["a:b"], resources: ["&{aws:username}"] }] }), /not supported in document version 2008-10-17/);
        });
    });

    describe("the default VPC, its subnets and the zones", () => {
        it("gives the region's zones with their zone ids", () => {
            assert.deepStrictEqual(zonesOf("eu-west-1"), [
                { name: "eu-west-1a", zoneId: "euw1-az1" },
                { name: "eu-west-1b", zoneId: "euw1-az2" },
                { name: "eu-west-1c", zoneId: "euw1-az3" },
            ]);
            assert.strictEqual(zonesOf("us-east-1").length, 6);
            assert.strictEqual(zonesOf("ap-southeast-2")[0].zoneId, "apse2-az1");
            const zones = ask("aws:index/getAvailabilityZones:getAvailabilityZones", { excludeNames: ["eu-west-1b"] });
            assert.deepStrictEqual(zones.names, ["eu-west-1a", "eu-west-1c"]);
        });

        it("answers the default VPC and one default /20 subnet per zone, consistently across lookups", () => {
            const vpc = ask("aws:ec2/getVpc:getVpc", { default: true });
            assert.match(vpc.id, /^vpc-0[0-9a-f]{16}$/);
            assert.strictEqual(vpc.cidrBlock, "172.31.0.0/16");
            assert.strictEqual(vpc.arn, `arn:aws:ec2:eu-west-1:210987654321:vpc/${vpc.id}`);
            assert.strictEqual(ask("aws:ec2/getVpc:getVpc", { id: vpc.id }).id, vpc.id);
            const ids = ask("aws:ec2/getSubnets:getSubnets", { filters: [{ name: "vpc-id", values: [vpc.id] }, { name: "default-for-az", values: ["true"] }] }).ids;
            assert.strictEqual(ids.length, 3);
            const subnets = ids.map((id) => ask("aws:ec2/getSubnet:getSubnet", { id }));
            assert.deepStrictEqual(subnets.map((s) => [s.availabilityZone, s.cidrBlock, s.vpcId, s.defaultForAz]), [
                ["eu-west-1a", "172.31.0.0/20", vpc.id, true],
                ["eu-west-1b", "172.31.16.0/20", vpc.id, true],
                ["eu-west-1c", "172.31.32.0/20", vpc.id, true],
            ]);
            assert.strictEqual(ask("aws:ec2/getSubnet:getSubnet", { availabilityZone: "eu-west-1b", defaultForAz: true }).id, ids[1]);
            assert.deepStrictEqual(ask("aws:ec2/getSubnets:getSubnets", { filters: [{ name: "availability-zone", values: ["eu-west-1*"] }] }).ids, ids);
            // Another account, another default VPC.
            assert.notStrictEqual(ask("aws:ec2/getVpc:getVpc", { default: true }, { ...ACCOUNT, accountId: "111111111111" }).id, vpc.id);
        });

        it("refuses lookups it cannot model, naming the data source, and fails as the provider when nothing matches", () => {
            assert.throws(() => ask("aws:ec2/getVpc:getVpc", { default: true, cidrBlock: "10.0.0.0/16" }), /aws:ec2\/getVpc:getVpc: no matching EC2 VPC found/);
            assert.throws(() => ask("aws:ec2/getVpc:getVpc", { id: "vpc-0123456789abcdef0" }), /cannot answer data source aws:ec2\/getVpc:getVpc: only the account's default VPC \(vpc-0[0-9a-f]{16}\) is known offline; vpc-0123456789abcdef0 is not it/);
            assert.throws(() => ask("aws:ec2/getVpc:getVpc", { tags: { Name: "main" } }), /cannot answer data source aws:ec2\/getVpc:getVpc: only the account's default VPC/);
            assert.throws(() => ask("aws:ec2/getSubnets:getSubnets", { filters: [{ name: "tag:Tier", values: ["private"] }] }), /cannot answer data source aws:ec2\/getSubnets:getSubnets: filter "tag:Tier" is not one the plan models/);
            assert.throws(() => ask("aws:ec2/getSubnet:getSubnet", { vpcId: ask("aws:ec2/getVpc:getVpc", { default: true }).id }), /multiple EC2 Subnets matched/);
            assert.throws(() => ask("aws:ec2/getSubnet:getSubnet", { id: "subnet-0123" }), /no matching EC2 Subnet found/);
        });
    });

    describe("account, partition, region, AMIs", () => {
        it("derives the partition and the ARNs from the region", () => {
            assert.deepStrictEqual(ask("aws:index/getPartition:getPartition"), { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" });
            assert.strictEqual(ask("aws:index/getPartition:getPartition", {}, { region: "cn-north-1", accountId: "1" }).partition, "aws-cn");
            assert.strictEqual(ask("aws:index/getCallerIdentity:getCallerIdentity").accountId, "210987654321");
            assert.deepStrictEqual([ask("aws:index/getRegion:getRegion").region, ask("aws:index/getRegion:getRegion").endpoint], ["eu-west-1", "ec2.eu-west-1.amazonaws.com"]);
        });

        it("answers an AMI lookup with an image its filters match, and refuses an unsafe most-recent query as @pulumi/aws 7 does", () => {
            const dlami = ask("aws:ec2/getAmi:getAmi", { mostRecent: true, owners: ["amazon"], filters: [{ name: "name", values: ["Deep Learning OSS Nvidia Driver AMI GPU PyTorch 2.* (Ubuntu 22.04)*"] }] });
            assert.strictEqual(dlami.id, "ami-0d3b5e4c2a1f09876");
            const other = ask("aws:ec2/getAmi:getAmi", { mostRecent: true, owners: ["099720109477"], filters: [{ name: "name", values: ["ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*"] }] });
            assert.strictEqual(other.name, "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-1");
            assert.strictEqual(other.ownerId, "099720109477");
            assert.match(other.id, /^ami-0[0-9a-f]{16}$/);
            assert.throws(() => ask("aws:ec2/getAmi:getAmi", { mostRecent: true, filters: [{ name: "name", values: ["x*"] }] }), /aws:ec2\/getAmi:getAmi: mostRecent is true but the query is filtered by neither owners/);
        });

        it("names the token of a data source it does not emulate", () => {
            assert.throws(() => answerDataSource("aws:rds/getEngineVersion:getEngineVersion", { engine: "postgres" }, ACCOUNT), /the offline plan cannot answer data source aws:rds\/getEngineVersion:getEngineVersion: it is not one the plan emulates/);
        });
    });

    describe("a program that reads each of them, planned end to end", function () {
        this.timeout(300000);
        const DS = path.join("tests", "plan", "fixtures", "data-sources");
        const allDisabled = () => {
            const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "plan-ds-")), "policy.json");
            fs.writeFileSync(file, JSON.stringify({ all: "disabled" }));
            return file;
        };

        it("runs, and its resources carry the values the provider would compute", async () => {
            const { code, report, stderr } = await planJson(["--stack", "dev", "--program", path.join(DS, "index.ts"), "--policy-pack", PROBE_PACK, "--policy-config", allDisabled()]);
            assert.strictEqual(code, 0, stderr);
            const out = report.outputs as DataSourcesOutputs;
            assert.strictEqual(report.region, "eu-west-1");
            assert.deepStrictEqual([out.accountId, out.partitionName, out.regionName], ["123456789012", "aws", "eu-west-1"]);
            assert.deepStrictEqual([out.zoneNames, out.zoneIds], [["eu-west-1a", "eu-west-1b", "eu-west-1c"], ["euw1-az1", "euw1-az2", "euw1-az3"]]);
            assert.deepStrictEqual([out.vpcCidr, out.subnetIds.length, out.subnet.id, out.subnet.vpcId, out.subnet.zone], ["172.31.0.0/16", 3, out.subnetIds[0], out.vpcId, "eu-west-1a"]);
            assert.deepStrictEqual(parseDocument(out.trustPolicy), {
                Version: "2012-10-17",
                Statement: [{
                    Effect: "Allow",
                    Action: "sts:AssumeRole",
                    Principal: { Service: "ec2.amazonaws.com" },
                    Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
                }],
            });
            assert.strictEqual(out.trustPolicyId, String(zlib.crc32(out.trustPolicy)));
            const byType = <C extends AwsClass>(cls: C) => firstOf(report, cls);
            assert.strictEqual(byType(aws.iam.Role).props.assumeRolePolicy, out.trustPolicy);
            assert.strictEqual(byType(aws.iam.RolePolicy).props.policy, out.permissionsPolicy);
            assert.deepStrictEqual(parseDocument(out.permissionsPolicy).Statement[1], {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Action: "s3:*",
                Resource: "arn:aws:s3:::data-123456789012/*",
                Principal: "*",
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            });
            assert.strictEqual(byType(aws.ec2.SecurityGroup).props.vpcId, out.vpcId);
            assert.deepStrictEqual([byType(aws.ec2.Instance).props.subnetId, byType(aws.ec2.Instance).props.ami], [out.subnet.id, "ami-0d3b5e4c2a1f09876"]);
        });

        it("exits 3 naming the data source it cannot emulate", async () => {
            const run = await runPlan(["--stack", "dev", "--program", path.join(DS, "unknown.ts"), "--policy-pack", PROBE_PACK, "--policy-config", allDisabled()]);
            assert.strictEqual(run.code, 3, run.stderr);
            assert.match(run.stderr, /the offline plan cannot answer data source aws:rds\/getEngineVersion:getEngineVersion/);
            assert.strictEqual(run.stdout, "");
        });
    });
});
