/**
 * The SSRF cases: data only, shared by the namespace runner (ssrf-scenarios.ts) and the spec.
 * `{P}` is the port of the plain-HTTP image server on 127.0.0.1, `{Q}` the TLS one, `{B}` a listener
 * on 127.0.0.1 whose accept queue is full, so that connecting to it hangs.
 * Configurations: `default` is what a deployment gets (https only, nothing exempted); `lab` allows
 * http and exempts exactly 127.0.0.1/32 (how tests reach the loopback image server), with a 64 KiB
 * image limit, a 0.5 s connect timeout and a 1.5 s fetch timeout; `tls` is https only with 127.0.0.1/32 exempted.
 */

/** host -> answers for the 1st, 2nd, ... lookup (the last one repeats). Hosts not listed fail with ENOTFOUND. */
export type Dns = Record<string, string[][]>;

export interface SsrfCase {
    name: string;
    config: "default" | "lab" | "tls";
    url: string;
    dns?: Dns;
    /** What context.getRemainingTimeInMillis() says, when the case is about the function's deadline. */
    remainingMs?: number;
    expected: { status: number; code?: string; message?: string; lookups?: number };
}

const refused = (reason: string) => ({ status: 422, code: "URL_REFUSED", message: reason });
const lab = (path: string) => `http://127.0.0.1:{P}${path}`;

export const SSRF_CASES: SsrfCase[] = [
    // Literal addresses, every way of writing them, with the deployment's default configuration.
    { name: "EC2 metadata service", config: "default", url: "https://169.254.169.254/latest/meta-data/iam/security-credentials/", expected: refused("link-local") },
    { name: "metadata over http when http is allowed", config: "lab", url: "http://169.254.169.254/latest/meta-data/", expected: refused("link-local") },
    { name: "metadata as a decimal integer", config: "lab", url: "http://2852039166/latest/meta-data/", expected: refused("link-local") },
    { name: "metadata in hex", config: "lab", url: "http://0xa9fea9fe/", expected: refused("link-local") },
    { name: "metadata in dotted hex", config: "lab", url: "http://0xa9.0xfe.0xa9.0xfe/", expected: refused("link-local") },
    { name: "metadata in short form", config: "lab", url: "http://169.254.43518/", expected: refused("link-local") },
    { name: "metadata as IPv4-mapped IPv6", config: "lab", url: "http://[::ffff:169.254.169.254]/", expected: refused("link-local") },
    { name: "metadata as IPv4-mapped IPv6 in hex", config: "lab", url: "http://[::ffff:a9fe:a9fe]/", expected: refused("link-local") },
    { name: "metadata through NAT64", config: "lab", url: "http://[64:ff9b::a9fe:a9fe]/", expected: refused("link-local") },
    { name: "EC2 metadata over IPv6", config: "lab", url: "http://[fd00:ec2::254]/latest/meta-data/", expected: refused("unique local") },
    { name: "private 10/8", config: "default", url: "https://10.0.0.1/", expected: refused("private") },
    { name: "private 172.16/12", config: "default", url: "https://172.16.0.1/", expected: refused("private") },
    { name: "private 192.168/16", config: "default", url: "https://192.168.1.1/", expected: refused("private") },
    { name: "CGNAT 100.64/10", config: "default", url: "https://100.64.0.1/", expected: refused("CGNAT") },
    { name: "loopback", config: "default", url: "https://127.0.0.1/", expected: refused("loopback") },
    { name: "loopback in short form", config: "default", url: "https://127.1/", expected: refused("loopback") },
    { name: "loopback in octal", config: "default", url: "https://0177.0.0.1/", expected: refused("loopback") },
    { name: "loopback outside the configured /32", config: "lab", url: "http://127.0.0.2/", expected: refused("loopback") },
    { name: "unspecified 0.0.0.0", config: "default", url: "https://0.0.0.0/", expected: refused("unspecified") },
    { name: "unspecified as 0", config: "lab", url: "http://0/", expected: refused("unspecified") },
    { name: "IPv6 loopback", config: "default", url: "https://[::1]/", expected: refused("loopback") },
    { name: "IPv6 unspecified", config: "default", url: "https://[::]/", expected: refused("unspecified") },
    { name: "IPv6 ULA", config: "default", url: "https://[fc00::1]/", expected: refused("unique local") },
    { name: "IPv6 link-local", config: "default", url: "https://[fe80::1]/", expected: refused("link-local") },
    { name: "multicast", config: "default", url: "https://224.0.0.1/", expected: refused("multicast") },
    { name: "IPv6 multicast", config: "default", url: "https://[ff02::1]/", expected: refused("multicast") },
    { name: "http is refused by default", config: "default", url: lab("/dog.jpg"), expected: refused("scheme \"http\"") },
    { name: "credentials in the URL", config: "lab", url: `http://user:pass@127.0.0.1:{P}/dog.jpg`, expected: refused("credentials") },
    // Host names: the resolver's answers are what is checked, every one of them.
    { name: "name resolving to the metadata service", config: "default", url: "https://metadata.attacker.test/", dns: { "metadata.attacker.test": [["169.254.169.254"]] }, expected: refused("resolves to a link-local") },
    { name: "name resolving to a private address", config: "default", url: "https://intranet.attacker.test/", dns: { "intranet.attacker.test": [["10.0.0.1"]] }, expected: refused("resolves to a private") },
    { name: "name resolving to IPv6 loopback", config: "default", url: "https://six.attacker.test/", dns: { "six.attacker.test": [["::1"]] }, expected: refused("resolves to a loopback") },
    { name: "name resolving to IPv4-mapped private", config: "default", url: "https://mapped.attacker.test/", dns: { "mapped.attacker.test": [["::ffff:10.0.0.1"]] }, expected: refused("IPv4-mapped") },
    { name: "an allowed answer mixed with a private one", config: "lab", url: `http://mixed.attacker.test:{P}/dog.jpg`, dns: { "mixed.attacker.test": [["127.0.0.1", "10.0.0.1"]] }, expected: refused("resolves to a private") },
    { name: "a name that does not resolve", config: "default", url: "https://nowhere.attacker.test/", dns: {}, expected: { status: 422, code: "URL_UNRESOLVABLE" } },
    // Redirects: each hop is checked again.
    { name: "redirect to the metadata service", config: "lab", url: lab(`/redirect?to=${encodeURIComponent("http://169.254.169.254/latest/meta-data/")}`), expected: refused("link-local") },
    { name: "redirect to a private address", config: "lab", url: lab(`/redirect?to=${encodeURIComponent("http://10.0.0.1/")}`), expected: refused("private") },
    { name: "redirect to a name resolving to a private address", config: "lab", url: lab(`/redirect?to=${encodeURIComponent("http://evil.attacker.test/")}`), dns: { "evil.attacker.test": [["192.168.1.1"]] }, expected: refused("resolves to a private") },
    { name: "redirect to a non-http scheme", config: "lab", url: lab(`/redirect?to=${encodeURIComponent("file:///etc/passwd")}`), expected: refused("scheme \"file\"") },
    { name: "three redirects are followed", config: "lab", url: lab("/chain/3"), expected: { status: 200 } },
    { name: "a fourth redirect is refused", config: "lab", url: lab("/chain/4"), expected: { status: 422, code: "TOO_MANY_REDIRECTS" } },
    // DNS rebinding: the second answer would be private.
    { name: "rebinding after the check: the connection stays on the checked address", config: "lab", url: `http://rebind.attacker.test:{P}/dog.jpg`, dns: { "rebind.attacker.test": [["127.0.0.1"], ["169.254.169.254"]] }, expected: { status: 200, lookups: 1 } },
    { name: "rebinding between redirect hops is caught by the re-check", config: "lab", url: `http://hop.attacker.test:{P}/redirect?to=${encodeURIComponent(`http://hop.attacker.test:{P}/dog.jpg`)}`, dns: { "hop.attacker.test": [["127.0.0.1"], ["169.254.169.254"]] }, expected: { ...refused("resolves to a link-local"), lookups: 2 } },
    // Bodies.
    { name: "an allowed image URL", config: "lab", url: lab("/dog.jpg"), expected: { status: 200 } },
    { name: "an image served as application/octet-stream", config: "lab", url: lab("/dog-octet"), expected: { status: 200 } },
    { name: "HTML served with an image content type", config: "lab", url: lab("/html-as-jpeg"), expected: { status: 415, code: "UNSUPPORTED_MEDIA_TYPE" } },
    { name: "HTML content type", config: "lab", url: lab("/text"), expected: { status: 415, code: "UNSUPPORTED_MEDIA_TYPE" } },
    { name: "compressed body", config: "lab", url: lab("/gzip"), expected: { status: 415, code: "UNSUPPORTED_MEDIA_TYPE" } },
    { name: "declared Content-Length over the limit", config: "lab", url: lab("/declared-huge"), expected: { status: 413, code: "IMAGE_TOO_LARGE" } },
    { name: "a redirect with an endless body is followed without reading the body", config: "lab", url: lab("/redirect-endless"), expected: { status: 200 } },
    { name: "endless body without Content-Length", config: "lab", url: lab("/endless"), expected: { status: 413, code: "IMAGE_TOO_LARGE" } },
    { name: "slow body hits the fetch timeout", config: "lab", url: lab("/slow"), expected: { status: 504, code: "URL_FETCH_TIMEOUT" } },
    { name: "slow body hits the function deadline first", config: "lab", url: lab("/slow"), remainingMs: 1000, expected: { status: 504, code: "DEADLINE_EXCEEDED" } },
    { name: "a host that never accepts the connection hits the connect timeout", config: "lab", url: "http://127.0.0.1:{B}/dog.jpg", expected: { status: 504, code: "URL_FETCH_TIMEOUT", message: "could not connect" } },
    { name: "HTTP error from the image host", config: "lab", url: lab("/missing"), expected: { status: 422, code: "URL_FETCH_FAILED" } },
    // TLS: the certificate is checked against the requested name, not the pinned address.
    { name: "https to a pinned address with SNI", config: "tls", url: `https://images.test:{Q}/dog.jpg?token=secret-query`, dns: { "images.test": [["127.0.0.1"]] }, expected: { status: 200, lookups: 1 } },
    { name: "https to an address the certificate does not name", config: "tls", url: `https://127.0.0.1:{Q}/dog.jpg`, expected: { status: 422, code: "URL_FETCH_FAILED" } },
];

