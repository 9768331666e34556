import { runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createAccount, createWorkspace, type TestAccount } from "../../../../test/helpers";
import type { WorkspaceDO } from "../../../kernel/workspace-do";
import {
  commitOf,
  doSql,
  headOf,
  internalsOf,
  workspaceStub,
} from "../../events/test/event-helpers";
import { CHUNK_UNITS, splitChunks } from "../chunks";
import { prepareMessages } from "../prepare-messages";
import {
  expectError,
  type MessageBody,
  newThread,
  text,
  threadEvents,
  threads,
} from "./thread-helpers";

// What only the storage shows: messages far past a row's 2 MB are cut into chunks and joined
// back byte for byte, the thread index is rebuilt from the messages after it was corrupted, and
// every change appends its events (a refused one appends none).

let account: TestAccount;
let t: ReturnType<typeof threads>;
beforeAll(async () => {
  account = await createAccount("thread storage");
  t = threads(account);
});

const newWorkspace = async () => (await createWorkspace(account)).id;
const utf8 = (value: string) => new TextEncoder().encode(value).byteLength;

/** Text of about `units` UTF-16 units mixing 1-, 2-, 3- and 4-byte characters, deterministic. */
function mixedText(units: number, seed: number): string {
  const alphabet = ["a", "Z", " ", "\n", "é", "ß", "中", "文", "😀", "🧪", '"', "\\", "\u0000"];
  let state = seed;
  let out = "";
  while (out.length < units) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out += alphabet[state % alphabet.length];
  }
  return out;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe("splitChunks", () => {
  it("Should cut within the unit budget, never inside a surrogate pair, and join back exactly", () => {
    const samples = ["", "abc", "x😀".repeat(10), mixedText(5000, 7), "😀".repeat(33)];
    for (const sample of samples) {
      for (const units of [2, 3, 5, 64]) {
        const pieces = splitChunks(sample, units);
        expect(pieces.join("")).toBe(sample);
        for (const piece of pieces) {
          expect(piece.length).toBeLessThanOrEqual(units);
          expect(LONE_SURROGATE.test(piece), JSON.stringify(piece)).toBe(false);
        }
      }
    }
    expect(CHUNK_UNITS * 3).toBeLessThanOrEqual(512 * 1024);
  });
});

describe("large messages", () => {
  it("Should store a multi-MB message in rows under 512 KiB and return it byte-exact", async () => {
    const ws = await newWorkspace();
    // One character of offset puts a high surrogate right at a chunk boundary.
    const body = `x${"😀".repeat(CHUNK_UNITS)}${mixedText(2_500_000, 42)}`;
    const parts = [
      { type: "text", text: body },
      { type: "data-blob", data: { nested: mixedText(300_000, 3), list: [1, "two", null] } },
      { type: "text", text: "tail" },
    ];
    const thread = await newThread(account, ws, {
      messages: [
        text("q", "user", "make it big"),
        { id: "big", role: "assistant", parts, metadata: { size: "large" } },
      ],
    });
    expect(thread.last_message_preview?.startsWith("x😀😀")).toBe(true);

    const [row] = await doSql(
      ws,
      "SELECT chunks, bytes, length(CAST(parts AS BLOB)) AS first FROM messages WHERE thread_id = ? AND id = 'big'",
      thread.id,
    );
    const serialized = JSON.stringify(parts);
    expect(Number(row?.bytes)).toBe(utf8(serialized) + utf8(JSON.stringify({ size: "large" })));
    expect(Number(row?.bytes)).toBeGreaterThan(5 * 1024 * 1024);
    const chunks = await doSql(
      ws,
      "SELECT chunk, length(CAST(data AS BLOB)) AS bytes FROM message_chunks WHERE thread_id = ? ORDER BY chunk",
      thread.id,
    );
    expect(chunks.length).toBe(Number(row?.chunks) - 1);
    expect(chunks.length).toBeGreaterThanOrEqual(10);
    expect(chunks.map((chunk) => Number(chunk.chunk))).toEqual(
      Array.from({ length: chunks.length }, (_, i) => i + 1),
    );
    for (const size of [Number(row?.first), ...chunks.map((chunk) => Number(chunk.bytes))]) {
      expect(size).toBeLessThanOrEqual(512 * 1024);
    }

    const got = await t.get(ws, thread.id);
    const big = got.body.messages[1] as MessageBody;
    expect(big.parts).toEqual(parts);
    expect(JSON.stringify(big.parts)).toBe(serialized);
    expect(big.metadata).toEqual({ size: "large" });
    const first = await t.messages(ws, thread.id, "limit=1");
    const cursor = encodeURIComponent(first.body.next_cursor as string);
    const page = await t.messages(ws, thread.id, `limit=1&cursor=${cursor}`);
    expect(page.body.items[0]?.id).toBe("big");
    expect(JSON.stringify(page.body.items[0]?.parts)).toBe(serialized);

    // Replaced by a small message: no continuation row is left behind.
    await t.patch(ws, thread.id, { messages: [text("big", "assistant", "small now")] });
    expect(await doSql(ws, "SELECT 1 FROM message_chunks WHERE thread_id = ?", thread.id)).toEqual(
      [],
    );
    expect((await t.get(ws, thread.id)).body.messages[0]?.parts).toEqual([
      { type: "text", text: "small now" },
    ]);
  });

  it("Should refuse a message over 8 MiB with 413 and store nothing", async () => {
    const ws = await newWorkspace();
    const before = await headOf(account, ws);
    const response = await t.create(ws, {
      messages: [
        text("ok", "user", "fine"),
        text("huge", "assistant", "y".repeat(8 * 1024 * 1024)),
      ],
    });
    expectError(response, 413, "too_large");
    expect((await t.list(ws)).body.items).toEqual([]);
    expect(await doSql(ws, "SELECT count(*) AS n FROM messages")).toEqual([{ n: 0 }]);
    expect(await headOf(account, ws)).toBe(before);
  });

  it("Should take multi-MB bodies on POST, PUT and PATCH, and refuse one over 16 MiB", async () => {
    const ws = await newWorkspace();
    const big = (id: string, seed: number) => text(id, "user", mixedText(1_200_000, seed));
    const id = `th_big-${crypto.randomUUID()}`;
    expect((await t.put(ws, id, { messages: [big("a", 1)] })).status).toBe(201);
    const patched = await t.patch(ws, id, { messages: [big("a", 1), big("b", 2)] });
    expect(patched.status).toBe(200);
    expect(patched.body.message_count).toBe(2);
    const got = (await t.get(ws, id)).body.messages;
    expect(got.map((m) => m.parts)).toEqual([big("a", 1).parts, big("b", 2).parts]);
    const overLimit = await t.create(ws, { title: "x".repeat(17 * 1024 * 1024) });
    expectError(overLimit, 413, "too_large");
    // Other JSON routes keep the 1 MiB limit.
    const metadata = await t.patchMetadata(ws, id, { metadata: { a: "x".repeat(1024 * 1024) } });
    expectError(metadata, 413, "too_large");
  });

  it("Should embed what fits 16 MiB in a thread's GET and point at the rest", async () => {
    const ws = await newWorkspace();
    const thread = await newThread(account, ws);
    // Three 6 MiB messages cannot arrive in one request; the stream producer will append like this.
    await runInDurableObject(workspaceStub(ws), (instance: WorkspaceDO) => {
      const store = internalsOf(instance).composed.threads.threads;
      const messages = ["a", "b", "c"].map((id) =>
        text(id, "assistant", id.repeat(6 * 1024 * 1024)),
      );
      store.messages.replaceAll(thread.id, prepareMessages(messages), new Date().toISOString());
      store.store.refreshIndex(thread.id);
    });
    const got = await t.get(ws, thread.id);
    expect(got.body.message_count).toBe(3);
    expect(got.body.messages.map((m) => m.id)).toEqual(["a", "b"]);
    expect(got.body.messages_next_cursor).toEqual(expect.any(String));
    const rest = await t.messages(
      ws,
      thread.id,
      `cursor=${encodeURIComponent(got.body.messages_next_cursor as string)}`,
    );
    expect(rest.body.items.map((m) => m.id)).toEqual(["c"]);
    expect(rest.body.next_cursor).toBeNull();
  });
});

describe("POST …/threads/rebuild-metadata", () => {
  it("Should repair corrupted index rows from the messages and say what changed", async () => {
    const ws = await newWorkspace();
    const broken = await newThread(account, ws, {
      messages: [text("q", "user", "question"), text("a", "assistant", "answer text")],
    });
    const emptied = await newThread(account, ws, { messages: [text("x", "user", "gone")] });
    const healthy = await newThread(account, ws, { messages: [text("h", "user", "fine")] });
    const truth = (await t.get(ws, broken.id)).body;

    await doSql(
      ws,
      "UPDATE threads SET message_count = 99, last_message_at = NULL, last_message_preview = 'stale', updated_at = '1970-01-01T00:00:00.000Z' WHERE id = ?",
      broken.id,
    );
    // Rows removed behind the index's back.
    await doSql(ws, "DELETE FROM messages WHERE thread_id = ?", emptied.id);
    const cursor = await headOf(account, ws);

    const response = await t.rebuild(ws);
    expect(response.status).toBe(200);
    expect(response.body.threads_checked).toBe(3);
    expect(response.body.threads_changed).toBe(2);
    const byId = Object.fromEntries(response.body.changes.map((c) => [c.thread_id, c.fields]));
    expect(byId[broken.id]).toEqual({
      message_count: { from: 99, to: 2 },
      last_message_at: { from: null, to: truth.last_message_at },
      last_message_preview: { from: "stale", to: "answer text" },
      updated_at: { from: "1970-01-01T00:00:00.000Z", to: truth.updated_at },
    });
    expect(byId[emptied.id]).toEqual({
      message_count: { from: 1, to: 0 },
      last_message_at: { from: emptied.last_message_at, to: null },
      last_message_preview: { from: "gone", to: null },
    });
    expect(byId[healthy.id]).toBeUndefined();

    const repaired = (await t.get(ws, broken.id)).body;
    const { etag: _, ...fields } = repaired;
    const { etag: __, ...expected } = truth;
    expect(fields).toEqual(expected);
    expect(repaired.etag).not.toBe(truth.etag);
    expect((await t.get(ws, healthy.id)).body.etag).toBe(healthy.etag);

    const events = await threadEvents(account, ws, cursor);
    expect(events.map((event) => event.type)).toEqual(["thread.index_rebuilt"]);
    expect(events[0]?.data).toEqual({
      threads_checked: 3,
      thread_ids: expect.arrayContaining([broken.id, emptied.id]),
    });

    // Nothing left to fix: nothing changes and nothing is appended.
    const again = await t.rebuild(ws);
    expect(again.body).toEqual({ threads_checked: 3, threads_changed: 0, changes: [] });
    expect(await headOf(account, ws)).toBe(cursor + 1);
  });

  it("Should answer an empty report for a workspace without threads", async () => {
    const ws = await newWorkspace();
    expect((await t.rebuild(ws)).body).toEqual({
      threads_checked: 0,
      threads_changed: 0,
      changes: [],
    });
  });
});

describe("thread events", () => {
  it("Should append events for each change, in the same transaction, and none for a refused one", async () => {
    const ws = await newWorkspace();
    const start = await headOf(account, ws);
    const thread = await newThread(account, ws, {
      title: "e",
      messages: [text("m1", "user", "q"), text("m2", "assistant", "a")],
    });
    let events = await threadEvents(account, ws, start);
    expect(events.map((event) => event.type)).toEqual([
      "thread.created",
      "thread.message.created",
      "thread.message.created",
    ]);
    const [created, firstMessage] = events;
    expect(created?.data).toEqual({ thread });
    expect(created?.actor).toBe(account.keyId);
    expect(firstMessage?.data).toEqual({
      thread_id: thread.id,
      message: {
        id: "m1",
        role: "user",
        seq: 1,
        bytes: expect.any(Number),
        created_at: thread.created_at,
        updated_at: thread.created_at,
      },
    });

    let cursor = await headOf(account, ws);
    const refused = [
      t.patch(ws, thread.id, { title: "x" }, { "if-match": '"stale"' }),
      t.patch(ws, thread.id, { metadata: { big: "x".repeat(20_000) } }),
      t.patch(ws, thread.id, { messages: [text("m1", "user", "z".repeat(9 * 1024 * 1024))] }),
      t.put(ws, thread.id, {}, { "if-none-match": "*" }),
      t.delete(ws, thread.id, { "if-match": '"stale"' }),
      t.patch(ws, "th_unknown", { title: "x" }),
      // Changes nothing: no event either.
      t.patch(ws, thread.id, { title: "e" }),
      t.patchMetadata(ws, thread.id, { metadata: {} }),
    ];
    const statuses = [];
    for (const request of refused) statuses.push((await request).status);
    expect(statuses).toEqual([412, 400, 413, 412, 412, 404, 200, 200]);
    expect(await headOf(account, ws)).toBe(cursor);

    const updated = await t.patch(ws, thread.id, {
      title: "e2",
      metadata: { k: 1 },
      messages: [
        text("m1", "user", "q"),
        text("m2", "assistant", "edited"),
        text("m3", "user", "new"),
      ],
    });
    events = await threadEvents(account, ws, cursor);
    expect(events.map((event) => event.type)).toEqual([
      "thread.updated",
      "thread.message.created",
      "thread.message.updated",
    ]);
    expect(events[0]?.data).toEqual({
      thread: updated.body,
      changed: ["title", "metadata", "messages"],
    });
    const messageIds = events
      .slice(1)
      .map((event) => (event.data as { message: { id: string } }).message.id);
    expect(messageIds).toEqual(["m3", "m2"]);

    cursor = await headOf(account, ws);
    await t.patch(ws, thread.id, { messages: [text("m3", "user", "new")] });
    events = await threadEvents(account, ws, cursor);
    expect(events.map((event) => [event.type, event.data])).toEqual([
      ["thread.updated", expect.objectContaining({ changed: ["messages"] })],
      ["thread.message.deleted", { thread_id: thread.id, message_id: "m1" }],
      ["thread.message.deleted", { thread_id: thread.id, message_id: "m2" }],
    ]);

    cursor = await headOf(account, ws);
    await t.delete(ws, thread.id);
    events = await threadEvents(account, ws, cursor);
    expect(events.map((event) => [event.type, event.data])).toEqual([
      ["thread.deleted", { thread_id: thread.id }],
    ]);
  });

  it("Should roll back the rows and the events together when a write fails midway", async () => {
    const ws = await newWorkspace();
    const thread = await newThread(account, ws, { title: "before" });
    const cursor = await headOf(account, ws);
    // A second thread is created (rows and events), then a write fails on the UNIQUE index
    // (duplicate ids, which validation would have refused before reaching the DO).
    await expect(
      runInDurableObject(workspaceStub(ws), (instance: WorkspaceDO) => {
        const store = internalsOf(instance).composed.threads.threads;
        commitOf(instance)({ accountId: account.accountId, actor: account.keyId }, ws, (emit) => {
          store.create({ title: "other", messages: [text("ok", "user", "a")] }, null, emit);
          const duplicated = [text("dup", "user", "a"), text("dup", "user", "b")];
          store.patch(thread.id, { title: "after", messages: duplicated }, null, emit);
        });
      }),
    ).rejects.toThrow(/UNIQUE/);
    expect((await t.get(ws, thread.id)).body).toMatchObject({ title: "before", etag: thread.etag });
    expect((await t.list(ws)).body.items.map((item) => item.id)).toEqual([thread.id]);
    expect(await doSql(ws, "SELECT count(*) AS n FROM messages")).toEqual([{ n: 0 }]);
    expect(await headOf(account, ws)).toBe(cursor);
  });
});
