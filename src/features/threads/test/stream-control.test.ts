import { runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createAccount, createWorkspace, type TestAccount } from "../../../../test/helpers";
import type { WorkspaceDO } from "../../../kernel/workspace-do";
import { internalsOf, workspaceStub } from "../../events/test/event-helpers";
import { SseReader } from "../../events/test/sse-reader";
import {
  assemble,
  cancelStream,
  chunksStream,
  endsWithDone,
  framesOf,
  getStream,
  partsOf,
  postStream,
} from "./stream-helpers";
import { expectError, type PairBody, threads } from "./thread-helpers";

// Cancelling, interrupting, concurrent POSTs, a thread deleted mid-stream, a Durable Object
// restarted mid-stream, the debug view and the trim of finished buffers.

let account: TestAccount;
let ws: string;

beforeAll(async () => {
  account = await createAccount("stream control");
  ws = (await createWorkspace(account)).id;
});

/** A question whose echo takes `words` × `delay` ms. */
const slow = (words: number, delay = 30) =>
  `/delay ${delay}\n${Array.from({ length: words }, (_, i) => `word${i}`).join(" ")}`;

async function startSlow(words = 40, delay = 30, thread_id?: string) {
  const response = await postStream(account, ws, {
    ...(thread_id ? { thread_id } : {}),
    message: { role: "user", content: slow(words, delay) },
  });
  expect(response.status).toBe(200);
  return { response, th: response.headers.get("x-thread-id") as string };
}

async function lastPair(th: string): Promise<PairBody> {
  const pairs = await threads(account).messages<PairBody>(ws, th, "view=pairs");
  expect(pairs.status).toBe(200);
  return pairs.body.items.at(-1) as PairBody;
}

describe("cancel", () => {
  it("Should abort the model call, keep the partial answer, end with an abort part", async () => {
    const { response, th } = await startSlow(60, 30);
    const reader = new SseReader(response);
    // Wait for a few words to be out.
    await reader.until((frame) => (frame.data ?? "").includes("word3"), 5_000);
    const canceled = await cancelStream(account, ws, th);
    expect(canceled.status).toBe(200);
    expect(await canceled.json()).toMatchObject({ status: "canceled" });
    const rest = await reader.rest(5_000);
    const frames = reader.seen;
    expect(endsWithDone(rest)).toBe(true);
    const parts = partsOf(frames);
    expect(parts.at(-1)?.chunk.type).toBe("abort");
    expect(parts.some((p) => p.chunk.type === "finish")).toBe(false);
    const built = await assemble(chunksStream(parts.map((p) => p.chunk)));
    const pair = await lastPair(th);
    expect(pair.status).toBe("canceled");
    expect(pair.response?.parts).toEqual(built?.parts);
    const text = (pair.response?.parts.find((p) => p.type === "text")?.text as string) ?? "";
    expect(text).toContain("word3");
    expect(text).not.toContain("word59");
    // A reconnect (with a cursor) sees the abort too; without one there is nothing live: 204.
    const replay = partsOf(await framesOf(await getStream(account, ws, th, { lastEventId: "0" })));
    expect(replay).toEqual(parts);
    expect((await getStream(account, ws, th)).status).toBe(204);
    expect((await threads(account).get(ws, th)).body.status).toBe("idle");
  });

  it("Should answer 204 to a cancel when nothing streams", async () => {
    const { response, th } = await startSlow(2, 0);
    await framesOf(response);
    expect((await cancelStream(account, ws, th)).status).toBe(204);
  });
});

describe("concurrent POSTs", () => {
  it("Should refuse a second POST on a streaming thread with 409, and ?interrupt=true replaces it", async () => {
    const first = await startSlow(60, 30);
    const firstReader = new SseReader(first.response);
    await firstReader.until((frame) => (frame.data ?? "").includes("word1"), 5_000);
    const refused = await postStream(account, ws, {
      thread_id: first.th,
      message: { role: "user", content: "second" },
    });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("conflict");
    const second = await postStream(
      account,
      ws,
      { thread_id: first.th, message: { role: "user", content: "second question" } },
      "?interrupt=true",
    );
    expect(second.status).toBe(200);
    const firstParts = partsOf(await firstReader.rest(5_000).then(() => firstReader.seen));
    expect(firstParts.at(-1)?.chunk.type).toBe("abort");
    const secondParts = partsOf(await framesOf(second));
    expect(secondParts.at(-1)?.chunk.type).toBe("finish");
    const pairs = await threads(account).messages<PairBody>(ws, first.th, "view=pairs");
    expect(pairs.body.items.map((pair) => pair.status)).toEqual(["canceled", "completed"]);
    expect(pairs.body.items[1]?.response?.parts.at(-1)).toMatchObject({ text: "second question" });
  });
});

describe("thread deletion", () => {
  it("Should stop the stream of a deleted thread and leave nothing behind", async () => {
    const { response, th } = await startSlow(80, 30);
    const reader = new SseReader(response);
    await reader.until((frame) => (frame.data ?? "").includes("word1"), 5_000);
    expect((await threads(account).delete(ws, th)).status).toBe(204);
    const rest = await reader.rest(5_000);
    expect(endsWithDone(rest)).toBe(true);
    expect((await threads(account).get(ws, th)).status).toBe(404);
    expect((await getStream(account, ws, th)).status).toBe(404);
    const rows = await runInDurableObject(workspaceStub(ws), (_i: WorkspaceDO, state) =>
      state.storage.sql
        .exec("SELECT count(*) AS n FROM thread_streams WHERE thread_id = ?", th)
        .one(),
    );
    expect(Number(rows.n)).toBe(0);
  });
});

describe("streams/debug", () => {
  it("Should list the running thread stream and its subscribers", async () => {
    const { response, th } = await startSlow(40, 30);
    const reader = new SseReader(response);
    await reader.until((frame) => (frame.data ?? "").includes("word1"), 5_000);
    const second = new SseReader(await getStream(account, ws, th));
    await second.next();
    const debug = await api<{
      thread_streams: { thread_id: string; subscribers: { live: boolean }[] }[];
    }>("GET", `/v1/workspaces/${ws}/streams/debug`, { key: account.key });
    expect(debug.status).toBe(200);
    const entry = debug.body.thread_streams.find((stream) => stream.thread_id === th);
    expect(entry?.subscribers).toHaveLength(2);
    await cancelStream(account, ws, th);
    await Promise.all([reader.rest(5_000), second.rest(5_000)]);
  });
});

describe("a Durable Object restart mid-stream", () => {
  it("Should end the stream as interrupted, never stuck streaming", async () => {
    const { response, th } = await startSlow(200, 40);
    const reader = new SseReader(response);
    await reader.until((frame) => (frame.data ?? "").includes("word5"), 5_000);
    const seen = partsOf(reader.seen);
    // Reset the object: its in-memory producer is gone; storage stays.
    await runInDurableObject(workspaceStub(ws), (_i: WorkspaceDO, state) => {
      state.abort("test restart");
    }).catch(() => undefined);
    await reader.cancel();
    // The next call constructs a new instance, which finishes the orphan on wake.
    const thread = await threads(account).get(ws, th);
    expect(thread.status).toBe(200);
    expect(thread.body.status).toBe("idle");
    const pair = await lastPair(th);
    expect(pair.status).toBe("interrupted");
    // A client that got `seen` reconnects after its last part: the rest ends with the error.
    const last = seen.at(-1)?.seq ?? 0;
    const rest = await framesOf(await getStream(account, ws, th, { lastEventId: String(last) }));
    expect(endsWithDone(rest)).toBe(true);
    const restParts = partsOf(rest);
    expect(restParts.at(-1)?.chunk).toMatchObject({ type: "error" });
    const built = await assemble(chunksStream([...seen, ...restParts].map((p) => p.chunk)));
    expect(pair.response?.parts).toEqual(built?.parts);
    expect((await getStream(account, ws, th)).status).toBe(204);
  });
});

describe("retention", () => {
  it("Should trim a finished stream's parts once the retention period has passed", async () => {
    const { response, th } = await startSlow(3, 0);
    await framesOf(response);
    expect((await getStream(account, ws, th, { lastEventId: "0" })).status).toBe(200);
    await runInDurableObject(workspaceStub(ws), async (instance: WorkspaceDO) => {
      const { streams } = internalsOf(instance).composed.threads;
      await streams.onAlarm(Date.now() + 2 * 3_600_000);
    });
    expect((await getStream(account, ws, th, { lastEventId: "0" })).status).toBe(204);
    // The answer itself stays.
    expect((await lastPair(th)).status).toBe("completed");
  });
});

describe("validation", () => {
  it("Should refuse bad bodies with 400 and an unconfigured provider with 400", async () => {
    expectError(
      await api("POST", `/v1/workspaces/${ws}/threads/stream`, { key: account.key, body: {} }),
      400,
      "invalid_request",
    );
    expectError(
      await api("POST", `/v1/workspaces/${ws}/threads/stream`, {
        key: account.key,
        body: { message: { role: "assistant", content: "x" } },
      }),
      400,
      "invalid_request",
    );
    expectError(
      await api("POST", `/v1/workspaces/${ws}/threads/stream`, {
        key: account.key,
        body: { message: { role: "user", content: "x" }, model: "openai-compatible" },
      }),
      400,
      "invalid_request",
    );
    expectError(
      await api("POST", `/v1/workspaces/${ws}/threads/stream`, {
        key: account.key,
        body: { id: "not a chat id!", messages: [{ id: "m1", role: "user", parts: [] }] },
      }),
      400,
      "invalid_request",
    );
  });

  it("Should take the message as plain text", async () => {
    const response = await postStream(account, ws, { message: "just text" });
    const th = response.headers.get("x-thread-id") as string;
    await framesOf(response);
    const pair = await lastPair(th);
    expect(pair.query?.parts).toEqual([{ type: "text", text: "just text" }]);
    expect(pair.response?.parts.at(-1)).toMatchObject({ type: "text", text: "just text" });
  });
});
