import { beforeAll, describe, expect, it } from "vitest";
import { api, createAccount, createWorkspace, type TestAccount } from "../../../../test/helpers";
import { doSql } from "../../events/test/event-helpers";
import {
  expectError,
  fieldsOf,
  newThread,
  type ThreadBody,
  text,
  threadPath,
  threads,
} from "./thread-helpers";

// The thread routes one by one: what each answers, what it refuses (with the field named), and
// that nobody but the workspace's account reaches a thread.

let account: TestAccount;
let other: TestAccount;
let t: ReturnType<typeof threads>;
beforeAll(async () => {
  [account, other] = await Promise.all([createAccount("threads"), createAccount("other")]);
  t = threads(account);
});

const newWorkspace = async () => (await createWorkspace(account)).id;
const clientId = () => `th_client-${crypto.randomUUID()}`;

describe("POST …/threads", () => {
  it("Should create a thread with its fields and messages, an ETag and a Location", async () => {
    const ws = await newWorkspace();
    const response = await t.create(ws, {
      title: "Plan",
      summary: "short",
      metadata: { topic: "billing", nested: { a: 1 } },
      messages: [text("m1", "user", "Hello   there"), text("m2", "assistant", "Hi!")],
    });
    expect(response.status).toBe(201);
    const thread = response.body;
    expect(thread.id).toMatch(/^th_[0-9a-z]{26}$/);
    expect(thread).toMatchObject({
      title: "Plan",
      summary: "short",
      metadata: { topic: "billing", nested: { a: 1 } },
      status: "idle",
      created_by: account.keyId,
      message_count: 2,
      last_message_preview: "Hi!",
    });
    expect(thread.created_at).toBe(thread.updated_at);
    expect(thread.last_message_at).toBe(thread.created_at);
    expect(response.headers.get("etag")).toBe(`"${thread.etag}"`);
    expect(response.headers.get("location")).toBe(`/v1/workspaces/${ws}/threads/${thread.id}`);
    // Write answers leave the messages out; GET has them.
    expect(thread).not.toHaveProperty("messages");
    const got = await t.get(ws, thread.id);
    expect(got.body.messages.map((m) => [m.id, m.role, m.parts])).toEqual([
      ["m1", "user", [{ type: "text", text: "Hello   there" }]],
      ["m2", "assistant", [{ type: "text", text: "Hi!" }]],
    ]);
  });

  it("Should create an empty thread from an empty body", async () => {
    const ws = await newWorkspace();
    const thread = await newThread(account, ws);
    expect(thread).toMatchObject({
      title: null,
      summary: null,
      metadata: {},
      message_count: 0,
      last_message_at: null,
      last_message_preview: null,
    });
  });

  it("Should keep unknown part types and fields as sent, and make ids for messages without one", async () => {
    const ws = await newWorkspace();
    const parts = [
      { type: "step-start" },
      { type: "reasoning", text: "thinking", state: "done", providerMetadata: { x: { y: 1 } } },
      {
        type: "tool-read_file",
        toolCallId: "call_1",
        state: "output-available",
        input: { path: "a.txt" },
        output: { content: "…" },
      },
      { type: "data-weather", id: "w1", data: { city: "Oslo", temps: [1, 2, 3] } },
      { type: "source-url", sourceId: "s1", url: "https://example.com" },
      { type: "file", mediaType: "image/png", url: "data:image/png;base64,AAAA" },
      { type: "x-future-part", anything: [null, true, { deep: "yes" }] },
    ];
    const thread = await newThread(account, ws, {
      messages: [
        { role: "assistant", parts, metadata: { model: "echo" } },
        { role: "user", content: "A-style content" },
      ],
    });
    const got = await t.get(ws, thread.id);
    const [first, second] = got.body.messages;
    expect(first?.id).toMatch(/^msg_[0-9a-z]{26}$/);
    expect(first?.parts).toEqual(parts);
    expect(first?.metadata).toEqual({ model: "echo" });
    expect(second?.parts).toEqual([{ type: "text", text: "A-style content" }]);
    expect(second).not.toHaveProperty("metadata");
  });

  it("Should refuse invalid bodies with 400 naming each field", async () => {
    const ws = await newWorkspace();
    const cases: [unknown, string][] = [
      [{ title: "x".repeat(501) }, "title"],
      [{ metadata: { blob: "x".repeat(17 * 1024) } }, "metadata"],
      [{ metadata: [1, 2] }, "metadata"],
      [{ unknown_field: 1 }, "body"],
      [{ messages: "hello" }, "messages"],
      [{ messages: [{ role: "robot", parts: [] }] }, "messages.0.role"],
      [{ messages: [{ role: "user" }] }, "messages.0.parts"],
      [{ messages: [{ role: "user", parts: [], content: "x" }] }, "messages.0.parts"],
      [{ messages: [{ role: "user", parts: [{ text: "no type" }] }] }, "messages.0.parts.0.type"],
      [{ messages: [{ role: "user", parts: [{ type: "" }] }] }, "messages.0.parts.0.type"],
      [{ messages: [{ role: "user", parts: ["text"] }] }, "messages.0.parts.0"],
      [{ messages: [{ role: "user", parts: [{ type: "text" }] }] }, "messages.0.parts.0.text"],
      [
        { messages: [{ role: "user", parts: [{ type: "tool-x", state: "input-available" }] }] },
        "messages.0.parts.0.toolCallId",
      ],
      [{ messages: [{ role: "user", parts: [], metadata: "meta" }] }, "messages.0.metadata"],
      [{ messages: [{ id: "", role: "user", parts: [] }] }, "messages.0.id"],
      [{ messages: [{ id: "has space", role: "user", parts: [] }] }, "messages.0.id"],
      [{ messages: [text("dup", "user", "a"), text("dup", "assistant", "b")] }, "messages.1.id"],
      [{ messages: [{ role: "user", parts: [], extra: 1 }] }, "messages.0"],
    ];
    for (const [body, field] of cases) {
      const response = await t.create(ws, body);
      expectError(response, 400, "invalid_request");
      expect(fieldsOf(response), JSON.stringify(body).slice(0, 100)).toContain(field);
    }
    const list = await t.list(ws);
    expect(list.body.items).toEqual([]);
  });

  it("Should refuse more than 1000 messages in one request", async () => {
    const ws = await newWorkspace();
    const messages = Array.from({ length: 1001 }, (_, i) => text(`m${i}`, "user", "x"));
    const response = await t.create(ws, { messages });
    expectError(response, 400, "invalid_request");
    expect(fieldsOf(response)).toContain("messages");
  });

  it("Should replay a create retried with the same Idempotency-Key", async () => {
    const ws = await newWorkspace();
    const headers = { "idempotency-key": `create-${crypto.randomUUID()}` };
    const first = await t.create(ws, { title: "once" }, headers);
    const again = await t.create(ws, { title: "once" }, headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect((await t.list(ws)).body.items).toHaveLength(1);
  });
});

describe("GET …/threads/{th}", () => {
  it("Should answer 404 for an unknown thread and 400 for a malformed id", async () => {
    const ws = await newWorkspace();
    expectError(await t.get(ws, "th_unknown"), 404, "not_found");
    for (const bad of ["nope", "th_", "th_has.dot", `th_${"a".repeat(65)}`, "TH_abc"]) {
      const response = await t.get(ws, encodeURIComponent(bad));
      expectError(response, 400, "invalid_request");
      expect(fieldsOf(response)).toContain("th");
    }
  });

  it("Should not show a thread under another workspace of the same account", async () => {
    const [ws, elsewhere] = await Promise.all([newWorkspace(), newWorkspace()]);
    const thread = await newThread(account, ws, { title: "mine" });
    expectError(await t.get(elsewhere, thread.id), 404, "not_found");
    const routes = [
      t.patch(elsewhere, thread.id, { title: "x" }),
      t.patchMetadata(elsewhere, thread.id, { metadata: { a: 1 } }),
      t.delete(elsewhere, thread.id),
      t.messages(elsewhere, thread.id),
    ];
    for (const response of await Promise.all(routes)) expectError(response, 404, "not_found");
    expect((await t.get(ws, thread.id)).body.title).toBe("mine");
  });

  it("Should answer 404 to another account on every thread route, and change nothing", async () => {
    const ws = await newWorkspace();
    const thread = await newThread(account, ws, {
      title: "secret",
      messages: [text("m", "user", "hi")],
    });
    const theirs = threads(other);
    const theirWorkspace = (await createWorkspace(other)).id;
    const attempts = [
      theirs.get(ws, thread.id),
      theirs.list(ws),
      theirs.create(ws, {}),
      theirs.put(ws, thread.id, { title: "stolen" }),
      theirs.patch(ws, thread.id, { title: "stolen" }),
      theirs.patchMetadata(ws, thread.id, { metadata: { stolen: true } }),
      theirs.delete(ws, thread.id),
      theirs.messages(ws, thread.id),
      theirs.messages(ws, thread.id, "view=pairs"),
      theirs.rebuild(ws),
      // A's thread id under B's own workspace is simply unknown there.
      theirs.get(theirWorkspace, thread.id),
    ];
    for (const response of await Promise.all(attempts)) {
      expectError(response, 404, "not_found");
      expect(JSON.stringify(response.body)).not.toContain("secret");
    }
    const after = await t.get(ws, thread.id);
    expect(after.body).toMatchObject({ title: "secret", etag: thread.etag, message_count: 1 });
  });
});

describe("PUT …/threads/{th}", () => {
  it("Should create under the client's id (201), then overwrite it (200) keeping created_by", async () => {
    const ws = await newWorkspace();
    const id = clientId();
    const created = await t.put(ws, id, {
      title: "first",
      metadata: { a: 1 },
      messages: [text("m1", "user", "one")],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id, title: "first", created_by: account.keyId });
    expect(created.headers.get("etag")).toBe(`"${created.body.etag}"`);

    // Another key of the same account overwrites: the creator stays.
    const secondKey = await api<{ key: string }>(
      "POST",
      `/v1/admin/accounts/${account.accountId}/keys`,
      { key: "test-admin-token", body: { name: "second" } },
    );
    const replaced = await threads({ ...account, key: secondKey.body.key }).put(ws, id, {
      summary: "only this",
      messages: [text("m2", "assistant", "two")],
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({
      id,
      title: null,
      summary: "only this",
      metadata: {},
      created_by: account.keyId,
      created_at: created.body.created_at,
      message_count: 1,
    });
    expect(replaced.body.etag).not.toBe(created.body.etag);
    const got = await t.get(ws, id);
    expect(got.body.messages.map((m) => m.id)).toEqual(["m2"]);
  });

  it("Should accept back the thread it returned (read-only fields ignored)", async () => {
    const ws = await newWorkspace();
    const id = clientId();
    await t.put(ws, id, { title: "round trip", messages: [text("m1", "user", "hi")] });
    const got = (await t.get(ws, id)).body;
    const again = await t.put(ws, id, { ...got, title: "changed", etag: "ignored", id: "x" });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body).toMatchObject({ id, title: "changed", message_count: 1 });
  });

  it("Should honour If-Match and If-None-Match", async () => {
    const ws = await newWorkspace();
    const id = clientId();
    expectError(await t.put(ws, id, {}, { "if-match": '"anything"' }), 412, "precondition_failed");
    expect((await t.get(ws, id)).status).toBe(404);
    const created = await t.put(ws, id, { title: "a" }, { "if-none-match": "*" });
    expect(created.status).toBe(201);
    expectError(
      await t.put(ws, id, { title: "b" }, { "if-none-match": "*" }),
      412,
      "precondition_failed",
    );
    const stale = await t.put(ws, id, { title: "c" }, { "if-match": '"stale"' });
    expect(expectError(stale, 412, "precondition_failed").details).toEqual({
      current_etag: created.body.etag,
    });
    const fresh = await t.put(ws, id, { title: "d" }, { "if-match": `"${created.body.etag}"` });
    expect(fresh.status).toBe(200);
    expect((await t.get(ws, id)).body.title).toBe("d");
  });

  it("Should refuse a malformed id and an invalid body", async () => {
    const ws = await newWorkspace();
    for (const bad of [
      "abc",
      "th_",
      "th_a b",
      "th_a/b",
      `th_${"x".repeat(65)}`,
      "rebuild-metadata",
    ]) {
      const response = await api("PUT", threadPath(ws, encodeURIComponent(bad)), {
        key: account.key,
        body: {},
      });
      expectError(response, 400, "invalid_request");
    }
    const response = await t.put(ws, clientId(), { messages: [{ role: "user", parts: [{}] }] });
    expectError(response, 400, "invalid_request");
    expect(fieldsOf(response)).toContain("messages.0.parts.0.type");
    expect((await t.list(ws)).body.items).toEqual([]);
  });

  it("Should answer 200 without a new etag when nothing changes", async () => {
    const ws = await newWorkspace();
    const id = clientId();
    const body = { title: "same", messages: [text("m1", "user", "hi")] };
    const created = await t.put(ws, id, body);
    const again = await t.put(ws, id, body);
    expect(again.status).toBe(200);
    expect(again.body.etag).toBe(created.body.etag);
    expect(again.body.updated_at).toBe(created.body.updated_at);
  });
});

describe("PATCH …/threads/{th}", () => {
  it("Should change only what it names; metadata deep-merges and null deletes", async () => {
    const ws = await newWorkspace();
    const thread = await newThread(account, ws, {
      title: "t",
      summary: "s",
      metadata: { keep: 1, drop: 2, nested: { a: 1, b: 2 } },
      messages: [text("m1", "user", "hi")],
    });
    const patched = await t.patch(ws, thread.id, {
      summary: null,
      metadata: { drop: null, nested: { b: null, c: 3 }, added: [1] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      title: "t",
      summary: null,
      metadata: { keep: 1, nested: { a: 1, c: 3 }, added: [1] },
      message_count: 1,
    });
    expect(patched.body.metadata).not.toHaveProperty("drop");
    expect(patched.headers.get("etag")).toBe(`"${patched.body.etag}"`);
    expect(patched.body.etag).not.toBe(thread.etag);
    expect(patched.body.updated_at >= thread.updated_at).toBe(true);
  });

  it("Should replace the message list, keeping created_at of messages that stay", async () => {
    const ws = await newWorkspace();
    const thread = await newThread(account, ws, {
      messages: [text("m1", "user", "q"), text("m2", "assistant", "a")],
    });
    const before = (await t.get(ws, thread.id)).body.messages;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const patched = await t.patch(ws, thread.id, {
      messages: [
        text("m1", "user", "q"),
        text("m2", "assistant", "a, edited"),
        text("m3", "user", "next"),
      ],
    });
    expect(patched.body).toMatchObject({ message_count: 3, last_message_preview: "next" });
    const after = (await t.get(ws, thread.id)).body.messages;
    expect(after.map((m) => m.id)).toEqual(["m1", "m2", "m3"]);
    expect(after[0]).toEqual(before[0]);
    expect(after[1]?.created_at).toBe(before[1]?.created_at);
    expect(after[1]?.updated_at).not.toBe(before[1]?.updated_at);
    expect(after[1]?.parts).toEqual([{ type: "text", text: "a, edited" }]);
    expect(after[2]?.created_at).toBe(patched.body.updated_at);

    const emptied = await t.patch(ws, thread.id, { messages: [] });
    expect(emptied.body).toMatchObject({
      message_count: 0,
      last_message_at: null,
      last_message_preview: null,
    });
  });

  it("Should answer 412 to a stale If-Match and change nothing", async () => {
    const ws = await newWorkspace();
    const thread = await newThread(account, ws, { title: "v1" });
    const first = await t.patch(ws, thread.id, { title: "v2" }, { "if-match": `"${thread.etag}"` });
    expect(first.status).toBe(200);
    const stale = await t.patch(ws, thread.id, { title: "v3" }, { "if-match": `"${thread.etag}"` });
    expectError(stale, 412, "precondition_failed");
    const weakList = await t.patch(
      ws,
      thread.id,
      { title: "v4" },
      { "if-match": `"nope", W/"${first.body.etag}"` },
    );
    expect(weakList.status).toBe(200);
    expect((await t.get(ws, thread.id)).body.title).toBe("v4");
  });

  it("Should refuse merged metadata over 16 KiB, unknown fields and bad messages", async () => {
    const ws = await newWorkspace();
    const thread = await newThread(account, ws, { metadata: { a: "x".repeat(10_000) } });
    const tooBig = await t.patch(ws, thread.id, { metadata: { b: "y".repeat(10_000) } });
    expectError(tooBig, 400, "invalid_request");
    expect(fieldsOf(tooBig)).toContain("metadata");
    expectError(await t.patch(ws, thread.id, { status: "streaming" }), 400, "invalid_request");
    const bad = await t.patch(ws, thread.id, {
      messages: [{ role: "user", parts: [{ type: 1 }] }],
    });
    expectError(bad, 400, "invalid_request");
    expect(fieldsOf(bad)).toContain("messages.0.parts.0.type");
    expect((await t.get(ws, thread.id)).body.etag).toBe(thread.etag);
  });

  it("Should answer 404 for an unknown thread", async () => {
    const ws = await newWorkspace();
    expectError(await t.patch(ws, "th_missing", { title: "x" }), 404, "not_found");
  });

  it("Should refuse to replace the messages of a streaming thread (409), but allow the rest", async () => {
    const ws = await newWorkspace();
    const thread = await newThread(account, ws, { messages: [text("m1", "user", "q")] });
    await doSql(ws, "UPDATE threads SET status = 'streaming' WHERE id = ?", thread.id);
    expectError(await t.patch(ws, thread.id, { messages: [] }), 409, "conflict");
    expectError(await t.put(ws, thread.id, { title: "x" }), 409, "conflict");
    const titled = await t.patch(ws, thread.id, { title: "still fine" });
    expect(titled.body).toMatchObject({
      title: "still fine",
      status: "streaming",
      message_count: 1,
    });
  });
});

describe("PATCH …/threads/{th}/metadata", () => {
  it("Should merge metadata only, with If-Match", async () => {
    const ws = await newWorkspace();
    const thread = await newThread(account, ws, { title: "t", metadata: { a: { b: 1, c: 2 } } });
    const patched = await t.patchMetadata(
      ws,
      thread.id,
      { metadata: { a: { c: null, d: 4 }, pinned: true } },
      { "if-match": `"${thread.etag}"` },
    );
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      title: "t",
      metadata: { a: { b: 1, d: 4 }, pinned: true },
    });
    expectError(
      await t.patchMetadata(
        ws,
        thread.id,
        { metadata: { x: 1 } },
        { "if-match": `"${thread.etag}"` },
      ),
      412,
      "precondition_failed",
    );
  });

  it("Should refuse anything but metadata", async () => {
    const ws = await newWorkspace();
    const thread = await newThread(account, ws);
    for (const body of [
      { title: "x" },
      {},
      { metadata: "x" },
      { metadata: { a: 1 }, title: "x" },
    ]) {
      expectError(await t.patchMetadata(ws, thread.id, body), 400, "invalid_request");
    }
    expectError(await t.patchMetadata(ws, "th_missing", { metadata: {} }), 404, "not_found");
  });
});

describe("DELETE …/threads/{th}", () => {
  it("Should delete the thread and every row of its messages", async () => {
    const ws = await newWorkspace();
    const thread = await newThread(account, ws, {
      messages: [text("m1", "user", "x".repeat(600_000)), text("m2", "assistant", "y")],
    });
    const keep: ThreadBody = await newThread(account, ws, { messages: [text("m1", "user", "z")] });
    expectError(
      await t.delete(ws, thread.id, { "if-match": '"stale"' }),
      412,
      "precondition_failed",
    );
    const deleted = await t.delete(ws, thread.id, { "if-match": `"${thread.etag}"` });
    expect(deleted.status).toBe(204);
    expectError(await t.get(ws, thread.id), 404, "not_found");
    expectError(await t.delete(ws, thread.id), 404, "not_found");
    for (const table of ["messages", "message_chunks"]) {
      const rows = await doSql(ws, `SELECT thread_id FROM ${table}`);
      expect(
        rows.every((row) => row.thread_id === keep.id),
        table,
      ).toBe(true);
    }
    expect((await t.get(ws, keep.id)).body.message_count).toBe(1);
  });
});

describe("the workspace summary", () => {
  it("Should count threads and messages", async () => {
    const ws = await newWorkspace();
    const summary = () =>
      api<{ threads: number; messages: number }>("GET", `/v1/workspaces/${ws}/metadata`, {
        key: account.key,
      });
    expect((await summary()).body).toMatchObject({ threads: 0, messages: 0 });
    const first = await newThread(account, ws, {
      messages: [text("a", "user", "1"), text("b", "assistant", "2")],
    });
    await newThread(account, ws, { messages: [text("c", "user", "3")] });
    expect((await summary()).body).toMatchObject({ threads: 2, messages: 3 });
    await t.delete(ws, first.id);
    expect((await summary()).body).toMatchObject({ threads: 1, messages: 1 });
  });
});
