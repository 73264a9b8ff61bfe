// EC2 rules for the GPU trainer, in every form an instance can be declared (an instance, a spot
// instance request, a launch template instances start from) and for standalone EBS volumes:
// IMDSv2, no public IP, encrypted volumes, an instance profile, and no ingress from the whole
// internet (inline security-group rules and the separate rule resources).

import { cfg, resourceRule } from "../lib/rule";
import { instanceVolumes, templateVolumes, standaloneVolume, type Volume } from "../lib/ec2";
import { type Read, Unknown, isSet, peek, peekEach, readBoolean, readNumber, readString } from "../lib/preview";
import { RESOURCE_TYPES as T } from "../lib/resource-types";

export const imdsv2Required = resourceRule({
    name: "ec2-imdsv2-required",
    description: "EC2 instances, spot requests and launch templates require IMDSv2 session tokens (metadataOptions.httpTokens 'required') or disable the metadata endpoint.",
    anchors: ["CKV_AWS_79", "CKV_AWS_341", "EC2IMDSv2Enabled", "AwsSolutions-EC29"],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "set metadataOptions: { httpTokens: \"required\", httpEndpoint: \"enabled\" }.",
    config: {},
    kinds: [T.ec2Instance, T.launchTemplate],
    validate(props, { report }) {
        const endpoint = readString(() => props.metadataOptions?.httpEndpoint);
        if (endpoint === "disabled") return;
        const tokens = readString(() => props.metadataOptions?.httpTokens);
        if (tokens instanceof Unknown) return;
        if (tokens !== "required") report(`metadataOptions.httpTokens is ${JSON.stringify(tokens ?? "optional (default)")}.`);
    },
});

export const noPublicIp = resourceRule({
    name: "ec2-no-public-ip",
    description: "EC2 instances, spot requests and launch templates give no public IP address (associatePublicIpAddress is not true, on the instance or its network interfaces).",
    anchors: ["awsguard:ec2-instance-no-public-ip", "CKV_AWS_88", "EC2InstanceNoPublicIp"],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "set associatePublicIpAddress: false and reach the instance through SSM Session Manager.",
    config: {},
    kinds: [T.ec2Instance, T.launchTemplate],
    validate(_, { as, report }) {
        const instance = as(T.ec2Instance);
        if (instance && readBoolean(() => instance.associatePublicIpAddress) === true) report("associatePublicIpAddress is true.");
        // A launch template's interfaces say whether they get a public IP (as "true"/"false" strings).
        const nics = peek(() => (instance ?? as(T.launchTemplate))?.networkInterfaces as { associatePublicIpAddress?: boolean | string }[] | undefined);
        peekEach(nics).forEach((n, i) => {
            if (!(n instanceof Unknown) && readBoolean(() => n.associatePublicIpAddress) === true) report(`networkInterfaces[${i}].associatePublicIpAddress is true.`);
        });
    },
});

export const encryptedVolumes = resourceRule({
    name: "ec2-encrypted-volumes",
    description: "Every EBS volume is encrypted (optionally with a given KMS key): an instance's or spot request's declared root and extra devices, a launch template's mappings, standalone volumes.",
    anchors: ["awsguard:encrypted-volumes", "CKV_AWS_8", "CKV_AWS_3", "AwsSolutions-EC26"],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "set rootBlockDevice: { encrypted: true, ... } and encrypted: true on every ebsBlockDevices entry, launch template mapping and aws.ebs.Volume.",
    config: {
        kmsKeyId: cfg.string("When not empty, volumes must use this KMS key id/ARN.", ""),
    },
    kinds: [T.ec2Instance, T.launchTemplate, T.ebsVolume],
    validate(_, { config, as, report }) {
        const check = (v: Volume) => {
            if (v.encrypted instanceof Unknown) return;
            if (v.encrypted !== true) return report(`${v.where}.encrypted is ${JSON.stringify(v.encrypted ?? false)}.`);
            if (config.kmsKeyId && !(v.kmsKeyId instanceof Unknown) && v.kmsKeyId !== config.kmsKeyId) {
                report(`${v.where}.kmsKeyId is ${JSON.stringify(v.kmsKeyId ?? "the AWS-managed key")}, not ${config.kmsKeyId}.`);
            }
        };
        const instance = as(T.ec2Instance);
        if (instance) {
            const { root, volumes } = instanceVolumes(instance);
            if (!root) report("rootBlockDevice is not declared, so the root volume is unencrypted unless the account default says otherwise.");
            volumes.forEach(check);
        }
        const template = as(T.launchTemplate);
        if (template) templateVolumes(template).forEach(check);
        const volume = as(T.ebsVolume);
        if (volume) check(standaloneVolume(volume));
    },
});

export const instanceProfile = resourceRule({
    name: "ec2-instance-profile",
    description: "EC2 instances and spot requests run with an IAM instance profile (no long-lived keys on the box).",
    anchors: ["CKV2_AWS_41", "EC2InstanceProfileAttached"],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "attach an aws.iam.InstanceProfile whose role has only the S3 prefixes the trainer needs.",
    config: {},
    kinds: [T.ec2Instance],
    validate(instance, { report }) {
        if (!isSet(() => instance.iamInstanceProfile)) report("iamInstanceProfile is not set.");
    },
});

// ---- ingress ---------------------------------------------------------------------------------

const WORLD = new Set(["0.0.0.0/0", "::/0"]);

interface Ingress {
    where: string;
    protocol: string | undefined;
    from: number | undefined;
    to: number | undefined;
    cidrs: string[];
}

function describePorts(i: Ingress): string {
    if (i.protocol === "-1" || i.protocol === "all") return "all ports";
    return i.from === i.to ? `port ${i.from}` : `ports ${i.from}-${i.to}`;
}

const known = <V>(v: Read<V>): V | undefined => (v instanceof Unknown ? undefined : v);
const protocol = (read: () => unknown) => {
    const p = peek(read);
    return typeof p === "string" || typeof p === "number" ? String(p).toLowerCase() : undefined;
};
const strings = (read: () => unknown): string[] => peekEach(peek(() => read() as unknown[])).filter((x): x is string => typeof x === "string");

export const noOpenIngress = resourceRule({
    name: "ec2-no-open-ingress",
    description: "No security group admits traffic from 0.0.0.0/0 or ::/0, on SSH or on any other port (inline ingress, SecurityGroupRule, SecurityGroupIngressRule).",
    anchors: ["AwsSolutions-EC23", "EC2RestrictedSSH", "EC2RestrictedCommonPorts", "CKV_AWS_24", "CKV_AWS_260", "CKV_AWS_25", "CKV_AWS_277"],
    enforcementLevel: "mandatory",
    severity: "critical",
    remediation: "remove the rule; use SSM Session Manager for shell access and security-group references for service traffic.",
    config: {
        allowedWorldPorts: cfg.strings("Ports (as strings, e.g. \"443\") that may be open to the world; none by default.", []),
    },
    kinds: [T.securityGroup, T.securityGroupRule, T.securityGroupIngressRule],
    validate(_, { config, as, report }) {
        const allowed = new Set(config.allowedWorldPorts.map(Number));
        const ingress: Ingress[] = [];
        const group = as(T.securityGroup);
        if (group) {
            peekEach(peek(() => group.ingress)).forEach((r, i) => {
                if (r instanceof Unknown) return;
                ingress.push({
                    where: `ingress[${i}]`,
                    protocol: protocol(() => r.protocol),
                    from: known(readNumber(() => r.fromPort)),
                    to: known(readNumber(() => r.toPort)),
                    cidrs: [...strings(() => r.cidrBlocks), ...strings(() => r.ipv6CidrBlocks)],
                });
            });
        }
        const rule = as(T.securityGroupRule);
        if (rule && readString(() => rule.type) === "ingress") {
            ingress.push({
                where: "rule",
                protocol: protocol(() => rule.protocol),
                from: known(readNumber(() => rule.fromPort)),
                to: known(readNumber(() => rule.toPort)),
                cidrs: [...strings(() => rule.cidrBlocks), ...strings(() => rule.ipv6CidrBlocks)],
            });
        }
        const vpcRule = as(T.securityGroupIngressRule);
        if (vpcRule) {
            ingress.push({
                where: "rule",
                protocol: protocol(() => vpcRule.ipProtocol),
                from: known(readNumber(() => vpcRule.fromPort)),
                to: known(readNumber(() => vpcRule.toPort)),
                cidrs: [readString(() => vpcRule.cidrIpv4), readString(() => vpcRule.cidrIpv6)].filter((x): x is string => typeof x === "string"),
            });
        }
        for (const i of ingress) {
            const world = i.cidrs.filter((c) => WORLD.has(c));
            if (world.length === 0) continue;
            const all = i.protocol === "-1" || i.protocol === "all" || i.from === undefined;
            const single = !all && i.from === i.to && allowed.has(i.from!);
            if (single) continue;
            const ssh = all || (i.from! <= 22 && 22 <= (i.to ?? i.from!));
            report(`${i.where} admits ${world.join(" and ")} on ${describePorts(i)}${ssh ? " (includes SSH)" : ""}.`);
        }
    },
});

export const ec2Rules = [imdsv2Required, noPublicIp, encryptedVolumes, instanceProfile, noOpenIngress];
