// IAM rules, for every principal kind (roles, users, groups). Documents are parsed with lib/iam
// (JSON strings, objects, unknowns). The document rules run on every resource that carries an
// identity policy (a customer-managed policy, a role/user/group inline policy, a role's
// inlinePolicies); the joins between a principal and what grants it permissions (inline policies,
// attachments, PolicyAttachment lists, managedPolicyArns, attached customer-managed policies) are
// stack rules over one StackIndex.

import type { PolicyResource } from "@pulumi/policy";
import { type Typed, StackIndex } from "../lib/stack-index";
import { cfg, resourceRule, stackRule, type ResourceCtx } from "../lib/rule";
import {
    type ParsedDocument,
    type Statement,
    allows,
    conditionValues,
    globToRegExp,
    hasCondition,
    isWildcardAction,
    label,
    onEveryResource,
    parsePolicyDocument,
    statementGrants,
    trustedServices,
} from "../lib/iam";
import { Unknown, peek, peekEach, readString, shown } from "../lib/preview";
import { expandAction } from "../lib/iam-actions";
import { type Kind, type OutputsOf, RESOURCE_TYPES as T } from "../lib/resource-types";

/** Resources that carry identity-policy documents themselves. */
const DOCUMENT_KINDS = [T.managedPolicy, T.rolePolicy, T.userPolicy, T.groupPolicy, T.role] as const;

/** The permission documents a resource itself carries: `policy`, or a role's inlinePolicies[].policy. */
function ownDocuments(ctx: ResourceCtx<unknown>): { where: string; doc: ParsedDocument }[] {
    const role = ctx.as(T.role);
    if (role) {
        const inline = peek(() => role.inlinePolicies);
        if (inline instanceof Unknown) return [{ where: "inlinePolicies", doc: { kind: "unknown", unknown: inline } }];
        return peekEach(inline).map((p, i) => ({
            where: `inlinePolicies[${i}].policy`,
            doc: p instanceof Unknown ? { kind: "unknown", unknown: p } : parsePolicyDocument(() => p.policy),
        }));
    }
    return [{ where: "policy", doc: parsePolicyDocument(() => (ctx.args.props as { policy?: unknown }).policy) }];
}

/**
 * Runs `check` on every Allow statement of the resource's own documents. A wholly unknown document
 * is undecided (preview says the rule could not run); an invalid one is reported once.
 */
function eachAllow(ctx: ResourceCtx<unknown>, check: (where: string, s: Statement) => void, reportInvalid = false): void {
    for (const { where, doc } of ownDocuments(ctx)) {
        if (doc.kind === "unknown") ctx.undecided(doc.unknown);
        if (doc.kind === "invalid" && reportInvalid) ctx.report(`${where} is not a policy document: ${doc.error}.`, "pass a JSON policy document.");
        if (doc.kind !== "document") continue;
        for (const s of doc.statements.filter(allows)) check(where, s);
    }
}

export const iamNoWildcardActions = resourceRule({
    name: "iam-no-wildcard-actions",
    description: "No identity policy (of a role, user or group, inline or customer-managed) allows a wildcard action ('*', '<service>:*', '<service>:Prefix*') or uses NotAction in an Allow.",
    anchors: ["CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_1", "CKV_AWS_49", "CKV2_AWS_40", "CKV2_AWS_68", "AwsSolutions-IAM5", "IAMPolicyNoStatementsWithFullAccess", "IAMPolicyNoStatementsWithAdminAccess"],
    enforcementLevel: "mandatory",
    severity: "critical",
    remediation: "list the exact actions the principal needs (for example sagemaker:InvokeEndpoint) instead of a wildcard.",
    config: {
        allowedWildcardActions: cfg.strings("Wildcard actions tolerated anyway, e.g. 'logs:*' (exact, case-insensitive).", []),
    },
    kinds: DOCUMENT_KINDS,
    validate(_, ctx) {
        const tolerated = new Set(ctx.config.allowedWildcardActions.map((a) => a.toLowerCase()));
        eachAllow(
            ctx,
            (where, s) => {
                if (s.notAction) return ctx.report(`${where} ${label(s)} allows NotAction, i.e. every action except a few.`);
                for (const a of s.actions) {
                    if (typeof a === "string" && isWildcardAction(a) && !tolerated.has(a.toLowerCase())) ctx.report(`${where} ${label(s)} allows Action '${a}'.`);
                }
            },
            true,
        );
    },
});

/** Every Allow statement of the resource's own documents, collected (for rules that then await). */
function allowStatements(ctx: ResourceCtx<unknown>): { where: string; s: Statement }[] {
    const out: { where: string; s: Statement }[] = [];
    eachAllow(ctx, (where, s) => out.push({ where, s }));
    return out;
}

export const iamNoUnscopedActions = resourceRule({
    name: "iam-no-unscoped-actions",
    description: "No identity policy allows, on Resource '*' and without a condition, an action that AWS lets a policy scope to resources (the service authorization reference lists a resource type for it); actions AWS cannot scope, such as ecr:GetAuthorizationToken, may use '*'.",
    anchors: ["CKV_AWS_355", "CKV_AWS_356", "CKV_AWS_290", "CKV_AWS_111", "CKV_AWS_289", "CKV_AWS_109", "CKV_AWS_288", "CKV_AWS_108", "CKV_AWS_287", "CKV_AWS_107", "CKV_AWS_286", "CKV_AWS_110"],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "name the resources (ARNs) the action needs, or add the condition that scopes it (for example cloudwatch:namespace for cloudwatch:PutMetricData).",
    config: {
        allowedActions: cfg.strings("Actions tolerated on Resource '*' without a condition anyway (exact, case-insensitive).", []),
    },
    kinds: DOCUMENT_KINDS,
    async validate(_, ctx) {
        const tolerated = new Set(ctx.config.allowedActions.map((a) => a.toLowerCase()));
        // NotAction and Action "*" are iam-no-wildcard-actions' findings; unknown entries cannot be judged.
        const unscoped = allowStatements(ctx).filter(({ s }) => onEveryResource(s) && !hasCondition(s) && !s.notAction);
        for (const { where, s } of unscoped) {
            for (const a of s.actions) {
                if (typeof a !== "string" || a === "*") continue;
                const scopable = ((await expandAction(a)) ?? []).filter((x) => x.scopable && !tolerated.has(x.name.toLowerCase()));
                if (scopable.length === 0) continue;
                const which = isWildcardAction(a) ? ` (${scopable.length} scopable actions, e.g. ${scopable.slice(0, 3).map((x) => x.name).join(", ")})` : "";
                ctx.report(`${where} ${label(s)} allows ${a}${which} on Resource '*' without a condition, though AWS lets a policy name its resources.`);
            }
        }
    },
});

/** Actions whose target must be named: invoking the endpoint, object data, secrets and parameters, role passing, decryption. */
const SENSITIVE_ACTIONS = [
    "sagemaker:InvokeEndpoint",
    "sagemaker:InvokeEndpointAsync",
    "sagemaker:InvokeEndpointWithResponseStream",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObjectAcl",
    "iam:PassRole",
    "kms:Decrypt",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
];

export const iamNoStarResourceForSensitiveActions = resourceRule({
    name: "iam-no-star-resource-for-sensitive-actions",
    description: "Sensitive actions (endpoint invocation, S3 object reads/writes, secret and parameter reads, iam:PassRole, kms:Decrypt) are never allowed on Resource '*', for any principal.",
    anchors: ["CKV_AWS_355", "CKV_AWS_356", "CKV_AWS_288", "CKV_AWS_108", "AwsSolutions-IAM5"],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "scope the statement to the ARNs it needs (the endpoint's ARN, arn:aws:s3:::<bucket>/<prefix>/*, the secret's ARN, the execution role's ARN).",
    config: {
        restrictedActions: cfg.strings("Concrete actions that must name their resources; a policy action matching one (wildcards included) is checked.", SENSITIVE_ACTIONS),
    },
    kinds: DOCUMENT_KINDS,
    validate(_, ctx) {
        eachAllow(ctx, (where, s) => {
            if (!onEveryResource(s)) return;
            const hits = ctx.config.restrictedActions.filter((ra) => statementGrants(s, ra));
            if (hits.length > 0) ctx.report(`${where} ${label(s)} allows ${hits.join(", ")} on Resource '*'.`);
        });
    },
});

/** Actions that let a principal give itself (or anyone) more permissions. */
const ESCALATION_ACTIONS = [
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:PutRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:UpdateAssumeRolePolicy",
    "iam:AddUserToGroup",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
];

export const iamNoPrivilegeEscalation = resourceRule({
    name: "iam-no-privilege-escalation",
    description: "No identity policy allows actions that grant permissions (attaching or writing policies, new or default policy versions, changing a role's trust, group membership, credentials for other users, removing permission boundaries), on any resource.",
    anchors: ["CKV_AWS_286", "CKV_AWS_110", "CKV_AWS_287", "CKV_AWS_107", "CKV_AWS_289", "CKV_AWS_109"],
    enforcementLevel: "mandatory",
    severity: "critical",
    remediation: "remove the IAM write actions; permissions of this stack change through the program (pulumi up), never from a running workload.",
    config: {
        escalationActions: cfg.strings("Actions that count as privilege escalation (wildcards in the policy are matched against them).", ESCALATION_ACTIONS),
    },
    kinds: DOCUMENT_KINDS,
    validate(_, ctx) {
        eachAllow(ctx, (where, s) => {
            const hits = ctx.config.escalationActions.filter((a) => statementGrants(s, a));
            if (hits.length > 0) ctx.report(`${where} ${label(s)} allows ${hits.join(", ")}, which let the holder grant itself more permissions.`);
        });
    },
});

export const iamPassRoleRestricted = resourceRule({
    name: "iam-passrole-restricted",
    description: "iam:PassRole is only allowed with an iam:PassedToService condition naming an allowed service (SageMaker), so a holder cannot hand a role to any other service to escalate.",
    anchors: ["CKV_AWS_286"],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "add Condition: { StringEquals: { \"iam:PassedToService\": \"sagemaker.amazonaws.com\" } } and name the execution role's ARN as Resource.",
    config: {
        allowedPassedToServices: cfg.strings("Services a role may be passed to.", ["sagemaker.amazonaws.com"]),
    },
    kinds: DOCUMENT_KINDS,
    validate(_, ctx) {
        const services = new Set(ctx.config.allowedPassedToServices);
        eachAllow(ctx, (where, s) => {
            if (!statementGrants(s, "iam:PassRole")) return;
            const passedTo = conditionValues(s, ["StringEquals", "StringLike"], "iam:PassedToService");
            if (passedTo.length === 0) return ctx.report(`${where} ${label(s)} allows iam:PassRole without an iam:PassedToService condition.`);
            const other = passedTo.filter((x): x is string => typeof x === "string" && !services.has(x));
            if (other.length > 0) ctx.report(`${where} ${label(s)} lets roles be passed to ${other.join(", ")} (allowed: ${[...services].join(", ")}).`);
        });
    },
});

export const iamRoleTrustRestricted = resourceRule({
    name: "iam-role-trust-restricted",
    description: "A role's trust policy lets only expected AWS service principals assume it: never Principal '*', never an account or user.",
    anchors: ["CKV_AWS_60", "CKV_AWS_61", "CKV_AWS_393", "CKV_AWS_358"],
    enforcementLevel: "mandatory",
    severity: "critical",
    remediation: "trust exactly the service that runs the role, e.g. {\"Principal\": {\"Service\": \"lambda.amazonaws.com\"}}.",
    config: {
        allowedServicePrincipals: cfg.strings("Service principals a role may trust.", [
            "sagemaker.amazonaws.com",
            "lambda.amazonaws.com",
            "ec2.amazonaws.com",
            "application-autoscaling.amazonaws.com",
        ]),
        allowedAwsPrincipals: cfg.strings("Account/role ARNs that may assume roles (cross-account access), none by default.", []),
    },
    kinds: [T.role],
    validate(role, { config, report, undecided }) {
        const doc = parsePolicyDocument(() => role.assumeRolePolicy);
        if (doc.kind === "unknown") return undecided(doc.unknown);
        if (doc.kind === "absent" || doc.kind === "invalid") {
            report(`assumeRolePolicy is ${doc.kind === "absent" ? "missing" : `invalid: ${doc.error}`}.`);
            return;
        }
        const services = new Set(config.allowedServicePrincipals);
        const aws = new Set(config.allowedAwsPrincipals);
        for (const s of doc.statements.filter(allows)) {
            if (s.principals.length === 0) report(`assumeRolePolicy ${label(s)} names no principal.`);
            for (const p of s.principals) {
                if (p.value instanceof Unknown) continue;
                if (p.kind === "*" || p.value === "*") {
                    report(`assumeRolePolicy ${label(s)} trusts Principal '*': anyone could assume the role.`);
                } else if (p.kind === "Service") {
                    if (!services.has(p.value)) report(`assumeRolePolicy ${label(s)} trusts service '${p.value}', not one of ${[...services].join(", ")}.`);
                } else if (!(p.kind === "AWS" && aws.has(p.value))) {
                    report(`assumeRolePolicy ${label(s)} trusts ${p.kind} principal '${p.value}'.`);
                }
            }
        }
    },
});

export const iamNoUsers = resourceRule({
    name: "iam-no-users",
    description: "The stack creates no IAM users, console passwords or access keys: every workload runs on a role (temporary credentials) and people sign in through the organisation's identity provider.",
    anchors: ["CKV_AWS_273", "CKV2_AWS_22", "CKV_AWS_348", "CKV2_AWS_21", "IAMUserGroupMembership", "awsguard:access-keys-rotated", "awsguard:mfa-enabled-for-iam-console-access"],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "give the workload a role (an instance profile, an execution role) and people access through IAM Identity Center; remove the user, its login profile and its access keys.",
    config: {},
    kinds: [T.user, T.userLoginProfile, T.accessKey],
    validate(_, { as, args, report }) {
        if (as(T.user)) report(`IAM user ${args.name}: long-lived identities are not part of this pipeline.`);
        const profile = as(T.userLoginProfile);
        if (profile) report(`console password for user ${shown(() => profile.user)}.`);
        const key = as(T.accessKey);
        if (key) report(`access key for user ${shown(() => key.user)}: its secret lands in the stack's state.`);
    },
});

export const iamUserPermissionsViaGroups = resourceRule({
    name: "iam-user-permissions-via-groups",
    description: "Policies are never attached to or written inline on an IAM user (user policies, user policy attachments, policy attachments listing users): users, where an account has them, get permissions from groups.",
    anchors: ["CKV_AWS_40", "IAMUserNoPolicies"],
    enforcementLevel: "mandatory",
    severity: "medium",
    remediation: "attach the policy to a group (aws.iam.GroupPolicyAttachment) and make the user a member, or better, use a role.",
    config: {},
    kinds: [T.userPolicy, T.userPolicyAttachment, T.policyAttachment],
    validate(_, { as, report }) {
        const inline = as(T.userPolicy);
        if (inline) report(`inline policy on user ${shown(() => inline.user)}.`);
        const attachment = as(T.userPolicyAttachment);
        if (attachment) report(`policy ${shown(() => attachment.policyArn)} attached to user ${shown(() => attachment.user)}.`);
        const exclusive = as(T.policyAttachment);
        if (exclusive) {
            const users = peekEach(peek(() => exclusive.users));
            if (users.length > 0) report(`policy attachment lists ${users.length} user(s).`);
        }
    },
});

// ---- joins: which policies reach a principal -------------------------------------------------

type PrincipalKind = "role" | "user" | "group";

export interface PrincipalGrants {
    principal: PolicyResource;
    kind: PrincipalKind;
    managedArns: { arn: string; via: string }[];
    documents: { where: string; doc: ParsedDocument }[];
}

/** How each principal kind is named by the resources that grant it permissions. */
const PRINCIPALS: { kind: PrincipalKind; principal: Kind; inline: Kind; attachment: Kind; prop: string; listProp: "roles" | "users" | "groups" }[] = [
    { kind: "role", principal: T.role, inline: T.rolePolicy, attachment: T.rolePolicyAttachment, prop: "role", listProp: "roles" },
    { kind: "user", principal: T.user, inline: T.userPolicy, attachment: T.userPolicyAttachment, prop: "user", listProp: "users" },
    { kind: "group", principal: T.group, inline: T.groupPolicy, attachment: T.groupPolicyAttachment, prop: "group", listProp: "groups" },
];

/**
 * Everything that grants permissions to each principal (role, user, group) of the stack, in one pass
 * over the resources. `undecided` hears about grants that cannot be read yet (preview).
 */
export function collectGrants(index: StackIndex, undecided: (u: Unknown) => void = () => undefined): Map<string, PrincipalGrants> {
    const grants = new Map<string, PrincipalGrants>();
    const entry = (principal: PolicyResource, kind: PrincipalKind) => {
        let g = grants.get(principal.urn);
        if (!g) grants.set(principal.urn, (g = { principal, kind, managedArns: [], documents: [] }));
        return g;
    };
    const attach = (from: Typed<Kind>, principal: PolicyResource, kind: PrincipalKind, what: string) => {
        const arn = readString(() => (from.props as { policyArn?: string }).policyArn);
        if (arn instanceof Unknown) undecided(arn);
        if (typeof arn === "string") entry(principal, kind).managedArns.push({ arn, via: `${what} ${from.name}` });
        const [policy] = index.refs(from, "policyArn", T.managedPolicy, typeof arn === "string" ? arn : "");
        if (policy) entry(principal, kind).documents.push({ where: `policy ${policy.name}`, doc: parsePolicyDocument(() => policy.props.policy) });
    };
    for (const p of PRINCIPALS) {
        for (const principal of index.of(p.principal)) entry(principal, p.kind);
    }
    for (const role of index.of(T.role)) {
        const g = entry(role, "role");
        const managed = peek(() => role.props.managedPolicyArns);
        for (const a of peekEach(managed)) {
            if (a instanceof Unknown) undecided(a);
            else if (typeof a === "string") g.managedArns.push({ arn: a, via: `role ${role.name} managedPolicyArns` });
        }
        const inline = peek(() => role.props.inlinePolicies);
        if (inline instanceof Unknown) g.documents.push({ where: `role ${role.name} inlinePolicies`, doc: { kind: "unknown", unknown: inline } });
        else {
            peekEach(inline).forEach((ip, i) =>
                g.documents.push({ where: `role ${role.name} inlinePolicies[${i}].policy`, doc: ip instanceof Unknown ? { kind: "unknown", unknown: ip } : parsePolicyDocument(() => ip.policy) }),
            );
        }
    }
    for (const p of PRINCIPALS) {
        for (const inline of index.of(p.inline)) {
            for (const principal of index.refs(inline, p.prop, p.principal)) {
                entry(principal, p.kind).documents.push({ where: `${p.kind} policy ${inline.name}`, doc: parsePolicyDocument(() => (inline.props as { policy?: unknown }).policy) });
            }
        }
        for (const a of index.of(p.attachment)) {
            for (const principal of index.refs(a, p.prop, p.principal)) attach(a, principal, p.kind, `${p.kind} policy attachment`);
        }
        for (const a of index.of(T.policyAttachment)) {
            const names = peek(() => a.props[p.listProp]);
            if (names instanceof Unknown) {
                for (const principal of index.refs(a, p.listProp, p.principal, names)) attach(a, principal, p.kind, "policy attachment");
                continue;
            }
            for (const n of peekEach(names)) for (const principal of index.refs(a, p.listProp, p.principal, n)) attach(a, principal, p.kind, "policy attachment");
        }
    }
    return grants;
}

function trustsLambda(principal: PolicyResource): boolean {
    return trustedServices(parsePolicyDocument(() => (principal.props as { assumeRolePolicy?: unknown }).assumeRolePolicy)).includes("lambda.amazonaws.com");
}

const AWS_MANAGED = /^arn:aws[a-z-]*:iam::aws:policy\//;

export const iamNoManagedFullAccess = stackRule({
    name: "iam-no-managed-full-access",
    description: "No role, user or group holds an AWS-managed FullAccess, AdministratorAccess or PowerUserAccess policy (via any attachment resource or managedPolicyArns); the Lambda role least of all.",
    anchors: ["CKV_AWS_274", "CKV_AWS_275", "CKV2_AWS_56", "AwsSolutions-IAM4"],
    enforcementLevel: "mandatory",
    severity: "critical",
    remediation: "remove the attachment and grant the few actions the principal needs in an inline policy scoped to this stack's resources.",
    config: {
        deniedManagedPolicyPatterns: cfg.strings("Glob patterns (on the policy name after arn:aws:iam::aws:policy/) that are denied.", [
            "*FullAccess*",
            "AdministratorAccess",
            "PowerUserAccess",
        ]),
        roleScope: cfg.string("Which principals are checked: all of them, or only roles that lambda.amazonaws.com assumes.", "all", ["all", "lambda"]),
    },
    kinds: [T.role, T.user, T.group],
    validate({ config, index, report, undecided }) {
        const denied = config.deniedManagedPolicyPatterns.map(globToRegExp);
        for (const g of collectGrants(index, undecided).values()) {
            const lambda = g.kind === "role" && trustsLambda(g.principal);
            if (config.roleScope === "lambda" && !lambda) continue;
            for (const { arn, via } of g.managedArns) {
                if (!AWS_MANAGED.test(arn)) continue;
                const policyName = arn.slice(arn.lastIndexOf("/") + 1);
                if (denied.some((re) => re.test(policyName))) {
                    report(g.principal.urn, `${lambda ? "Lambda role" : g.kind} ${g.principal.name} holds AWS-managed ${policyName} (through ${via}).`);
                }
            }
        }
    },
});

/** The statement only applies to requests made through Lambda (kms:ViaService = lambda.<region>.amazonaws.com). */
function onlyViaLambda(s: Statement): boolean {
    const list = conditionValues(s, ["StringEquals", "StringLike"], "kms:ViaService");
    return list.length > 0 && list.every((x) => typeof x === "string" && /^lambda\.[a-z0-9-]+\.amazonaws\.com$/.test(x));
}

export const iamLambdaRoleLeastPrivilege = stackRule({
    name: "iam-lambda-role-least-privilege",
    description: "A role that Lambda assumes may only invoke SageMaker endpoints, write its logs and send X-Ray traces (plus KMS decrypt of its own environment, only via Lambda): every allowed action, inline or attached, is on the allow-list.",
    anchors: ["LambdaStarPermissions"],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "give the function role only sagemaker:InvokeEndpoint on the endpoint ARN plus logs:CreateLogStream/PutLogEvents on its log group (and X-Ray if tracing).",
    config: {
        allowedActions: cfg.strings("Actions a Lambda role may be allowed (exact names, case-insensitive).", [
            "sagemaker:InvokeEndpoint",
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
        ]),
        allowedManagedPolicyArns: cfg.strings("Managed policies a Lambda role may hold.", [
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",
        ]),
        allowedKmsViaLambdaActions: cfg.strings(
            "KMS actions tolerated only in statements whose condition pins kms:ViaService to lambda.<region>.amazonaws.com (decrypting the function's own CMK-encrypted environment).",
            ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
        ),
    },
    kinds: [T.role],
    validate({ config, index, report, undecided }) {
        const allowed = new Set(config.allowedActions.map((a) => a.toLowerCase()));
        const kmsViaLambda = new Set(config.allowedKmsViaLambdaActions.map((a) => a.toLowerCase()));
        const allowedManaged = new Set(config.allowedManagedPolicyArns);
        for (const g of collectGrants(index, undecided).values()) {
            if (g.kind !== "role") continue;
            const trust = parsePolicyDocument(() => (g.principal.props as { assumeRolePolicy?: unknown }).assumeRolePolicy);
            if (trust.kind === "unknown") undecided(trust.unknown);
            if (!trustedServices(trust).includes("lambda.amazonaws.com")) continue;
            for (const { arn, via } of g.managedArns) {
                if (AWS_MANAGED.test(arn) && !allowedManaged.has(arn)) {
                    report(g.principal.urn, `Lambda role ${g.principal.name} holds managed policy ${arn} (through ${via}).`);
                }
            }
            for (const { where, doc } of g.documents) {
                if (doc.kind === "unknown") undecided(doc.unknown);
                if (doc.kind !== "document") continue;
                for (const s of doc.statements.filter(allows)) {
                    const viaLambda = onlyViaLambda(s);
                    const extra = s.notAction
                        ? ["NotAction"]
                        : s.actions.filter((a): a is string => typeof a === "string" && !allowed.has(a.toLowerCase()) && !(viaLambda && kmsViaLambda.has(a.toLowerCase())));
                    if (extra.length > 0) {
                        report(g.principal.urn, `Lambda role ${g.principal.name}: ${where} ${label(s)} allows ${extra.join(", ")}.`);
                    }
                }
            }
        }
    },
});

interface RoleUse {
    kind: Kind;
    prop: string;
    read(props: unknown): unknown;
    service: string;
}

function use<K extends Kind>(kind: K, prop: string, read: (outputs: OutputsOf<K>) => unknown, service: string): RoleUse {
    return { kind, prop, read: (props) => read(props as OutputsOf<K>), service };
}

/** Where a role is used, and which service must therefore assume it. */
const ROLE_USES: RoleUse[] = [
    use(T.lambdaFunction, "role", (p) => p.role, "lambda.amazonaws.com"),
    use(T.notebook, "roleArn", (p) => p.roleArn, "sagemaker.amazonaws.com"),
    use(T.trainingJob, "roleArn", (p) => p.roleArn, "sagemaker.amazonaws.com"),
    use(T.tuningJob, "trainingJobDefinition", (p) => p.trainingJobDefinition?.roleArn, "sagemaker.amazonaws.com"),
    use(T.model, "executionRoleArn", (p) => p.executionRoleArn, "sagemaker.amazonaws.com"),
    use(T.instanceProfile, "role", (p) => p.role, "ec2.amazonaws.com"),
];

export const iamRoleTrustMatchesUse = stackRule({
    name: "iam-role-trust-matches-use",
    description: "Each role trusts exactly the service that uses it: a Lambda's role only lambda.amazonaws.com, a notebook/training/tuning/model role only sagemaker.amazonaws.com, an instance profile's role only ec2.amazonaws.com; no role is shared across services.",
    anchors: [],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "give each resource its own role whose trust policy names only the service that runs it.",
    config: {},
    kinds: [T.role],
    validate({ index, report, undecided }) {
        const expected = new Map<string, { role: PolicyResource; services: Set<string>; users: string[] }>();
        for (const use of ROLE_USES) {
            for (const user of index.of(use.kind)) {
                for (const role of index.refs(user, use.prop, T.role, peek(() => use.read(user.props)))) {
                    let e = expected.get(role.urn);
                    if (!e) expected.set(role.urn, (e = { role, services: new Set(), users: [] }));
                    e.services.add(use.service);
                    e.users.push(user.name);
                }
            }
        }
        for (const { role, services, users } of expected.values()) {
            if (services.size > 1) {
                report(role.urn, `role ${role.name} is shared by ${users.join(", ")}, which run under ${[...services].join(" and ")}.`);
                continue;
            }
            const trust = parsePolicyDocument(() => (role.props as { assumeRolePolicy?: unknown }).assumeRolePolicy);
            if (trust.kind === "unknown") {
                undecided(trust.unknown);
                continue;
            }
            const trusted = new Set(trustedServices(trust));
            const [service] = services;
            if (!trusted.has(service)) report(role.urn, `role ${role.name} is used by ${users.join(", ")} but does not trust ${service}.`);
            const extra = [...trusted].filter((t) => t !== service);
            if (extra.length > 0) report(role.urn, `role ${role.name} (used by ${users.join(", ")}) also trusts ${extra.join(", ")}.`);
        }
    },
});

export const iamRules = [
    iamNoWildcardActions,
    iamNoUnscopedActions,
    iamNoStarResourceForSensitiveActions,
    iamNoPrivilegeEscalation,
    iamPassRoleRestricted,
    iamRoleTrustRestricted,
    iamRoleTrustMatchesUse,
    iamNoManagedFullAccess,
    iamLambdaRoleLeastPrivilege,
    iamNoUsers,
    iamUserPermissionsViaGroups,
];
