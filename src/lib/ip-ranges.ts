// Which IP addresses a server-side fetch may reach: only public unicast. Everything else —
// loopback, private, link-local (cloud metadata lives at 169.254.169.254), CGNAT, multicast,
// documentation and reserved blocks, and IPv6 forms that embed an IPv4 address — is refused by
// name, so a refusal can say which rule it hit. IPv6 is allowed only inside 2000::/3 (global
// unicast), minus the special blocks in it; whatever IANA has not assigned is refused too.

/** An address as 4 (IPv4) or 16 (IPv6) bytes. */
export type IpBytes = Uint8Array;

interface Block {
  bytes: number[];
  prefix: number;
  range: string;
}

const v4 = (dotted: string, prefix: number, range: string): Block => ({
  bytes: dotted.split(".").map(Number),
  prefix,
  range,
});

/** Checked in order: the first match names the range (the metadata host before link-local). */
const IPV4_REFUSED: Block[] = [
  v4("0.0.0.0", 8, "unspecified"),
  v4("10.0.0.0", 8, "private"),
  v4("100.64.0.0", 10, "cgnat"),
  v4("127.0.0.0", 8, "loopback"),
  v4("169.254.169.254", 32, "metadata"),
  v4("169.254.0.0", 16, "link_local"),
  v4("172.16.0.0", 12, "private"),
  v4("192.0.0.0", 24, "reserved"),
  v4("192.0.2.0", 24, "documentation"),
  v4("192.88.99.0", 24, "reserved"),
  v4("192.168.0.0", 16, "private"),
  v4("198.18.0.0", 15, "benchmarking"),
  v4("198.51.100.0", 24, "documentation"),
  v4("203.0.113.0", 24, "documentation"),
  v4("224.0.0.0", 4, "multicast"),
  v4("240.0.0.0", 4, "reserved"),
];

const v6 = (text: string, prefix: number, range: string): Block => {
  const bytes = parseIpv6(text);
  if (!bytes) throw new Error(`bad IPv6 block ${text}`);
  return { bytes: [...bytes], prefix, range };
};

/** Outside 2000::/3 everything is refused; these name the common cases. */
const IPV6_NAMED: Block[] = [
  v6("::", 128, "unspecified"),
  v6("::1", 128, "loopback"),
  v6("::ffff:0:0", 96, "ipv4_mapped"),
  v6("::", 96, "ipv4_compatible"),
  v6("64:ff9b::", 96, "nat64"),
  v6("64:ff9b:1::", 48, "nat64"),
  v6("100::", 64, "discard"),
  v6("fc00::", 7, "unique_local"),
  v6("fe80::", 10, "link_local"),
  v6("fec0::", 10, "site_local"),
  v6("ff00::", 8, "multicast"),
];

/** Special blocks inside 2000::/3. */
const IPV6_GLOBAL_REFUSED: Block[] = [
  v6("2001::", 23, "reserved"), // IETF protocol assignments, Teredo (embeds an IPv4 address)
  v6("2001:db8::", 32, "documentation"),
  v6("2002::", 16, "6to4"), // embeds an IPv4 address
  v6("3fff::", 20, "documentation"),
];

function inBlock(address: IpBytes, block: Block): boolean {
  let bits = block.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((address[i] ?? 0) & mask) !== ((block.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** The refused range an address is in (e.g. `loopback`), or null for a public address. */
export function refusedRange(address: IpBytes): string | null {
  if (address.length === 4) {
    return IPV4_REFUSED.find((block) => inBlock(address, block))?.range ?? null;
  }
  const named = IPV6_NAMED.find((block) => inBlock(address, block));
  if (named) return named.range;
  if (((address[0] ?? 0) & 0xe0) !== 0x20) return "reserved"; // not in 2000::/3
  return IPV6_GLOBAL_REFUSED.find((block) => inBlock(address, block))?.range ?? null;
}

const IPV4_PART = /^(0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*)$/i;

/**
 * An IPv4 address in any form inet_aton accepts — `127.0.0.1`, `2130706433`, `0x7f000001`,
 * `0177.0.0.1`, `127.1` — or null. The URL parser already rewrites these to dotted quads; this
 * parser does not rely on it.
 */
export function parseIpv4(text: string): IpBytes | null {
  const parts = text.split(".");
  if (parts.length > 4 || parts.some((part) => !IPV4_PART.test(part))) return null;
  const values = parts.map((part) => {
    if (/^0x/i.test(part)) return part.length === 2 ? 0 : Number.parseInt(part.slice(2), 16);
    if (part.length > 1 && part.startsWith("0")) return Number.parseInt(part.slice(1), 8);
    return Number(part);
  });
  const last = values.pop() ?? 0;
  if (values.some((value) => value > 255)) return null;
  if (last >= 256 ** (4 - values.length)) return null;
  const bytes = new Uint8Array(4);
  values.forEach((value, i) => {
    bytes[i] = value;
  });
  for (let i = 3, rest = last; i >= values.length; i--, rest = Math.floor(rest / 256)) {
    bytes[i] = rest % 256;
  }
  return bytes;
}

/** Exactly `a.b.c.d` in decimal, no leading zeros (the only form allowed inside IPv6). */
function parseDottedQuad(text: string): IpBytes | null {
  if (!/^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/.test(text)) return null;
  const parts = text.split(".").map(Number);
  return parts.every((part) => part <= 255) ? Uint8Array.from(parts) : null;
}

/** An IPv6 address (`::` compression, a dotted IPv4 tail; no zone id), or null. */
export function parseIpv6(text: string): IpBytes | null {
  if (!/^[0-9a-f:.]+$/i.test(text) || text.split("::").length > 2) return null;
  const [head = "", tail] = text.split("::");
  const groups = (side: string): number[] | null => {
    if (side === "") return [];
    const out: number[] = [];
    const pieces = side.split(":");
    for (const [i, piece] of pieces.entries()) {
      if (i === pieces.length - 1 && piece.includes(".")) {
        const quad = parseDottedQuad(piece);
        if (!quad) return null;
        out.push(((quad[0] ?? 0) << 8) | (quad[1] ?? 0), ((quad[2] ?? 0) << 8) | (quad[3] ?? 0));
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) {
        out.push(Number.parseInt(piece, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  if (!left || !right) return null;
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return null;
  const all = [...left, ...Array<number>(tail === undefined ? 0 : missing).fill(0), ...right];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

/** An IP address in either family (IPv6 with or without its URL brackets), or null. */
export function parseIp(text: string): IpBytes | null {
  const unbracketed = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  return unbracketed.includes(":") ? parseIpv6(unbracketed) : parseIpv4(unbracketed);
}
