// IAM policy documents as the rules see them. A document may arrive as a JSON string (the usual
// `JSON.stringify`/`pulumi.jsonStringify` output), as an object (`aws.iam.PolicyDocument`), as an
// unknown value during preview (an ARN inside it is not known yet: the whole string is unknown),
// or as an object whose individual leaves are unknown. Parsing never throws; it keeps which parts
// are unknown so that a rule can still decide on what is known (an Action "*" is a violation even
// when the Resource is an unknown ARN).

import { Unknown, peek, peekEach } from "./preview";

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
    /** `Condition`: operator -> key -> values (each possibly unknown). */
    condition: Record<string, Record<string, Value[]>>;
}

export type ParsedDocument =
    | { kind: "document"; statements: Statement[] }
    | { kind: "unknown"; unknown: Unknown }
    | { kind: "absent" }
    | { kind: "invalid"; error: string };

/**
 * The statements of a document (a resource's policy); none when there is none or it is not valid
 * (other rules report that), or when it is not known yet (then handed to `undecided`).
 */
export function documentStatements(read: () => unknown, undecided: (u: Unknown) => void): Statement[] {
    const doc = parsePolicyDocument(read);
    if (doc.kind === "unknown") undecided(doc.unknown);
    return doc.kind === "document" ? doc.statements : [];
}

/** A JSON-ish value of a document as a list of strings (numbers and booleans as JSON text). */
function values(read: () => unknown): Value[] {
    return peekEach(peek((): unknown[] => {
        const v = read();
        return Array.isArray(v) ? (v as unknown[]) : v === undefined || v === null ? [] : [v];
    })).map((x) => {
        if (x instanceof Unknown || typeof x === "string") return x;
        const text = peek(() => JSON.stringify(x));
        return text instanceof Unknown ? text : String(text);
    });
}

function principals(read: () => unknown): Principal[] {
    const p = peek(read);
    if (p === undefined || p === null) return [];
    if (p instanceof Unknown) return [{ kind: "unknown", value: p }];
    if (typeof p === "string") return [{ kind: p === "*" ? "*" : "AWS", value: p }];
    if (Array.isArray(p)) {
        // The aws.iam.getPolicyDocument input form: [{ type: "Service", identifiers: [...] }].
        return peekEach(p as unknown[]).flatMap((e) => {
            if (e instanceof Unknown) return [{ kind: "unknown", value: e }];
            const type = peek(() => (e as { type?: unknown }).type);
            return values(() => (e as { identifiers?: unknown }).identifiers).map((value) => ({ kind: typeof type === "string" ? type : "AWS", value }));
        });
    }
    if (typeof p === "object") {
        return Object.keys(p).flatMap((kind) => values(() => (p as Record<string, unknown>)[kind]).map((value) => ({ kind, value })));
    }
    return [];
}

function condition(read: () => unknown): Record<string, Record<string, Value[]>> {
    const c = peek(read);
    if (c === null || typeof c !== "object" || c instanceof Unknown) return {};
    const out: Record<string, Record<string, Value[]>> = {};
    for (const op of Object.keys(c)) {
        const byKey = peek(() => (c as Record<string, unknown>)[op]);
        if (byKey === null || typeof byKey !== "object" || byKey instanceof Unknown) continue;
        out[op] = {};
        for (const key of Object.keys(byKey)) out[op][key] = values(() => (byKey as Record<string, unknown>)[key]);
    }
    return out;
}

function statement(raw: Record<string, unknown>, index: number): Statement {
    const effect = peek(() => raw.Effect);
    const sid = peek(() => raw.Sid);
    const notAction = "NotAction" in raw;
    const notResource = "NotResource" in raw;
    return {
        index,
        sid: typeof sid === "string" ? sid : undefined,
        effect: effect instanceof Unknown ? effect : effect === "Deny" ? "Deny" : "Allow",
        actions: values(() => (notAction ? raw.NotAction : raw.Action)),
        notAction,
        resources: values(() => (notResource ? raw.NotResource : raw.Resource)),
        notResource,
        principals: principals(() => ("NotPrincipal" in raw ? raw.NotPrincipal : raw.Principal)),
        condition: condition(() => raw.Condition),
    };
}

/** Parses what `read()` returns: a JSON string, a document object, or an unknown value. */
export function parsePolicyDocument(read: () => unknown): ParsedDocument {
    const v = peek(read);
    if (v instanceof Unknown) return { kind: "unknown", unknown: v };
    if (v === undefined || v === null || v === "") return { kind: "absent" };
    let doc: unknown = v;
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
    const raw = peek(() => (doc as { Statement?: unknown }).Statement);
    if (raw instanceof Unknown) return { kind: "unknown", unknown: raw };
    const list = peekEach(Array.isArray(raw) ? raw : raw ? [raw] : []);
    const statements: Statement[] = [];
    list.forEach((s, i) => {
        if (s instanceof Unknown) statements.push({ index: i, effect: s, actions: [s], notAction: false, resources: [s], notResource: false, principals: [], condition: {} });
        else if (s && typeof s === "object") statements.push(statement(s as Record<string, unknown>, i));
    });
    return { kind: "document", statements };
}

/** Glob (`*`, `?`) to an anchored case-insensitive RegExp, as IAM matches actions. */
export function globToRegExp(glob: string): RegExp {
    const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    return new RegExp(`^${body}$`, "i");
}

/** `*` or `<service>:*` (any case): every action of a service or of AWS. */
export function isServiceWildcard(action: Value): boolean {
    return typeof action === "string" && (action === "*" || /^[a-z0-9-]+:\*$/i.test(action));
}

/** Any wildcard form: `*`, `<service>:*`, `<service>:Prefix*`, `<service>:*Suffix`, `?`. */
export function isWildcardAction(action: Value): boolean {
    return typeof action === "string" && /[*?]/.test(action);
}

/** Does the (possibly wildcarded) policy action grant the concrete `action`? IAM matches case-insensitively. */
export function actionGrants(policyAction: Value, action: string): boolean {
    if (typeof policyAction !== "string") return false;
    return globToRegExp(policyAction).test(action);
}

/** Does the statement allow `action` (through Action, a wildcard in it, or NotAction not naming it)? */
export function statementGrants(s: Statement, action: string): boolean {
    const named = s.actions.some((a) => actionGrants(a, action));
    return s.notAction ? !named && !s.actions.some((a) => a instanceof Unknown) : named;
}

/** A statement that grants with Allow (unknown effects are treated as Allow: fail towards caution). */
export function allows(s: Statement): boolean {
    return s.effect !== "Deny";
}

/** Resource "*" (or NotResource, which is everything but a few). */
export function onEveryResource(s: Statement): boolean {
    return s.notResource || s.resources.some((r) => r === "*");
}

export function label(s: Statement): string {
    return s.sid ? `statement ${s.index} (Sid "${s.sid}")` : `statement ${s.index}`;
}

/** Values of a condition key under the given operators (keys compared case-insensitively, as IAM does). */
export function conditionValues(s: Statement, operators: string[], key: string): Value[] {
    const out: Value[] = [];
    const k = key.toLowerCase();
    for (const op of operators) {
        for (const [name, vals] of Object.entries(s.condition[op] ?? {})) if (name.toLowerCase() === k) out.push(...vals);
    }
    return out;
}

/** Condition keys that pin an Allow to a known caller even when Principal is "*" (IAM keys compared lower-case). */
export const CALLER_PINNING_KEYS = ["aws:principalorgid", "aws:principalaccount", "aws:principalarn", "aws:sourcevpce", "aws:sourcevpc", "aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid"];

/** The statement names Principal "*" (or AWS "*"): anyone. */
export function namesAnyone(s: Statement): boolean {
    return s.principals.some((p) => p.kind === "*" || p.value === "*");
}

export function hasCondition(s: Statement): boolean {
    return Object.keys(s.condition).length > 0;
}

/** An Allow to Principal "*" (or AWS "*") with no condition on any of `pinningKeys`. */
export function allowsAnyone(s: Statement, pinningKeys: readonly string[] = CALLER_PINNING_KEYS): boolean {
    if (!allows(s) || !namesAnyone(s)) return false;
    const keys = Object.values(s.condition).flatMap((byKey) => Object.keys(byKey).map((k) => k.toLowerCase()));
    return !keys.some((k) => pinningKeys.includes(k));
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
