import { ApiError } from "../../http/errors";
import { type IpBytes, parseIpv4, parseIpv6 } from "../../lib/ip-ranges";

// Resolving a hostname from a Worker: there is no DNS API, so A and AAAA are asked of a
// DNS-over-HTTPS resolver's JSON API (`?name=…&type=A`, `accept: application/dns-json`; Cloudflare
// and Google answer it). Anything but a clean answer fails closed: a resolver error, a malformed
// record or no address at all is a refusal, never "assume it is fine".

export const DEFAULT_DNS_RESOLVER_URL = "https://cloudflare-dns.com/dns-query";

const RECORD_TYPES = { A: 1, AAAA: 28 } as const;
const NOERROR = 0;
const NXDOMAIN = 3;

interface DohAnswer {
  Status?: unknown;
  Answer?: { type?: unknown; data?: unknown }[];
}

export interface ResolvedAddress {
  text: string;
  bytes: IpBytes;
}

const urlError = (code: "invalid_request" | "unprocessable", reason: string, message: string) =>
  new ApiError(code, message, { details: { field: "url", reason } });

const dnsFailed = (host: string, why: string) =>
  urlError(
    "unprocessable",
    "dns_failed",
    `could not resolve '${host}' (${why}); nothing was fetched`,
  );

async function query(
  resolverUrl: string,
  host: string,
  type: keyof typeof RECORD_TYPES,
  signal: AbortSignal,
): Promise<ResolvedAddress[] | "nxdomain"> {
  const url = new URL(resolverUrl);
  url.searchParams.set("name", host);
  url.searchParams.set("type", type);
  let answer: DohAnswer;
  try {
    const response = await fetch(url, { headers: { accept: "application/dns-json" }, signal });
    if (!response.ok) {
      await response.body?.cancel();
      throw dnsFailed(host, `the resolver answered ${response.status}`);
    }
    answer = (await response.json()) as DohAnswer;
  } catch (error) {
    if (error instanceof ApiError || signal.aborted) throw error;
    throw dnsFailed(host, "the resolver could not be reached or answered nonsense");
  }
  if (answer.Status === NXDOMAIN) return "nxdomain";
  if (answer.Status !== NOERROR) throw dnsFailed(host, `resolver status ${String(answer.Status)}`);
  const addresses: ResolvedAddress[] = [];
  // CNAMEs come first in the chain; only the address records of the wanted type matter.
  for (const record of answer.Answer ?? []) {
    if (record.type !== RECORD_TYPES[type]) continue;
    const text = typeof record.data === "string" ? record.data : "";
    const bytes = type === "A" ? parseIpv4(text) : parseIpv6(text);
    // A strict dotted quad only: a resolver that says `0x7f.1` is not trusted to mean it.
    if (!bytes || (type === "A" && !/^\d{1,3}(\.\d{1,3}){3}$/.test(text))) {
      throw dnsFailed(host, `a malformed ${type} record`);
    }
    addresses.push({ text, bytes });
  }
  return addresses;
}

/** Every A and AAAA address of `host`; at least one, or a 4xx saying why there is none. */
export async function resolveHost(
  resolverUrl: string,
  host: string,
  signal: AbortSignal,
): Promise<ResolvedAddress[]> {
  const answers = await Promise.all([
    query(resolverUrl, host, "A", signal),
    query(resolverUrl, host, "AAAA", signal),
  ]);
  const addresses = answers.flatMap((answer) => (answer === "nxdomain" ? [] : answer));
  if (addresses.length === 0) {
    throw urlError("invalid_request", "unresolvable_host", `'${host}' has no address in DNS`);
  }
  return addresses;
}
