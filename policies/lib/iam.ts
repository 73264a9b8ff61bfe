// IAM policy documents as the rules see them. A document may arrive as a JSON string (the usual
// `JSON.stringify`/`pulumi.jsonStringify` output), as an object (`aws.iam.PolicyDocument`), as an
// unknown value during preview (an ARN inside it is not known yet: the whole string is unknown),
// or as an object whose individual leaves are unknown. Parsing never throws; it reports which
// parts are unknown so that a rule can still decide on what is known (an Action "*" is a violation
// even when the Resource is an unknown ARN).

import { UNKNOWN, Unknown, globToRegExp, isUnknownSentinel, unwrap } from "./values";

export type Value = string | Unknown;

export interface Principal {
    /** "*" for `Principal: "*"`, else the principal kind: AWS, Service, Federated, CanonicalUser. */
    kind: string;
    value: Value;
}

export interface Statement {
    index: number;
    sid?: string;
    effect: "Allow" | "Deny" | Unknown;
    /** `Action` values; `notAction` true when the statement uses NotAction instead. */
    actions: Value[];
    notAction: boolean;
    resources: Value[];
    notResource: boolean;
    principals: Principal[];
    /** `Condition` as given (operators -> keys -> values), or undefined. */
    condition?: Record<string, Record<string, unknown>>;
}

export type ParsedDocument =
    | { kind: "document"; statements: Statement[] }
    | { kind: "unknown" }
    | { kind: "absent" }
    | { kind: "invalid"; error: string };

function values(v: unknown): Value[] {
    const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
    return list.map((x) => (isUnknownSentinel(x) ? UNKNOWN : typeof x === "string" ? x : JSON.stringify(x)));
}

function principals(p: unknown): Principal[] {
    if (p === undefined || p === null) return [];
    if (isUnknownSentinel(p)) return [{ kind: "unknown", value: UNKNOWN }];
    if (typeof p === "string") return [{ kind: p === "*" ? "*" : "AWS", value: p }];
    if (Array.isArray(p)) {
        // The aws.iam.PolicyDocument input form: [{ type: "Service", identifiers: [...] }].
        return p.flatMap((e: any) => values(e?.identifiers).map((value) => ({ kind: String(e?.type ?? "AWS"), value })));
    }
    if (typeof p === "object") {
        return Object.entries(p as Record<string, unknown>).flatMap(([kind, v]) => values(v).map((value) => ({ kind, value })));
    }
    return [];
}

function statement(raw: any, index: number): Statement {
    const effect = isUnknownSentinel(raw?.Effect) ? UNKNOWN : raw?.Effect === "Deny" ? "Deny" : "Allow";
    const notAction = raw?.NotAction !== undefined;
    const notResource = raw?.NotResource !== undefined;
    return {
        index,
        sid: typeof raw?.Sid === "string" ? raw.Sid : undefined,
        effect,
        actions: values(notAction ? raw.NotAction : raw?.Action),
        notAction,
        resources: values(notResource ? raw.NotResource : raw?.Resource),
        notResource,
        principals: principals(raw?.Principal ?? raw?.NotPrincipal),
        condition: raw?.Condition && typeof raw.Condition === "object" ? raw.Condition : undefined,
    };
}

export function parsePolicyDocument(input: unknown): ParsedDocument {
    const v = unwrap(input);
    if (v === undefined || v === null || v === "") return { kind: "absent" };
    if (v === UNKNOWN || isUnknownSentinel(v)) return { kind: "unknown" };
    let doc: any = v;
    if (typeof v === "string") {
        try {
            doc = JSON.parse(v);
        } catch (e) {
            return { kind: "invalid", error: `not valid JSON (${(e as Error).message})` };
        }
    }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
        return { kind: "invalid", error: "a policy document must be a JSON object" };
    }
    if (isUnknownSentinel(doc.Statement)) return { kind: "unknown" };
    const list = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
    return { kind: "document", statements: list.map(statement) };
}

/** `*` or `<service>:*` (any case): every action of a service or of AWS. */
export function isServiceWildcard(action: Value): boolean {
    return action !== UNKNOWN && (action === "*" || /^[a-z0-9-]+:\*$/i.test(action));
}

/** Does the (possibly wildcarded) policy action grant the concrete `action`? IAM matches case-insensitively. */
export function actionGrants(policyAction: Value, action: string): boolean {
    if (policyAction === UNKNOWN) return false;
    return globToRegExp(policyAction).test(action);
}

/** A statement that grants with Allow (unknown effects are treated as Allow: fail towards caution). */
export function allows(s: Statement): boolean {
    return s.effect !== "Deny";
}

export function label(s: Statement): string {
    return s.sid ? `statement ${s.index} (Sid "${s.sid}")` : `statement ${s.index}`;
}

/** Service principals (e.g. lambda.amazonaws.com) an assume-role document trusts with Allow. */
export function trustedServices(doc: ParsedDocument): string[] {
    if (doc.kind !== "document") return [];
    const out: string[] = [];
    for (const s of doc.statements) {
        if (!allows(s)) continue;
        for (const p of s.principals) if (p.kind === "Service" && typeof p.value === "string") out.push(p.value);
    }
    return out;
}
