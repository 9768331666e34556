import { vi } from "vitest";

// The internet as a URL import sees it, inside the test isolate: the Worker's outbound `fetch` is
// this isolate's global fetch (dispatch() calls the Worker's handler directly), so replacing it
// intercepts every request the Worker makes. A DoH responder answers A/AAAA per hostname the
// way cloudflare-dns.com's JSON API does; sites answer per URL. Every request is recorded, so a
// test can assert that a forbidden target was never contacted.

export const DOH_URL = "https://cloudflare-dns.com/dns-query";

export type Site = (request: Request) => Response | Promise<Response>;

interface DnsEntry {
  A?: string[];
  AAAA?: string[];
  /** A DNS status other than NOERROR (3: NXDOMAIN, 2: SERVFAIL) for both types. */
  status?: number;
  /** The resolver itself answers with this HTTP status. */
  httpStatus?: number;
}

export class FakeInternet {
  private readonly dns = new Map<string, DnsEntry>();
  private readonly sites = new Map<string, Site>();
  /** Every URL fetched that is not a DoH query, in order. */
  readonly fetched: string[] = [];
  /** Every `name/type` asked of the resolver. */
  readonly dnsQueries: string[] = [];

  resolve(host: string, entry: DnsEntry): this {
    this.dns.set(host, entry);
    return this;
  }

  /** A site at `url` (origin + path; the query is ignored). */
  serve(url: string, site: Site): this {
    const parsed = new URL(url);
    this.sites.set(parsed.origin + parsed.pathname, site);
    return this;
  }

  /** A public host: `name` resolves to a documentation-free public address. */
  publicHost(name: string, address = "93.184.215.14"): this {
    return this.resolve(name, { A: [address] });
  }

  fetchedHosts(): string[] {
    return this.fetched.map((url) => new URL(url).host);
  }

  install(): void {
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input as RequestInfo, init);
      const url = new URL(request.url);
      if (url.origin + url.pathname === DOH_URL) return this.answerDns(request, url);
      this.fetched.push(request.url);
      const site = this.sites.get(url.origin + url.pathname);
      if (!site) throw new TypeError(`fake internet: nothing at ${request.url}`);
      return site(request);
    });
  }

  private answerDns(request: Request, url: URL): Response {
    const name = url.searchParams.get("name") ?? "";
    const type = url.searchParams.get("type") ?? "";
    this.dnsQueries.push(`${name}/${type}`);
    if (request.headers.get("accept") !== "application/dns-json" || !["A", "AAAA"].includes(type)) {
      return new Response("bad query", { status: 400 });
    }
    const entry = this.dns.get(name);
    if (entry?.httpStatus) return new Response("resolver down", { status: entry.httpStatus });
    const status = entry ? (entry.status ?? 0) : 3;
    const addresses = status === 0 ? ((type === "A" ? entry?.A : entry?.AAAA) ?? []) : [];
    const body = {
      Status: status,
      Question: [{ name, type: type === "A" ? 1 : 28 }],
      Answer: addresses.map((data) => ({ name, type: type === "A" ? 1 : 28, TTL: 60, data })),
    };
    return Response.json(body, { headers: { "content-type": "application/dns-json" } });
  }
}

/** A body of `bytes`, with a Content-Length unless `sized` is false (then it streams in chunks). */
export function bytesResponse(
  bytes: Uint8Array,
  options: { sized?: boolean; contentType?: string; chunk?: number; status?: number } = {},
): Response {
  const headers: Record<string, string> = {};
  if (options.contentType) headers["content-type"] = options.contentType;
  if (options.sized !== false) {
    headers["content-length"] = String(bytes.byteLength);
    return new Response(bytes, { status: options.status ?? 200, headers });
  }
  const chunk = options.chunk ?? 64 * 1024;
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
  return new Response(stream, { status: options.status ?? 200, headers });
}

export const redirectTo =
  (location: string, status = 302): Site =>
  () =>
    new Response(null, { status, headers: { location } });

/** A site that never answers; it gives up only when the request is aborted, like a real one. */
export const silentSite: Site = (request) =>
  new Promise<Response>((_, reject) => {
    request.signal.addEventListener("abort", () => reject(request.signal.reason), { once: true });
  });
