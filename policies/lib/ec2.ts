// EBS volumes in every form a program can declare them: an instance's (or spot request's) root and
// extra block devices, a launch template's block device mappings, and standalone aws.ebs.Volume
// resources. The encryption rule, the size rule and the cost estimate read them the same way.

import { type Read, Unknown, isSet, peek, peekEach, readBoolean, readNumber, readString } from "./preview";
import { type ArgsOf, type Kind, RESOURCE_TYPES as T, isKind } from "./resource-types";

export interface Volume {
    /** Where it is declared, for messages: "rootBlockDevice", "ebsBlockDevices[1]", "blockDeviceMappings[0].ebs", "volume". */
    where: string;
    root: boolean;
    encrypted: Read<boolean>;
    kmsKeyId: Read<string>;
    sizeGb: Read<number>;
    type: Read<string>;
    iops: Read<number>;
}

type InstanceArgs = ArgsOf<typeof T.ec2Instance>;
type TemplateArgs = ArgsOf<typeof T.launchTemplate>;
type VolumeArgs = ArgsOf<typeof T.ebsVolume>;

interface DeviceFields {
    encrypted?: boolean | string;
    kmsKeyId?: string;
    volumeSize?: number;
    volumeType?: string;
    iops?: number;
}

function device(where: string, root: boolean, d: DeviceFields | Unknown): Volume {
    if (d instanceof Unknown) return { where, root, encrypted: d, kmsKeyId: d, sizeGb: d, type: d, iops: d };
    return {
        where,
        root,
        encrypted: readBoolean(() => d.encrypted),
        kmsKeyId: readString(() => d.kmsKeyId),
        sizeGb: readNumber(() => d.volumeSize),
        type: readString(() => d.volumeType),
        iops: readNumber(() => d.iops),
    };
}

/** An instance's or spot request's root (when declared) and extra EBS volumes. */
export function instanceVolumes(instance: InstanceArgs): { root: Volume | undefined; volumes: Volume[] } {
    const rootDevice = peek(() => instance.rootBlockDevice);
    const root = rootDevice === undefined || rootDevice === null ? undefined : device("rootBlockDevice", true, rootDevice);
    const extra = peekEach(peek(() => instance.ebsBlockDevices)).map((d, i) => device(`ebsBlockDevices[${i}]`, false, d));
    return { root, volumes: root ? [root, ...extra] : extra };
}

/**
 * Launched from a launch template: settings the instance leaves unset come from the template, which
 * the same rules check as a resource of its own.
 */
export function launchedFromTemplate(instance: InstanceArgs): boolean {
    const t = peek(() => instance.launchTemplate);
    if (t instanceof Unknown) return true;
    return t !== undefined && t !== null && (isSet(() => t.id) || isSet(() => t.name));
}

/** The EBS volumes a launch template maps. */
export function templateVolumes(template: TemplateArgs): Volume[] {
    return peekEach(peek(() => template.blockDeviceMappings)).flatMap((m, i) => {
        const where = `blockDeviceMappings[${i}].ebs`;
        if (m instanceof Unknown) return [device(where, false, m)];
        const ebs = peek(() => m.ebs);
        return ebs === undefined || ebs === null ? [] : [device(where, false, ebs)];
    });
}

export function standaloneVolume(volume: VolumeArgs): Volume {
    return {
        where: "volume",
        root: false,
        encrypted: readBoolean(() => volume.encrypted),
        kmsKeyId: readString(() => volume.kmsKeyId),
        sizeGb: readNumber(() => volume.size),
        type: readString(() => volume.type),
        iops: readNumber(() => volume.iops),
    };
}

/** The kinds that declare EBS volumes. */
export const VOLUME_KINDS = [T.ec2Instance, T.launchTemplate, T.ebsVolume] as const;

/** Every volume a resource of one of VOLUME_KINDS declares (its `props`, inputs or outputs). */
export function volumesOf(type: string, props: unknown): Volume[] {
    if (isKind(type, T.ec2Instance)) return instanceVolumes(props as InstanceArgs).volumes;
    if (isKind(type, T.launchTemplate)) return templateVolumes(props as TemplateArgs);
    if (isKind(type, T.ebsVolume)) return [standaloneVolume(props as VolumeArgs)];
    return [];
}

export type VolumeKind = (typeof VOLUME_KINDS)[number] & Kind;
