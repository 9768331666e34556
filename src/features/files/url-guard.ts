import { ApiError } from "../../http/errors";
import { parseIp, parseIpv4, refusedRange } from "../../lib/ip-ranges";
import { resolveHost } from "./doh";

// The SSRF guard of URL imports: a URL the Worker fetches on a client's behalf must lead to the
// public internet. Checked before the first request and again for every redirect: the scheme
// (https; http only when configured), no credentials, no local or internal hostnames, and every
// address the host is or resolves to is public unicast (lib/ip-ranges). A name with one public
// and one private address is refused: the fetch could use either.
//
// Limit: the Worker's fetch resolves the name again, so a DNS answer that changes between our
// lookup and the connection (rebinding) is not caught here; Cloudflare's network does not route
// Workers to private addresses, and this check is the layer that makes the refusal explicit.

export interface GuardConfig {
  allowHttp: boolean;
  resolverUrl: string;
}

/** A refusal of the URL: 400 with `details: {field: "url", reason, …}`. */
export const refuseUrl = (reason: string, message: string, extra: Record<string, unknown> = {}) =>
  new ApiError("invalid_request", message, { details: { field: "url", reason, ...extra } });

/** Names that mean "this machine" or an internal network, whatever DNS says about them. */
function isLocalName(host: string): boolean {
  const labels = host.split(".");
  const last = labels.at(-1) ?? "";
  return (
    labels.length === 1 || // `metadata`, `intranet`: only resolvable through a local search domain
    host === "localhost.localdomain" ||
    ["localhost", "local", "internal", "localdomain", "lan", "intranet"].includes(last) ||
    host.endsWith(".home.arpa") ||
    host === "metadata.google.internal"
  );
}

function refuseAddress(host: string, address: string, range: string): ApiError {
  const named = host === address ? `'${host}'` : `'${host}' (${address})`;
  return refuseUrl("private_address", `${named} is a ${range.replaceAll("_", "-")} address`, {
    host,
    address,
    range,
  });
}

/** Parses and checks what can be checked without the network; returns the URL to fetch. */
export function checkUrl(raw: string, config: GuardConfig): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuseUrl("invalid_url", "url is not an absolute URL");
  }
  const allowed = config.allowHttp ? ["https:", "http:"] : ["https:"];
  if (!allowed.includes(url.protocol)) {
    throw refuseUrl(
      "scheme_not_allowed",
      `only ${allowed.map((scheme) => scheme.slice(0, -1)).join(" and ")} URLs are allowed, not ${url.protocol.slice(0, -1)}`,
      { scheme: url.protocol.slice(0, -1) },
    );
  }
  if (url.username || url.password) {
    throw refuseUrl("credentials_not_allowed", "a URL with a user name or password is refused");
  }
  const host = url.hostname.replace(/\.$/, "").toLowerCase();
  if (!host) throw refuseUrl("invalid_url", "url has no host");
  const literal = parseIp(host);
  if (literal) {
    const range = refusedRange(literal);
    if (range) throw refuseAddress(host, host, range);
  } else if (isLocalName(host)) {
    throw refuseUrl("forbidden_host", `'${host}' is a local or internal name`, { host });
  } else if (parseIpv4(host.split(".").at(-1) ?? "")) {
    // WHATWG treats a host ending in a number as IPv4; anything else of that shape is refused.
    throw refuseUrl("invalid_url", `'${host}' is neither a hostname nor an IP address`);
  }
  return url;
}

/** Resolves the URL's host (unless it is an IP literal) and refuses it if any address is not public. */
export async function assertPublicHost(
  url: URL,
  config: GuardConfig,
  signal: AbortSignal,
): Promise<void> {
  const host = url.hostname.replace(/\.$/, "").toLowerCase();
  if (parseIp(host)) return; // checked by checkUrl
  const addresses = await resolveHost(config.resolverUrl, host, signal);
  for (const address of addresses) {
    const range = refusedRange(address.bytes);
    if (range) throw refuseAddress(host, address.text, range);
  }
}
