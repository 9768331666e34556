import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, api, createAccount, createWorkspace, env, expectEnvelope } from "./helpers";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Longer than the AUTH_CACHE_TTL_MS the tests configure (200 ms). */
const PAST_CACHE_TTL_MS = 300;

/** A key in the right format that was never issued. */
const UNKNOWN_KEY = `wsk_${"A".repeat(43)}`;

function expectUnauthorized(response: { status: number; headers: Headers; body: unknown }) {
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate") ?? "").toMatch(/^Bearer\b/);
  expect(expectEnvelope(response.body).code).toBe("unauthorized");
}

async function rawFetch(path: string, headers: Record<string, string> = {}) {
  const response = await SELF.fetch(`https://api.test${path}`, { headers });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: response.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text,
  };
}

describe("API key authentication", () => {
  it("Should accept a freshly issued key", async () => {
    const account = await createAccount();
    const response = await api("GET", "/v1/workspaces", { key: account.key });
    expect(response.status).toBe(200);
  });

  it("Should accept the Bearer scheme case-insensitively", async () => {
    const account = await createAccount();
    const response = await rawFetch("/v1/workspaces", { authorization: `bearer ${account.key}` });
    expect(response.status).toBe(200);
  });

  it("Should be 401 with WWW-Authenticate without a key", async () => {
    expectUnauthorized(await api("GET", "/v1/workspaces"));
  });

  it("Should be 401 without a key on every kind of /v1 route", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const requests: [string, string, unknown?][] = [
      ["POST", "/v1/workspaces", { name: "x" }],
      ["GET", `/v1/workspaces/${ws.id}`],
      ["GET", `/v1/workspaces/${ws.slug}`],
      ["PATCH", `/v1/workspaces/${ws.id}`, { name: "y" }],
      ["PUT", `/v1/workspaces/${ws.id}`, { name: "y" }],
      ["DELETE", `/v1/workspaces/${ws.id}`],
      ["GET", "/v1/does-not-exist"],
    ];
    for (const [method, path, body] of requests) {
      const response = await api(method, path, { body });
      expectUnauthorized(response);
    }
    // Nothing was changed by the rejected calls.
    const got = await api("GET", `/v1/workspaces/${ws.id}`, { key: account.key });
    expect(got.status).toBe(200);
    expect(got.body.name).toBe(ws.name);
  });

  it.each([
    ["a non-Bearer scheme", (key: string) => `Basic ${btoa(`user:${key}`)}`],
    ["a bare key without a scheme", (key: string) => key],
    ["Bearer without a token", () => "Bearer"],
    ["Bearer with an empty token", () => "Bearer "],
    ["a token with trailing garbage", (key: string) => `Bearer ${key} extra`],
    ["a truncated key", (key: string) => `Bearer ${key.slice(0, -1)}`],
    ["a key with an extra character", (key: string) => `Bearer ${key}A`],
    ["a key with the wrong prefix", (key: string) => `Bearer wsx_${key.slice(4)}`],
    ["a key with a changed last character", (key: string) => `Bearer ${flipLast(key)}`],
  ])("Should be 401 with %s", async (_label, header) => {
    const account = await createAccount();
    expectUnauthorized(await rawFetch("/v1/workspaces", { authorization: header(account.key) }));
  });

  it("Should be 401 with a well-formed key that was never issued", async () => {
    expectUnauthorized(await api("GET", "/v1/workspaces", { key: UNKNOWN_KEY }));
  });

  it("Should be 401 when the admin token is used as an API key", async () => {
    expectUnauthorized(await api("GET", "/v1/workspaces", { key: ADMIN_TOKEN }));
  });

  it("Should not accept the key in the query string", async () => {
    const account = await createAccount();
    expectUnauthorized(
      await api("GET", `/v1/workspaces?api_key=${encodeURIComponent(account.key)}`),
    );
  });

  it("Should give the same answer for unknown and malformed keys (no oracle)", async () => {
    const unknown = await api("GET", "/v1/workspaces", { key: UNKNOWN_KEY });
    const malformed = await api("GET", "/v1/workspaces", { key: "wsk_short" });
    expect(unknown.status).toBe(malformed.status);
    expect(expectEnvelope(unknown.body).code).toBe(expectEnvelope(malformed.body).code);
    expect(expectEnvelope(unknown.body).message).toBe(expectEnvelope(malformed.body).message);
  });

  it("Should store only a hash of the key, never the key itself", async () => {
    const account = await createAccount();
    const row = await env.DB.prepare("SELECT * FROM api_keys WHERE id = ?")
      .bind(account.keyId)
      .first<Record<string, unknown>>();
    expect(row).not.toBeNull();
    for (const value of Object.values(row ?? {})) {
      expect(value).not.toBe(account.key);
    }
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(account.key));
    const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
    expect(row?.hash).toBe(hex);
    expect(account.key.startsWith(String(row?.prefix))).toBe(true);
  });

  it("Should let two keys of one account see the same workspaces", async () => {
    const account = await createAccount();
    const second = await api<{ key: string }>(
      "POST",
      `/v1/admin/accounts/${account.accountId}/keys`,
      { key: ADMIN_TOKEN, body: { name: "second" } },
    );
    expect(second.status).toBe(201);
    const ws = await createWorkspace(account);
    const got = await api("GET", `/v1/workspaces/${ws.id}`, { key: second.body.key });
    expect(got.status).toBe(200);
    expect(got.body.id).toBe(ws.id);
  });
});

describe("Key revocation", () => {
  it("Should reject a key revoked through the admin API once the cache TTL has passed", async () => {
    const account = await createAccount();
    // Warm the auth cache with the key.
    expect((await api("GET", "/v1/workspaces", { key: account.key })).status).toBe(200);

    const revoked = await api("DELETE", `/v1/admin/keys/${account.keyId}`, { key: ADMIN_TOKEN });
    expect(revoked.status).toBe(204);
    await sleep(PAST_CACHE_TTL_MS);

    expectUnauthorized(await api("GET", "/v1/workspaces", { key: account.key }));
    expectUnauthorized(
      await api("POST", "/v1/workspaces", { key: account.key, body: { name: "x" } }),
    );
  });

  it("Should reject a key revoked behind the isolate's back (directly in D1) after the TTL", async () => {
    // The admin route also clears its own isolate's cache; a revocation written by another
    // isolate is only seen once the cached entry expires. Simulate that with a direct update.
    const account = await createAccount();
    expect((await api("GET", "/v1/workspaces", { key: account.key })).status).toBe(200);
    await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?")
      .bind(new Date().toISOString(), account.keyId)
      .run();
    await sleep(PAST_CACHE_TTL_MS);
    expectUnauthorized(await api("GET", "/v1/workspaces", { key: account.key }));
  });

  it("Should leave the account's other keys working after one is revoked", async () => {
    const account = await createAccount();
    const other = await api<{ key: string }>(
      "POST",
      `/v1/admin/accounts/${account.accountId}/keys`,
      { key: ADMIN_TOKEN, body: {} },
    );
    expect(other.status).toBe(201);
    expect((await api("GET", "/v1/workspaces", { key: other.body.key })).status).toBe(200);

    await api("DELETE", `/v1/admin/keys/${account.keyId}`, { key: ADMIN_TOKEN });
    await sleep(PAST_CACHE_TTL_MS);

    expectUnauthorized(await api("GET", "/v1/workspaces", { key: account.key }));
    expect((await api("GET", "/v1/workspaces", { key: other.body.key })).status).toBe(200);
  });

  it("Should keep the account's workspaces after its key is revoked", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    await api("DELETE", `/v1/admin/keys/${account.keyId}`, { key: ADMIN_TOKEN });
    const fresh = await api<{ key: string }>(
      "POST",
      `/v1/admin/accounts/${account.accountId}/keys`,
      { key: ADMIN_TOKEN, body: {} },
    );
    const got = await api("GET", `/v1/workspaces/${ws.id}`, { key: fresh.body.key });
    expect(got.status).toBe(200);
  });
});

describe("Public routes and the error envelope", () => {
  it("Should serve /health without a key", async () => {
    const response = await api("GET", "/health");
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: "ok" });
  });

  it("Should serve /health even with a bogus key", async () => {
    const response = await api("GET", "/health", { key: UNKNOWN_KEY });
    expect(response.status).toBe(200);
  });

  it("Should serve the OpenAPI document without a key", async () => {
    const response = await api<{
      openapi: string;
      paths: Record<string, unknown>;
      components: { securitySchemes: Record<string, unknown> };
    }>("GET", "/v1/openapi.json");
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe("3.1.0");
    expect(Object.keys(response.body.paths)).toEqual(
      expect.arrayContaining([
        "/v1/workspaces",
        "/v1/workspaces/{ws}",
        "/v1/admin/accounts",
        "/v1/admin/accounts/{account}/keys",
        "/v1/admin/keys/{key_id}",
      ]),
    );
    expect(Object.keys(response.body.components.securitySchemes)).toEqual(
      expect.arrayContaining(["apiKey", "adminToken"]),
    );
  });

  it("Should serve /docs as an HTML page that loads the locally served Scalar script", async () => {
    const response = await SELF.fetch("https://api.test/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/text\/html/);
    const html = await response.text();
    expect(html).toContain("/static/scalar/standalone.js");
    expect(html).toContain("/v1/openapi.json");
    expect(html).not.toMatch(/cdn\.jsdelivr|unpkg\.com|cdnjs/);
    expect(html).not.toMatch(/<script[^>]+src="https?:\/\//);
  });

  it("Should answer an unknown route with a 404 envelope", async () => {
    const response = await api("GET", "/nope");
    expect(response.status).toBe(404);
    const error = expectEnvelope(response.body);
    expect(error.code).toBe("not_found");
    expect(error.request_id).toBe(response.headers.get("x-request-id"));
  });

  it("Should answer an unknown /v1 route with a 404 envelope for an authenticated caller", async () => {
    const account = await createAccount();
    const response = await api("GET", "/v1/nope", { key: account.key });
    expect(response.status).toBe(404);
    expect(expectEnvelope(response.body).code).toBe("not_found");
  });

  it("Should answer a wrong method with 405 and an Allow header", async () => {
    const response = await api("POST", "/health");
    expect(response.status).toBe(405);
    const allow = (response.headers.get("allow") ?? "").split(/,\s*/);
    expect(allow).toContain("GET");
    expect(allow).not.toContain("POST");
    expect(expectEnvelope(response.body).code).toBe("method_not_allowed");
  });

  it("Should answer a wrong method on the workspace collection with 405 listing GET and POST", async () => {
    const account = await createAccount();
    const response = await api("DELETE", "/v1/workspaces", { key: account.key });
    expect(response.status).toBe(405);
    const allow = (response.headers.get("allow") ?? "").split(/,\s*/);
    expect(allow).toEqual(expect.arrayContaining(["GET", "POST"]));
    expect(allow).not.toContain("DELETE");
    expect(expectEnvelope(response.body).code).toBe("method_not_allowed");
  });

  it("Should answer a wrong method on a workspace with 405 listing its methods", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const response = await api("POST", `/v1/workspaces/${ws.id}`, { key: account.key, body: {} });
    expect(response.status).toBe(405);
    const allow = (response.headers.get("allow") ?? "").split(/,\s*/);
    expect(allow).toEqual(expect.arrayContaining(["GET", "PATCH", "PUT", "DELETE"]));
    expect(allow).not.toContain("POST");
    expect(expectEnvelope(response.body).code).toBe("method_not_allowed");
  });

  it("Should answer malformed JSON with a 400 envelope", async () => {
    const account = await createAccount();
    const response = await api("POST", "/v1/workspaces", {
      key: account.key,
      body: '{"name": "broken"',
    });
    expect(response.status).toBe(400);
    expect(expectEnvelope(response.body).code).toBe("invalid_request");
  });

  it("Should answer a validation failure with a 400 envelope whose details name the field", async () => {
    const account = await createAccount();
    const response = await api<{ error: { details: { field: string }[] } }>(
      "POST",
      "/v1/workspaces",
      { key: account.key, body: { name: "" } },
    );
    expect(response.status).toBe(400);
    expect(expectEnvelope(response.body).code).toBe("invalid_request");
    expect(response.body.error.details.map((d) => d.field)).toContain("name");
  });

  it("Should echo a sane client x-request-id on success and in error envelopes", async () => {
    const ok = await api("GET", "/health", { headers: { "x-request-id": "client-req.123:abc" } });
    expect(ok.headers.get("x-request-id")).toBe("client-req.123:abc");

    const failed = await api("GET", "/v1/workspaces", { headers: { "x-request-id": "trace-42" } });
    expect(failed.status).toBe(401);
    expect(failed.headers.get("x-request-id")).toBe("trace-42");
    expect(expectEnvelope(failed.body).request_id).toBe("trace-42");
  });

  it("Should generate an x-request-id when the client sends none", async () => {
    const first = await api("GET", "/health");
    const second = await api("GET", "/health");
    const a = first.headers.get("x-request-id");
    const b = second.headers.get("x-request-id");
    expect(a).toBeTruthy();
    expect(b).toBeTruthy();
    expect(a).not.toBe(b);
  });

  it.each([
    ["too long", "x".repeat(129)],
    ["with spaces", "has spaces in it"],
    ["with markup", "<script>alert(1)</script>"],
  ])("Should replace a client x-request-id that is %s", async (_label, incoming) => {
    const response = await api("GET", "/nope", { headers: { "x-request-id": incoming } });
    const id = response.headers.get("x-request-id");
    expect(id).toBeTruthy();
    expect(id).not.toBe(incoming);
    expect(expectEnvelope(response.body).request_id).toBe(id);
  });

  it("Should put x-request-id on 401, 404 and 405 responses", async () => {
    for (const [method, path] of [
      ["GET", "/v1/workspaces"],
      ["GET", "/nope"],
      ["POST", "/health"],
    ] as const) {
      const response = await api(method, path);
      expect(response.headers.get("x-request-id")).toBeTruthy();
    }
  });
});

function flipLast(key: string): string {
  const last = key.at(-1);
  return key.slice(0, -1) + (last === "A" ? "B" : "A");
}
