/**
 * IP address parsing and classification for the URL fetcher's SSRF guard.
 *
 * Addresses reach this module in canonical form only: the WHATWG URL parser has already rewritten
 * every way of writing an IPv4 literal (decimal `2130706433`, hex `0x7f.1`, short `127.1`, octal)
 * to dotted quad and compressed IPv6 literals, and resolvers answer in canonical form. Parsing is
 * still strict (exactly four decimal octets, well-formed IPv6) so that a non-canonical string can
 * never be misread as a harmless address.
 */

export type Family = 4 | 6;

export interface IpAddress {
    family: Family;
    /** The address as an unsigned integer (32 bits for IPv4, 128 bits for IPv6). */
    value: bigint;
}

const V4_OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function parseIPv4(text: string): bigint | undefined {
    const parts = text.split(".");
    if (parts.length !== 4 || !parts.every((p) => V4_OCTET.test(p))) return undefined;
    return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function parseIPv6(text: string): bigint | undefined {
    if (text.includes("%")) return undefined; // zone ids only make sense for link-local: never fetchable
    let head = text;
    let tailWords: number[] = [];
    // An embedded dotted IPv4 in the last 32 bits (e.g. ::ffff:127.0.0.1).
    const lastColon = text.lastIndexOf(":");
    if (lastColon >= 0 && text.slice(lastColon + 1).includes(".")) {
        const v4 = parseIPv4(text.slice(lastColon + 1));
        if (v4 === undefined) return undefined;
        tailWords = [Number(v4 >> 16n), Number(v4 & 0xffffn)];
        head = text.slice(0, lastColon + 1);
        if (head.endsWith(":") && !head.endsWith("::")) head = head.slice(0, -1);
    }
    const halves = head.split("::");
    if (halves.length > 2) return undefined;
    const toWords = (s: string): number[] | undefined => {
        if (s === "") return [];
        const words = s.split(":");
        if (!words.every((w) => /^[0-9a-fA-F]{1,4}$/.test(w))) return undefined;
        return words.map((w) => parseInt(w, 16));
    };
    const left = toWords(halves[0]);
    const right = halves.length === 2 ? toWords(halves[1]) : [];
    if (left === undefined || right === undefined) return undefined;
    const explicit = left.length + right.length + tailWords.length;
    let words: number[];
    if (halves.length === 2) {
        if (explicit > 7) return undefined;
        words = [...left, ...new Array<number>(8 - explicit).fill(0), ...right, ...tailWords];
    } else {
        if (explicit !== 8) return undefined;
        words = [...left, ...tailWords];
    }
    return words.reduce((acc, w) => (acc << 16n) | BigInt(w), 0n);
}

/** Parses a canonical IPv4 or IPv6 address (IPv6 with or without brackets); undefined if it is not one. */
export function parseIp(text: string): IpAddress | undefined {
    const t = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
    const v4 = parseIPv4(t);
    if (v4 !== undefined) return { family: 4, value: v4 };
    if (!t.includes(":")) return undefined;
    const v6 = parseIPv6(t);
    return v6 === undefined ? undefined : { family: 6, value: v6 };
}

export interface Cidr {
    family: Family;
    base: bigint;
    prefix: number;
    text: string;
}

/** Parses `a.b.c.d/n` or `x::y/n`; throws an Error naming the value when it is not a CIDR. */
export function parseCidr(text: string): Cidr {
    const [addr, prefixText, extra] = text.trim().split("/");
    const ip = parseIp(addr ?? "");
    const bits = ip?.family === 6 ? 128 : 32;
    const prefix = prefixText === undefined ? bits : Number(prefixText);
    if (!ip || extra !== undefined || !/^\d{1,3}$/.test(prefixText ?? String(bits)) || prefix > bits) {
        throw new Error(`"${text}" is not a CIDR block (expected e.g. 127.0.0.1/32 or ::1/128)`);
    }
    const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
    return { family: ip.family, base: ip.value & mask, prefix, text: text.trim() };
}

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
    if (cidr.family !== ip.family) return false;
    const bits = ip.family === 6 ? 128 : 32;
    const shift = BigInt(bits - cidr.prefix);
    return ip.value >> shift === cidr.base >> shift;
}

/** What an address is, when it is not a public unicast address; the text completes "resolves to ...". */
const V4_BLOCKED: Array<[string, string]> = [
    ["0.0.0.0/8", "an unspecified address"],
    ["10.0.0.0/8", "a private address"],
    ["100.64.0.0/10", "a carrier-grade NAT (CGNAT) address"],
    ["127.0.0.0/8", "a loopback address"],
    ["169.254.0.0/16", "a link-local address (cloud metadata service)"],
    ["172.16.0.0/12", "a private address"],
    ["192.0.0.0/24", "an IETF protocol assignment address"],
    ["192.0.2.0/24", "a documentation address"],
    ["192.88.99.0/24", "a 6to4 relay anycast address"],
    ["192.168.0.0/16", "a private address"],
    ["198.18.0.0/15", "a benchmarking address"],
    ["198.51.100.0/24", "a documentation address"],
    ["203.0.113.0/24", "a documentation address"],
    ["224.0.0.0/4", "a multicast address"],
    ["240.0.0.0/4", "a reserved address"],
];
const V6_BLOCKED: Array<[string, string]> = [
    ["::/128", "an unspecified address"],
    ["::1/128", "a loopback address"],
    ["100::/64", "a discard-only address"],
    ["2001:db8::/32", "a documentation address"],
    ["2001::/32", "a Teredo tunnel address"],
    ["fc00::/7", "a unique local (private) address"],
    ["fe80::/10", "a link-local address"],
    ["fec0::/10", "a site-local address"],
    ["ff00::/8", "a multicast address"],
];
/** IPv6 prefixes whose low bits carry an IPv4 address that the packet ends up reaching. */
const V6_EMBEDDING_V4: Array<[string, string, (v: bigint) => bigint]> = [
    ["::ffff:0:0/96", "IPv4-mapped", (v) => v & 0xffffffffn],
    ["::/96", "IPv4-compatible", (v) => v & 0xffffffffn],
    ["64:ff9b::/96", "NAT64", (v) => v & 0xffffffffn],
    ["64:ff9b:1::/48", "local NAT64", (v) => v & 0xffffffffn],
    ["2002::/16", "6to4", (v) => (v >> 80n) & 0xffffffffn],
];

const compile = (list: Array<[string, string]>) => list.map(([c, reason]) => ({ cidr: parseCidr(c), reason }));
const V4_RULES = compile(V4_BLOCKED);
const V6_RULES = compile(V6_BLOCKED);
const V6_EMBEDDINGS = V6_EMBEDDING_V4.map(([c, name, extract]) => ({ cidr: parseCidr(c), name, extract }));

/**
 * Why an address must not be fetched from, or undefined when it is a public unicast address.
 * IPv4 inside IPv6 (mapped, compatible, NAT64, 6to4) is judged by the IPv4 address it carries.
 */
export function blockedReason(ip: IpAddress): string | undefined {
    if (ip.family === 4) return V4_RULES.find((r) => cidrContains(r.cidr, ip))?.reason;
    const direct = V6_RULES.find((r) => cidrContains(r.cidr, ip));
    if (direct) return direct.reason;
    for (const e of V6_EMBEDDINGS) {
        if (cidrContains(e.cidr, ip)) {
            const inner = blockedReason({ family: 4, value: e.extract(ip.value) });
            return inner === undefined ? undefined : `${inner} (${e.name})`;
        }
    }
    return undefined;
}

/** IPv4-mapped IPv6 addresses are the IPv4 address for allow-list purposes. */
export function unmapped(ip: IpAddress): IpAddress {
    if (ip.family === 6 && ip.value >> 32n === 0xffffn) return { family: 4, value: ip.value & 0xffffffffn };
    return ip;
}
