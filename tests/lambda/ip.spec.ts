import * as assert from "assert";
import { blockedReason, cidrContains, parseCidr, parseIp } from "../../lambda/ip";

/** The address the URL fetcher would judge for a URL: what the WHATWG parser makes of its host. */
const hostOf = (url: string) => new URL(url).hostname.replace(/^\[|\]$/g, "");
const reasonFor = (url: string) => {
    const ip = parseIp(hostOf(url));
    assert.ok(ip, `${url} should be an IP literal, host was ${hostOf(url)}`);
    return blockedReason(ip);
};

describe("lambda/ip: which addresses the URL fetcher refuses", () => {
    const refused: Array<[string, RegExp]> = [
        ["https://169.254.169.254/latest/meta-data/", /link-local/],
        ["https://2852039166/", /link-local/], // decimal 169.254.169.254
        ["https://0xA9FEA9FE/", /link-local/], // hex
        ["https://0xa9.0xfe.0xa9.0xfe/", /link-local/], // hex octets
        ["https://0251.0376.0251.0376/", /link-local/], // octal octets
        ["https://169.254.43518/", /link-local/], // short form
        ["https://127.0.0.1/", /loopback/],
        ["https://127.1/", /loopback/],
        ["https://0177.0.0.1/", /loopback/],
        ["https://2130706433/", /loopback/],
        ["https://0/", /unspecified/],
        ["https://0.0.0.0/", /unspecified/],
        ["https://10.0.0.1/", /private/],
        ["https://172.16.0.1/", /private/],
        ["https://172.31.255.255/", /private/],
        ["https://192.168.1.1/", /private/],
        ["https://100.64.0.1/", /CGNAT/],
        ["https://100.127.255.254/", /CGNAT/],
        ["https://224.0.0.1/", /multicast/],
        ["https://239.255.255.250/", /multicast/],
        ["https://255.255.255.255/", /reserved/],
        ["https://198.18.0.1/", /benchmarking/],
        ["https://[::1]/", /loopback/],
        ["https://[0:0:0:0:0:0:0:1]/", /loopback/],
        ["https://[::]/", /unspecified/],
        ["https://[fe80::1]/", /link-local/],
        ["https://[febf:ffff::1]/", /link-local/],
        ["https://[fc00::1]/", /unique local/],
        ["https://[fd00:ec2::254]/", /unique local/], // the EC2 metadata service over IPv6
        ["https://[ff02::1]/", /multicast/],
        ["https://[::ffff:169.254.169.254]/", /link-local.*IPv4-mapped/],
        ["https://[::ffff:a9fe:a9fe]/", /link-local.*IPv4-mapped/],
        ["https://[::ffff:127.0.0.1]/", /loopback.*IPv4-mapped/],
        ["https://[::ffff:10.0.0.1]/", /private.*IPv4-mapped/],
        ["https://[::127.0.0.1]/", /loopback.*IPv4-compatible/],
        ["https://[64:ff9b::a9fe:a9fe]/", /link-local.*NAT64/],
        ["https://[2002:a9fe:a9fe::1]/", /link-local.*6to4/],
        ["https://[2001:0:4136:e378::1]/", /Teredo/],
        ["https://[2001:db8::1]/", /documentation/],
    ];
    for (const [url, reason] of refused) {
        it(`refuses ${url}`, () => {
            const why = reasonFor(url);
            assert.ok(why !== undefined, `${url} was not refused`);
            assert.match(why, reason);
        });
    }

    const allowed = ["https://93.184.216.34/", "https://8.8.8.8/", "https://172.32.0.1/", "https://100.128.0.1/", "https://[2606:4700::6810:85e5]/", "https://[::ffff:8.8.8.8]/", "https://[64:ff9b::808:808]/"];
    for (const url of allowed) {
        it(`allows the public address in ${url}`, () => assert.strictEqual(reasonFor(url), undefined));
    }

    it("parses only well-formed addresses", () => {
        for (const bad of ["1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-1", "::1::", "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", "g::1", "", "example.com"]) {
            assert.strictEqual(parseIp(bad), undefined, bad);
        }
        assert.deepStrictEqual(parseIp("1:2:3:4:5:6:7:8"), { family: 6, value: 0x00010002000300040005000600070008n });
        assert.deepStrictEqual(parseIp("::ffff:1.2.3.4"), { family: 6, value: 0xffff01020304n });
    });

    it("matches CIDR blocks and names the bad value when one is malformed", () => {
        const block = parseCidr("127.0.0.1/32");
        assert.ok(cidrContains(block, parseIp("127.0.0.1")!));
        assert.ok(!cidrContains(block, parseIp("127.0.0.2")!));
        assert.ok(cidrContains(parseCidr("fd00::/8"), parseIp("fd00:ec2::254")!));
        assert.ok(!cidrContains(parseCidr("10.0.0.0/8"), parseIp("::ffff:10.0.0.1")!), "families never match each other");
        assert.throws(() => parseCidr("10.0.0.0/33"), /"10.0.0.0\/33" is not a CIDR block/);
        assert.throws(() => parseCidr("nonsense"), /"nonsense" is not a CIDR block/);
    });
});
