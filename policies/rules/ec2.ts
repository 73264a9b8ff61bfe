// EC2 rules for the GPU trainer: IMDSv2, no public IP, encrypted volumes, an instance profile, and
// no ingress from the whole internet (inline security-group rules and the separate rule resources).

import { cfg, resourceRule } from "../lib/rule";
import { UNKNOWN, arr, bool, get, num, str } from "../lib/values";

export const T = {
    instance: "aws:ec2/instance:Instance",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
} as const;

export const imdsv2Required = resourceRule({
    name: "ec2-imdsv2-required",
    description: "EC2 instances require IMDSv2 session tokens (metadataOptions.httpTokens 'required') or disable the metadata endpoint.",
    anchors: ["CKV_AWS_79", "EC2IMDSv2Enabled"],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "set metadataOptions: { httpTokens: \"required\", httpEndpoint: \"enabled\" }.",
    config: {},
    types: [T.instance],
    validate(props, { report }) {
        const endpoint = props.metadataOptions?.httpEndpoint;
        if (endpoint === "disabled") return;
        const tokens = props.metadataOptions?.httpTokens;
        if (tokens !== "required") report(`metadataOptions.httpTokens is ${JSON.stringify(tokens ?? "optional (default)")}.`);
    },
});

export const noPublicIp = resourceRule({
    name: "ec2-no-public-ip",
    description: "EC2 instances get no public IP address (associatePublicIpAddress is not true, on the instance or its network interfaces).",
    anchors: ["awsguard:ec2-instance-no-public-ip", "CKV_AWS_88", "EC2InstanceNoPublicIp"],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "set associatePublicIpAddress: false and reach the instance through SSM Session Manager.",
    config: {},
    types: [T.instance],
    validate(props, { report }) {
        if (bool(props, "associatePublicIpAddress") === true) report("associatePublicIpAddress is true.");
        const nics = arr(props, "networkInterfaces");
        if (nics === UNKNOWN) return;
        nics.forEach((n, i) => {
            if (bool(n, "associatePublicIpAddress") === true) report(`networkInterfaces[${i}].associatePublicIpAddress is true.`);
        });
    },
});

export const encryptedVolumes = resourceRule({
    name: "ec2-encrypted-volumes",
    description: "EC2 instances declare an encrypted root volume and encrypt every EBS block device (optionally with a given KMS key).",
    anchors: ["awsguard:encrypted-volumes", "CKV_AWS_8", "AwsSolutions-EC26"],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "set rootBlockDevice: { encrypted: true, ... } and encrypted: true on every ebsBlockDevices entry.",
    config: {
        kmsKeyId: cfg.string("When not empty, volumes must use this KMS key id/ARN.", ""),
    },
    types: [T.instance],
    validate(props, { config, report }) {
        const check = (dev: unknown, where: string) => {
            const enc = bool(dev, "encrypted");
            if (enc === UNKNOWN) return;
            if (enc !== true) return report(`${where}.encrypted is ${JSON.stringify(enc ?? false)}.`);
            const key = str(dev, "kmsKeyId");
            if (config.kmsKeyId && key !== UNKNOWN && key !== config.kmsKeyId) report(`${where}.kmsKeyId is ${JSON.stringify(key ?? "the AWS-managed key")}, not ${config.kmsKeyId}.`);
        };
        const root = get(props, "rootBlockDevice");
        if (root === undefined) report("rootBlockDevice is not declared, so the root volume is unencrypted unless the account default says otherwise.");
        else check(root, "rootBlockDevice");
        const ebs = arr(props, "ebsBlockDevices");
        if (ebs !== UNKNOWN) ebs.forEach((d, i) => check(d, `ebsBlockDevices[${i}]`));
    },
});

export const instanceProfile = resourceRule({
    name: "ec2-instance-profile",
    description: "EC2 instances run with an IAM instance profile (no long-lived keys on the box).",
    anchors: ["CKV2_AWS_41", "EC2InstanceProfileAttached"],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "attach an aws.iam.InstanceProfile whose role has only the S3 prefixes the trainer needs.",
    config: {},
    types: [T.instance],
    validate(props, { report }) {
        const profile = get(props, "iamInstanceProfile");
        if (profile === undefined || profile === "") report("iamInstanceProfile is not set.");
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

function known<T>(v: T | typeof UNKNOWN | undefined): T | undefined {
    return v === UNKNOWN ? undefined : v;
}

function ingressOf(type: string, props: unknown): Ingress[] {
    const proto = (v: unknown) => (v === undefined ? undefined : String(v).toLowerCase());
    if (type === T.securityGroup) {
        const rules = arr(props, "ingress");
        if (rules === UNKNOWN) return [];
        return rules.map((r, i) => ({
            where: `ingress[${i}]`,
            protocol: proto(get(r, "protocol")),
            from: known(num(r, "fromPort")),
            to: known(num(r, "toPort")),
            cidrs: [...asStrings(arr(r, "cidrBlocks")), ...asStrings(arr(r, "ipv6CidrBlocks"))],
        }));
    }
    if (type === T.securityGroupRule) {
        if (get(props, "type") !== "ingress") return [];
        return [{
            where: "rule",
            protocol: proto(get(props, "protocol")),
            from: known(num(props, "fromPort")),
            to: known(num(props, "toPort")),
            cidrs: [...asStrings(arr(props, "cidrBlocks")), ...asStrings(arr(props, "ipv6CidrBlocks"))],
        }];
    }
    return [{
        where: "rule",
        protocol: proto(get(props, "ipProtocol")),
        from: known(num(props, "fromPort")),
        to: known(num(props, "toPort")),
        cidrs: asStrings([get(props, "cidrIpv4"), get(props, "cidrIpv6")]),
    }];
}

function asStrings(v: unknown[] | typeof UNKNOWN): string[] {
    return v === UNKNOWN ? [] : v.filter((x): x is string => typeof x === "string");
}

export const noOpenIngress = resourceRule({
    name: "ec2-no-open-ingress",
    description: "No security group admits traffic from 0.0.0.0/0 or ::/0, on SSH or on any other port (inline ingress, SecurityGroupRule, SecurityGroupIngressRule).",
    anchors: ["AwsSolutions-EC23", "EC2RestrictedSSH", "EC2RestrictedCommonPorts", "CKV_AWS_24", "CKV_AWS_260"],
    enforcementLevel: "mandatory",
    severity: "critical",
    remediation: "remove the rule; use SSM Session Manager for shell access and security-group references for service traffic.",
    config: {
        allowedWorldPorts: cfg.strings("Ports (as strings, e.g. \"443\") that may be open to the world; none by default.", []),
    },
    types: [T.securityGroup, T.securityGroupRule, T.ingressRule],
    validate(props, { config, args, report }) {
        const allowed = new Set(config.allowedWorldPorts.map(Number));
        for (const i of ingressOf(args.type, props)) {
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
