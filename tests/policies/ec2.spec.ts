import * as assert from "assert";
import { assertNone, assertViolation, check, res } from "./helpers";

const EC2 = "aws:ec2/instance:Instance";
const SG = "aws:ec2/securityGroup:SecurityGroup";
const SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";

const trainer = (over: Record<string, unknown> = {}) =>
    res(EC2, "trainer", {
        instanceType: "g4dn.xlarge",
        ami: "ami-0d3b5e4c2a1f09876",
        iamInstanceProfile: "trainer-profile",
        associatePublicIpAddress: false,
        metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" },
        rootBlockDevice: { encrypted: true, volumeSize: 100, volumeType: "gp3" },
        ...over,
    });

describe("policies: EC2", () => {
    it("the GPU trainer as designed passes every EC2 instance rule", async () => {
        for (const rule of ["ec2-imdsv2-required", "ec2-no-public-ip", "ec2-encrypted-volumes", "ec2-instance-profile"]) assertNone(await check(rule, [trainer()]));
    });

    it("ec2-imdsv2-required: optional tokens fail, a disabled endpoint passes", async () => {
        assertViolation(await check("ec2-imdsv2-required", [trainer({ metadataOptions: undefined })]), "httpTokens is \"optional (default)\"", 1);
        assertViolation(await check("ec2-imdsv2-required", [trainer({ metadataOptions: { httpTokens: "optional" } })]), "\"optional\"", 1);
        assertNone(await check("ec2-imdsv2-required", [trainer({ metadataOptions: { httpEndpoint: "disabled" } })]));
    });

    it("ec2-no-public-ip: on the instance or a network interface", async () => {
        assertViolation(await check("ec2-no-public-ip", [trainer({ associatePublicIpAddress: true })]), "associatePublicIpAddress is true", 1);
        assertViolation(await check("ec2-no-public-ip", [trainer({ networkInterfaces: [{ associatePublicIpAddress: true }] })]), "networkInterfaces[0]", 1);
    });

    it("ec2-encrypted-volumes: root declared and encrypted, every EBS device encrypted, optional key", async () => {
        assertViolation(await check("ec2-encrypted-volumes", [trainer({ rootBlockDevice: undefined })]), "rootBlockDevice is not declared", 1);
        assertViolation(await check("ec2-encrypted-volumes", [trainer({ ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: false }] })]), "ebsBlockDevices[0].encrypted is false", 1);
        assertViolation(await check("ec2-encrypted-volumes", [trainer()], { kmsKeyId: "arn:aws:kms:us-east-1:1:key/k" }), "not arn:aws:kms:us-east-1:1:key/k", 1);
        assertNone(await check("ec2-encrypted-volumes", [trainer({ rootBlockDevice: { encrypted: true, kmsKeyId: "arn:aws:kms:us-east-1:1:key/k" } })], { kmsKeyId: "arn:aws:kms:us-east-1:1:key/k" }));
    });

    it("ec2-instance-profile", async () => {
        assertViolation(await check("ec2-instance-profile", [trainer({ iamInstanceProfile: undefined })]), "iamInstanceProfile is not set", 1);
    });

    describe("ec2-no-open-ingress", () => {
        it("accepts no ingress and ingress from a private range or a security group", async () => {
            assertNone(await check("ec2-no-open-ingress", [
                res(SG, "trainer-sg", { egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] }),
                res(SG, "internal", { ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["10.0.0.0/16"] }] }),
                res(INGRESS, "from-sg", { securityGroupId: "sg-1", ipProtocol: "tcp", fromPort: 443, toPort: 443, referencedSecurityGroupId: "sg-2" }),
            ]));
        });
        it("rejects SSH from the world (inline, SecurityGroupRule, SecurityGroupIngressRule) and all ports over IPv6", async () => {
            const v = await check("ec2-no-open-ingress", [
                res(SG, "ssh", { ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }] }),
                res(SG_RULE, "rule", { type: "ingress", securityGroupId: "sg-1", protocol: "tcp", fromPort: 8000, toPort: 9000, cidrBlocks: ["0.0.0.0/0"] }),
                res(INGRESS, "v6", { securityGroupId: "sg-1", ipProtocol: "-1", cidrIpv6: "::/0" }),
            ]);
            assertViolation(v, "admits 0.0.0.0/0 on port 22 (includes SSH)");
            assertViolation(v, "admits 0.0.0.0/0 on ports 8000-9000.");
            assertViolation(v, "admits ::/0 on all ports (includes SSH)");
            assert.strictEqual(v.length, 3);
        });
        it("egress rules are not ingress", async () => {
            assertNone(await check("ec2-no-open-ingress", [res(SG_RULE, "egress", { type: "egress", securityGroupId: "sg-1", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] })]));
        });
        it("config can open single ports to the world (e.g. 443)", async () => {
            const https = [res(SG, "web", { ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }] })];
            assertViolation(await check("ec2-no-open-ingress", https), "port 443");
            assertNone(await check("ec2-no-open-ingress", https, { allowedWorldPorts: ["443"] }));
        });
    });
});
