import { beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  api,
  createAccount,
  createWorkspace,
  dispatch,
  expectEnvelope,
  type TestAccount,
} from "../../../../test/helpers";
import { doSql } from "../../events/test/event-helpers";
import {
  eventsOf,
  type FileEntryBody,
  getBytes,
  getRaw,
  headId,
  indexedKeys,
  putFile,
  r2Keys,
  randomBytes,
  runAlarm,
  sha256Hex,
} from "./file-helpers";

// Signed upload URLs: a key holder asks for a URL; anyone holding it can PUT one file to one
// path, up to a size, until it expires, without a key. What must hold: the URL works exactly
// once, only as issued (every signed field, the workspace and the nonce are bound), only on its
// own route and method, and every refusal stores nothing.

let account: TestAccount;
let other: TestAccount;
beforeAll(async () => {
  [account, other] = await Promise.all([createAccount("signed"), createAccount("other")]);
});

const newWorkspace = async (owner = account) => (await createWorkspace(owner)).id;

interface Signed {
  url: string;
  method: "PUT";
  path: string;
  max_size: number;
  expires_at: string;
}

const requestUrl = (ws: string, body: Record<string, unknown>, key = account.key) =>
  api<Signed>("POST", `/v1/workspaces/${ws}/uploads`, { key, body });

async function signedUrl(ws: string, body: Record<string, unknown>, key = account.key) {
  const response = await requestUrl(ws, body, key);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

/** PUT through a URL exactly as a client without a key would. */
async function putSigned(
  url: string,
  body: Uint8Array | string,
  headers: Record<string, string> = {},
  method = "PUT",
) {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const response = await dispatch(
    new Request(url, {
      method,
      headers: { "content-length": String(bytes.byteLength), ...headers },
      body: method === "GET" || method === "HEAD" ? undefined : bytes,
    }),
  );
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (text && response.headers.get("content-type")?.includes("json")
      ? JSON.parse(text)
      : text) as FileEntryBody & { error?: { code: string; message: string } },
  };
}

/** The URL with one query field replaced. */
function withQuery(url: string, name: string, value: string | null) {
  const changed = new URL(url);
  if (value === null) changed.searchParams.delete(name);
  else changed.searchParams.set(name, value);
  return changed.toString();
}

/** Nothing was stored: no file at the path, no object in R2, no event. */
async function expectNothingStored(ws: string, path: string, sinceEvent: number) {
  expect((await getRaw(account, ws, path)).status).toBe(404);
  expect(await eventsOf(ws, sinceEvent)).toEqual([]);
  expect(await runAlarm(ws)).toEqual(await indexedKeys(ws));
}

describe("a signed upload URL", () => {
  it("uploads one file without an API key, as the key that asked for it", async () => {
    const ws = await newWorkspace();
    const before = Date.now();
    const signed = await signedUrl(ws, {
      path: "/inbox/Report.pdf",
      max_size: 4096,
      content_type: "application/pdf",
    });
    expect(signed).toMatchObject({ method: "PUT", path: "inbox/Report.pdf", max_size: 4096 });
    const url = new URL(signed.url);
    expect(url.origin).toBe("https://api.test");
    expect(url.pathname).toMatch(new RegExp(`^/v1/workspaces/${ws}/uploads/upl_[\\w-]{24}$`));
    expect(url.searchParams.get("path")).toBe("inbox/Report.pdf");
    // Default lifetime: 900 s.
    const lifetime = Date.parse(signed.expires_at) - before;
    expect(lifetime).toBeGreaterThanOrEqual(900_000);
    expect(lifetime).toBeLessThan(902_000);

    const bytes = randomBytes(4096, 21);
    const head = await headId(ws);
    const response = await putSigned(signed.url, bytes);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    const sha = await sha256Hex(bytes);
    expect(response.body).toMatchObject({
      path: "inbox/Report.pdf",
      size: 4096,
      etag: sha,
      author: account.keyId,
      content_type: "application/pdf",
    });
    expect(response.headers.get("etag")).toBe(`"${sha}"`);
    const back = await getBytes(account, ws, "inbox/Report.pdf");
    expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
    const events = await eventsOf(ws, head);
    expect(events.map((event) => event.type)).toEqual(["directory.created", "file.created"]);
    // The events name the issuing key as their actor, as if it had uploaded.
    const [row] = await doSql(ws, "SELECT actor FROM events WHERE type = 'file.created'");
    expect(row?.actor).toBe(account.keyId);
  });

  it("answers the URL without caching it, and refuses bad requests for one", async () => {
    const ws = await newWorkspace();
    const response = await requestUrl(ws, { path: "a.txt", max_size: 1 });
    expect(response.status).toBe(201);
    expect(response.headers.get("cache-control")).toContain("no-store");
    for (const body of [
      { path: "../a", max_size: 1 },
      { path: "a\\b", max_size: 1 },
      { path: "a.txt" },
      { path: "a.txt", max_size: -1 },
      { path: "a.txt", max_size: 1, expires_in: 0 },
      { path: "a.txt", max_size: 1, expires_in: 86_401 },
      { path: "a.txt", max_size: 1, content_type: "not a type" },
      { path: "a.txt", max_size: 1, extra: true },
    ]) {
      expect((await requestUrl(ws, body)).status, JSON.stringify(body)).toBe(400);
    }
    await api("POST", `/v1/workspaces/${ws}/directories?path=dir`, { key: account.key });
    expect((await requestUrl(ws, { path: "dir", max_size: 1 })).status).toBe(409);
    // Another account cannot ask for one.
    expect((await requestUrl(ws, { path: "a.txt", max_size: 1 }, other.key)).status).toBe(404);
  });

  it("works once: a second PUT is a 409 and changes nothing", async () => {
    const ws = await newWorkspace();
    const signed = await signedUrl(ws, { path: "once.txt", max_size: 100 });
    expect((await putSigned(signed.url, "first")).status).toBe(201);
    const head = await headId(ws);
    const again = await putSigned(signed.url, "second");
    expect(again.status).toBe(409);
    expect(again.body.error?.code).toBe("conflict");
    expect(again.body.error?.message).toMatch(/already used/);
    expect(new TextDecoder().decode(await getBytes(account, ws, "once.txt"))).toBe("first");
    expect(await eventsOf(ws, head)).toEqual([]);
    expect(await runAlarm(ws)).toEqual(await indexedKeys(ws));
  });

  it("commits exactly one of two PUTs sent at once", async () => {
    const ws = await newWorkspace();
    const signed = await signedUrl(ws, { path: "race.txt", max_size: 100 });
    const head = await headId(ws);
    const answers = await Promise.all([putSigned(signed.url, "one"), putSigned(signed.url, "two")]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409]);
    const created = (await eventsOf(ws, head)).filter((event) => event.type === "file.created");
    expect(created).toHaveLength(1);
    // The loser's object is deleted: R2 holds exactly the committed one.
    const keys = await runAlarm(ws);
    expect(keys).toEqual(await indexedKeys(ws));
    expect(keys).toHaveLength(1);
  });

  it("overwrites like a PUT, honouring If-None-Match: *", async () => {
    const ws = await newWorkspace();
    await putFile(account, ws, "exists.txt", "original");
    const signed = await signedUrl(ws, { path: "exists.txt", max_size: 100 });
    const refused = await putSigned(signed.url, "new", { "if-none-match": "*" });
    expect(refused.status).toBe(412);
    // A refused upload did not use the URL up.
    const overwritten = await putSigned(signed.url, "new");
    expect(overwritten.status).toBe(200);
    expect(new TextDecoder().decode(await getBytes(account, ws, "exists.txt"))).toBe("new");
  });
});

describe("refusals", () => {
  it("refuses an expired URL (403) and stores nothing", async () => {
    const ws = await newWorkspace();
    const signed = await signedUrl(ws, { path: "late.txt", max_size: 100, expires_in: 1 });
    const wait = Date.parse(signed.expires_at) - Date.now() + 50;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
    const head = await headId(ws);
    const response = await putSigned(signed.url, "too late");
    expect(response.status).toBe(403);
    expect(response.body.error?.code).toBe("forbidden");
    expect(response.body.error?.message).toMatch(/expired/);
    await expectNothingStored(ws, "late.txt", head);
  });

  it("refuses a URL with any signed field changed (403), then still accepts the real one", async () => {
    const ws = await newWorkspace();
    const signed = await signedUrl(ws, { path: "target.txt", max_size: 10 });
    const url = new URL(signed.url);
    const expires = Number(url.searchParams.get("expires"));
    const sig = url.searchParams.get("sig") as string;
    const flipped = (sig[0] === "A" ? "B" : "A") + sig.slice(1);
    const otherNonce = url.pathname.replace(/upl_.{4}/, "upl_ZZZZ");
    const tampered = [
      withQuery(signed.url, "path", "elsewhere.txt"),
      withQuery(signed.url, "path", "target.txt/"),
      withQuery(signed.url, "max_size", "11"),
      withQuery(signed.url, "max_size", "1000000"),
      withQuery(signed.url, "expires", String(expires + 3600)),
      withQuery(signed.url, "sig", flipped),
      `${url.origin}${otherNonce}${url.search}`,
    ];
    const head = await headId(ws);
    for (const changed of tampered) {
      const response = await putSigned(changed, "payload");
      expect(response.status, changed).toBe(403);
      expect(response.body.error?.message).toMatch(/signature is not valid/);
    }
    await expectNothingStored(ws, "target.txt", head);
    await expectNothingStored(ws, "elsewhere.txt", head);
    expect((await putSigned(signed.url, "payload")).status).toBe(201);
  });

  it("refuses a URL without its signature fields (401), even with a valid API key", async () => {
    const ws = await newWorkspace();
    const signed = await signedUrl(ws, { path: "bare.txt", max_size: 10 });
    const head = await headId(ws);
    const stripped = [
      ...["path", "max_size", "expires", "sig"].map((name) => withQuery(signed.url, name, null)),
      withQuery(signed.url, "max_size", "010"),
      withQuery(signed.url, "sig", "short"),
      signed.url.split("?")[0] as string,
    ];
    for (const changed of stripped) {
      for (const headers of [{}, { authorization: `Bearer ${account.key}` }] as Record<
        string,
        string
      >[]) {
        const response = await putSigned(changed, "x", headers);
        expect(response.status, changed).toBe(401);
        expectEnvelope(response.body);
      }
    }
    await expectNothingStored(ws, "bare.txt", head);
  });

  it("refuses a body over max_size (413) or without a Content-Length, leaving the URL usable", async () => {
    const ws = await newWorkspace();
    const signed = await signedUrl(ws, { path: "small.bin", max_size: 8 });
    const head = await headId(ws);
    const over = await putSigned(signed.url, randomBytes(9));
    expect(over.status).toBe(413);
    expect(over.body.error?.code).toBe("too_large");
    const unsized = await dispatch(new Request(signed.url, { method: "PUT", body: "12345" }));
    expect(unsized.status).toBe(400);
    expect(await unsized.text()).toMatch(/Content-Length is required/);
    await expectNothingStored(ws, "small.bin", head);
    expect((await putSigned(signed.url, randomBytes(8))).status).toBe(201);
  });

  it("refuses the URL on another workspace, of the same account or another", async () => {
    const ws = await newWorkspace();
    const sibling = await newWorkspace();
    const foreign = await newWorkspace(other);
    const signed = await signedUrl(ws, { path: "moved.txt", max_size: 10 });
    for (const target of [sibling, foreign]) {
      const head = await headId(target);
      const response = await putSigned(signed.url.replace(ws, target), "x");
      expect(response.status, target).toBe(403);
      expect((await getRaw(target === foreign ? other : account, target, "moved.txt")).status).toBe(
        404,
      );
      expect(await eventsOf(target, head)).toEqual([]);
      expect(await r2Keys(target)).toEqual([]);
    }
    // A workspace that does not exist refuses it the same way.
    const none = await putSigned(signed.url.replace(ws, `ws_${"0".repeat(26)}`), "x");
    expect(none.status).toBe(403);
    expect((await putSigned(signed.url, "x")).status).toBe(201);
  });

  it("opens no other route or method", async () => {
    const ws = await newWorkspace();
    const signed = await signedUrl(ws, { path: "only.txt", max_size: 10 });
    const url = new URL(signed.url);
    for (const method of ["GET", "POST", "DELETE", "PATCH", "HEAD"]) {
      const response = await putSigned(signed.url, "x", {}, method);
      expect(response.status, method).toBe(401);
    }
    // The same query on the file routes is not a credential.
    const fileRoute = `${url.origin}/v1/workspaces/${ws}/files/only.txt${url.search}`;
    expect((await putSigned(fileRoute, "x")).status).toBe(401);
    const listRoute = `${url.origin}/v1/workspaces/${ws}/directories${url.search}`;
    expect((await putSigned(listRoute, "", {}, "GET")).status).toBe(401);
    const multipart = `${url.origin}/v1/workspaces/${ws}/uploads/multipart${url.search}`;
    expect(
      (await putSigned(multipart, "{}", { "content-type": "application/json" }, "POST")).status,
    ).toBe(401);
    expect((await getRaw(account, ws, "only.txt")).status).toBe(404);
    // And the URL itself is still unused.
    expect((await putSigned(signed.url, "x")).status).toBe(201);
  });

  it("stops working when the key that asked for it is revoked", async () => {
    const owner = await createAccount("revoked");
    const ws = await newWorkspace(owner);
    const signed = await signedUrl(ws, { path: "r.txt", max_size: 10 }, owner.key);
    const revoked = await api("DELETE", `/v1/admin/keys/${owner.keyId}`, { key: ADMIN_TOKEN });
    expect(revoked.status).toBe(204);
    const response = await putSigned(signed.url, "x");
    expect(response.status).toBe(403);
    expect(response.body.error?.message).toMatch(/revoked/);
  });

  it("is bound to its workspace's own key: a deleted and purged workspace refuses it", async () => {
    const ws = await newWorkspace();
    const signed = await signedUrl(ws, { path: "d.txt", max_size: 10 });
    expect((await api("DELETE", `/v1/workspaces/${ws}`, { key: account.key })).status).toBe(204);
    const response = await putSigned(signed.url, "x");
    expect(response.status).toBe(403);
  });
});
