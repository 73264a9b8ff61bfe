// Answers for the data sources a pipeline program commonly reads, computed as the AWS provider
// would compute them for one account and region: policy documents rendered from their statements,
// the account's default VPC and its default subnets (one per Availability Zone), AMIs, caller
// identity, partition, region and zones. A replica, kept small: what it answers is listed in
// docs/plan.md; a data source, or a query, it cannot answer fails naming the data source token,
// because a silently empty answer would hide a program the plan no longer models.

import * as crypto from "crypto";
import * as zlib from "zlib";

export interface Account {
    region: string;
    accountId: string;
}

/** A program asked for something the offline plan does not emulate. */
export class UnsupportedDataSourceError extends Error {
    constructor(token: string, detail: string) {
        super(`the offline plan cannot answer data source ${token}: ${detail}`);
        this.name = "UnsupportedDataSourceError";
    }
}

type Inputs = Record<string, unknown>;
/** `token` is the data source's own, as DATA_SOURCES lists it, for its error messages. */
type Answer = (inputs: Inputs, account: Account, token: string) => Record<string, unknown>;

interface Filter {
    name: string;
    values: string[];
}

/** The query arguments the answers read (as the SDK sends them: the program's camelCase names). */
interface Query {
    filters?: Filter[];
    tags?: Record<string, string>;
    id?: string;
    default?: boolean;
    cidrBlock?: string;
    state?: string;
    vpcId?: string;
    availabilityZone?: string;
    availabilityZoneId?: string;
    defaultForAz?: boolean;
    excludeNames?: string[];
    excludeZoneIds?: string[];
    mostRecent?: boolean;
    owners?: string[];
    nameRegex?: string;
    allowUnsafeFilter?: boolean;
    region?: string;
    name?: string;
    imageTag?: string;
    repositoryName?: string;
}

function hex(seed: string, length: number): string {
    return crypto.createHash("sha256").update(seed).digest("hex").slice(0, length);
}

export function partitionOf(region: string): { partition: string; dnsSuffix: string; reverseDnsPrefix: string } {
    if (region.startsWith("cn-")) return { partition: "aws-cn", dnsSuffix: "amazonaws.com.cn", reverseDnsPrefix: "cn.com.amazonaws" };
    if (region.startsWith("us-gov-")) return { partition: "aws-us-gov", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
    return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
}

// ---- Availability Zones ---------------------------------------------------------------------

/** Zone letters of the regions that have more or other zones than a, b, c. */
const ZONE_LETTERS: Record<string, string> = {
    "us-east-1": "abcdef",
    "us-west-1": "ac",
    "us-west-2": "abcd",
    "ap-northeast-1": "acd",
    "ap-northeast-2": "abcd",
    "ap-south-1": "abc",
    "ca-central-1": "abd",
    "sa-east-1": "abc",
};

const DIRECTIONS: Record<string, string> = {
    east: "e", west: "w", north: "n", south: "s", central: "c",
    northeast: "ne", northwest: "nw", southeast: "se", southwest: "sw",
};

/** The zones of `region`: name (us-east-1a) and zone id (use1-az1), in order. */
export function zonesOf(region: string): { name: string; zoneId: string }[] {
    const [geo, direction, number] = region.split("-").slice(-3);
    const short = `${geo}${DIRECTIONS[direction] ?? direction[0]}${number}`;
    return [...(ZONE_LETTERS[region] ?? "abc")].map((letter, i) => ({ name: `${region}${letter}`, zoneId: `${short}-az${i + 1}` }));
}

const getAvailabilityZones: Answer = (inputs, { region }, token) => {
    const q = inputs as Query;
    for (const f of q.filters ?? []) {
        if (!["zone-name", "zone-id", "region-name", "state", "opt-in-status", "zone-type"].includes(f.name)) {
            throw new UnsupportedDataSourceError(token, `filter ${JSON.stringify(f.name)} is not one the plan models (zone-name, zone-id, region-name, state, opt-in-status, zone-type)`);
        }
    }
    const matches = (filter: string, value: string) => (q.filters ?? []).every((f) => f.name !== filter || f.values.includes(value));
    const zones = zonesOf(region).filter((z) =>
        !(q.excludeNames ?? []).includes(z.name) &&
        !(q.excludeZoneIds ?? []).includes(z.zoneId) &&
        (q.state === undefined || q.state === "available") &&
        matches("zone-name", z.name) && matches("zone-id", z.zoneId) && matches("region-name", region) &&
        matches("state", "available") && matches("opt-in-status", "opt-in-not-required") && matches("zone-type", "availability-zone"),
    );
    return {
        ...inputs,
        id: region,
        names: zones.map((z) => z.name),
        zoneIds: zones.map((z) => z.zoneId),
        groupNames: [region],
    };
};

// ---- The default VPC and its subnets --------------------------------------------------------

interface Subnet {
    id: string;
    arn: string;
    vpcId: string;
    cidrBlock: string;
    availabilityZone: string;
    availabilityZoneId: string;
    defaultForAz: boolean;
    mapPublicIpOnLaunch: boolean;
    state: string;
}

function defaultVpc({ region, accountId }: Account) {
    const id = `vpc-0${hex(`${accountId}/${region}/default-vpc`, 16)}`;
    return {
        id,
        arn: `arn:${partitionOf(region).partition}:ec2:${region}:${accountId}:vpc/${id}`,
        cidrBlock: "172.31.0.0/16",
        default: true,
        state: "available",
        ownerId: accountId,
        instanceTenancy: "default",
        enableDnsHostnames: true,
        enableDnsSupport: true,
        enableNetworkAddressUsageMetrics: false,
        dhcpOptionsId: `dopt-0${hex(`${id}/dopt`, 16)}`,
        mainRouteTableId: `rtb-0${hex(`${id}/rtb`, 16)}`,
        cidrBlockAssociations: [{ associationId: `vpc-cidr-assoc-0${hex(`${id}/cidr`, 16)}`, cidrBlock: "172.31.0.0/16", state: "associated" }],
        ipv6AssociationId: "",
        ipv6CidrBlock: "",
        tags: {},
    };
}

/** The default subnets: one /20 per zone, in 172.31.0.0/16, as AWS creates them. */
function defaultSubnets(account: Account): Subnet[] {
    const vpc = defaultVpc(account);
    return zonesOf(account.region).map((z, i) => {
        const id = `subnet-0${hex(`${vpc.id}/${z.name}`, 16)}`;
        return {
            id,
            arn: `arn:${partitionOf(account.region).partition}:ec2:${account.region}:${account.accountId}:subnet/${id}`,
            vpcId: vpc.id,
            cidrBlock: `172.31.${16 * i}.0/20`,
            availabilityZone: z.name,
            availabilityZoneId: z.zoneId,
            defaultForAz: true,
            mapPublicIpOnLaunch: true,
            state: "available",
        };
    });
}

/** EC2 filter names the plan can evaluate on the default VPC and subnets, and the field each reads. */
const VPC_FILTERS: Record<string, (v: ReturnType<typeof defaultVpc>) => string> = {
    "vpc-id": (v) => v.id,
    "is-default": (v) => String(v.default),
    "cidr": (v) => v.cidrBlock,
    "cidr-block-association.cidr-block": (v) => v.cidrBlock,
    "state": (v) => v.state,
    "owner-id": (v) => v.ownerId,
};

const SUBNET_FILTERS: Record<string, (s: Subnet) => string> = {
    "subnet-id": (s) => s.id,
    "vpc-id": (s) => s.vpcId,
    "availability-zone": (s) => s.availabilityZone,
    "availability-zone-id": (s) => s.availabilityZoneId,
    "availabilityZone": (s) => s.availabilityZone,
    "cidr-block": (s) => s.cidrBlock,
    "cidrBlock": (s) => s.cidrBlock,
    "default-for-az": (s) => String(s.defaultForAz),
    "defaultForAz": (s) => String(s.defaultForAz),
    "map-public-ip-on-launch": (s) => String(s.mapPublicIpOnLaunch),
    "state": (s) => s.state,
};

/** EC2 filter values may use `*` and `?` wildcards. */
function globMatches(pattern: string, value: string): boolean {
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
    return re.test(value);
}

function applyFilters<T>(token: string, items: T[], filters: { name: string; values: string[] }[] | undefined, fields: Record<string, (item: T) => string>): T[] {
    let out = items;
    for (const f of filters ?? []) {
        const field = fields[f.name];
        if (!field) {
            throw new UnsupportedDataSourceError(token, `filter ${JSON.stringify(f.name)} is not one the plan models on the default VPC (${Object.keys(fields).join(", ")})`);
        }
        out = out.filter((item) => f.values.some((v) => globMatches(v, field(item))));
    }
    return out;
}

const getVpc: Answer = (inputs, account, token) => {
    const q = inputs as Query;
    const vpc = defaultVpc(account);
    const asked = (q.default === true || q.id === vpc.id || (q.filters ?? []).length > 0) && q.default !== false;
    if (!asked) {
        const which = q.id ? `${q.id} is not it` : "ask with default: true, its id, or filters it matches";
        throw new UnsupportedDataSourceError(token, `only the account's default VPC (${vpc.id}) is known offline; ${which}`);
    }
    const matches =
        (q.id === undefined || q.id === vpc.id) &&
        (q.cidrBlock === undefined || q.cidrBlock === vpc.cidrBlock) &&
        (q.state === undefined || q.state === vpc.state) &&
        Object.keys(q.tags ?? {}).length === 0 &&
        applyFilters(token, [vpc], q.filters, VPC_FILTERS).length === 1;
    // The provider's own words when nothing matches.
    if (!matches) throw new Error(`${token}: no matching EC2 VPC found`);
    return { ...inputs, ...vpc };
};

const getSubnets: Answer = (inputs, account, token) => {
    const q = inputs as Query;
    let subnets = applyFilters(token, defaultSubnets(account), q.filters, SUBNET_FILTERS);
    // Default subnets carry no tags.
    if (Object.keys(q.tags ?? {}).length > 0) subnets = [];
    return { ...inputs, id: account.region, ids: subnets.map((s) => s.id) };
};

const getSubnet: Answer = (inputs, account, token) => {
    const equal: [string, (s: Subnet) => unknown][] = [
        ["id", (s) => s.id],
        ["vpcId", (s) => s.vpcId],
        ["availabilityZone", (s) => s.availabilityZone],
        ["availabilityZoneId", (s) => s.availabilityZoneId],
        ["cidrBlock", (s) => s.cidrBlock],
        ["defaultForAz", (s) => s.defaultForAz],
        ["state", (s) => s.state],
    ];
    const q = inputs as Query;
    let subnets = applyFilters(token, defaultSubnets(account), q.filters, SUBNET_FILTERS);
    for (const [key, field] of equal) {
        if (inputs[key] !== undefined) subnets = subnets.filter((s) => field(s) === inputs[key]);
    }
    if (Object.keys(q.tags ?? {}).length > 0) subnets = [];
    if (subnets.length === 0) throw new Error(`${token}: no matching EC2 Subnet found (offline, the account has only its default VPC's default subnets)`);
    if (subnets.length > 1) throw new Error(`${token}: multiple EC2 Subnets matched; use additional constraints to reduce matches to a single EC2 Subnet`);
    const s = subnets[0];
    return {
        ...inputs,
        ...s,
        ownerId: account.accountId,
        availableIpAddressCount: 4091,
        assignIpv6AddressOnCreation: false,
        enableDns64: false,
        enableLniAtDeviceIndex: 0,
        enableResourceNameDnsAaaaRecordOnLaunch: false,
        enableResourceNameDnsARecordOnLaunch: false,
        ipv6CidrBlock: "",
        ipv6CidrBlockAssociationId: "",
        ipv6Native: false,
        mapCustomerOwnedIpOnLaunch: false,
        privateDnsHostnameTypeOnLaunch: "ip-name",
        tags: {},
    };
};

// ---- AMIs -----------------------------------------------------------------------------------

/** The AWS Deep Learning AMI the plan knows by name, and the account Amazon publishes it from. */
const DLAMI = {
    id: "ami-0d3b5e4c2a1f09876",
    name: "Deep Learning OSS Nvidia Driver AMI GPU PyTorch 2.7 (Ubuntu 22.04) 20260915",
    ownerId: "898082745236",
    creationDate: "2026-09-15T10:11:12.000Z",
};

const getAmi: Answer = (inputs, _account, token) => {
    const q = inputs as Query;
    const filters = q.filters ?? [];
    const filter = (name: string) => filters.find((f) => f.name === name)?.values;
    // @pulumi/aws 7 refuses a most-recent lookup that a third party could win.
    if (q.mostRecent && !(q.owners ?? []).length && !filter("owner-id") && !filter("image-id") && !q.allowUnsafeFilter) {
        throw new Error(`${token}: mostRecent is true but the query is filtered by neither owners nor an owner-id or image-id filter; @pulumi/aws 7 refuses it (set owners, or allowUnsafeFilter: true)`);
    }
    const namePattern = filter("name")?.[0];
    // A name the query matches: the known Deep Learning AMI when it does, else the pattern made concrete.
    const name = namePattern === undefined || globMatches(namePattern, DLAMI.name) ? DLAMI.name : namePattern.replace(/\*/g, "1").replace(/\?/g, "1");
    if (q.nameRegex && !new RegExp(q.nameRegex).test(name)) {
        throw new UnsupportedDataSourceError(token, `nameRegex ${JSON.stringify(q.nameRegex)} does not match the AMI the plan assumes (${name})`);
    }
    const known = name === DLAMI.name;
    const owner = (q.owners ?? []).find((o) => /^\d{12}$/.test(o)) ?? filter("owner-id")?.[0] ?? DLAMI.ownerId;
    const imageId = filter("image-id")?.[0] ?? (known ? DLAMI.id : `ami-0${hex(name, 16)}`);
    return {
        ...inputs,
        id: imageId,
        imageId,
        name,
        architecture: filter("architecture")?.[0] ?? "x86_64",
        ownerId: owner,
        imageOwnerAlias: (q.owners ?? []).includes("amazon") ? "amazon" : "",
        creationDate: known ? DLAMI.creationDate : "2026-09-15T10:11:12.000Z",
        rootDeviceName: "/dev/sda1",
        rootDeviceType: "ebs",
        virtualizationType: "hvm",
        state: "available",
    };
};

// ---- IAM policy documents -------------------------------------------------------------------

interface StatementInput {
    sid?: string;
    effect?: string;
    actions?: string[];
    notActions?: string[];
    resources?: string[];
    notResources?: string[];
    principals?: { type: string; identifiers: string[] }[];
    notPrincipals?: { type: string; identifiers: string[] }[];
    conditions?: { test: string; variable: string; values: string[] }[];
}

/** A set of strings as the provider writes it: the one element, or all of them sorted descending. */
function stringSet(values: string[] | undefined): string | string[] | undefined {
    const unique = [...new Set(values ?? [])];
    if (unique.length === 0) return undefined;
    if (unique.length === 1) return unique[0];
    return unique.sort().reverse();
}

/** `&{aws:username}` is how a program writes a policy variable (`${...}` would be interpolated). */
function policyVariables(value: string | string[] | undefined, version: string): string | string[] | undefined {
    if (value === undefined) return undefined;
    const replace = (s: string) => {
        if (version === "2008-10-17" && s.includes("&{")) throw new Error(`found &{ sequence in (${s}), which is not supported in document version 2008-10-17`);
        return s.replace(/&\{/g, "${");
    };
    return Array.isArray(value) ? value.map(replace) : replace(value);
}

/** Go's json.Marshal orders map keys. */
function sortedObject<T>(entries: [string, T][]): Record<string, T> {
    return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function principals(list: StatementInput["principals"], version: string): unknown {
    if (!list || list.length === 0) return undefined;
    const decoded = list.map((p) => ({ type: p.type, identifiers: policyVariables(stringSet(p.identifiers), version) }));
    // Only {"*": "*"} is written as "*": IAM treats "*" and {"AWS": "*"} differently in trust policies.
    if (decoded.length === 1 && decoded[0].type === "*" && decoded[0].identifiers === "*") return "*";
    const byType = new Map<string, string | string[]>();
    for (const p of decoded) {
        const current = byType.get(p.type);
        const add = Array.isArray(p.identifiers) ? [...p.identifiers].sort().reverse() : p.identifiers!;
        if (current === undefined) byType.set(p.type, add);
        else byType.set(p.type, [...(Array.isArray(current) ? current : [current]), ...(Array.isArray(add) ? add : [add])]);
    }
    return sortedObject([...byType]);
}

function conditions(list: StatementInput["conditions"], version: string): unknown {
    if (!list || list.length === 0) return undefined;
    const byTest = new Map<string, Map<string, string[]>>();
    for (const c of list) {
        const variables = byTest.get(c.test) ?? new Map<string, string[]>();
        byTest.set(c.test, variables);
        // Values keep their order: for some tests it matters.
        const values = policyVariables(c.values ?? [], version) as string[];
        variables.set(c.variable, [...(variables.get(c.variable) ?? []), ...values]);
    }
    return sortedObject([...byTest].map(([test, variables]) => [test, sortedObject([...variables].map(([v, values]) => [v, values.length === 1 ? values[0] : values]))]));
}

function renderStatement(s: StatementInput, version: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const set = (key: string, value: unknown) => {
        if (value !== undefined && value !== "") out[key] = value;
    };
    if (s.sid !== undefined && !/^[a-zA-Z0-9]*$/.test(s.sid)) throw new Error(`sid ${JSON.stringify(s.sid)} must only include alphanumeric characters`);
    if (s.effect !== undefined && !["Allow", "Deny"].includes(s.effect)) throw new Error(`effect ${JSON.stringify(s.effect)} must be "Allow" or "Deny"`);
    set("Sid", s.sid);
    set("Effect", s.effect ?? "Allow");
    set("Action", stringSet(s.actions));
    set("NotAction", stringSet(s.notActions));
    set("Resource", policyVariables(stringSet(s.resources), version));
    set("NotResource", policyVariables(stringSet(s.notResources), version));
    set("Principal", principals(s.principals, version));
    set("NotPrincipal", principals(s.notPrincipals, version));
    set("Condition", conditions(s.conditions, version));
    return out;
}

interface PolicyDoc {
    Version?: string;
    Id?: string;
    Statement?: Record<string, unknown>[];
}

/** Merges `next` into `doc` as the provider does: statements with a known Sid are replaced. */
function merge(doc: PolicyDoc, next: PolicyDoc): void {
    if (next.Id) doc.Id = next.Id;
    if (next.Version && (!doc.Version || next.Version > doc.Version)) doc.Version = next.Version;
    for (const statement of next.Statement ?? []) {
        const sid = statement.Sid as string | undefined;
        const i = sid ? (doc.Statement ?? []).findIndex((s) => s.Sid === sid) : -1;
        if (i >= 0) doc.Statement![i] = statement;
        else (doc.Statement ??= []).push(statement);
    }
}

function parseDocument(token: string, json: string, label: string): PolicyDoc {
    let doc: PolicyDoc;
    try {
        doc = JSON.parse(json) as PolicyDoc;
    } catch (e) {
        throw new Error(`${token}: ${label} is not JSON: ${(e as Error).message}`);
    }
    const statements = doc.Statement === undefined ? [] : Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
    return { ...doc, Statement: statements };
}

/** Go's `json.MarshalIndent(doc, "", "  ")`: Version, Id, Statement, in that order, empty ones left out. */
function ordered(doc: PolicyDoc): PolicyDoc {
    const out: PolicyDoc = {};
    if (doc.Version) out.Version = doc.Version;
    if (doc.Id) out.Id = doc.Id;
    if (doc.Statement && doc.Statement.length > 0) out.Statement = doc.Statement;
    return out;
}

/** `aws.iam.getPolicyDocument`'s arguments. */
interface PolicyDocumentQuery {
    version?: string;
    policyId?: string;
    statements?: StatementInput[];
    sourcePolicyDocuments?: string[];
    overridePolicyDocuments?: string[];
}

const getPolicyDocument: Answer = (inputs, _account, token) => {
    const q = inputs as PolicyDocumentQuery;
    const version = q.version ?? "2012-10-17";
    if (!["2008-10-17", "2012-10-17"].includes(version)) throw new Error(`${token}: version ${JSON.stringify(version)} must be "2008-10-17" or "2012-10-17"`);
    const merged: PolicyDoc = {};
    const sids = new Set<string>();
    (q.sourcePolicyDocuments ?? []).forEach((json, i) => {
        const source = parseDocument(token, json, `sourcePolicyDocuments[${i}]`);
        for (const s of source.Statement ?? []) {
            const sid = s.Sid as string | undefined;
            if (sid && sids.has(sid)) throw new Error(`${token}: merging source document ${i}: duplicate Sid (${sid}) in sourcePolicyDocuments. Remove the Sid or ensure Sids are unique.`);
            if (sid) sids.add(sid);
        }
        merge(merged, source);
    });
    const own = new Set<string>();
    const statements = (q.statements ?? []).map((s) => {
        if (s.sid) {
            if (own.has(s.sid)) throw new Error(`${token}: duplicate Sid (${s.sid}). Remove the Sid or ensure the Sid is unique.`);
            own.add(s.sid);
        }
        try {
            return renderStatement(s, version);
        } catch (e) {
            throw new Error(`${token}: ${(e as Error).message}`);
        }
    });
    merge(merged, { Version: version, Id: q.policyId, Statement: statements });
    (q.overridePolicyDocuments ?? []).forEach((json, i) => merge(merged, parseDocument(token, json, `overridePolicyDocuments[${i}]`)));
    const doc = ordered(merged);
    const json = JSON.stringify(doc, null, 2);
    return {
        ...inputs,
        // The provider's id: the CRC-32 of the rendered document.
        id: String(zlib.crc32(json)),
        json,
        minifiedJson: JSON.stringify(doc),
        version,
    };
};

// ---- Account, partition, region -------------------------------------------------------------

const getRegion: Answer = (inputs, { region }) => {
    const q = inputs as Query;
    const r = q.region ?? q.name ?? region;
    return { ...inputs, id: r, name: r, region: r, endpoint: `ec2.${r}.${partitionOf(r).dnsSuffix}`, description: r };
};

const getCallerIdentity: Answer = (_inputs, { region, accountId }) => ({
    id: accountId,
    accountId,
    arn: `arn:${partitionOf(region).partition}:iam::${accountId}:user/ci`,
    userId: "AIDAEXAMPLEUSERID",
});

const getPartition: Answer = (_inputs, { region }) => {
    const p = partitionOf(region);
    return { id: p.partition, ...p };
};

/** AWS Deep Learning Containers registry accounts for the regions that do not use the default one. */
const DLC_ACCOUNTS: Record<string, string> = {
    "af-south-1": "626614931356",
    "ap-east-1": "871362719292",
    "ap-northeast-3": "364406365360",
    "eu-south-1": "692866216735",
    "me-south-1": "217643126080",
};
const DEFAULT_DLC_ACCOUNT = "763104351884";

const getPrebuiltEcrImage: Answer = (inputs, { region }) => {
    const q = inputs as Query;
    const imageRegion = q.region ?? region;
    const registryId = DLC_ACCOUNTS[imageRegion] ?? DEFAULT_DLC_ACCOUNT;
    const tag = q.imageTag ?? "1";
    const registryPath = `${registryId}.dkr.ecr.${imageRegion}.${partitionOf(imageRegion).dnsSuffix}/${q.repositoryName}:${tag}`;
    return { ...inputs, id: registryId, registryId, registryPath };
};

/** Every data source the plan answers, by Pulumi token. */
export const DATA_SOURCES: Record<string, Answer> = {
    "aws:index/getRegion:getRegion": getRegion,
    "aws:index/getCallerIdentity:getCallerIdentity": getCallerIdentity,
    "aws:index/getPartition:getPartition": getPartition,
    "aws:index/getAvailabilityZones:getAvailabilityZones": getAvailabilityZones,
    "aws:iam/getPolicyDocument:getPolicyDocument": getPolicyDocument,
    "aws:ec2/getVpc:getVpc": getVpc,
    "aws:ec2/getSubnets:getSubnets": getSubnets,
    "aws:ec2/getSubnet:getSubnet": getSubnet,
    "aws:ec2/getAmi:getAmi": getAmi,
    "aws:sagemaker/getPrebuiltEcrImage:getPrebuiltEcrImage": getPrebuiltEcrImage,
};

/** The answer to data source `token` for `account`, or an error naming the token. */
export function answerDataSource(token: string, inputs: Inputs, account: Account): Record<string, unknown> {
    const answer = DATA_SOURCES[token];
    if (!answer) {
        throw new UnsupportedDataSourceError(token, `it is not one the plan emulates (${Object.keys(DATA_SOURCES).join(", ")}); see docs/plan.md`);
    }
    return answer(inputs ?? {}, account, token);
}
