import { beforeAll, describe, expect, it } from "vitest";
import { api, createAccount, createWorkspace, type TestAccount } from "../../../../test/helpers";
import { commandsPath, createCommand, execute, readOutput } from "./command-helpers";

// Finding commands: prefix and fuzzy suggestions, FTS5 search ranked by bm25 with the trigger
// weighing most, categories, and recent/popular from recorded executions.

let account: TestAccount;
beforeAll(async () => {
  account = await createAccount("command discovery");
});

type Items = { items: Array<{ trigger: string; [field: string]: unknown }> };
const get = (ws: string, path: string) =>
  api<Items>("GET", `${commandsPath(ws)}/${path}`, { key: account.key });

async function seeded() {
  const ws = (await createWorkspace(account)).id;
  const commands = [
    {
      trigger: "deploy",
      description: "Ship the app to production",
      category: "ops",
      body: "echo ship",
    },
    {
      trigger: "deploy:staging",
      description: "Ship to staging",
      category: "ops",
      body: "echo staging",
    },
    { trigger: "test", description: "Run every test", category: "dev", body: "echo test" },
    {
      trigger: "lint",
      description: "Check style; deploy blockers show here",
      category: "dev",
      body: "echo lint",
    },
    {
      trigger: "backup",
      description: "Copy the data away",
      category: "ops",
      body: "echo deploy-adjacent # deploy",
    },
  ];
  for (const command of commands) await createCommand(account, ws, { type: "shell", ...command });
  return ws;
}

describe("suggestions", () => {
  it("puts trigger prefixes first, then word prefixes, then fuzzy matches", async () => {
    const ws = await seeded();
    const prefix = await get(ws, "suggestions?query=dep");
    expect(prefix.status).toBe(200);
    expect(prefix.body.items.map((item) => [item.trigger, item.match])).toEqual([
      ["deploy", "prefix"],
      ["deploy:staging", "prefix"],
      ["lint", "word_prefix"],
    ]);
    const fuzzy = await get(ws, "suggestions?query=dply");
    expect(fuzzy.body.items.map((item) => item.trigger)).toEqual(["deploy", "deploy:staging"]);
    expect(fuzzy.body.items[0]?.match).toBe("fuzzy");
    const typo = await get(ws, "suggestions?query=tset");
    expect(typo.body.items.map((item) => item.trigger)).toContain("test");
    expect((await get(ws, "suggestions?query=zzzz")).body.items).toEqual([]);
  });
});

describe("search (FTS5)", () => {
  it("ranks a match in the trigger above the description, and that above the body", async () => {
    const ws = await seeded();
    const response = await get(ws, "search?query=deploy");
    expect(response.status).toBe(200);
    const triggers = response.body.items.map((item) => item.trigger);
    // deploy and deploy:staging match in the trigger; lint in its description; backup in its body.
    expect(triggers.slice(0, 2).sort()).toEqual(["deploy", "deploy:staging"]);
    expect(triggers.slice(2)).toEqual(["lint", "backup"]);
    const scores = response.body.items.map((item) => item.score as number);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it("requires every word, stems them, and treats FTS syntax as text", async () => {
    const ws = await seeded();
    const both = await get(ws, "search?query=ship staging");
    expect(both.body.items.map((item) => item.trigger)).toEqual(["deploy:staging"]);
    const stemmed = await get(ws, "search?query=tests");
    expect(stemmed.body.items.map((item) => item.trigger)).toEqual(["test"]);
    const syntax = await get(ws, "search?query=%22deploy%22%20OR%20NEAR(x");
    expect(syntax.status).toBe(200);
  });

  it("follows a PATCH and forgets a deleted command", async () => {
    const ws = await seeded();
    const current = await api<{ etag: string }>("GET", `${commandsPath(ws)}/backup`, {
      key: account.key,
    });
    await api("PATCH", `${commandsPath(ws)}/backup`, {
      key: account.key,
      body: { description: "Archive everything to cold storage", body: "echo x" },
      headers: { "if-match": `"${current.body.etag}"` },
    });
    expect((await get(ws, "search?query=archive")).body.items.map((i) => i.trigger)).toEqual([
      "backup",
    ]);
    await api("DELETE", `${commandsPath(ws)}/backup`, { key: account.key });
    expect((await get(ws, "search?query=archive")).body.items).toEqual([]);
  });
});

describe("categories", () => {
  it("counts commands per category and lists one category", async () => {
    const ws = await seeded();
    expect((await get(ws, "categories")).body.items).toEqual([
      { category: "dev", count: 2 },
      { category: "ops", count: 3 },
    ]);
    const ops = await api<Items & { next_cursor: string | null }>(
      "GET",
      `${commandsPath(ws)}/categories/ops?limit=2`,
      { key: account.key },
    );
    expect(ops.body.items.map((item) => item.trigger)).toEqual(["backup", "deploy"]);
    const rest = await api<Items>(
      "GET",
      `${commandsPath(ws)}/categories/ops?cursor=${ops.body.next_cursor}`,
      {
        key: account.key,
      },
    );
    expect(rest.body.items.map((item) => item.trigger)).toEqual(["deploy:staging"]);
  });
});

describe("recent and popular", () => {
  it("orders by the latest execution and by execution count", async () => {
    const ws = await seeded();
    const run = async (trigger: string) => {
      const started = await execute(account, ws, trigger);
      await readOutput(account, ws, trigger, started.body.id);
    };
    await run("test");
    await run("test");
    await run("test");
    await run("lint");
    await run("lint");
    await run("deploy");
    const recent = await get(ws, "recent");
    expect(recent.body.items.map((item) => item.trigger)).toEqual(["deploy", "lint", "test"]);
    const popular = await get(ws, "popular");
    expect(popular.body.items.map((item) => [item.trigger, item.execution_count])).toEqual([
      ["test", 3],
      ["lint", 2],
      ["deploy", 1],
    ]);
  });
});
