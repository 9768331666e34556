import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  api,
  createAccount,
  createWorkspace,
  env,
  type TestAccount,
} from "../../../../test/helpers";
import worker from "../../../index";
import { doSql } from "../../events/test/event-helpers";
import { bytesResponse, FakeInternet, redirectTo, type Site, silentSite } from "./fake-internet";
import {
  eventsOf,
  type FileEntryBody,
  getBytes,
  getRaw,
  headId,
  r2Keys,
  randomBytes,
  sha256Hex,
} from "./file-helpers";

// URL imports through the real Worker, DO and R2, against a fake internet (fake-internet.ts):
// the SSRF guard refuses every non-public target — before any request reaches it, with a 400
// naming the reason — and after a refusal nothing is stored: no R2 object, no index row, no
// event. Allowed imports arrive byte for byte, within the size and time limits.

let account: TestAccount;
let net: FakeInternet;

beforeAll(async () => {
  account = await createAccount("url import");
});
beforeEach(() => {
  net = new FakeInternet();
  net.install();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const newWorkspace = async () => (await createWorkspace(account)).id;

interface ImportAnswer {
  status: number;
  body: FileEntryBody & {
    error?: { code: string; message: string; details?: Record<string, unknown> };
  };
}

/** POST …/files?path= with a JSON body, through the Worker with `vars` over the test bindings. */
async function importUrl(
  ws: string,
  path: string,
  body: unknown,
  vars: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<ImportAnswer> {
  const request = new Request(
    `https://api.test/v1/workspaces/${ws}/files?path=${encodeURIComponent(path)}`,
    {
      method: "POST",
      headers: {
        authorization: `Bearer ${account.key}`,
        "content-type": "application/json",
        ...headers,
      },
      body: JSON.stringify(body),
    },
  );
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, { ...env, ...vars }, ctx);
  const text = await response.text();
  await waitOnExecutionContext(ctx);
  return { status: response.status, body: JSON.parse(text) };
}

const rowOf = async (ws: string, path: string) =>
  doSql(ws, "SELECT path FROM files WHERE path = ?", path);

async function objectOf(ws: string, path: string) {
  const [row] = await doSql(ws, "SELECT object_key FROM files WHERE path = ?", path);
  return env.FILES.head(String(row?.object_key));
}

/** A refused import left nothing behind: no object, no index row, no event. */
async function expectNothingStored(ws: string, path: string, eventsBefore: number) {
  expect(await r2Keys(ws)).toEqual([]);
  expect(await rowOf(ws, path)).toEqual([]);
  expect(await headId(ws)).toBe(eventsBefore);
}

describe("the fake internet", () => {
  it("Should intercept the Worker's own outbound fetch", async () => {
    const ws = await newWorkspace();
    net
      .publicHost("files.example.com")
      .serve("https://files.example.com/hello.txt", () =>
        bytesResponse(new TextEncoder().encode("from the fake internet")),
      );
    const answer = await importUrl(ws, "hello.txt", { url: "https://files.example.com/hello.txt" });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(net.fetched).toEqual(["https://files.example.com/hello.txt"]);
    expect(net.dnsQueries.sort()).toEqual(["files.example.com/A", "files.example.com/AAAA"]);
    expect(new TextDecoder().decode(await getBytes(account, ws, "hello.txt"))).toBe(
      "from the fake internet",
    );
  });
});

describe("the SSRF guard", () => {
  const refused: [label: string, url: string, reason: string, range?: string][] = [
    ["loopback", "https://127.0.0.1/secret", "private_address", "loopback"],
    ["loopback, elsewhere in 127/8", "https://127.8.9.10/", "private_address", "loopback"],
    ["10/8", "https://10.1.2.3/", "private_address", "private"],
    ["172.16/12", "https://172.16.0.1/", "private_address", "private"],
    ["172.16/12, its top", "https://172.31.255.254/", "private_address", "private"],
    ["192.168/16", "https://192.168.1.1/", "private_address", "private"],
    ["cloud metadata", "https://169.254.169.254/latest/meta-data/", "private_address", "metadata"],
    ["link-local", "https://169.254.10.20/", "private_address", "link_local"],
    ["CGNAT", "https://100.64.0.1/", "private_address", "cgnat"],
    ["unspecified", "https://0.0.0.0/", "private_address", "unspecified"],
    ["multicast", "https://224.0.0.1/", "private_address", "multicast"],
    ["IPv6 loopback", "https://[::1]/", "private_address", "loopback"],
    ["IPv6 unspecified", "https://[::]/", "private_address", "unspecified"],
    ["IPv4-mapped IPv6", "https://[::ffff:127.0.0.1]/", "private_address", "ipv4_mapped"],
    ["IPv4-mapped, hex", "https://[::ffff:7f00:1]/", "private_address", "ipv4_mapped"],
    ["IPv6 unique local", "https://[fd12:3456::1]/", "private_address", "unique_local"],
    ["IPv6 link-local", "https://[fe80::1]/", "private_address", "link_local"],
    ["decimal IPv4", "https://2130706433/", "private_address", "loopback"],
    ["hex IPv4", "https://0x7f000001/", "private_address", "loopback"],
    ["octal IPv4", "https://0177.0.0.1/", "private_address", "loopback"],
    ["short IPv4", "https://127.1/", "private_address", "loopback"],
    ["mixed-radix IPv4", "https://0xa9.0376.43518/", "private_address", "metadata"],
    ["localhost", "https://localhost/", "forbidden_host"],
    ["localhost with a port and a dot", "https://LOCALHOST.:8443/", "forbidden_host"],
    ["*.localhost", "https://api.localhost/", "forbidden_host"],
    ["GCP metadata", "https://metadata.google.internal/computeMetadata/v1/", "forbidden_host"],
    ["a single-label name", "https://metadata/", "forbidden_host"],
    ["http by default", "http://files.example.com/a.txt", "scheme_not_allowed"],
    ["ftp", "ftp://files.example.com/a.txt", "scheme_not_allowed"],
    ["file", "file:///etc/passwd", "scheme_not_allowed"],
    ["credentials", "https://user:secret@files.example.com/a.txt", "credentials_not_allowed"],
    ["a user name alone", "https://user@files.example.com/a.txt", "credentials_not_allowed"],
    ["not a URL", "files.example.com/a.txt", "invalid_url"],
  ];

  it.each(refused)("Should refuse %s (%s) before contacting it", async (_, url, reason, range) => {
    const ws = await newWorkspace();
    net
      .publicHost("files.example.com")
      .serve("https://files.example.com/a.txt", () => bytesResponse(new Uint8Array(10)));
    const before = await headId(ws);
    const answer = await importUrl(ws, "stolen.txt", { url });
    expect(answer.status, JSON.stringify(answer.body)).toBe(400);
    expect(answer.body.error?.code).toBe("invalid_request");
    expect(answer.body.error?.details).toMatchObject({ field: "url", reason });
    if (range) expect(answer.body.error?.details?.range).toBe(range);
    expect(net.fetched).toEqual([]);
    await expectNothingStored(ws, "stolen.txt", before);
  });

  const resolving: [label: string, host: string, dns: { A?: string[]; AAAA?: string[] }][] = [
    ["a name resolving to 10/8", "intranet.example.com", { A: ["10.0.0.5"] }],
    ["a name resolving to loopback", "loop.example.com", { A: ["127.0.0.1"] }],
    ["a name resolving to the metadata address", "meta.example.com", { A: ["169.254.169.254"] }],
    [
      "a name with one public and one private A",
      "mixed.example.com",
      { A: ["93.184.215.14", "192.168.0.10"] },
    ],
    [
      "a name with a public A and a private AAAA",
      "dual.example.com",
      { A: ["93.184.215.14"], AAAA: ["fd00::1"] },
    ],
    ["a name with an IPv6 loopback AAAA", "six.example.com", { AAAA: ["::1"] }],
    [
      "a name resolving to an IPv4-mapped AAAA",
      "mapped.example.com",
      { AAAA: ["::ffff:10.0.0.1"] },
    ],
  ];

  it.each(resolving)("Should refuse %s", async (_, host, dns) => {
    const ws = await newWorkspace();
    net
      .resolve(host, dns)
      .serve(`https://${host}/data.bin`, () => bytesResponse(new Uint8Array(8)));
    const before = await headId(ws);
    const answer = await importUrl(ws, "data.bin", { url: `https://${host}/data.bin` });
    expect(answer.status, JSON.stringify(answer.body)).toBe(400);
    expect(answer.body.error?.details).toMatchObject({
      field: "url",
      reason: "private_address",
      host,
    });
    expect(net.dnsQueries).toContain(`${host}/A`);
    expect(net.fetched).toEqual([]);
    await expectNothingStored(ws, "data.bin", before);
  });

  it("Should refuse a name that does not resolve, and fail closed when the resolver fails", async () => {
    const ws = await newWorkspace();
    const before = await headId(ws);
    const nx = await importUrl(ws, "a.txt", { url: "https://nowhere.example.com/a.txt" });
    expect(nx.status).toBe(400);
    expect(nx.body.error?.details).toMatchObject({ reason: "unresolvable_host" });

    net.resolve("flaky.example.com", { status: 2 });
    const servfail = await importUrl(ws, "a.txt", { url: "https://flaky.example.com/a.txt" });
    expect(servfail.status).toBe(422);
    expect(servfail.body.error?.details).toMatchObject({ reason: "dns_failed" });

    net.resolve("down.example.com", { httpStatus: 503 });
    const down = await importUrl(ws, "a.txt", { url: "https://down.example.com/a.txt" });
    expect(down.status).toBe(422);
    expect(down.body.error?.details).toMatchObject({ reason: "dns_failed" });

    net.resolve("weird.example.com", { A: ["0x7f.1"] });
    const weird = await importUrl(ws, "a.txt", { url: "https://weird.example.com/a.txt" });
    expect(weird.status).toBe(422);
    expect(weird.body.error?.details).toMatchObject({ reason: "dns_failed" });

    expect(net.fetched).toEqual([]);
    await expectNothingStored(ws, "a.txt", before);
  });

  const hops: [label: string, target: string, reason: string][] = [
    ["to a private address", "https://192.168.0.1/admin", "private_address"],
    ["to the metadata address", "https://169.254.169.254/latest/meta-data/", "private_address"],
    ["to a name resolving privately", "https://intranet.example.com/x", "private_address"],
    ["to localhost", "https://localhost:8080/", "forbidden_host"],
    ["to http://", "http://cdn.example.com/file.txt", "scheme_not_allowed"],
    [
      "to a URL with credentials",
      "https://a:b@cdn.example.com/file.txt",
      "credentials_not_allowed",
    ],
  ];

  it.each(
    hops,
  )("Should refuse a redirect %s, after following the public hop", async (_, target, reason) => {
    const ws = await newWorkspace();
    net
      .publicHost("files.example.com")
      .publicHost("cdn.example.com", "93.184.215.15")
      .resolve("intranet.example.com", { A: ["10.9.8.7"] })
      .serve("https://files.example.com/start", redirectTo("https://files.example.com/next", 301))
      .serve("https://files.example.com/next", redirectTo(target, 307))
      .serve("http://cdn.example.com/file.txt", () => bytesResponse(new Uint8Array(4)))
      .serve("https://cdn.example.com/file.txt", () => bytesResponse(new Uint8Array(4)));
    const before = await headId(ws);
    const answer = await importUrl(ws, "f.txt", { url: "https://files.example.com/start" });
    expect(answer.status, JSON.stringify(answer.body)).toBe(400);
    expect(answer.body.error?.details).toMatchObject({ field: "url", reason, redirect: 2 });
    expect(answer.body.error?.message).toMatch(/^redirect 2 to /);
    expect(net.fetched).toEqual([
      "https://files.example.com/start",
      "https://files.example.com/next",
    ]);
    await expectNothingStored(ws, "f.txt", before);
  });

  it("Should follow 3 redirects, and refuse a 4th without contacting its target", async () => {
    const ws = await newWorkspace();
    net.publicHost("files.example.com");
    for (let i = 0; i < 5; i++) {
      net.serve(`https://files.example.com/r${i}`, redirectTo(`/r${i + 1}`));
    }
    net.serve("https://files.example.com/r5", () => bytesResponse(new TextEncoder().encode("end")));
    net.serve("https://files.example.com/r3", () => bytesResponse(new TextEncoder().encode("3")));
    const ok = await importUrl(ws, "three.txt", { url: "https://files.example.com/r0" });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(new TextDecoder().decode(await getBytes(account, ws, "three.txt"))).toBe("3");

    net.fetched.length = 0;
    net.serve("https://files.example.com/r3", redirectTo("/r4"));
    const before = await headId(ws);
    const tooMany = await importUrl(ws, "four.txt", { url: "https://files.example.com/r0" });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error?.details).toMatchObject({ reason: "too_many_redirects" });
    expect(net.fetched.map((url) => new URL(url).pathname)).toEqual(["/r0", "/r1", "/r2", "/r3"]);
    expect(await rowOf(ws, "four.txt")).toEqual([]);
    expect(await headId(ws)).toBe(before);
  });

  it("Should allow http:// only when URL_IMPORT_ALLOW_HTTP is true, and still guard it", async () => {
    const ws = await newWorkspace();
    net
      .publicHost("files.example.com")
      .serve("http://files.example.com/plain.txt", () =>
        bytesResponse(new TextEncoder().encode("plain")),
      );
    const vars = { URL_IMPORT_ALLOW_HTTP: "true" };
    const ok = await importUrl(
      ws,
      "plain.txt",
      { url: "http://files.example.com/plain.txt" },
      vars,
    );
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const local = await importUrl(ws, "local.txt", { url: "http://127.0.0.1/" }, vars);
    expect(local.status).toBe(400);
    expect(local.body.error?.details).toMatchObject({ reason: "private_address" });
    expect(net.fetched).toEqual(["http://files.example.com/plain.txt"]);
  });
});

describe("importing", () => {
  it("Should import a public file byte for byte, with an event and its etag", async () => {
    const ws = await newWorkspace();
    const bytes = randomBytes(300 * 1024 + 13, 7);
    net
      .publicHost("files.example.com")
      .serve("https://files.example.com/blob.bin", () =>
        bytesResponse(bytes, { contentType: "application/x-blob" }),
      );
    const before = await headId(ws);
    const answer = await importUrl(ws, "in/blob.bin", {
      url: "https://files.example.com/blob.bin",
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    const sha = await sha256Hex(bytes);
    expect(answer.body).toMatchObject({ path: "in/blob.bin", size: bytes.byteLength, etag: sha });
    const back = await getBytes(account, ws, "in/blob.bin");
    expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
    expect((await r2Keys(ws)).length).toBe(1);
    const events = await eventsOf(ws, before);
    expect(events.map((event) => event.type)).toContain("file.created");
  });

  it("Should import a body without Content-Length: small in one put, large in parts", async () => {
    const ws = await newWorkspace();
    const small = randomBytes(200 * 1024, 3);
    const large = randomBytes(5 * 1024 * 1024 + 300 * 1024 + 5, 4);
    net
      .publicHost("files.example.com")
      .serve("https://files.example.com/small", () =>
        bytesResponse(small, { sized: false, chunk: 10_000 }),
      )
      .serve("https://files.example.com/large", () =>
        bytesResponse(large, { sized: false, chunk: 100_003 }),
      );
    for (const [path, bytes] of [
      ["small.bin", small],
      ["large.bin", large],
    ] as const) {
      const answer = await importUrl(ws, path, {
        url: `https://files.example.com/${path.split(".")[0]}`,
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      expect(answer.body).toMatchObject({ size: bytes.byteLength, etag: await sha256Hex(bytes) });
      const back = await getBytes(account, ws, path);
      expect(Buffer.from(back).equals(Buffer.from(bytes)), path).toBe(true);
    }
    expect((await r2Keys(ws)).length).toBe(2);
    // R2 names a multipart object's etag by its part count: one put, then two parts.
    expect((await objectOf(ws, "small.bin"))?.etag).not.toContain("-");
    expect((await objectOf(ws, "large.bin"))?.etag).toMatch(/-2$/);
  });

  it("Should take the content type from mime_type, else the extension, else the remote", async () => {
    const ws = await newWorkspace();
    net
      .publicHost("files.example.com")
      .serve("https://files.example.com/typed", () =>
        bytesResponse(new TextEncoder().encode("a,b"), { contentType: "image/png" }),
      );
    const url = "https://files.example.com/typed";
    const cases: [path: string, mime: string | undefined, expected: string][] = [
      ["override.bin", "text/csv; charset=utf-8", "text/csv; charset=utf-8"],
      ["by-extension.csv", undefined, "text/csv; charset=utf-8"],
      ["by-remote", undefined, "image/png"],
    ];
    for (const [path, mime_type, expected] of cases) {
      const answer = await importUrl(ws, path, { url, mime_type });
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      expect(answer.body.content_type, path).toBe(expected);
      const got = await getRaw(account, ws, path);
      expect(got.headers.get("content-type"), path).toBe(expected);
    }
    const bad = await importUrl(ws, "bad.txt", { url, mime_type: "text/html\r\nx-evil: 1" });
    expect(bad.status).toBe(400);
  });

  it("Should create an empty file from {size: 0}, without fetching anything", async () => {
    const ws = await newWorkspace();
    for (const [path, body] of [
      ["empty.txt", { size: 0 }],
      ["empty-null.md", { size: 0, url: null, mime_type: "text/x-empty" }],
    ] as const) {
      const answer = await importUrl(ws, path, body);
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      expect(answer.body).toMatchObject({
        path,
        size: 0,
        etag: await sha256Hex(new Uint8Array(0)),
      });
      expect((await getBytes(account, ws, path)).byteLength).toBe(0);
    }
    expect((await importUrl(ws, "x.txt", {})).status).toBe(400);
    expect((await importUrl(ws, "x.txt", { size: 3 })).status).toBe(400);
    expect((await importUrl(ws, "x.txt", { size: 0, storageKey: "k" })).status).toBe(400);
    expect((await importUrl(ws, "empty.txt", { size: 0 })).status).toBe(409);
    expect(net.fetched).toEqual([]);
    expect(net.dnsQueries).toEqual([]);
  });

  it("Should refuse a size that does not match, storing nothing", async () => {
    const ws = await newWorkspace();
    const bytes = randomBytes(5000, 9);
    net
      .publicHost("files.example.com")
      .serve("https://files.example.com/sized", () => bytesResponse(bytes))
      .serve("https://files.example.com/unsized", () =>
        bytesResponse(bytes, { sized: false, chunk: 1000 }),
      );
    const before = await headId(ws);
    for (const [url, size] of [
      ["https://files.example.com/sized", 4999],
      ["https://files.example.com/unsized", 4999],
      ["https://files.example.com/unsized", 5001],
    ] as const) {
      const answer = await importUrl(ws, "m.bin", { url, size });
      expect(answer.status, `${url} ${size}`).toBe(422);
      expect(answer.body.error?.details).toMatchObject({ reason: "size_mismatch", expected: size });
      await expectNothingStored(ws, "m.bin", before);
    }
    const zero = await importUrl(ws, "m.bin", {
      url: "https://files.example.com/unsized",
      size: 0,
    });
    expect(zero.status).toBe(422);
    expect(zero.body.error?.details).toMatchObject({ reason: "size_mismatch", expected: 0 });
    await expectNothingStored(ws, "m.bin", before);
    net.serve("https://files.example.com/nothing", () =>
      bytesResponse(new Uint8Array(0), { sized: false }),
    );
    const empty = await importUrl(ws, "z.bin", {
      url: "https://files.example.com/nothing",
      size: 0,
    });
    expect(empty.status, JSON.stringify(empty.body)).toBe(201);
    expect(empty.body.size).toBe(0);
    const right = await importUrl(ws, "m.bin", {
      url: "https://files.example.com/unsized",
      size: 5000,
    });
    expect(right.status).toBe(201);
  });

  it("Should answer 422 when the remote answers an error status", async () => {
    const ws = await newWorkspace();
    net
      .publicHost("files.example.com")
      .serve("https://files.example.com/gone", () => new Response("not here", { status: 404 }))
      .serve("https://files.example.com/broken", () => new Response("oops", { status: 500 }));
    const before = await headId(ws);
    for (const [path, status] of [
      ["gone", 404],
      ["broken", 500],
    ] as const) {
      const answer = await importUrl(ws, "e.txt", { url: `https://files.example.com/${path}` });
      expect(answer.status).toBe(422);
      expect(answer.body.error?.code).toBe("unprocessable");
      expect(answer.body.error?.message).toBe(`the URL answered ${status}`);
      expect(answer.body.error?.details).toMatchObject({ reason: "remote_status", status });
    }
    const unreachable = await importUrl(ws, "e.txt", { url: "https://files.example.com/nothing" });
    expect(unreachable.status).toBe(422);
    expect(unreachable.body.error?.details).toMatchObject({ reason: "unreachable" });
    await expectNothingStored(ws, "e.txt", before);
  });

  it("Should answer 413 when the body is over the cap, with or without Content-Length", async () => {
    const ws = await newWorkspace();
    const vars = { URL_IMPORT_MAX_BYTES: String(256 * 1024) };
    let pulls = 0;
    let cancelled = false;
    const huge: Site = () => {
      const stream = new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            pulls++;
            controller.enqueue(new Uint8Array(64 * 1024));
          },
          cancel() {
            cancelled = true;
          },
        },
        { highWaterMark: 0 },
      );
      return new Response(stream, { headers: { "content-length": String(10 * 1024 ** 3) } });
    };
    net
      .publicHost("files.example.com")
      .serve("https://files.example.com/huge", huge)
      .serve("https://files.example.com/big", () =>
        bytesResponse(randomBytes(300 * 1024), { sized: false }),
      )
      .serve("https://files.example.com/fits", () =>
        bytesResponse(randomBytes(256 * 1024), { sized: false }),
      );
    const before = await headId(ws);

    const declared = await importUrl(ws, "big.bin", { url: "https://files.example.com/huge" });
    expect(declared.status).toBe(413);
    expect(declared.body.error?.details).toMatchObject({
      reason: "too_large",
      size: 10 * 1024 ** 3,
    });
    // Refused on its Content-Length: the body is cancelled, not read.
    expect(cancelled).toBe(true);
    expect(pulls).toBeLessThanOrEqual(1);

    const streamed = await importUrl(ws, "big.bin", { url: "https://files.example.com/big" }, vars);
    expect(streamed.status).toBe(413);
    expect(streamed.body.error?.details).toMatchObject({
      reason: "too_large",
      max_bytes: 256 * 1024,
    });

    net.fetched.length = 0;
    const claimed = await importUrl(
      ws,
      "big.bin",
      { url: "https://files.example.com/big", size: 300 * 1024 },
      vars,
    );
    expect(claimed.status).toBe(413);
    expect(net.fetched).toEqual([]);
    await expectNothingStored(ws, "big.bin", before);

    const atCap = await importUrl(ws, "fits.bin", { url: "https://files.example.com/fits" }, vars);
    expect(atCap.status, JSON.stringify(atCap.body)).toBe(201);
  });

  it("Should answer 422 timeout when the remote is silent, or stalls mid-body", async () => {
    const ws = await newWorkspace();
    const vars = { URL_IMPORT_TIMEOUT_MS: "300" };
    const stalling: Site = (request) => {
      let sent = false;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (!sent) {
            sent = true;
            controller.enqueue(new Uint8Array(1000));
            return;
          }
          // Then nothing, until the request is aborted.
          return new Promise<void>((resolve) => {
            request.signal.addEventListener("abort", () => resolve(), { once: true });
          });
        },
      });
      return new Response(stream, { headers: { "content-length": "5000" } });
    };
    net
      .publicHost("files.example.com")
      .serve("https://files.example.com/silent", silentSite)
      .serve("https://files.example.com/stall", stalling)
      .serve("https://files.example.com/stall-unsized", (request) => {
        const response = stalling(request) as Response;
        return new Response(response.body);
      });
    const before = await headId(ws);
    for (const path of ["silent", "stall", "stall-unsized"]) {
      const started = Date.now();
      const answer = await importUrl(
        ws,
        "t.bin",
        { url: `https://files.example.com/${path}` },
        vars,
      );
      expect(answer.status, `${path}: ${JSON.stringify(answer.body)}`).toBe(422);
      expect(answer.body.error?.details).toMatchObject({ reason: "timeout", timeout_ms: 300 });
      expect(Date.now() - started).toBeLessThan(5000);
      await expectNothingStored(ws, "t.bin", before);
    }
  });
});

describe("the route", () => {
  it("Should keep raw bodies of any other content type as the file's bytes", async () => {
    const ws = await newWorkspace();
    const response = await api<FileEntryBody>("POST", `/v1/workspaces/${ws}/files?path=raw.json`, {
      key: account.key,
      body: '{"url":"https://files.example.com/x"}',
      headers: { "content-type": "text/plain" },
    });
    expect(response.status).toBe(201);
    expect(new TextDecoder().decode(await getBytes(account, ws, "raw.json"))).toBe(
      '{"url":"https://files.example.com/x"}',
    );
    expect(net.fetched).toEqual([]);
  });

  it("Should refuse malformed JSON and unknown fields with 400", async () => {
    const ws = await newWorkspace();
    const malformed = await api("POST", `/v1/workspaces/${ws}/files?path=a.txt`, {
      key: account.key,
      body: "{not json",
    });
    expect(malformed.status).toBe(400);
    const unknown = await importUrl(ws, "a.txt", {
      url: "https://files.example.com/a",
      mimeType: "x/y",
    });
    expect(unknown.status).toBe(400);
    const size = await importUrl(ws, "a.txt", { url: "https://files.example.com/a", size: -1 });
    expect(size.status).toBe(400);
  });

  it("Should replay an import sent again with the same Idempotency-Key", async () => {
    const ws = await newWorkspace();
    let served = 0;
    net.publicHost("files.example.com").serve("https://files.example.com/once.txt", () => {
      served++;
      return bytesResponse(new TextEncoder().encode("once"));
    });
    const body = { url: "https://files.example.com/once.txt" };
    const headers = { "idempotency-key": `import-${ws}` };
    const first = await importUrl(ws, "once.txt", body, {}, headers);
    const second = await importUrl(ws, "once.txt", body, {}, headers);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.etag).toBe(first.body.etag);
    expect(served).toBe(1);
  });

  it("Should document both request bodies of POST …/files", async () => {
    const doc = await api<{
      paths: Record<string, Record<string, { requestBody: { content: Record<string, unknown> } }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    }>("GET", "/v1/openapi.json");
    const content = doc.body.paths["/v1/workspaces/{ws}/files"]?.post?.requestBody.content ?? {};
    expect(Object.keys(content).sort()).toEqual(["application/json", "application/octet-stream"]);
    expect(JSON.stringify(content["application/json"])).toContain("ImportFileFromUrl");
    expect(
      Object.keys(doc.body.components.schemas.ImportFileFromUrl?.properties ?? {}).sort(),
    ).toEqual(["mime_type", "size", "url"]);
  });
});
