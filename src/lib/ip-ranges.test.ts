import { describe, expect, it } from "vitest";
import { parseIp, parseIpv4, parseIpv6, refusedRange } from "./ip-ranges";

// The address rules of the URL-import guard on their own: every IPv4 spelling inet_aton accepts
// parses to the same bytes, and each special block is refused by name while public unicast in
// both families passes.

const dotted = (bytes: Uint8Array | null) => (bytes ? [...bytes].join(".") : null);
const rangeOf = (text: string) => {
  const bytes = parseIp(text);
  if (!bytes) throw new Error(`does not parse: ${text}`);
  return refusedRange(bytes);
};

describe("parseIpv4", () => {
  it.each([
    ["127.0.0.1", "127.0.0.1"],
    ["2130706433", "127.0.0.1"],
    ["0x7f000001", "127.0.0.1"],
    ["0X7F000001", "127.0.0.1"],
    ["0177.0.0.1", "127.0.0.1"],
    ["127.1", "127.0.0.1"],
    ["127.0.1", "127.0.0.1"],
    ["0xa9.0376.43518", "169.254.169.254"],
    ["0", "0.0.0.0"],
    ["4294967295", "255.255.255.255"],
  ])("Should read %s as %s", (text, expected) => {
    expect(dotted(parseIpv4(text))).toBe(expected);
  });

  it.each([
    "4294967296",
    "1.2.3.256",
    "1.2.3.4.5",
    "08.0.0.1",
    "1..2.3",
    "",
    "a.b.c.d",
    "1.2.3.4 ",
  ])("Should not read %j as an address", (text) => {
    expect(parseIpv4(text)).toBeNull();
  });
});

describe("parseIpv6", () => {
  it("Should expand :: and read an IPv4 tail", () => {
    expect(parseIpv6("::1")?.at(15)).toBe(1);
    expect([...(parseIpv6("::ffff:127.0.0.1") ?? [])].slice(10)).toEqual([255, 255, 127, 0, 0, 1]);
    expect(parseIpv6("2001:db8:0:0:0:0:0:1")).toEqual(parseIpv6("2001:db8::1"));
  });

  it.each([
    "1::2::3",
    "12345::",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "fe80::1%eth0",
    "::ffff:0177.0.0.1",
    ":::",
  ])("Should not read %j as an address", (text) => {
    expect(parseIpv6(text)).toBeNull();
  });
});

describe("refusedRange", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.255.255", "loopback"],
    ["10.255.0.1", "private"],
    ["172.16.0.0", "private"],
    ["172.31.255.255", "private"],
    ["192.168.255.255", "private"],
    ["169.254.169.254", "metadata"],
    ["169.254.0.1", "link_local"],
    ["100.64.0.1", "cgnat"],
    ["100.127.255.255", "cgnat"],
    ["0.1.2.3", "unspecified"],
    ["224.0.0.251", "multicast"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "reserved"],
    ["192.0.2.1", "documentation"],
    ["198.18.0.1", "benchmarking"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["::ffff:127.0.0.1", "ipv4_mapped"],
    ["::ffff:8.8.8.8", "ipv4_mapped"],
    ["::127.0.0.1", "ipv4_compatible"],
    ["64:ff9b::7f00:1", "nat64"],
    ["fc00::1", "unique_local"],
    ["fdff:ffff::1", "unique_local"],
    ["fe80::1", "link_local"],
    ["febf::1", "link_local"],
    ["fec0::1", "site_local"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "documentation"],
    ["2001::1", "reserved"],
    ["2002:7f00:1::", "6to4"],
    ["4000::1", "reserved"],
  ])("Should refuse %s as %s", (text, range) => {
    expect(rangeOf(text)).toBe(range);
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "172.15.255.255",
    "172.32.0.0",
    "100.63.255.255",
    "100.128.0.0",
    "169.253.255.255",
    "192.169.0.1",
    "223.255.255.255",
    "2606:4700:4700::1111",
    "2001:4860:4860::8888",
    "2a00:1450::1",
  ])("Should allow the public address %s", (text) => {
    expect(rangeOf(text)).toBeNull();
  });
});
