import { beforeAll, describe, expect, it } from "vitest";
import { putFile } from "../src/features/files/test/file-helpers";
import { api, createAccount, createWorkspace, expectEnvelope, type TestAccount } from "./helpers";

// Every list takes `cursor`, or `offset`, or `page` with `limit` (the source systems send all
// three): the same rows, in the list's own order, whichever way a client pages.

interface Page {
  items: Record<string, unknown>[];
  next_cursor: string | null;
  total?: number;
}

let account: TestAccount;
let ws: string;

const get = async (path: string) => {
  const response = await api<Page>("GET", path, { key: account.key });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
};

/** Every item of a list, paged through by cursor two at a time. */
async function allByCursor(path: string, key: string) {
  const seen: unknown[] = [];
  let cursor: string | null = null;
  const join = path.includes("?") ? "&" : "?";
  do {
    const suffix: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const page = await get(`${path}${join}limit=2${suffix}`);
    seen.push(...page.items.map((item) => item[key]));
    cursor = page.next_cursor;
  } while (cursor);
  return seen;
}

beforeAll(async () => {
  account = await createAccount();
  ws = (await createWorkspace(account, { name: "paged" })).id;
  for (const name of ["a", "b", "c", "d", "e"]) {
    await putFile(account, ws, `docs/${name}.txt`, name);
    const command = await api("POST", `/v1/workspaces/${ws}/commands`, {
      key: account.key,
      body: { trigger: `cmd-${name}`, type: "prompt", body: `say ${name}` },
    });
    expect(command.status).toBe(201);
    const thread = await api("POST", `/v1/workspaces/${ws}/threads`, {
      key: account.key,
      body: { title: name },
    });
    expect(thread.status).toBe(201);
  }
});

const lists = [
  { name: "directory", path: () => `/v1/workspaces/${ws}/directories?path=docs`, key: "path" },
  { name: "commands", path: () => `/v1/workspaces/${ws}/commands`, key: "trigger" },
  { name: "threads", path: () => `/v1/workspaces/${ws}/threads`, key: "id" },
];

describe.each(lists)("the $name list", ({ path, key }) => {
  it("Should answer `offset` with the rows the cursor reaches after as many", async () => {
    const all = await allByCursor(path(), key);
    expect(all.length).toBeGreaterThanOrEqual(5);
    const join = path().includes("?") ? "&" : "?";
    for (const offset of [0, 1, 3]) {
      const page = await get(`${path()}${join}offset=${offset}&limit=2`);
      expect(page.items.map((item) => item[key])).toEqual(all.slice(offset, offset + 2));
    }
    const beyond = await get(`${path()}${join}offset=${all.length}&limit=2`);
    expect(beyond).toMatchObject({ items: [], next_cursor: null });
  });

  it("Should answer `page` n of `limit` rows as offset (n - 1) × limit, and go on by cursor", async () => {
    const all = await allByCursor(path(), key);
    const join = path().includes("?") ? "&" : "?";
    const second = await get(`${path()}${join}page=2&limit=2`);
    expect(second.items.map((item) => item[key])).toEqual(all.slice(2, 4));
    expect(second.next_cursor).not.toBeNull();
    const next = await get(
      `${path()}${join}limit=2&cursor=${encodeURIComponent(second.next_cursor ?? "")}`,
    );
    expect(next.items.map((item) => item[key])).toEqual(all.slice(4, 6));
  });

  it("Should refuse two ways of saying where the page starts, and a bad offset", async () => {
    const join = path().includes("?") ? "&" : "?";
    for (const query of ["offset=1&page=2", "offset=-1", "page=0", "offset=x", "offset=100001"]) {
      const response = await api("GET", `${path()}${join}${query}`, { key: account.key });
      expect(response.status, query).toBe(400);
      expect(expectEnvelope(response.body).code).toBe("invalid_request");
    }
    const first = await get(`${path()}${join}limit=1`);
    const both = await api(
      "GET",
      `${path()}${join}offset=1&cursor=${encodeURIComponent(first.next_cursor ?? "")}`,
      { key: account.key },
    );
    expect(both.status).toBe(400);
  });
});

describe("the workspace list", () => {
  it("Should take offset with its total, and B's status=active as every status but archived", async () => {
    const own = await createAccount();
    const ids: string[] = [];
    for (const name of ["w1", "w2", "w3", "w4"]) {
      ids.push((await createWorkspace(own, { name })).id);
    }
    const archived = await api("POST", `/v1/workspaces/${ids[1]}/archive`, {
      key: own.key,
      body: { archive: true },
    });
    expect(archived.status).toBe(200);
    const list = (query: string) =>
      api<Page>("GET", `/v1/workspaces?${query}`, { key: own.key }).then((r) => r.body);
    const all = (await list("limit=100")).items.map((w) => w.id);
    expect(all).toHaveLength(4);
    const offset = await list("offset=2&limit=1");
    expect(offset.items.map((w) => w.id)).toEqual(all.slice(2, 3));
    expect(offset.total).toBe(4);
    const active = await list("status=active");
    expect(active.items.map((w) => w.id).sort()).toEqual(ids.filter((id) => id !== ids[1]).sort());
    expect(active.total).toBe(3);
    expect((await list("status=archived")).items.map((w) => w.id)).toEqual([ids[1]]);
  });
});
