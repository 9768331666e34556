import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import {
  api,
  createAccount,
  createWorkspace,
  env,
  expectEnvelope,
  getWorkspace as get,
  listWorkspaces as list,
  type TestAccount,
  uniqueSlug,
  type WorkspaceBody,
} from "../../../../test/helpers";

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

const WORKSPACE_ID = /^ws_[0-9abcdefghjkmnpqrstvwxyz]{26}$/;

const patch = (
  account: TestAccount,
  ref: string,
  body: unknown,
  headers: Record<string, string> = {},
) => api<WorkspaceBody>("PATCH", `/v1/workspaces/${ref}`, { key: account.key, body, headers });

const put = (
  account: TestAccount,
  ref: string,
  body: unknown,
  headers: Record<string, string> = {},
) => api<WorkspaceBody>("PUT", `/v1/workspaces/${ref}`, { key: account.key, body, headers });

const del = (account: TestAccount, ref: string, headers: Record<string, string> = {}) =>
  api("DELETE", `/v1/workspaces/${ref}`, { key: account.key, headers });

const create = (account: TestAccount, body: Record<string, unknown>) =>
  api<WorkspaceBody>("POST", "/v1/workspaces", { key: account.key, body });

/** The fields a 400's details name. */
function detailFields(body: unknown): string[] {
  const details = (body as ErrorBody).error.details;
  return Array.isArray(details) ? details.map((d: { field: string }) => d.field) : [];
}

function expect400For(response: { status: number; body: unknown }, field: string) {
  expect(response.status).toBe(400);
  expect(expectEnvelope(response.body).code).toBe("invalid_request");
  expect(detailFields(response.body).some((f) => f === field || f.startsWith(`${field}.`))).toBe(
    true,
  );
}

/** A metadata object whose JSON is exactly `bytes` long. */
function metadataOfSize(bytes: number): Record<string, string> {
  const overhead = JSON.stringify({ k: "" }).length;
  return { k: "x".repeat(bytes - overhead) };
}

const token = () => `t${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}`;

describe("POST /v1/workspaces", () => {
  it("Should create a running workspace and answer 201 with the workspace itself and an ETag", async () => {
    const account = await createAccount();
    const slug = uniqueSlug();
    const response = await create(account, { name: "Alpha", slug });
    expect(response.status).toBe(201);
    const ws = response.body;
    expect(ws).not.toHaveProperty("workspace");
    expect(ws.id).toMatch(WORKSPACE_ID);
    expect(ws.slug).toBe(slug);
    expect(ws.name).toBe("Alpha");
    expect(ws.status).toBe("running");
    expect(ws.account_id).toBe(account.accountId);
    expect(response.headers.get("etag")).toBe(`"${ws.etag}"`);
    expect(response.headers.get("location")).toBe(`/v1/workspaces/${ws.id}`);
  });

  it("Should fill defaults for every omitted field", async () => {
    const account = await createAccount();
    const ws = (await create(account, { name: "Defaults" })).body;
    expect(ws).toMatchObject({
      description: null,
      mode: null,
      color: null,
      error_reason: null,
      tags: [],
      metadata: {},
      config: {},
      template_id: null,
      template_version: null,
      repo_path: null,
      branch: null,
      cwd: null,
      machine_id: null,
      stopped_at: null,
      archived_at: null,
    });
    expect(ws.created_at).toBe(ws.updated_at);
  });

  it("Should store every writable field it is given", async () => {
    const account = await createAccount();
    const input = {
      name: "Full",
      slug: uniqueSlug(),
      description: "All the fields",
      mode: "agent",
      color: "#1e90ff",
      tags: [
        { scope: "team", value: "platform" },
        { scope: "env", value: "prod" },
      ],
      metadata: { owner: { id: 7, roles: ["a", "b"] } },
      config: { runtime: { memory: 512 } },
      template_id: "tpl_1",
      template_version: "v2",
      repo_path: "/src/repo",
      branch: "main",
      cwd: "/src/repo/app",
      machine_id: "m-1",
    };
    const response = await create(account, input);
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject(input);
    const got = await get(account, response.body.id);
    expect(got.body).toMatchObject(input);
  });

  it("Should derive a slug from the name when none is given, and a distinct one on a clash", async () => {
    const account = await createAccount();
    const first = await create(account, { name: "My Great Project!" });
    const second = await create(account, { name: "My Great Project!" });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(first.body.slug).toBe("my-great-project");
    expect(second.body.slug).toMatch(/^my-great-project-[a-z0-9]+$/);
    expect(second.body.slug).not.toBe(first.body.slug);
  });

  it("Should give sortable ids in creation order", async () => {
    const account = await createAccount();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await createWorkspace(account)).id);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) expect(id).toMatch(WORKSPACE_ID);
  });

  it("Should be 409 when the slug is already used in the account", async () => {
    const account = await createAccount();
    const slug = uniqueSlug();
    await createWorkspace(account, { slug });
    const clash = await create(account, { name: "Other", slug });
    expect(clash.status).toBe(409);
    expect(expectEnvelope(clash.body).code).toBe("conflict");
    expect(detailFields(clash.body)).toContain("slug");
    expect((await list(account)).body.total).toBe(1);
  });

  it("Should let two accounts use the same slug", async () => {
    const a = await createAccount();
    const b = await createAccount();
    const slug = uniqueSlug();
    const wa = await createWorkspace(a, { slug });
    const wb = await createWorkspace(b, { slug });
    expect(wa.id).not.toBe(wb.id);
    expect((await get(a, slug)).body.id).toBe(wa.id);
    expect((await get(b, slug)).body.id).toBe(wb.id);
  });

  it("Should accept every field at its maximum size", async () => {
    const account = await createAccount();
    const response = await create(account, {
      name: "n".repeat(255),
      slug: `a${"b".repeat(61)}${Date.now() % 10}`,
      description: "d".repeat(1000),
      tags: Array.from({ length: 50 }, (_, i) => ({ scope: "s", value: `v${i}` })),
      metadata: metadataOfSize(16 * 1024),
    });
    expect(response.status).toBe(201);
    expect(response.body.slug).toHaveLength(63);
    expect(response.body.tags).toHaveLength(50);
  });

  it.each([
    ["a missing name", {}, "name"],
    ["an empty name", { name: "" }, "name"],
    ["a whitespace-only name", { name: "   " }, "name"],
    ["a 256-character name", { name: "n".repeat(256) }, "name"],
    ["a numeric name", { name: 5 }, "name"],
    ["an empty slug", { name: "x", slug: "" }, "slug"],
    ["an upper-case slug", { name: "x", slug: "My-Slug" }, "slug"],
    ["a slug with an underscore", { name: "x", slug: "my_slug" }, "slug"],
    ["a slug with a space", { name: "x", slug: "my slug" }, "slug"],
    ["a 64-character slug", { name: "x", slug: "s".repeat(64) }, "slug"],
    ["a 1001-character description", { name: "x", description: "d".repeat(1001) }, "description"],
    ["metadata over 16 KiB", { name: "x", metadata: metadataOfSize(16 * 1024 + 1) }, "metadata"],
    ["metadata that is an array", { name: "x", metadata: [1, 2] }, "metadata"],
    [
      "51 tags",
      { name: "x", tags: Array.from({ length: 51 }, (_, i) => ({ scope: "s", value: `${i}` })) },
      "tags",
    ],
    ["a tag scope with a colon", { name: "x", tags: [{ scope: "a:b", value: "c" }] }, "tags"],
    ["a tag without a value", { name: "x", tags: [{ scope: "a" }] }, "tags"],
    ["a colour that is not hex", { name: "x", color: "blue" }, "color"],
    ["an unknown field", { name: "x", owner: "me" }, "body"],
  ])("Should be 400 naming the field for %s", async (_label, body, field) => {
    const account = await createAccount();
    const response = await create(account, body);
    if (field === "body") {
      expect(response.status).toBe(400);
      expect(expectEnvelope(response.body).code).toBe("invalid_request");
    } else {
      expect400For(response, field);
    }
    expect((await list(account)).body.total).toBe(0);
  });

  it("Should not let the body choose the id, status, account or etag", async () => {
    const account = await createAccount();
    const response = await create(account, {
      name: "x",
      id: "ws_00000000000000000000000000",
      status: "archived",
      account_id: "acc_other",
      etag: "mine",
    });
    expect(response.status).toBe(400);
  });
});

describe("GET /v1/workspaces/{ws}", () => {
  it("Should get a workspace by id with its codebases and an ETag", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account, { name: "Getme" });
    const response = await get(account, ws.id);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: ws.id, name: "Getme", slug: ws.slug });
    expect(response.body.codebases).toEqual([]);
    expect(response.headers.get("etag")).toBe(`"${ws.etag}"`);
    const { codebases: _ignored, ...rest } = response.body;
    expect(rest).toEqual(ws);
  });

  it("Should get the same workspace by slug", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const byId = await get(account, ws.id);
    const bySlug = await get(account, ws.slug);
    expect(bySlug.status).toBe(200);
    expect(bySlug.body).toEqual(byId.body);
  });

  it.each([
    ["an unknown id", "ws_0000000000000000000000zzzz"],
    ["an unknown slug", "no-such-workspace"],
    ["a reference that is neither id nor slug", "Not_A_Slug"],
    ["an id-like reference with upper case", "ws_0000000000000000000000ZZZZ"],
  ])("Should be 404 for %s", async (_label, ref) => {
    const account = await createAccount();
    const response = await get(account, ref);
    expect(response.status).toBe(404);
    expect(expectEnvelope(response.body).code).toBe("not_found");
  });

  it("Should be 404 for another account's workspace, by id and by slug", async () => {
    const owner = await createAccount();
    const other = await createAccount();
    const ws = await createWorkspace(owner);
    expect((await get(other, ws.id)).status).toBe(404);
    expect((await get(other, ws.slug)).status).toBe(404);
  });
});

describe("GET /v1/workspaces", () => {
  it("Should list the account's workspaces newest first with a total", async () => {
    const account = await createAccount();
    const created: WorkspaceBody[] = [];
    for (let i = 0; i < 3; i++) created.push(await createWorkspace(account, { name: `L${i}` }));
    const response = await list(account);
    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual(["items", "next_cursor", "total"]);
    expect(response.body.items.map((w) => w.id)).toEqual(created.map((w) => w.id).reverse());
    expect(response.body.total).toBe(3);
    expect(response.body.next_cursor).toBeNull();
    expect(response.body.items[0]).toEqual(created[2]);
  });

  it("Should answer an empty page for an account without workspaces", async () => {
    const account = await createAccount();
    const response = await list(account);
    expect(response.body).toEqual({ items: [], next_cursor: null, total: 0 });
  });

  it("Should list only the caller's workspaces", async () => {
    const a = await createAccount();
    const b = await createAccount();
    const wa = await createWorkspace(a);
    await createWorkspace(b);
    const response = await list(a);
    expect(response.body.items.map((w) => w.id)).toEqual([wa.id]);
    expect(response.body.total).toBe(1);
  });

  it("Should walk every page without gaps or duplicates", async () => {
    const account = await createAccount();
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await createWorkspace(account)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query = `limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page: Awaited<ReturnType<typeof list>> = await list(account, query);
      expect(page.status).toBe(200);
      expect(page.body.total).toBe(8);
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.items.map((w) => w.id));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it("Should neither repeat nor skip items when workspaces are created or deleted between pages", async () => {
    const account = await createAccount();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await createWorkspace(account)).id);
    const newestFirst = [...ids].reverse();
    const first = await list(account, "limit=2");
    expect(first.body.items.map((w) => w.id)).toEqual(newestFirst.slice(0, 2));

    // A newer workspace appears, and one not yet seen is deleted.
    const newer = await createWorkspace(account);
    expect((await del(account, newestFirst[3] as string)).status).toBe(204);

    const rest: string[] = [];
    let cursor = first.body.next_cursor;
    while (cursor) {
      const page = await list(account, `limit=2&cursor=${encodeURIComponent(cursor)}`);
      expect(page.status).toBe(200);
      expect(page.body.total).toBe(6);
      rest.push(...page.body.items.map((w) => w.id));
      cursor = page.body.next_cursor;
    }
    expect(rest).toEqual([newestFirst[2], newestFirst[4], newestFirst[5]]);
    expect(rest).not.toContain(newer.id);
  });

  it("Should give no next_cursor when the last page is exactly full", async () => {
    const account = await createAccount();
    for (let i = 0; i < 4; i++) await createWorkspace(account);
    const first = await list(account, "limit=2");
    expect(first.body.next_cursor).not.toBeNull();
    const second = await list(
      account,
      `limit=2&cursor=${encodeURIComponent(first.body.next_cursor ?? "")}`,
    );
    expect(second.body.items).toHaveLength(2);
    expect(second.body.next_cursor).toBeNull();
  });

  it("Should default to 20 items per page and accept up to 100", async () => {
    const account = await createAccount();
    for (let i = 0; i < 21; i++) await createWorkspace(account);
    const page = await list(account);
    expect(page.body.items).toHaveLength(20);
    expect(page.body.total).toBe(21);
    expect(page.body.next_cursor).not.toBeNull();
    const big = await list(account, "limit=100");
    expect(big.body.items).toHaveLength(21);
    expect(big.body.next_cursor).toBeNull();
    const one = await list(account, "limit=1");
    expect(one.body.items).toHaveLength(1);
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=101", "limit"],
    ["limit=abc", "limit"],
    ["limit=2.5", "limit"],
    ["status=sleeping", "status"],
    ["cursor=not-a-cursor", "cursor"],
    [`cursor=${btoa(JSON.stringify({ nope: 1 }))}`, "cursor"],
    ["tag=nocolon", "tag"],
    ["tag=:value", "tag"],
    ["tag=scope:", "tag"],
    [Array.from({ length: 11 }, (_, i) => `tag=s:${i}`).join("&"), "tag"],
  ])("Should be 400 for the query %s", async (query, field) => {
    const account = await createAccount();
    expect400For(await list(account, query), field);
  });

  it("Should filter by status", async () => {
    const account = await createAccount();
    const running = await createWorkspace(account);
    const stopped = await createWorkspace(account);
    const stop = await api("POST", `/v1/workspaces/${stopped.id}/stop`, { key: account.key });
    expect(stop.status).toBe(200);
    const onlyRunning = await list(account, "status=running");
    expect(onlyRunning.body.items.map((w) => w.id)).toEqual([running.id]);
    expect(onlyRunning.body.total).toBe(1);
    const onlyStopped = await list(account, "status=stopped");
    expect(onlyStopped.body.items.map((w) => w.id)).toEqual([stopped.id]);
    expect(onlyStopped.body.items[0]?.status).toBe("stopped");
    expect((await list(account, "status=archived")).body.total).toBe(0);
  });

  it("Should filter by one tag and require every repeated tag", async () => {
    const account = await createAccount();
    const both = await createWorkspace(account, {
      tags: [
        { scope: "team", value: "a" },
        { scope: "env", value: "prod" },
      ],
    });
    const teamOnly = await createWorkspace(account, { tags: [{ scope: "team", value: "a" }] });
    await createWorkspace(account, { tags: [{ scope: "team", value: "b" }] });
    await createWorkspace(account);

    const team = await list(account, "tag=team:a");
    expect(team.body.items.map((w) => w.id)).toEqual([teamOnly.id, both.id]);
    expect(team.body.total).toBe(2);

    const combined = await list(account, "tag=team:a&tag=env:prod");
    expect(combined.body.items.map((w) => w.id)).toEqual([both.id]);
    expect(combined.body.total).toBe(1);

    // scope and value must match as a pair.
    expect((await list(account, "tag=env:a")).body.total).toBe(0);
    expect((await list(account, "tag=team:prod")).body.total).toBe(0);
  });

  it("Should split a tag filter at its first colon so values may contain colons", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account, {
      tags: [{ scope: "link", value: "https://example.com:8080/x" }],
    });
    const response = await list(
      account,
      `tag=${encodeURIComponent("link:https://example.com:8080/x")}`,
    );
    expect(response.status).toBe(200);
    expect(response.body.items.map((w) => w.id)).toEqual([ws.id]);
  });

  it("Should match q against name, slug and description", async () => {
    const account = await createAccount();
    const t = token();
    const byName = await createWorkspace(account, { name: `Name ${t} here` });
    const bySlug = await createWorkspace(account, { slug: `${t}-slug` });
    const byDescription = await createWorkspace(account, { description: `About ${t}.` });
    await createWorkspace(account, { name: "Unrelated" });
    const response = await list(account, `q=${t}`);
    expect(response.body.items.map((w) => w.id).sort()).toEqual(
      [byName.id, bySlug.id, byDescription.id].sort(),
    );
    expect(response.body.total).toBe(3);
  });

  it("Should treat % and _ in q as literal characters", async () => {
    const account = await createAccount();
    const percent = await createWorkspace(account, { name: "Sale 100% off" });
    await createWorkspace(account, { name: "Sale 1000 off" });
    const underscore = await createWorkspace(account, { name: "snake a_b case" });
    await createWorkspace(account, { name: "snake axb case" });
    const backslash = await createWorkspace(account, { name: "path C:\\temp" });
    await createWorkspace(account, { name: "path C:temp" });

    const pct = await list(account, `q=${encodeURIComponent("100%")}`);
    expect(pct.body.items.map((w) => w.id)).toEqual([percent.id]);
    expect(pct.body.total).toBe(1);

    const under = await list(account, `q=${encodeURIComponent("a_b")}`);
    expect(under.body.items.map((w) => w.id)).toEqual([underscore.id]);

    const onlyPercent = await list(account, `q=${encodeURIComponent("%")}`);
    expect(onlyPercent.body.items.map((w) => w.id)).toEqual([percent.id]);

    const slash = await list(account, `q=${encodeURIComponent("C:\\")}`);
    expect(slash.body.items.map((w) => w.id)).toEqual([backslash.id]);
  });

  it("Should answer a q of the maximum length (200) without a server error", async () => {
    const account = await createAccount();
    const long = `${token()}-${"x".repeat(150)}`;
    const ws = await createWorkspace(account, { description: `prefix ${long} suffix` });
    await createWorkspace(account);
    const response = await list(account, `q=${encodeURIComponent(long)}`);
    expect(response.status).toBe(200);
    expect(response.body.items.map((w) => w.id)).toEqual([ws.id]);
    const max = await list(account, `q=${"%".repeat(200)}`.replace(/%/g, "%25"));
    expect(max.status).toBe(200);
    expect(max.body.total).toBe(0);
    expect400For(await list(account, `q=${"y".repeat(201)}`), "q");
  });

  it("Should answer a long non-ASCII q without a server error", async () => {
    const account = await createAccount();
    const name = `Überprüfung ${"ä".repeat(60)} ${token()}`;
    const ws = await createWorkspace(account, { name });
    const response = await list(account, `q=${encodeURIComponent(name)}`);
    expect(response.status).toBe(200);
    expect(response.body.items.map((w) => w.id)).toEqual([ws.id]);
  });

  it("Should match q case-insensitively for ASCII letters", async () => {
    const account = await createAccount();
    const t = token();
    const ws = await createWorkspace(account, { name: `Mixed Case ${t}` });
    const response = await list(
      account,
      `q=${encodeURIComponent(`mIXED cASE ${t.toUpperCase()}`)}`,
    );
    expect(response.body.items.map((w) => w.id)).toEqual([ws.id]);
  });

  it("Should combine status, tag and q filters (all must hold) and paginate the result", async () => {
    const account = await createAccount();
    const t = token();
    const tags = [{ scope: "team", value: "core" }];
    const match1 = await createWorkspace(account, { name: `${t} one`, tags });
    const match2 = await createWorkspace(account, { name: `${t} two`, tags });
    const wrongStatus = await createWorkspace(account, { name: `${t} three`, tags });
    await api("POST", `/v1/workspaces/${wrongStatus.id}/stop`, { key: account.key });
    await createWorkspace(account, { name: `${t} four`, tags: [{ scope: "team", value: "x" }] });
    await createWorkspace(account, { name: "no token", tags });

    const query = `status=running&tag=team:core&q=${t}`;
    const all = await list(account, query);
    expect(all.body.items.map((w) => w.id)).toEqual([match2.id, match1.id]);
    expect(all.body.total).toBe(2);

    const first = await list(account, `${query}&limit=1`);
    expect(first.body.items.map((w) => w.id)).toEqual([match2.id]);
    expect(first.body.total).toBe(2);
    const second = await list(
      account,
      `${query}&limit=1&cursor=${encodeURIComponent(first.body.next_cursor ?? "")}`,
    );
    expect(second.body.items.map((w) => w.id)).toEqual([match1.id]);
    expect(second.body.next_cursor).toBeNull();
  });
});

describe("PATCH /v1/workspaces/{ws}", () => {
  it("Should change the given fields, keep the rest and answer a new ETag", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account, { name: "Before", description: "keep me" });
    const response = await patch(account, ws.id, { name: "After" });
    expect(response.status).toBe(200);
    expect(response.body.name).toBe("After");
    expect(response.body.description).toBe("keep me");
    expect(response.body.slug).toBe(ws.slug);
    expect(response.body.etag).not.toBe(ws.etag);
    expect(response.headers.get("etag")).toBe(`"${response.body.etag}"`);
    expect(response.body.created_at).toBe(ws.created_at);
    expect(String(response.body.updated_at) >= String(ws.updated_at)).toBe(true);
    const got = await get(account, ws.id);
    const { codebases: _ignored, ...rest } = got.body;
    expect(rest).toEqual(response.body);
  });

  it("Should patch by slug", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const response = await patch(account, ws.slug, { description: "via slug" });
    expect(response.status).toBe(200);
    expect(response.body.id).toBe(ws.id);
  });

  it("Should deep-merge metadata, with null deleting a key", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account, {
      metadata: { a: { b: 1, c: 2, deep: { x: 1 } }, d: 1, list: [1, 2, 3] },
    });
    const response = await patch(account, ws.id, {
      metadata: { a: { c: null, e: 3, deep: { y: 2 } }, d: null, f: "new", list: [9] },
    });
    expect(response.status).toBe(200);
    expect(response.body.metadata).toEqual({
      a: { b: 1, e: 3, deep: { x: 1, y: 2 } },
      f: "new",
      list: [9],
    });
    expect((await get(account, ws.id)).body.metadata).toEqual(response.body.metadata);
  });

  it("Should deep-merge config the same way", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account, {
      config: { runtime: { memory: 512, cpu: 1 }, env: { A: "1" } },
    });
    const response = await patch(account, ws.id, {
      config: { runtime: { cpu: null, disk: 10 }, env: null },
    });
    expect(response.body.config).toEqual({ runtime: { memory: 512, disk: 10 } });
  });

  it("Should replace a nested object with a scalar and a scalar with an object", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account, { metadata: { a: { b: 1 }, c: 1 } });
    const response = await patch(account, ws.id, { metadata: { a: "flat", c: { d: 2 } } });
    expect(response.body.metadata).toEqual({ a: "flat", c: { d: 2 } });
  });

  it("Should clear nullable fields given null", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account, {
      description: "desc",
      color: "#fff",
      mode: "agent",
      branch: "main",
      template_id: "tpl",
    });
    const response = await patch(account, ws.id, {
      description: null,
      color: null,
      mode: null,
      branch: null,
      template_id: null,
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      description: null,
      color: null,
      mode: null,
      branch: null,
      template_id: null,
    });
  });

  it("Should replace tags as a whole", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account, { tags: [{ scope: "a", value: "1" }] });
    const response = await patch(account, ws.id, { tags: [{ scope: "b", value: "2" }] });
    expect(response.body.tags).toEqual([{ scope: "b", value: "2" }]);
  });

  it.each([
    ["a null name", { name: null }, "name"],
    ["an empty name", { name: "" }, "name"],
    ["a null slug", { slug: null }, "slug"],
    ["an invalid slug", { slug: "Bad Slug" }, "slug"],
    ["a 1001-character description", { description: "d".repeat(1001) }, "description"],
    [
      "51 tags",
      { tags: Array.from({ length: 51 }, (_, i) => ({ scope: "s", value: `${i}` })) },
      "tags",
    ],
    ["metadata that is not an object", { metadata: "text" }, "metadata"],
  ])("Should be 400 naming the field for %s and change nothing", async (_label, body, field) => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    expect400For(await patch(account, ws.id, body), field);
    expect((await get(account, ws.id)).body.etag).toBe(ws.etag);
  });

  it("Should be 400 when metadata would exceed 16 KiB after the merge, and change nothing", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account, { metadata: { first: "x".repeat(10_000) } });
    const response = await patch(account, ws.id, { metadata: { second: "y".repeat(10_000) } });
    expect400For(response, "metadata");
    const got = await get(account, ws.id);
    expect(got.body.etag).toBe(ws.etag);
    expect(Object.keys(got.body.metadata)).toEqual(["first"]);
    // Making room in the same patch is fine.
    const swap = await patch(account, ws.id, {
      metadata: { first: null, second: "y".repeat(10_000) },
    });
    expect(swap.status).toBe(200);
    expect(Object.keys(swap.body.metadata)).toEqual(["second"]);
  });

  it("Should rename the slug and free the old one", async () => {
    const account = await createAccount();
    const oldSlug = uniqueSlug("old");
    const newSlug = uniqueSlug("new");
    const ws = await createWorkspace(account, { slug: oldSlug });
    const response = await patch(account, ws.id, { slug: newSlug });
    expect(response.status).toBe(200);
    expect(response.body.slug).toBe(newSlug);
    expect((await get(account, newSlug)).body.id).toBe(ws.id);
    expect((await get(account, oldSlug)).status).toBe(404);
    const reused = await create(account, { name: "Reuses old slug", slug: oldSlug });
    expect(reused.status).toBe(201);
    expect(reused.body.id).not.toBe(ws.id);
  });

  it("Should be 409 when renaming to a slug the account already uses, and change nothing", async () => {
    const account = await createAccount();
    const taken = await createWorkspace(account);
    const ws = await createWorkspace(account, { name: "Unchanged" });
    const response = await patch(account, ws.id, { slug: taken.slug, name: "Changed" });
    expect(response.status).toBe(409);
    expect(detailFields(response.body)).toContain("slug");
    const got = await get(account, ws.id);
    expect(got.body.name).toBe("Unchanged");
    expect(got.body.slug).toBe(ws.slug);
    expect(got.body.etag).toBe(ws.etag);
    const listed = (await list(account)).body.items.find((w) => w.id === ws.id);
    expect(listed?.name).toBe("Unchanged");
  });

  it("Should keep the D1 mirror consistent: the list shows the patched record", async () => {
    const account = await createAccount();
    const t = token();
    const ws = await createWorkspace(account, {
      name: "Original",
      tags: [{ scope: "k", value: "v1" }],
    });
    const patched = await patch(account, ws.id, {
      name: `Renamed ${t}`,
      description: "new description",
      tags: [{ scope: "k", value: "v2" }],
    });
    expect(patched.status).toBe(200);
    const listed = await list(account);
    expect(listed.body.items.find((w) => w.id === ws.id)).toEqual(patched.body);
    expect((await list(account, `q=${t}`)).body.items.map((w) => w.id)).toEqual([ws.id]);
    expect((await list(account, "q=Original")).body.total).toBe(0);
    expect((await list(account, "tag=k:v2")).body.items.map((w) => w.id)).toEqual([ws.id]);
    expect((await list(account, "tag=k:v1")).body.total).toBe(0);
  });

  describe("If-Match", () => {
    it("Should be 412 with a stale etag and change nothing", async () => {
      const account = await createAccount();
      const ws = await createWorkspace(account, { name: "v1" });
      const first = await patch(account, ws.id, { name: "v2" }, { "if-match": `"${ws.etag}"` });
      expect(first.status).toBe(200);
      const stale = await patch(account, ws.id, { name: "v3" }, { "if-match": `"${ws.etag}"` });
      expect(stale.status).toBe(412);
      expect(expectEnvelope(stale.body).code).toBe("precondition_failed");
      const got = await get(account, ws.id);
      expect(got.body.name).toBe("v2");
      expect(got.body.etag).toBe(first.body.etag);
    });

    it.each([
      ["the current quoted etag", (etag: string) => `"${etag}"`],
      ["the current unquoted etag", (etag: string) => etag],
      ["a weak form of the current etag", (etag: string) => `W/"${etag}"`],
      ["*", () => "*"],
      ["a list that includes the current etag", (etag: string) => `"stale", "${etag}"`],
    ])("Should pass with %s", async (_label, header) => {
      const account = await createAccount();
      const ws = await createWorkspace(account);
      const response = await patch(account, ws.id, { name: "ok" }, { "if-match": header(ws.etag) });
      expect(response.status).toBe(200);
    });

    it("Should be 412 for an etag that never existed", async () => {
      const account = await createAccount();
      const ws = await createWorkspace(account);
      const response = await patch(account, ws.id, { name: "x" }, { "if-match": '"bogus"' });
      expect(response.status).toBe(412);
    });
  });

  it("Should be 404 for another account's workspace and leave it unchanged", async () => {
    const owner = await createAccount();
    const other = await createAccount();
    const ws = await createWorkspace(owner, { name: "Mine" });
    expect((await patch(other, ws.id, { name: "Stolen" })).status).toBe(404);
    expect((await get(owner, ws.id)).body.name).toBe("Mine");
  });
});

describe("PUT /v1/workspaces/{ws}", () => {
  it("Should accept the object a GET returned, with changes, ignoring its read-only fields", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account, { description: "before", color: "#abcdef" });
    const read = await api<WorkspaceBody>("GET", `/v1/workspaces/${ws.id}`, { key: account.key });
    const response = await put(account, ws.id, {
      ...read.body,
      name: "Round trip",
      description: null,
      status: "stopped",
      etag: "forged",
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: ws.id,
      name: "Round trip",
      description: null,
      color: "#abcdef",
      status: "running",
    });
    expect(response.body.etag).not.toBe("forged");
    expect(response.body.etag).not.toBe(read.body.etag);
  });

  it("Should still be 400 for an unknown field in a PUT body", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const response = await put(account, ws.id, { name: "x", colour: "#fff" });
    expect(response.status).toBe(400);
    expect(expectEnvelope(response.body).code).toBe("invalid_request");
  });

  it("Should replace the writable fields and reset omitted ones to defaults", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account, {
      name: "Full",
      description: "desc",
      color: "#123456",
      tags: [{ scope: "a", value: "b" }],
      metadata: { keep: false },
      config: { c: 1 },
      branch: "dev",
    });
    const response = await put(account, ws.id, { name: "Replaced", metadata: { only: true } });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: ws.id,
      name: "Replaced",
      slug: ws.slug,
      description: null,
      color: null,
      tags: [],
      metadata: { only: true },
      config: {},
      branch: null,
      status: "running",
      created_at: ws.created_at,
    });
    expect(response.body.etag).not.toBe(ws.etag);
    expect(response.headers.get("etag")).toBe(`"${response.body.etag}"`);
    const listed = (await list(account)).body.items.find((w) => w.id === ws.id);
    expect(listed).toEqual(response.body);
    expect((await list(account, "tag=a:b")).body.total).toBe(0);
  });

  it("Should change the slug when one is given and free the old one", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const newSlug = uniqueSlug("put");
    const response = await put(account, ws.slug, { name: "x", slug: newSlug });
    expect(response.body.slug).toBe(newSlug);
    expect((await get(account, ws.slug)).status).toBe(404);
    expect((await get(account, newSlug)).body.id).toBe(ws.id);
  });

  it("Should be 409 when the new slug is taken", async () => {
    const account = await createAccount();
    const taken = await createWorkspace(account);
    const ws = await createWorkspace(account);
    const response = await put(account, ws.id, { name: "x", slug: taken.slug });
    expect(response.status).toBe(409);
    expect((await get(account, ws.id)).body.etag).toBe(ws.etag);
  });

  it.each([
    ["a missing name", { description: "no name" }, "name"],
    ["a 256-character name", { name: "n".repeat(256) }, "name"],
    ["metadata over 16 KiB", { name: "x", metadata: metadataOfSize(16 * 1024 + 1) }, "metadata"],
  ])("Should be 400 for %s", async (_label, body, field) => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    expect400For(await put(account, ws.id, body), field);
    expect((await get(account, ws.id)).body.etag).toBe(ws.etag);
  });

  it("Should be 412 with a stale If-Match and pass with the current one", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const stale = await put(account, ws.id, { name: "x" }, { "if-match": '"stale"' });
    expect(stale.status).toBe(412);
    const ok = await put(account, ws.id, { name: "x" }, { "if-match": `"${ws.etag}"` });
    expect(ok.status).toBe(200);
    const star = await put(account, ws.id, { name: "y" }, { "if-match": "*" });
    expect(star.status).toBe(200);
  });
});

describe("DELETE /v1/workspaces/{ws}", () => {
  it("Should delete with 204, then GET is 404 and the list no longer has it", async () => {
    const account = await createAccount();
    const keep = await createWorkspace(account);
    const ws = await createWorkspace(account);
    const response = await del(account, ws.id);
    expect(response.status).toBe(204);
    expect(response.body).toBe("");
    expect((await get(account, ws.id)).status).toBe(404);
    expect((await get(account, ws.slug)).status).toBe(404);
    const listed = await list(account);
    expect(listed.body.items.map((w) => w.id)).toEqual([keep.id]);
    expect(listed.body.total).toBe(1);
  });

  it("Should delete by slug", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    expect((await del(account, ws.slug)).status).toBe(204);
    expect((await get(account, ws.id)).status).toBe(404);
  });

  it("Should free the slug for a new workspace", async () => {
    const account = await createAccount();
    const slug = uniqueSlug();
    const ws = await createWorkspace(account, { slug });
    await del(account, ws.id);
    const again = await create(account, { name: "Again", slug });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(ws.id);
    expect((await get(account, slug)).body.id).toBe(again.body.id);
  });

  it("Should be 404, not 5xx, when deleted again or written after deletion", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    expect((await del(account, ws.id)).status).toBe(204);
    const again = await del(account, ws.id);
    expect(again.status).toBe(404);
    expect(expectEnvelope(again.body).code).toBe("not_found");
    expect((await patch(account, ws.id, { name: "ghost" })).status).toBe(404);
    expect((await put(account, ws.id, { name: "ghost" })).status).toBe(404);
    expect((await del(account, ws.slug)).status).toBe(404);
  });

  it("Should be 412 with a stale If-Match and keep the workspace", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const stale = await del(account, ws.id, { "if-match": '"stale"' });
    expect(stale.status).toBe(412);
    expect((await get(account, ws.id)).status).toBe(200);
    const ok = await del(account, ws.id, { "if-match": `"${ws.etag}"` });
    expect(ok.status).toBe(204);
  });

  it("Should pass with If-Match *", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    expect((await del(account, ws.id, { "if-match": "*" })).status).toBe(204);
  });

  it("Should be 404 for another account's workspace and leave it in place", async () => {
    const owner = await createAccount();
    const other = await createAccount();
    const ws = await createWorkspace(owner);
    expect((await del(other, ws.id)).status).toBe(404);
    expect((await get(owner, ws.id)).status).toBe(200);
  });

  it("Should wipe the R2 prefix and the Durable Object's storage when the alarm runs", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const neighbour = await createWorkspace(account);
    const prefix = `ws/${ws.id}/`;
    await env.FILES.put(`${prefix}o/file-1.txt`, "one");
    await env.FILES.put(`${prefix}o/nested/file-2.txt`, "two");
    await env.FILES.put(`${prefix}threads/t1.json`, "{}");
    const neighbourKey = `ws/${neighbour.id}/o/keep.txt`;
    await env.FILES.put(neighbourKey, "keep");

    expect((await del(account, ws.id)).status).toBe(204);

    const stub = env.WORKSPACE.get(env.WORKSPACE.idFromName(ws.id));
    // The alarm is set for "now", so it may already be running on its own; runDurableObjectAlarm
    // then has nothing to run. Either way, wait for the wipe to be complete.
    await runDurableObjectAlarm(stub);
    const userTables = () =>
      runInDurableObject(stub, (_instance, state) =>
        state.storage.sql
          .exec("SELECT name FROM sqlite_master WHERE type = 'table'")
          .toArray()
          .map((row) => String(row.name))
          .filter((name) => !name.startsWith("_cf_") && !name.startsWith("sqlite_")),
      );
    await vi.waitFor(
      async () => {
        expect((await env.FILES.list({ prefix })).objects).toEqual([]);
        expect(await userTables()).toEqual([]);
      },
      { timeout: 5_000, interval: 50 },
    );
    expect(await env.FILES.get(neighbourKey)).not.toBeNull();
    expect(
      await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm()),
    ).toBeNull();

    // And the workspace stays gone; running the alarm again is harmless.
    expect((await get(account, ws.id)).status).toBe(404);
    await runDurableObjectAlarm(stub);
    expect((await get(account, ws.id)).status).toBe(404);
    expect((await get(account, neighbour.id)).status).toBe(200);
  });
});
