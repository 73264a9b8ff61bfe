// Required tags: cost allocation and ownership need every taggable resource to carry the same
// keys. Tags given by the provider's defaultTags count too (they do not appear in the inputs).

import { cfg, resourceRule } from "../lib/rule";
import { UNKNOWN, record, throwUnknown, unwrap } from "../lib/values";

/** Types of this pipeline whose @pulumi/aws 7.48 Args have `tags` (objects left out: S3 object tags are data, max 10). */
export const TAGGABLE_TYPES = [
    "aws:s3/bucket:Bucket",
    "aws:kms/key:Key",
    "aws:iam/role:Role",
    "aws:iam/instanceProfile:InstanceProfile",
    "aws:iam/policy:Policy",
    "aws:sagemaker/notebookInstance:NotebookInstance",
    "aws:sagemaker/notebookInstanceLifecycleConfiguration:NotebookInstanceLifecycleConfiguration",
    "aws:sagemaker/hyperParameterTuningJob:HyperParameterTuningJob",
    "aws:sagemaker/trainingJob:TrainingJob",
    "aws:sagemaker/model:Model",
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
    "aws:sagemaker/endpoint:Endpoint",
    "aws:appautoscaling/target:Target",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:ec2/instance:Instance",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:lambda/function:Function",
    "aws:budgets/budget:Budget",
];

/** The provider's `defaultTags.tags` (provider inputs arrive JSON-encoded for nested objects). */
function providerDefaultTags(provider: { props: Record<string, any> } | undefined): Record<string, unknown> {
    let dt: any = unwrap(provider?.props)?.defaultTags;
    if (typeof dt === "string") {
        try {
            dt = JSON.parse(dt);
        } catch {
            return {};
        }
    }
    const tags = dt?.tags;
    return tags && typeof tags === "object" ? tags : {};
}

export const requiredTags = resourceRule({
    name: "required-tags",
    category: "governance",
    description: "Every taggable resource carries the required tags (project, stack, managed-by by default) with non-empty values, directly or through the provider's defaultTags.",
    anchors: [],
    enforcementLevel: "mandatory",
    severity: "low",
    remediation: "add the missing tags (the program's stack transform tags every resource with project, stack and managed-by).",
    config: {
        requiredTags: cfg.strings("Tag keys every taggable resource must have.", ["project", "stack", "managed-by"]),
    },
    types: TAGGABLE_TYPES,
    validate(props, { config, args, report }) {
        const tags = record(props, "tags");
        if (tags === UNKNOWN) throwUnknown(["tags"], "object");
        const all = { ...providerDefaultTags(args.provider), ...(tags ?? {}) };
        const missing = config.requiredTags.filter((k) => all[k] === undefined || all[k] === null || all[k] === "");
        if (missing.length > 0) report(`missing tag${missing.length > 1 ? "s" : ""} ${missing.join(", ")}.`);
    },
});

export const tagRules = [requiredTags];
