// IAM rules. Documents are parsed with lib/iam (JSON strings, objects, unknowns). Joins between a
// role and what grants it permissions (RolePolicy, RolePolicyAttachment, PolicyAttachment,
// managedPolicyArns, customer-managed Policy) are stack rules over one StackIndex.

import type { PolicyResource } from "@pulumi/policy";
import { StackIndex } from "../lib/stack-index";
import { resourceRule, stackRule, cfg } from "../lib/rule";
import {
    ParsedDocument,
    Statement,
    actionGrants,
    allows,
    isServiceWildcard,
    label,
    parsePolicyDocument,
    trustedServices,
} from "../lib/iam";
import { UNKNOWN, arr, get, globToRegExp, str, throwUnknown } from "../lib/values";

export const T = {
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    policyAttachment: "aws:iam/policyAttachment:PolicyAttachment",
    policy: "aws:iam/policy:Policy",
} as const;

/** The permission documents a resource itself carries: RolePolicy/Policy.policy, Role.inlinePolicies[].policy. */
function ownDocuments(type: string, props: unknown): { where: string; raw: unknown }[] {
    if (type === T.role) {
        const inline = arr(props, "inlinePolicies");
        if (inline === UNKNOWN) return [{ where: "inlinePolicies", raw: get(props, "inlinePolicies") }];
        return inline.map((p, i) => ({ where: `inlinePolicies[${i}].policy`, raw: get(p, "policy") }));
    }
    return [{ where: "policy", raw: get(props, "policy") }];
}

/** Parse, or throw the analyzer's "can't run during preview" when the whole document is unknown. */
function parseOrDefer(where: string, raw: unknown): ParsedDocument {
    const doc = parsePolicyDocument(raw);
    if (doc.kind === "unknown") throwUnknown([where]);
    return doc;
}

const PERMISSION_TYPES = [T.policy, T.rolePolicy, T.role];

export const iamNoWildcardActions = resourceRule({
    name: "iam-no-wildcard-actions",
    description: "No Allow statement grants Action '*' or '<service>:*', or uses NotAction (admin or full access to a service).",
    anchors: ["CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_49", "CKV2_AWS_40", "CKV2_AWS_68", "AwsSolutions-IAM5", "IAMPolicyNoStatementsWithFullAccess", "IAMPolicyNoStatementsWithAdminAccess"],
    enforcementLevel: "mandatory",
    severity: "critical",
    remediation: "list the exact actions the role needs (for example sagemaker:InvokeEndpoint) instead of a wildcard.",
    config: {
        allowedWildcardActions: cfg.strings("Wildcard actions tolerated anyway, e.g. 'logs:*' (exact, case-insensitive).", []),
    },
    types: PERMISSION_TYPES,
    validate(props, { config, args, report }) {
        const tolerated = new Set(config.allowedWildcardActions.map((a) => a.toLowerCase()));
        for (const { where, raw } of ownDocuments(args.type, props)) {
            const doc = parseOrDefer(where, raw);
            if (doc.kind === "invalid") {
                report(`${where} is not a policy document: ${doc.error}.`, "pass a JSON policy document.");
                continue;
            }
            if (doc.kind !== "document") continue;
            for (const s of doc.statements.filter(allows)) {
                if (s.notAction) {
                    report(`${where} ${label(s)} allows NotAction, i.e. every action except a few.`);
                    continue;
                }
                for (const a of s.actions) {
                    if (isServiceWildcard(a) && !tolerated.has(String(a).toLowerCase())) {
                        report(`${where} ${label(s)} allows Action '${String(a)}'.`);
                    }
                }
            }
        }
    },
});

export const iamNoStarResourceForSensitiveActions = resourceRule({
    name: "iam-no-star-resource-for-sensitive-actions",
    description: "Sensitive actions (sagemaker:InvokeEndpoint, S3 object reads/writes, iam:PassRole, ...) are never allowed on Resource '*'.",
    anchors: ["CKV_AWS_355", "CKV_AWS_356", "AwsSolutions-IAM5"],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "scope the statement to the ARNs it needs (the endpoint's ARN, arn:aws:s3:::<bucket>/<prefix>/*, the execution role's ARN).",
    config: {
        restrictedActions: cfg.strings("Concrete actions that must name their resources; a policy action matching one (wildcards included) is checked.", [
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
        ]),
    },
    types: PERMISSION_TYPES,
    validate(props, { config, args, report }) {
        for (const { where, raw } of ownDocuments(args.type, props)) {
            const doc = parseOrDefer(where, raw);
            if (doc.kind !== "document") continue;
            for (const s of doc.statements.filter(allows)) {
                const starResource = s.notResource || s.resources.some((r) => r === "*");
                if (!starResource) continue;
                const hits = config.restrictedActions.filter((ra) =>
                    s.notAction ? !s.actions.some((a) => actionGrants(a, ra)) : s.actions.some((a) => actionGrants(a, ra)),
                );
                if (hits.length > 0) {
                    report(`${where} ${label(s)} allows ${hits.join(", ")} on Resource '*'.`);
                }
            }
        }
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
    types: PERMISSION_TYPES,
    validate(props, { config, args, report }) {
        const services = new Set(config.allowedPassedToServices);
        for (const { where, raw } of ownDocuments(args.type, props)) {
            const doc = parseOrDefer(where, raw);
            if (doc.kind !== "document") continue;
            for (const s of doc.statements.filter(allows)) {
                const grants = s.notAction ? !s.actions.some((a) => actionGrants(a, "iam:PassRole")) : s.actions.some((a) => actionGrants(a, "iam:PassRole"));
                if (!grants) continue;
                const cond = s.condition?.StringEquals?.["iam:PassedToService"] ?? s.condition?.StringLike?.["iam:PassedToService"];
                const passedTo = (Array.isArray(cond) ? cond : cond === undefined ? [] : [cond]).map(String);
                if (passedTo.length === 0) report(`${where} ${label(s)} allows iam:PassRole without an iam:PassedToService condition.`);
                else {
                    const other = passedTo.filter((x) => !services.has(x));
                    if (other.length > 0) report(`${where} ${label(s)} lets roles be passed to ${other.join(", ")} (allowed: ${[...services].join(", ")}).`);
                }
            }
        }
    },
});

export const iamRoleTrustRestricted = resourceRule({
    name: "iam-role-trust-restricted",
    description: "A role's trust policy lets only expected AWS service principals assume it: never Principal '*', never an account or user.",
    anchors: ["CKV_AWS_60", "CKV_AWS_61"],
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
    types: [T.role],
    validate(props, { config, report }) {
        const doc = parseOrDefer("assumeRolePolicy", get(props, "assumeRolePolicy"));
        if (doc.kind === "absent" || doc.kind === "invalid") {
            report(`assumeRolePolicy is ${doc.kind === "absent" ? "missing" : `invalid: ${doc.error}`}.`);
            return;
        }
        if (doc.kind !== "document") return;
        const services = new Set(config.allowedServicePrincipals);
        const aws = new Set(config.allowedAwsPrincipals);
        for (const s of doc.statements.filter(allows)) {
            if (s.principals.length === 0) report(`assumeRolePolicy ${label(s)} names no principal.`);
            for (const p of s.principals) {
                if (p.value === UNKNOWN) continue;
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

// ---- joins: which policies reach a role ------------------------------------------------------

interface RoleGrants {
    role: PolicyResource;
    managedArns: { arn: string; via: string }[];
    documents: { where: string; doc: ParsedDocument }[];
}

/**
 * Everything that grants permissions to each role of the stack, in one pass over the resources.
 * `onUnknown` hears about grants that cannot be read yet (preview).
 */
export function collectRoleGrants(index: StackIndex, onUnknown: (path: string) => void = () => undefined): Map<string, RoleGrants> {
    const grants = new Map<string, RoleGrants>();
    const entry = (role: PolicyResource) => {
        let g = grants.get(role.urn);
        if (!g) grants.set(role.urn, (g = { role, managedArns: [], documents: [] }));
        return g;
    };
    const customerPolicyDoc = (arn: string, from: PolicyResource): { where: string; doc: ParsedDocument } | undefined => {
        const [policy] = index.refs(from, "policyArn", T.policy, arn);
        return policy ? { where: `policy ${policy.name}`, doc: parsePolicyDocument(get(policy.props, "policy")) } : undefined;
    };
    for (const role of index.ofType(T.role)) {
        const g = entry(role);
        const managed = arr(role.props, "managedPolicyArns");
        if (managed === UNKNOWN) onUnknown(`role ${role.name} managedPolicyArns`);
        else {
            for (const a of managed) {
                if (typeof a === "string") g.managedArns.push({ arn: a, via: `role ${role.name} managedPolicyArns` });
                else if (a === UNKNOWN) onUnknown(`role ${role.name} managedPolicyArns`);
            }
        }
        for (const { where, raw } of ownDocuments(T.role, role.props)) g.documents.push({ where: `role ${role.name} ${where}`, doc: parsePolicyDocument(raw) });
    }
    for (const rp of index.ofType(T.rolePolicy)) {
        for (const role of index.refs(rp, "role", T.role)) {
            entry(role).documents.push({ where: `role policy ${rp.name}`, doc: parsePolicyDocument(get(rp.props, "policy")) });
        }
    }
    const attach = (from: PolicyResource, role: PolicyResource, kind: string) => {
        const arn = str(from.props, "policyArn");
        if (typeof arn !== "string") {
            if (arn === UNKNOWN) onUnknown(`${kind} ${from.name} policyArn`);
            const doc = customerPolicyDoc("", from);
            if (doc) entry(role).documents.push(doc);
            return;
        }
        entry(role).managedArns.push({ arn, via: `${kind} ${from.name}` });
        const doc = customerPolicyDoc(arn, from);
        if (doc) entry(role).documents.push(doc);
    };
    for (const a of index.ofType(T.rolePolicyAttachment)) {
        for (const role of index.refs(a, "role", T.role)) attach(a, role, "role policy attachment");
    }
    for (const a of index.ofType(T.policyAttachment)) {
        const roles = arr(a.props, "roles");
        if (roles === UNKNOWN) {
            for (const role of index.refs(a, "roles", T.role, UNKNOWN)) attach(a, role, "policy attachment");
            continue;
        }
        for (const r of roles) for (const role of index.refs(a, "roles", T.role, r)) attach(a, role, "policy attachment");
    }
    return grants;
}

export function isLambdaRole(role: PolicyResource): boolean {
    return trustedServices(parsePolicyDocument(get(role.props, "assumeRolePolicy"))).includes("lambda.amazonaws.com");
}

const AWS_MANAGED = /^arn:aws[a-z-]*:iam::aws:policy\//;

export const iamNoManagedFullAccess = stackRule({
    name: "iam-no-managed-full-access",
    description: "No role holds an AWS-managed FullAccess, AdministratorAccess or PowerUserAccess policy (via RolePolicyAttachment, PolicyAttachment or managedPolicyArns); the Lambda role least of all.",
    anchors: ["CKV_AWS_274", "CKV2_AWS_56", "AwsSolutions-IAM4"],
    enforcementLevel: "mandatory",
    severity: "critical",
    remediation: "remove the attachment and grant the few actions the role needs in an inline policy scoped to this stack's resources.",
    config: {
        deniedManagedPolicyPatterns: cfg.strings("Glob patterns (on the policy name after arn:aws:iam::aws:policy/) that are denied.", [
            "*FullAccess*",
            "AdministratorAccess",
            "PowerUserAccess",
        ]),
        roleScope: cfg.string("Which roles are checked: every role, or only roles that lambda.amazonaws.com assumes.", "all", ["all", "lambda"]),
    },
    types: [T.role],
    validate({ config, index, report, unknown }) {
        const denied = config.deniedManagedPolicyPatterns.map(globToRegExp);
        for (const g of collectRoleGrants(index, unknown).values()) {
            const lambda = isLambdaRole(g.role);
            if (config.roleScope === "lambda" && !lambda) continue;
            for (const { arn, via } of g.managedArns) {
                if (!AWS_MANAGED.test(arn)) continue;
                const policyName = arn.slice(arn.lastIndexOf("/") + 1);
                if (denied.some((re) => re.test(policyName))) {
                    report(g.role.urn, `${lambda ? "Lambda role" : "role"} ${g.role.name} holds AWS-managed ${policyName} (through ${via}).`);
                }
            }
        }
    },
});

/** The statement only applies to requests made through Lambda (kms:ViaService = lambda.<region>.amazonaws.com). */
function onlyViaLambda(s: Statement): boolean {
    const eq = s.condition?.StringEquals ?? s.condition?.StringLike;
    const v = eq?.["kms:ViaService"];
    const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
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
    types: [T.role],
    validate({ config, index, report, unknown }) {
        const allowed = new Set(config.allowedActions.map((a) => a.toLowerCase()));
        const kmsViaLambda = new Set(config.allowedKmsViaLambdaActions.map((a) => a.toLowerCase()));
        const allowedManaged = new Set(config.allowedManagedPolicyArns);
        for (const g of collectRoleGrants(index, unknown).values()) {
            const trust = parsePolicyDocument(get(g.role.props, "assumeRolePolicy"));
            if (trust.kind === "unknown") unknown(`role ${g.role.name} assumeRolePolicy`);
            if (!trustedServices(trust).includes("lambda.amazonaws.com")) continue;
            for (const { arn, via } of g.managedArns) {
                if (AWS_MANAGED.test(arn) && !allowedManaged.has(arn)) {
                    report(g.role.urn, `Lambda role ${g.role.name} holds managed policy ${arn} (through ${via}).`);
                }
            }
            for (const { where, doc } of g.documents) {
                if (doc.kind === "unknown") unknown(`Lambda role ${g.role.name}: ${where}`);
                if (doc.kind !== "document") continue;
                for (const s of doc.statements.filter(allows)) {
                    const viaLambda = onlyViaLambda(s);
                    const extra = s.notAction
                        ? ["NotAction"]
                        : s.actions.filter((a): a is string => typeof a === "string" && !allowed.has(a.toLowerCase()) && !(viaLambda && kmsViaLambda.has(a.toLowerCase())));
                    if (extra.length > 0) {
                        report(g.role.urn, `Lambda role ${g.role.name}: ${where} ${label(s)} allows ${extra.join(", ")}.`);
                    }
                }
            }
        }
    },
});

/** Where a role is used, and which service must therefore assume it. */
const ROLE_USES: { type: string; prop: string; path: string[]; service: string }[] = [
    { type: "aws:lambda/function:Function", prop: "role", path: ["role"], service: "lambda.amazonaws.com" },
    { type: "aws:sagemaker/notebookInstance:NotebookInstance", prop: "roleArn", path: ["roleArn"], service: "sagemaker.amazonaws.com" },
    { type: "aws:sagemaker/trainingJob:TrainingJob", prop: "roleArn", path: ["roleArn"], service: "sagemaker.amazonaws.com" },
    { type: "aws:sagemaker/hyperParameterTuningJob:HyperParameterTuningJob", prop: "trainingJobDefinition", path: ["trainingJobDefinition", "roleArn"], service: "sagemaker.amazonaws.com" },
    { type: "aws:sagemaker/model:Model", prop: "executionRoleArn", path: ["executionRoleArn"], service: "sagemaker.amazonaws.com" },
    { type: "aws:iam/instanceProfile:InstanceProfile", prop: "role", path: ["role"], service: "ec2.amazonaws.com" },
];

export const iamRoleTrustMatchesUse = stackRule({
    name: "iam-role-trust-matches-use",
    description: "Each role trusts exactly the service that uses it: a Lambda's role only lambda.amazonaws.com, a notebook/training/tuning/model role only sagemaker.amazonaws.com, an instance profile's role only ec2.amazonaws.com; no role is shared across services.",
    anchors: [],
    enforcementLevel: "mandatory",
    severity: "high",
    remediation: "give each resource its own role whose trust policy names only the service that runs it.",
    config: {},
    types: [T.role],
    validate({ index, report, unknown }) {
        const expected = new Map<string, { role: PolicyResource; services: Set<string>; users: string[] }>();
        for (const use of ROLE_USES) {
            for (const user of index.ofType(use.type)) {
                for (const role of index.refs(user, use.prop, T.role, get(user.props, ...use.path))) {
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
            const trust = parsePolicyDocument(get(role.props, "assumeRolePolicy"));
            if (trust.kind === "unknown") {
                unknown(`role ${role.name} assumeRolePolicy`);
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

export const iamRules = [iamNoWildcardActions, iamNoStarResourceForSensitiveActions, iamPassRoleRestricted, iamRoleTrustRestricted, iamRoleTrustMatchesUse, iamNoManagedFullAccess, iamLambdaRoleLeastPrivilege];
