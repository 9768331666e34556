import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, api, createAccount, env, expectEnvelope } from "../../../../test/helpers";
import { createApp } from "../../../app";

interface Account {
  id: string;
  name: string;
  created_at: string;
}
interface CreatedKey {
  id: string;
  key: string;
  prefix: string;
  created_at: string;
}
interface ListedKey {
  id: string;
  name: string | null;
  prefix: string;
  workspace_id: string | null;
  created_at: string;
  revoked_at: string | null;
}
interface ErrorBody {
  error: { code: string; message: string; details?: { field: string }[] };
}

const admin = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) =>
  api<T>(method, path, { key: ADMIN_TOKEN, body });

async function newAccount(name = "Acme"): Promise<Account> {
  const response = await admin<Account>("POST", "/v1/admin/accounts", { name });
  expect(response.status).toBe(201);
  return response.body;
}

const fields = (body: unknown) =>
  ((body as ErrorBody).error.details ?? []).map((detail) => detail.field);

/** Calls a fresh app directly, with the environment changed (e.g. ADMIN_TOKEN unset). */
async function callApp(request: Request, overrides: Partial<Env>): Promise<Response> {
  const app = createApp();
  const ctx = createExecutionContext();
  const response = await app.fetch(request, { ...env, ...overrides } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

describe("POST /v1/admin/accounts", () => {
  it("Should create an account and answer 201 with id, name and created_at", async () => {
    const response = await admin<Account>("POST", "/v1/admin/accounts", { name: "Acme Inc" });
    expect(response.status).toBe(201);
    expect(Object.keys(response.body).sort()).toEqual(["created_at", "id", "name"]);
    expect(response.body.name).toBe("Acme Inc");
    expect(response.body.id).toMatch(/^acc_[0-9a-z]{26}$/);
    expect(Number.isNaN(Date.parse(response.body.created_at))).toBe(false);
  });

  it("Should persist the account in D1", async () => {
    const account = await newAccount("Persisted");
    const row = await env.DB.prepare("SELECT name FROM accounts WHERE id = ?")
      .bind(account.id)
      .first<{ name: string }>();
    expect(row?.name).toBe("Persisted");
  });

  it("Should give every account a distinct id", async () => {
    const a = await newAccount("Same name");
    const b = await newAccount("Same name");
    expect(a.id).not.toBe(b.id);
  });

  it("Should trim the name", async () => {
    const account = await newAccount("  Padded  ");
    expect(account.name).toBe("Padded");
  });

  it("Should accept a 255-character name", async () => {
    const account = await newAccount("n".repeat(255));
    expect(account.name).toHaveLength(255);
  });

  it.each([
    ["a missing name", {}],
    ["an empty name", { name: "" }],
    ["a whitespace-only name", { name: "   " }],
    ["a 256-character name", { name: "n".repeat(256) }],
    ["a non-string name", { name: 42 }],
    ["an unknown field", { name: "ok", plan: "enterprise" }],
  ])("Should be 400 naming the field for %s", async (_label, body) => {
    const response = await admin("POST", "/v1/admin/accounts", body);
    expect(response.status).toBe(400);
    expect(expectEnvelope(response.body).code).toBe("invalid_request");
    expect(fields(response.body).length).toBeGreaterThan(0);
    if ("name" in body && body.name !== "ok") expect(fields(response.body)).toContain("name");
  });

  it("Should be 400 for malformed JSON", async () => {
    const response = await admin("POST", "/v1/admin/accounts", "{not json");
    expect(response.status).toBe(400);
    expect(expectEnvelope(response.body).code).toBe("invalid_request");
  });

  it("Should be 400 for a JSON array body", async () => {
    const response = await admin("POST", "/v1/admin/accounts", [{ name: "x" }]);
    expect(response.status).toBe(400);
    expectEnvelope(response.body);
  });
});

describe("POST /v1/admin/accounts/{account}/keys", () => {
  it("Should create a key and show it once with id, key, prefix and created_at", async () => {
    const account = await newAccount();
    const response = await admin<CreatedKey>("POST", `/v1/admin/accounts/${account.id}/keys`, {
      name: "ci",
    });
    expect(response.status).toBe(201);
    expect(Object.keys(response.body).sort()).toEqual(["created_at", "id", "key", "prefix"]);
    expect(response.body.id).toMatch(/^key_[0-9a-z]{26}$/);
    expect(response.body.key).toMatch(/^wsk_[A-Za-z0-9_-]{43}$/);
    expect(response.body.key.startsWith(response.body.prefix)).toBe(true);
    expect(response.body.prefix.length).toBeLessThan(response.body.key.length);
  });

  it("Should create a key without a name", async () => {
    const account = await newAccount();
    const response = await admin<CreatedKey>("POST", `/v1/admin/accounts/${account.id}/keys`, {});
    expect(response.status).toBe(201);
    const list = await admin<{ items: ListedKey[] }>(
      "GET",
      `/v1/admin/accounts/${account.id}/keys`,
    );
    expect(list.body.items.find((k) => k.id === response.body.id)?.name).toBeNull();
  });

  it("Should issue a key that works at once", async () => {
    const account = await newAccount();
    const created = await admin<CreatedKey>("POST", `/v1/admin/accounts/${account.id}/keys`, {});
    const response = await api("GET", "/v1/workspaces", { key: created.body.key });
    expect(response.status).toBe(200);
  });

  it("Should issue distinct keys each time", async () => {
    const account = await newAccount();
    const keys = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const created = await admin<CreatedKey>("POST", `/v1/admin/accounts/${account.id}/keys`, {});
      keys.add(created.body.key);
    }
    expect(keys.size).toBe(5);
  });

  it("Should be 404 for an unknown account", async () => {
    const response = await admin("POST", "/v1/admin/accounts/acc_doesnotexist/keys", {
      name: "x",
    });
    expect(response.status).toBe(404);
    expect(expectEnvelope(response.body).code).toBe("not_found");
  });

  it.each([
    ["an empty name", { name: "" }],
    ["a 256-character name", { name: "k".repeat(256) }],
    ["a non-string name", { name: ["x"] }],
    ["an unknown field", { scopes: ["admin"] }],
  ])("Should be 400 for %s", async (_label, body) => {
    const account = await newAccount();
    const response = await admin("POST", `/v1/admin/accounts/${account.id}/keys`, body);
    expect(response.status).toBe(400);
    expect(expectEnvelope(response.body).code).toBe("invalid_request");
  });

  it("Should be 400 for an over-long account id in the path", async () => {
    const response = await admin("POST", `/v1/admin/accounts/${"a".repeat(65)}/keys`, {});
    expect(response.status).toBe(400);
    expect(fields(response.body)).toContain("account");
  });

  it("Should not let a caller choose the key's account through the body", async () => {
    const account = await newAccount();
    const response = await admin("POST", `/v1/admin/accounts/${account.id}/keys`, {
      account_id: "acc_other",
    });
    expect(response.status).toBe(400);
  });
});

describe("GET /v1/admin/accounts/{account}/keys", () => {
  it("Should list the account's keys without ever exposing the key or its hash", async () => {
    const account = await newAccount();
    const created: CreatedKey[] = [];
    for (const name of ["one", "two"]) {
      const response = await admin<CreatedKey>("POST", `/v1/admin/accounts/${account.id}/keys`, {
        name,
      });
      created.push(response.body);
    }
    const list = await admin<{ items: ListedKey[] }>(
      "GET",
      `/v1/admin/accounts/${account.id}/keys`,
    );
    expect(list.status).toBe(200);
    expect(list.body.items.map((k) => k.id).sort()).toEqual(created.map((k) => k.id).sort());
    for (const item of list.body.items) {
      expect(item).not.toHaveProperty("key");
      expect(item).not.toHaveProperty("hash");
      expect(item.revoked_at).toBeNull();
      const original = created.find((k) => k.id === item.id);
      expect(item.prefix).toBe(original?.prefix);
      expect(item.created_at).toBe(original?.created_at);
    }
    // No secret material anywhere in the response.
    const raw = JSON.stringify(list.body);
    for (const key of created) {
      expect(raw).not.toContain(key.key);
      const hash = await env.DB.prepare("SELECT hash FROM api_keys WHERE id = ?")
        .bind(key.id)
        .first<{ hash: string }>();
      expect(raw).not.toContain(hash?.hash);
    }
  });

  it("Should list only that account's keys", async () => {
    const a = await createAccount("a");
    const b = await createAccount("b");
    const list = await admin<{ items: ListedKey[] }>(
      "GET",
      `/v1/admin/accounts/${a.accountId}/keys`,
    );
    expect(list.body.items.map((k) => k.id)).toEqual([a.keyId]);
    expect(list.body.items.map((k) => k.id)).not.toContain(b.keyId);
  });

  it("Should answer an empty list for an account without keys", async () => {
    const account = await newAccount();
    const list = await admin<{ items: ListedKey[] }>(
      "GET",
      `/v1/admin/accounts/${account.id}/keys`,
    );
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([]);
  });

  it("Should be 404 for an unknown account", async () => {
    const response = await admin("GET", "/v1/admin/accounts/acc_doesnotexist/keys");
    expect(response.status).toBe(404);
    expect(expectEnvelope(response.body).code).toBe("not_found");
  });

  it("Should show revoked_at once a key is revoked", async () => {
    const account = await createAccount();
    expect((await admin("DELETE", `/v1/admin/keys/${account.keyId}`)).status).toBe(204);
    const list = await admin<{ items: ListedKey[] }>(
      "GET",
      `/v1/admin/accounts/${account.accountId}/keys`,
    );
    const item = list.body.items.find((k) => k.id === account.keyId);
    expect(item?.revoked_at).toEqual(expect.any(String));
  });
});

describe("DELETE /v1/admin/keys/{key_id}", () => {
  it("Should revoke a key with 204 and no body", async () => {
    const account = await createAccount();
    const response = await admin("DELETE", `/v1/admin/keys/${account.keyId}`);
    expect(response.status).toBe(204);
    expect(response.body).toBe("");
    const row = await env.DB.prepare("SELECT revoked_at FROM api_keys WHERE id = ?")
      .bind(account.keyId)
      .first<{ revoked_at: string | null }>();
    expect(row?.revoked_at).toEqual(expect.any(String));
  });

  it("Should keep the first revocation time when revoked twice", async () => {
    const account = await createAccount();
    await admin("DELETE", `/v1/admin/keys/${account.keyId}`);
    const first = await env.DB.prepare("SELECT revoked_at FROM api_keys WHERE id = ?")
      .bind(account.keyId)
      .first<{ revoked_at: string }>();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const again = await admin("DELETE", `/v1/admin/keys/${account.keyId}`);
    expect(again.status).toBe(204);
    const second = await env.DB.prepare("SELECT revoked_at FROM api_keys WHERE id = ?")
      .bind(account.keyId)
      .first<{ revoked_at: string }>();
    expect(second?.revoked_at).toBe(first?.revoked_at);
  });

  it("Should be 404 for an unknown key", async () => {
    const response = await admin("DELETE", "/v1/admin/keys/key_doesnotexist");
    expect(response.status).toBe(404);
    expect(expectEnvelope(response.body).code).toBe("not_found");
  });

  it("Should not accept an API key's own secret in place of its id", async () => {
    const account = await createAccount();
    const response = await admin("DELETE", `/v1/admin/keys/${account.key}`);
    expect(response.status).toBe(404);
    expect((await api("GET", "/v1/workspaces", { key: account.key })).status).toBe(200);
  });
});

describe("Admin authentication", () => {
  const routes: [string, string, unknown?][] = [
    ["POST", "/v1/admin/accounts", { name: "x" }],
    ["POST", "/v1/admin/accounts/acc_x/keys", {}],
    ["GET", "/v1/admin/accounts/acc_x/keys"],
    ["DELETE", "/v1/admin/keys/key_x"],
  ];

  it.each(
    routes,
  )("Should be 401 with WWW-Authenticate without a token on %s %s", async (method, path, body) => {
    const response = await api(method, path, { body });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate") ?? "").toMatch(/^Bearer\b/);
    expect(expectEnvelope(response.body).code).toBe("unauthorized");
  });

  it.each([
    ["a wrong token", "wrong-token"],
    ["the token with a different case", ADMIN_TOKEN.toUpperCase()],
    ["a prefix of the token", ADMIN_TOKEN.slice(0, -1)],
    ["the token with a suffix", `${ADMIN_TOKEN}x`],
  ])("Should be 401 with %s", async (_label, token) => {
    const response = await api("POST", "/v1/admin/accounts", { key: token, body: { name: "x" } });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate") ?? "").toMatch(/^Bearer\b/);
    expect(expectEnvelope(response.body).code).toBe("unauthorized");
  });

  it("Should be 401 with a non-Bearer scheme carrying the right token", async () => {
    const response = await api("POST", "/v1/admin/accounts", {
      headers: { authorization: `Basic ${ADMIN_TOKEN}` },
      body: { name: "x" },
    });
    expect(response.status).toBe(401);
  });

  it("Should be 401 for an account API key on admin routes", async () => {
    const account = await createAccount();
    const create = await api("POST", "/v1/admin/accounts", {
      key: account.key,
      body: { name: "escalation" },
    });
    expect(create.status).toBe(401);
    const list = await api("GET", `/v1/admin/accounts/${account.accountId}/keys`, {
      key: account.key,
    });
    expect(list.status).toBe(401);
    const revoke = await api("DELETE", `/v1/admin/keys/${account.keyId}`, { key: account.key });
    expect(revoke.status).toBe(401);
    // The key survived the attempt.
    expect((await api("GET", "/v1/workspaces", { key: account.key })).status).toBe(200);
  });

  it("Should create nothing when the token is wrong", async () => {
    const before = await env.DB.prepare("SELECT COUNT(*) AS n FROM accounts").first<{
      n: number;
    }>();
    await api("POST", "/v1/admin/accounts", { key: "wrong", body: { name: "ghost" } });
    const after = await env.DB.prepare("SELECT COUNT(*) AS n FROM accounts").first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
  });

  it("Should check the token before validating the body", async () => {
    const response = await api("POST", "/v1/admin/accounts", { body: { name: "" } });
    expect(response.status).toBe(401);
  });
});

describe("Admin routes without ADMIN_TOKEN configured", () => {
  it.each([
    undefined,
    "",
  ])("Should answer 404 on every admin route when ADMIN_TOKEN is %j", async (token) => {
    for (const [method, path, body] of [
      ["POST", "/v1/admin/accounts", { name: "x" }],
      ["POST", "/v1/admin/accounts/acc_x/keys", {}],
      ["GET", "/v1/admin/accounts/acc_x/keys", undefined],
      ["DELETE", "/v1/admin/keys/key_x", undefined],
    ] as const) {
      for (const authorization of [undefined, `Bearer ${ADMIN_TOKEN}`, "Bearer "]) {
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (authorization) headers.authorization = authorization;
        const request = new Request(`https://api.test${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const response = await callApp(request, { ADMIN_TOKEN: token });
        expect(response.status, `${method} ${path} ${authorization}`).toBe(404);
        expect(response.headers.get("www-authenticate")).toBeNull();
        expect(expectEnvelope(await response.json()).code).toBe("not_found");
      }
    }
  });

  it("Should create no account when ADMIN_TOKEN is unset", async () => {
    const name = `ghost-${crypto.randomUUID()}`;
    const request = new Request("https://api.test/v1/admin/accounts", {
      method: "POST",
      headers: { authorization: "Bearer ", "content-type": "application/json" },
      body: JSON.stringify({ name }),
    });
    const response = await callApp(request, { ADMIN_TOKEN: undefined });
    expect(response.status).toBe(404);
    const row = await env.DB.prepare("SELECT id FROM accounts WHERE name = ?").bind(name).first();
    expect(row).toBeNull();
  });

  it("Should still serve the admin routes through the same direct call when the token is set", async () => {
    const request = new Request("https://api.test/v1/admin/accounts", {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "direct" }),
    });
    const response = await callApp(request, {});
    expect(response.status).toBe(201);
  });

  it("Should keep the public and API-key routes working when ADMIN_TOKEN is unset", async () => {
    const account = await createAccount();
    const health = await callApp(new Request("https://api.test/health"), {
      ADMIN_TOKEN: undefined,
    });
    expect(health.status).toBe(200);
    const list = await callApp(
      new Request("https://api.test/v1/workspaces", {
        headers: { authorization: `Bearer ${account.key}` },
      }),
      { ADMIN_TOKEN: undefined },
    );
    expect(list.status).toBe(200);
  });
});
