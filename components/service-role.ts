import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRoleBy, PolicyDocument, policyJson, TrustedService } from "./iam";

export interface ServiceRoleArgs {
    /** The one AWS service that may assume the role. */
    service: TrustedService;
    /** What the role is for, in a sentence (shown in the IAM console). */
    purpose: string;
    /**
     * The `aws:SourceArn` values (ArnLike) the service may assume the role for. Only where AWS
     * documents that the service sends the key for this kind of role (see docs/security.md);
     * default none, since a condition on a key the service does not send makes the role unassumable.
     */
    trustedSourceArns?: pulumi.Input<string[]>;
    /** The role's only permissions, as an inline policy. */
    policy: pulumi.Input<PolicyDocument>;
    /** AWS-managed policies, by ARN. Only narrow ones (never *FullAccess): the policy pack checks. */
    managedPolicyArns?: pulumi.Input<string>[];
    /** Also create an instance profile (for EC2). */
    instanceProfile?: boolean;
}

/** An IAM role for one job: a trust policy naming one service, one inline least-privilege policy. */
export class ServiceRole extends pulumi.ComponentResource {
    readonly role: aws.iam.Role;
    readonly arn: pulumi.Output<string>;
    readonly name: pulumi.Output<string>;
    readonly policy: aws.iam.RolePolicy;
    readonly instanceProfile?: aws.iam.InstanceProfile;

    constructor(name: string, args: ServiceRoleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlops:iam:ServiceRole", name, {}, opts);
        this.role = new aws.iam.Role(name, {
            description: args.purpose,
            assumeRolePolicy: policyJson(pulumi.output(args.trustedSourceArns ?? []).apply(arns => assumeRoleBy(args.service, arns))),
            maxSessionDuration: 3600,
        }, { parent: this });
        this.policy = new aws.iam.RolePolicy(`${name}-permissions`, {
            role: this.role.name,
            policy: policyJson(args.policy),
        }, { parent: this });
        (args.managedPolicyArns ?? []).forEach((policyArn, i) => {
            new aws.iam.RolePolicyAttachment(`${name}-managed-${i}`, { role: this.role.name, policyArn }, { parent: this });
        });
        if (args.instanceProfile) {
            this.instanceProfile = new aws.iam.InstanceProfile(name, { role: this.role.name }, { parent: this });
        }
        // Whoever uses the role (a job, a function, an instance) waits for its permissions too:
        // a job started between the role and its policy would fail on its first S3 read.
        this.arn = pulumi.all([this.role.arn, this.policy.id]).apply(([arn]) => arn);
        this.name = this.role.name;
        this.registerOutputs({ arn: this.arn, name: this.name });
    }
}
