/**
 * Instance types AWS offers for each kind of resource (what the config accepts), and how many
 * GPUs each GPU type has. Which of them a team *allows* is the policy pack's business
 * (policies/config/<stack>.json), not this list's.
 */
const sizes = (family: string, list: string[]) => list.map(s => `${family}.${s}`);

export const INSTANCE_TYPES = {
    notebook: [
        ...sizes("ml.t3", ["medium", "large", "xlarge", "2xlarge"]),
        ...sizes("ml.m5", ["xlarge", "2xlarge", "4xlarge"]),
        ...sizes("ml.c5", ["xlarge", "2xlarge"]),
        ...sizes("ml.g4dn", ["xlarge", "2xlarge"]),
        ...sizes("ml.g5", ["xlarge", "2xlarge"]),
    ],
    training: [
        ...sizes("ml.m5", ["large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"]),
        ...sizes("ml.c5", ["xlarge", "2xlarge", "4xlarge", "9xlarge", "18xlarge"]),
        ...sizes("ml.g4dn", ["xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"]),
        ...sizes("ml.g5", ["xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "24xlarge", "48xlarge"]),
        ...sizes("ml.p3", ["2xlarge", "8xlarge", "16xlarge"]),
        "ml.p4d.24xlarge",
    ],
    // ml.t2 is left out on purpose: SageMaker cannot autoscale burstable endpoint variants.
    endpoint: [
        ...sizes("ml.m5", ["large", "xlarge", "2xlarge", "4xlarge"]),
        ...sizes("ml.c5", ["large", "xlarge", "2xlarge", "4xlarge"]),
        ...sizes("ml.g4dn", ["xlarge", "2xlarge"]),
        ...sizes("ml.g5", ["xlarge", "2xlarge"]),
        "ml.p3.2xlarge",
        "ml.p4d.24xlarge",
    ],
    ec2: [
        ...sizes("g4dn", ["xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge"]),
        ...sizes("g5", ["xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge"]),
        ...sizes("g6", ["xlarge", "2xlarge"]),
        ...sizes("p3", ["2xlarge", "8xlarge"]),
    ],
} as const;
export type InstanceKind = keyof typeof INSTANCE_TYPES;

/**
 * NVIDIA GPUs per instance (EC2 instance type pages; a SageMaker `ml.` type has the GPUs of its
 * EC2 type). A type not listed has none.
 */
const GPUS: Record<string, number> = {
    "g4dn.xlarge": 1, "g4dn.2xlarge": 1, "g4dn.4xlarge": 1, "g4dn.8xlarge": 1, "g4dn.12xlarge": 4, "g4dn.16xlarge": 1,
    "g5.xlarge": 1, "g5.2xlarge": 1, "g5.4xlarge": 1, "g5.8xlarge": 1, "g5.12xlarge": 4, "g5.16xlarge": 1, "g5.24xlarge": 4, "g5.48xlarge": 8,
    "g6.xlarge": 1, "g6.2xlarge": 1,
    "p3.2xlarge": 1, "p3.8xlarge": 4, "p3.16xlarge": 8,
    "p4d.24xlarge": 8,
};

/** GPUs of an instance type, `ml.` or EC2 (0 for CPU types). */
export function gpuCount(instanceType: string): number {
    return GPUS[instanceType.replace(/^ml\./, "")] ?? 0;
}

/** GPU types get the GPU build of the PyTorch containers and one training process per GPU. */
export function isGpuInstance(instanceType: string): boolean {
    return gpuCount(instanceType) > 0;
}

/**
 * Training processes a SageMaker job runs on each host: one per GPU (the container's torchrun
 * launcher), or one per CPU host.
 */
export function processesPerHost(instanceType: string): number {
    return Math.max(1, gpuCount(instanceType));
}
