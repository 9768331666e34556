import { beforeAll, describe, expect, it } from "vitest";
import { createAccount, createWorkspace, type TestAccount } from "../../../../test/helpers";
import { doSql } from "../../events/test/event-helpers";
import {
  expectError,
  fieldsOf,
  type MessageBody,
  newThread,
  type PairBody,
  text,
  threads,
} from "./thread-helpers";

// GET …/threads/{th}/messages: oldest-first pages of UIMessages, and the pairs view, whose
// statuses come from the assistant messages' metadata and the thread's own status.

let account: TestAccount;
let t: ReturnType<typeof threads>;
beforeAll(async () => {
  account = await createAccount("thread messages");
  t = threads(account);
});

const newWorkspace = async () => (await createWorkspace(account)).id;

async function allPages<T>(ws: string, th: string, query: string) {
  const pages: T[][] = [];
  let cursor: string | null = null;
  do {
    const suffix: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const response = await t.messages<T>(ws, th, `${query}${suffix}`);
    expect(response.status, JSON.stringify(response.body).slice(0, 300)).toBe(200);
    pages.push(response.body.items);
    cursor = response.body.next_cursor;
  } while (cursor);
  return pages;
}

describe("GET …/messages", () => {
  let ws: string;
  let th: string;
  const ids = Array.from({ length: 120 }, (_, i) => `m${String(i).padStart(3, "0")}`);
  beforeAll(async () => {
    ws = await newWorkspace();
    const messages = ids.map((id, i) => text(id, i % 2 ? "assistant" : "user", `body ${i}`));
    th = (await newThread(account, ws, { messages })).id;
  });

  it("Should answer 50 oldest-first by default, then follow the cursor to the end", async () => {
    const first = await t.messages(ws, th);
    expect(first.body.items).toHaveLength(50);
    expect(first.body.items.map((m) => m.id)).toEqual(ids.slice(0, 50));
    const pages = await allPages<MessageBody>(ws, th, "");
    expect(pages.map((page) => page.length)).toEqual([50, 50, 20]);
    expect(pages.flat().map((m) => m.id)).toEqual(ids);
  });

  it("Should page at any limit from 1 to 200 with no duplicates or gaps", async () => {
    for (const limit of [1, 7, 119, 120, 200]) {
      const pages = await allPages<MessageBody>(ws, th, `limit=${limit}`);
      expect(
        pages.flat().map((m) => m.id),
        `limit ${limit}`,
      ).toEqual(ids);
    }
  });

  it("Should match what the thread's GET embeds", async () => {
    const embedded = (await t.get(ws, th)).body;
    expect(embedded.messages_next_cursor).toBeNull();
    expect((await allPages<MessageBody>(ws, th, "limit=200")).flat()).toEqual(embedded.messages);
  });

  it("Should refuse bad limits, bad cursors and a cursor of the other view", async () => {
    for (const query of ["limit=0", "limit=201", "view=table"]) {
      const response = await t.messages(ws, th, query);
      expectError(response, 400, "invalid_request");
      expect(fieldsOf(response)).toContain(query.split("=")[0]);
    }
    expectError(await t.messages(ws, th, "cursor=%%%"), 400, "invalid_request");
    const forged = btoa(JSON.stringify({ view: "messages", after: -4 }));
    expectError(await t.messages(ws, th, `cursor=${forged}`), 400, "invalid_request");
    const page = await t.messages(ws, th, "limit=2");
    const cursor = encodeURIComponent(page.body.next_cursor as string);
    const crossed = await t.messages(ws, th, `view=pairs&cursor=${cursor}`);
    expectError(crossed, 400, "invalid_request");
    expect(fieldsOf(crossed)).toEqual(["cursor"]);
  });

  it("Should answer 404 for an unknown thread", async () => {
    expectError(await t.messages(ws, "th_nothing_here"), 404, "not_found");
    expectError(await t.messages(ws, "th_nothing_here", "view=pairs"), 404, "not_found");
  });
});

describe("GET …/messages?view=pairs", () => {
  const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds)).toISOString();
  const conversation = [
    text("sys", "system", "be brief"),
    text("hello", "assistant", "Welcome!"),
    text("q1", "user", "first"),
    text("a1", "assistant", "done", {
      metadata: { status: "completed", started_at: at(0), finished_at: at(2) },
    }),
    text("q2", "user", "second"),
    text("a2", "assistant", "oops", { metadata: { error: "model failed", execution_time_ms: 40 } }),
    text("q3", "user", "third"),
    text("a3a", "assistant", "part one"),
    text("a3b", "assistant", "part two", {
      metadata: { status: "canceled", warnings: [{ type: "other", message: "w" }] },
    }),
    text("q4", "user", "fourth"),
    text("a4", "assistant", "cut", { metadata: { status: "interrupted", errors: ["lost"] } }),
    text("q5", "user", "never answered"),
    text("q6", "user", "last one"),
  ];

  async function pairsOf(ws: string, th: string, query = "limit=200") {
    const response = await t.messages<PairBody>(ws, th, `view=pairs&${query}`);
    expect(response.status, JSON.stringify(response.body).slice(0, 300)).toBe(200);
    return response.body;
  }

  const summary = (pair: PairBody) => ({
    query: pair.query?.id ?? null,
    response: pair.response?.id ?? null,
    previous: pair.previous_responses.map((m) => m.id),
    status: pair.status,
    execution_time: pair.execution_time,
    errors: pair.errors,
    warnings: pair.warnings,
  });

  it("Should pair each query with its responses and derive each status", async () => {
    const ws = await newWorkspace();
    const th = (await newThread(account, ws, { messages: conversation })).id;
    const page = await pairsOf(ws, th);
    expect(page.next_cursor).toBeNull();
    expect(page.items.map(summary)).toEqual([
      {
        query: null,
        response: "hello",
        previous: [],
        status: "completed",
        execution_time: null,
        errors: [],
        warnings: [],
      },
      {
        query: "q1",
        response: "a1",
        previous: [],
        status: "completed",
        execution_time: 2000,
        errors: [],
        warnings: [],
      },
      {
        query: "q2",
        response: "a2",
        previous: [],
        status: "error",
        execution_time: 40,
        errors: ["model failed"],
        warnings: [],
      },
      {
        query: "q3",
        response: "a3b",
        previous: ["a3a"],
        status: "canceled",
        // No timing in the metadata: from the query to the response's last write.
        execution_time: expect.any(Number),
        errors: [],
        warnings: [{ type: "other", message: "w" }],
      },
      {
        query: "q4",
        response: "a4",
        previous: [],
        status: "interrupted",
        execution_time: expect.any(Number),
        errors: ["lost"],
        warnings: [],
      },
      { ...noAnswer, query: "q5", status: "interrupted" },
      { ...noAnswer, query: "q6", status: "interrupted" },
    ]);
    const [, first] = page.items;
    expect(first?.query?.parts).toEqual([{ type: "text", text: "first" }]);
    expect(first?.response?.metadata).toEqual((conversation[3] as { metadata?: unknown }).metadata);
    expect(page.items[3]?.execution_time).toBeGreaterThanOrEqual(0);
  });

  const noAnswer = {
    response: null,
    previous: [],
    execution_time: null,
    errors: [],
    warnings: [],
  };

  it("Should mark the last pair streaming while the thread streams, and only that one", async () => {
    const ws = await newWorkspace();
    const th = (await newThread(account, ws, { messages: conversation })).id;
    await doSql(ws, "UPDATE threads SET status = 'streaming' WHERE id = ?", th);
    const statuses = (await pairsOf(ws, th)).items.map((pair) => pair.status);
    expect(statuses.slice(-2)).toEqual(["interrupted", "streaming"]);

    // A response being written, without a status of its own, is streaming too; no timing yet.
    const answering = (
      await newThread(account, ws, {
        messages: [text("q", "user", "?"), text("a", "assistant", "partial")],
      })
    ).id;
    await doSql(ws, "UPDATE threads SET status = 'streaming' WHERE id = ?", answering);
    const [live] = (await pairsOf(ws, answering)).items;
    expect(live && summary(live)).toEqual({
      ...noAnswer,
      query: "q",
      response: "a",
      status: "streaming",
    });
    await doSql(ws, "UPDATE threads SET status = 'idle' WHERE id = ?", answering);
    expect((await pairsOf(ws, answering)).items[0]?.status).toBe("completed");
  });

  it("Should page pairs at every limit exactly as the whole list", async () => {
    const ws = await newWorkspace();
    const th = (await newThread(account, ws, { messages: conversation })).id;
    const whole = (await pairsOf(ws, th)).items;
    for (const limit of [1, 2, 3, 6, 7]) {
      const pages = await allPages<PairBody>(ws, th, `view=pairs&limit=${limit}`);
      expect(pages.flat().map(summary), `limit ${limit}`).toEqual(whole.map(summary));
      for (const page of pages.slice(0, -1)) expect(page).toHaveLength(limit);
    }
  });

  it("Should answer no pairs for a thread of system messages only, or none", async () => {
    const ws = await newWorkspace();
    const empty = (await newThread(account, ws)).id;
    expect(await pairsOf(ws, empty)).toEqual({ items: [], next_cursor: null });
    const system = (await newThread(account, ws, { messages: [text("s", "system", "x")] })).id;
    expect(await pairsOf(ws, system)).toEqual({ items: [], next_cursor: null });
  });
});
