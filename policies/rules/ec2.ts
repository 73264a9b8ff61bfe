// EC2 rules for the GPU trainer, in every form an instance can be declared (an instance, a spot
// instance request, a launch template instances start from) and for standalone EBS volumes:
// IMDSv2, no public IP, encrypted volumes deleted with their instance, an instance profile, a subnet
// of the program's; and security groups (inline rules and the separate rule resources): no ingress
// from the whole internet, no allow-all egress to it, a description on every group and rule, and
// every group in use.

import { type ResourceCtx, cfg, resourceRule, stackRule } from "../lib/rule";
import { instanceVolumes, launchedFromTemplate, templateVolumes, standaloneVolume, type Volume } from "../lib/ec2";
import { type Read, Unknown, isSet, peek, peekEach, readBoolean, readNumber, readString } from "../lib/preview";
import { type Kind, RESOURCE_TYPES as T, kindOfToken } from "../lib/resource-types";

export const imdsv2Required = resourceRule({
    name: "ec2-imdsv2-required",
    description: "EC2 instances, spot requests and launch templates require IMDSv2 session tokens (metadataOptions.httpTokens 'required') or disable the metadata endpoint, and keep the token's hop limit at the cap (1: only the instance itself, not a container on it, can fetch role credentials).",
    anchors: ["CKV_AWS_79", "CKV_AWS_341", "EC2IMDSv2Enabled"],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "set metadataOptions: { httpTokens: \"required\", httpEndpoint: \"enabled\", httpPutResponseHopLimit: 1 }.",
    config: {
        maxHopLimit: cfg.integer("Largest accepted httpPutResponseHopLimit (2 for containers that need the instance's role).", 1, 1),
    },
    kinds: [T.ec2Instance, T.launchTemplate],
    validate(props, { config, as, report }) {
        const instance = as(T.ec2Instance);
        if (instance && launchedFromTemplate(instance) && peek(() => props.metadataOptions) === undefined) return;
        const endpoint = readString(() => props.metadataOptions?.httpEndpoint);
        if (endpoint === "disabled") return;
        const tokens = readString(() => props.metadataOptions?.httpTokens);
        if (tokens !== "required" && !(tokens instanceof Unknown)) report(`metadataOptions.httpTokens is ${JSON.stringify(tokens ?? "optional (default)")}.`);
        const hops = readNumber(() => props.metadataOptions?.httpPutResponseHopLimit);
        if (typeof hops === "number" && hops > config.maxHopLimit) report(`metadataOptions.httpPutResponseHopLimit is ${hops}, above ${config.maxHopLimit}.`);
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
    anchors: ["awsguard:encrypted-volumes", "CKV_AWS_8", "CKV_AWS_3", "CKV_AWS_189", "CKV2_AWS_2", "AwsSolutions-EC26"],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "set rootBlockDevice: { encrypted: true, ... } and encrypted: true on every ebsBlockDevices entry, launch template mapping and aws.ebs.Volume.",
    config: {
        kmsKeyId: cfg.string("When not empty, volumes must use this KMS key id/ARN.", ""),
        requireKms: cfg.boolean("Volumes must name a customer-managed KMS key (kmsKeyId), not the account's AWS-managed EBS key.", false),
    },
    kinds: [T.ec2Instance, T.launchTemplate, T.ebsVolume],
    validate(_, { config, as, report }) {
        const check = (v: Volume) => {
            if (v.encrypted instanceof Unknown) return;
            if (v.encrypted !== true) return report(`${v.where}.encrypted is ${JSON.stringify(v.encrypted ?? false)}.`);
            if (config.requireKms && (v.kmsKeyId === undefined || v.kmsKeyId === "")) return report(`${v.where} names no kmsKeyId: it is encrypted with the AWS-managed EBS key.`);
            if (config.kmsKeyId && !(v.kmsKeyId instanceof Unknown) && v.kmsKeyId !== config.kmsKeyId) {
                report(`${v.where}.kmsKeyId is ${JSON.stringify(v.kmsKeyId ?? "the AWS-managed key")}, not ${config.kmsKeyId}.`);
            }
        };
        const instance = as(T.ec2Instance);
        if (instance) {
            const { root, volumes } = instanceVolumes(instance);
            if (!root && !launchedFromTemplate(instance)) report("rootBlockDevice is not declared, so the root volume is unencrypted unless the account default says otherwise.");
            volumes.forEach(check);
        }
        const template = as(T.launchTemplate);
        if (template) templateVolumes(template).forEach(check);
        const volume = as(T.ebsVolume);
        if (volume) check(standaloneVolume(volume));
    },
});

export const instanceProfile = stackRule({
    name: "ec2-instance-profile",
    description: "EC2 instances and spot requests run with an IAM instance profile (no long-lived keys on the box), their own or their launch template's.",
    anchors: ["CKV2_AWS_41", "EC2InstanceProfileAttached"],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "attach an aws.iam.InstanceProfile whose role has only the S3 prefixes the trainer needs.",
    config: {},
    kinds: [T.ec2Instance],
    validate({ index, report, undecided }) {
        for (const instance of index.of(T.ec2Instance)) {
            if (isSet(() => instance.props.iamInstanceProfile)) continue;
            const ref = peek(() => instance.props.launchTemplate);
            if (ref instanceof Unknown) {
                undecided(ref);
                continue;
            }
            if (ref) {
                const templates = [...index.lookup(T.launchTemplate, peek(() => ref.id)), ...index.lookup(T.launchTemplate, peek(() => ref.name))];
                // A template managed outside the stack cannot be read: it decides.
                if (templates.length === 0 || templates.some((t) => isSet(() => t.props.iamInstanceProfile?.arn) || isSet(() => t.props.iamInstanceProfile?.name))) continue;
                report(instance.urn, `instance ${instance.name} has no iamInstanceProfile, and neither has its launch template ${templates[0].name}.`);
                continue;
            }
            report(instance.urn, `instance ${instance.name}: iamInstanceProfile is not set.`);
        }
    },
});

// ---- security-group rules --------------------------------------------------------------------

const WORLD = new Set(["0.0.0.0/0", "::/0"]);

/** One ingress or egress rule, in whichever form it was declared. */
interface GroupRule {
    where: string;
    protocol: string | undefined;
    from: number | undefined;
    to: number | undefined;
    cidrs: string[];
}

/** Every protocol (-1/all): the whole of it. */
const allTraffic = (protocol: string | undefined) => protocol === "-1" || protocol === "all";

function describePorts(i: GroupRule): string {
    if (allTraffic(i.protocol)) return "all ports";
    return i.from === i.to ? `port ${i.from}` : `ports ${i.from}-${i.to}`;
}

const known = <V>(v: Read<V>): V | undefined => (v instanceof Unknown ? undefined : v);
const protocol = (read: () => unknown) => {
    const p = peek(read);
    return typeof p === "string" || typeof p === "number" ? String(p).toLowerCase() : undefined;
};
const strings = (read: () => unknown): string[] => peekEach(peek(() => read() as unknown[])).filter((x): x is string => typeof x === "string");

/** The rules of one direction the resource declares: a group's inline ones, or itself when it is a separate rule resource. */
function groupRules(as: ResourceCtx<unknown>["as"], direction: "ingress" | "egress"): GroupRule[] {
    const out: GroupRule[] = [];
    const group = as(T.securityGroup);
    if (group) {
        peekEach(peek(() => group[direction])).forEach((r, i) => {
            if (r instanceof Unknown) return;
            out.push({
                where: `${direction}[${i}]`,
                protocol: protocol(() => r.protocol),
                from: known(readNumber(() => r.fromPort)),
                to: known(readNumber(() => r.toPort)),
                cidrs: [...strings(() => r.cidrBlocks), ...strings(() => r.ipv6CidrBlocks)],
            });
        });
    }
    const rule = as(T.securityGroupRule);
    if (rule && readString(() => rule.type) === direction) {
        out.push({
            where: "rule",
            protocol: protocol(() => rule.protocol),
            from: known(readNumber(() => rule.fromPort)),
            to: known(readNumber(() => rule.toPort)),
            cidrs: [...strings(() => rule.cidrBlocks), ...strings(() => rule.ipv6CidrBlocks)],
        });
    }
    const vpcRule = as(direction === "ingress" ? T.securityGroupIngressRule : T.securityGroupEgressRule);
    if (vpcRule) {
        out.push({
            where: "rule",
            protocol: protocol(() => vpcRule.ipProtocol),
            from: known(readNumber(() => vpcRule.fromPort)),
            to: known(readNumber(() => vpcRule.toPort)),
            cidrs: [readString(() => vpcRule.cidrIpv4), readString(() => vpcRule.cidrIpv6)].filter((x): x is string => typeof x === "string"),
        });
    }
    return out;
}

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
        for (const i of groupRules(as, "ingress")) {
            const world = i.cidrs.filter((c) => WORLD.has(c));
            if (world.length === 0) continue;
            const all = allTraffic(i.protocol) || i.from === undefined;
            const single = !all && i.from === i.to && allowed.has(i.from!);
            if (single) continue;
            const ssh = all || (i.from! <= 22 && 22 <= (i.to ?? i.from!));
            report(`${i.where} admits ${world.join(" and ")} on ${describePorts(i)}${ssh ? " (includes SSH)" : ""}.`);
        }
    },
});

export const instanceInSubnet = resourceRule({
    name: "ec2-instance-in-subnet",
    description: "EC2 instances and spot requests are launched into a subnet the program chose (subnetId or a network interface), not the default VPC's default subnet.",
    anchors: ["EC2InstancesInVPC"],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "set subnetId to a private subnet of the stack's VPC (mlops:gpuTrainer.subnetId and vpcId).",
    config: {},
    kinds: [T.ec2Instance],
    validate(instance, { report }) {
        if (isSet(() => instance.subnetId) || launchedFromTemplate(instance)) return;
        if (peekEach(peek(() => instance.networkInterfaces)).length > 0) return;
        report("subnetId is not set: the instance lands in the default VPC's default subnet.");
    },
});

export const volumeDeleteOnTermination = resourceRule({
    name: "ec2-volume-delete-on-termination",
    category: "cost",
    description: "Volumes created with an instance, spot request or launch template are deleted with it (deleteOnTermination not false), so a terminated trainer leaves no volume billing on.",
    anchors: ["awsguard:ec2-volume-inuse"],
    enforcementLevel: "mandatory",
    severity: "low",
    remediation: "leave deleteOnTermination at its default (true) on rootBlockDevice, ebsBlockDevices and launch template mappings; keep data that must outlive the instance in S3.",
    config: {},
    kinds: [T.ec2Instance, T.launchTemplate],
    validate(_, { as, report }) {
        const check = (where: string, read: () => unknown) => {
            if (readBoolean(read) === false) report(`${where}.deleteOnTermination is false.`);
        };
        const instance = as(T.ec2Instance);
        if (instance) {
            check("rootBlockDevice", () => instance.rootBlockDevice?.deleteOnTermination);
            peekEach(peek(() => instance.ebsBlockDevices)).forEach((d, i) => {
                if (!(d instanceof Unknown)) check(`ebsBlockDevices[${i}]`, () => d.deleteOnTermination);
            });
        }
        const template = as(T.launchTemplate);
        if (template) {
            peekEach(peek(() => template.blockDeviceMappings)).forEach((m, i) => {
                if (!(m instanceof Unknown)) check(`blockDeviceMappings[${i}].ebs`, () => m.ebs?.deleteOnTermination);
            });
        }
    },
});

export const securityGroupDescriptions = resourceRule({
    name: "ec2-security-group-descriptions",
    category: "governance",
    description: "Security groups and every rule in them (inline or separate) say what they are for (a description), so a reviewer can tell an intended opening from a stray one.",
    anchors: ["CKV_AWS_23", "AwsSolutions-EC27"],
    enforcementLevel: "mandatory",
    severity: "low",
    remediation: "set description on the group and on each ingress/egress rule (\"HTTPS to AWS APIs\").",
    config: {},
    kinds: [T.securityGroup, T.securityGroupRule, T.securityGroupIngressRule, T.securityGroupEgressRule],
    validate(props, { as, report }) {
        if (!isSet(() => (props as { description?: unknown }).description)) report("description is not set.");
        const group = as(T.securityGroup);
        if (!group) return;
        for (const direction of ["ingress", "egress"] as const) {
            peekEach(peek(() => group[direction])).forEach((r, i) => {
                if (!(r instanceof Unknown) && !isSet(() => r.description)) report(`${direction}[${i}] has no description.`);
            });
        }
    },
});

export const noUnrestrictedEgress = resourceRule({
    name: "ec2-no-unrestricted-egress",
    description: "No security group lets all traffic (every protocol and port) out to 0.0.0.0/0 or ::/0: egress names the protocol and ports a workload uses (the trainer and the notebook need HTTPS).",
    anchors: ["CKV_AWS_382"],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "replace the allow-all egress with { protocol: \"tcp\", fromPort: 443, toPort: 443, cidrBlocks: [\"0.0.0.0/0\"] } (or a prefix list of the VPC endpoints).",
    config: {},
    kinds: [T.securityGroup, T.securityGroupRule, T.securityGroupEgressRule],
    validate(_, { as, report }) {
        for (const r of groupRules(as, "egress")) {
            if (!allTraffic(r.protocol)) continue;
            const world = r.cidrs.filter((c) => WORLD.has(c));
            if (world.length > 0) report(`${r.where} lets all traffic out to ${world.join(" and ")}.`);
        }
    },
});

/** Resources that only shape a group (its rules): they do not put it in use. */
const GROUP_RULE_KINDS: ReadonlySet<Kind> = new Set([T.securityGroupRule, T.securityGroupIngressRule, T.securityGroupEgressRule]);

export const securityGroupInUse = stackRule({
    name: "ec2-security-group-in-use",
    category: "governance",
    description: "Every security group of the stack is used by a resource (an instance, a notebook, a job, a network interface): a group nothing uses is a leftover whose rules nobody reviews.",
    anchors: ["CKV2_AWS_5"],
    enforcementLevel: "mandatory",
    severity: "low",
    remediation: "attach the group where it is meant to apply (vpcSecurityGroupIds, securityGroups, vpcConfig.securityGroupIds) or remove it.",
    config: {},
    kinds: [T.securityGroup],
    validate({ index, report }) {
        // The engine records what each resource was built from; a resource that names a group in any
        // property depends on it. One pass over every resource's edges.
        const used = new Set<string>();
        for (const r of index.resources) {
            const kind = kindOfToken(r.type);
            if (kind && GROUP_RULE_KINDS.has(kind)) continue;
            for (const d of r.dependencies ?? []) used.add(typeof d === "string" ? d : d.urn);
            for (const list of Object.values(r.propertyDependencies ?? {})) for (const d of list) used.add(typeof d === "string" ? d : d.urn);
        }
        for (const group of index.of(T.securityGroup)) {
            if (!used.has(group.urn)) report(group.urn, `security group ${group.name} is not used by any resource of the stack.`);
        }
    },
});

export const ec2Rules = [
    imdsv2Required,
    noPublicIp,
    encryptedVolumes,
    instanceProfile,
    instanceInSubnet,
    volumeDeleteOnTermination,
    noOpenIngress,
    noUnrestrictedEgress,
    securityGroupDescriptions,
    securityGroupInUse,
];
