import type { UIMessageChunk } from "ai";
import { beforeAll, describe, expect, it } from "vitest";
import { createAccount, createWorkspace, type TestAccount } from "../../../../test/helpers";
import { SseReader } from "../../events/test/sse-reader";
import {
  assemble,
  chatTransport,
  chunksStream,
  endsWithDone,
  framesOf,
  getStream,
  partsOf,
  postStream,
} from "./stream-helpers";
import { type MessageBody, threads } from "./thread-helpers";

// A client cut off at any point of a stream reconnects and ends with exactly the message an
// uninterrupted client built, which is also the stored one: with Last-Event-ID (the replay
// resumes after its last part) and without (the replay starts over and the client rebuilds).

let account: TestAccount;
let ws: string;

beforeAll(async () => {
  account = await createAccount("stream resume");
  ws = (await createWorkspace(account)).id;
});

/** How long before a stream's end a reconnect may still find it finished (a busy machine). */
const RECONNECT_SLACK_MS = 500;
const QUESTION = "the quick brown fox jumps over the lazy dog and then naps in the warm sun";

async function storedAnswer(th: string): Promise<MessageBody> {
  const thread = await threads(account).get(ws, th);
  expect(thread.body.status).toBe("idle");
  return thread.body.messages.at(-1) as MessageBody;
}

/** The message the SDK builds from chunks, as {id, role, parts} (what the store keeps of it). */
async function built(chunks: readonly UIMessageChunk[]) {
  const message = await assemble(chunksStream(chunks));
  return { id: message?.id, role: message?.role, parts: message?.parts };
}

const sameAs = (stored: MessageBody) => ({ id: stored.id, role: stored.role, parts: stored.parts });

describe("reconnecting with Last-Event-ID", () => {
  it("Should give the uninterrupted message after a cut at every position of a finished stream", async () => {
    const response = await postStream(account, ws, {
      message: { role: "user", content: QUESTION },
    });
    const th = response.headers.get("x-thread-id") as string;
    const all = partsOf(await framesOf(response));
    const stored = await storedAnswer(th);
    expect(await built(all.map((p) => p.chunk))).toEqual(sameAs(stored));
    for (let k = 0; k <= all.length; k++) {
      // A client that got the first k parts (a real connection, cut after k frames)…
      const reader = new SseReader(await getStream(account, ws, th, { lastEventId: "0" }));
      const head = [];
      for (let i = 0; i < k; i++) head.push(await reader.next());
      await reader.cancel();
      const got = partsOf(head.filter((frame) => frame !== null));
      expect(got.map((p) => p.seq)).toEqual(all.slice(0, k).map((p) => p.seq));
      // …reconnects after the last one it has.
      const resumed = await framesOf(
        await getStream(account, ws, th, { lastEventId: String(got.at(-1)?.seq ?? 0) }),
      );
      expect(endsWithDone(resumed), `cut at ${k}`).toBe(true);
      const rest = partsOf(resumed);
      expect(
        rest.map((p) => p.seq),
        `cut at ${k}`,
      ).toEqual(all.slice(k).map((p) => p.seq));
      expect(await built([...got, ...rest].map((p) => p.chunk)), `cut at ${k}`).toEqual(
        sameAs(stored),
      );
    }
    // ?cursor= works like Last-Event-ID.
    const byQuery = partsOf(
      await framesOf(await getStream(account, ws, th, { query: "?cursor=3" })),
    );
    expect(byQuery).toEqual(all.slice(3));
  });

  it("Should give the uninterrupted message after a cut at every position of a live stream", async () => {
    const response = await postStream(account, ws, {
      message: { role: "user", content: `/delay 15\n${QUESTION}` },
    });
    const th = response.headers.get("x-thread-id") as string;
    const original = new SseReader(response);
    // One client per position, all cut while the stream is live, all reconnecting at once.
    const count = QUESTION.split(" ").length + 6;
    const results = await Promise.all(
      Array.from({ length: count }, async (_, k) => {
        const reader = new SseReader(await getStream(account, ws, th));
        const head = [];
        for (let i = 0; i < k; i++) head.push(await reader.next(5_000));
        await reader.cancel();
        const got = partsOf(head.filter((frame) => frame !== null));
        const resumed = await framesOf(
          await getStream(account, ws, th, { lastEventId: String(got.at(-1)?.seq ?? 0) }),
        );
        expect(endsWithDone(resumed)).toBe(true);
        return built([...got, ...partsOf(resumed)].map((p) => p.chunk));
      }),
    );
    const uninterrupted = await built(partsOf(await original.rest(10_000)).map((p) => p.chunk));
    const stored = await storedAnswer(th);
    expect(uninterrupted).toEqual(sameAs(stored));
    for (const [k, result] of results.entries()) {
      expect(result, `cut at ${k}`).toEqual(sameAs(stored));
    }
  });
});

describe("reconnecting without Last-Event-ID", () => {
  it("Should replay from the start while live, and give the same message at every position", async () => {
    const transport = chatTransport(account, ws);
    const response = await postStream(account, ws, {
      // Slow enough that most clients reattach while it is live, even on a busy machine.
      message: { role: "user", content: `/delay 60\n${QUESTION}` },
    });
    const th = response.headers.get("x-thread-id") as string;
    const original = new SseReader(response);
    const count = QUESTION.split(" ").length + 6;
    const outcomes = await Promise.all(
      Array.from({ length: count }, async (_, k) => {
        const reader = new SseReader(await getStream(account, ws, th));
        for (let i = 0; i < k; i++) await reader.next(5_000);
        await reader.cancel();
        // The SDK's own reconnect (GET …/threads/{th}/stream, no Last-Event-ID): a replay
        // from the start, so the client rebuilds the message from nothing.
        const at = Date.now();
        const stream = await transport.reconnectToStream({ chatId: th });
        if (stream === null) return { at, replayed: false, message: null };
        return { at, replayed: true, message: await assemble(stream) };
      }),
    );
    await original.rest(10_000);
    const stored = await storedAnswer(th);
    const finishedAt = Date.parse(String(stored.metadata?.finished_at));
    expect(Number.isNaN(finishedAt)).toBe(false);
    let replayed = 0;
    for (const [k, outcome] of outcomes.entries()) {
      if (!outcome.replayed) {
        // 204: the stream had finished meanwhile (the client loads the thread instead). Only a
        // client that asked just before the end may get it; one that asked well before may not.
        // (How many clients are that late depends on the machine's load, so no count is asked.)
        expect(
          outcome.at,
          `cut at ${k}: 204 although it asked well before the end`,
        ).toBeGreaterThan(finishedAt - RECONNECT_SLACK_MS);
        continue;
      }
      replayed++;
      const message = outcome.message;
      expect(
        { id: message?.id, role: message?.role, parts: message?.parts },
        `cut at ${k}`,
      ).toEqual(sameAs(stored));
    }
    // The first clients reattach at once, while it is surely live: never vacuous.
    expect(replayed).toBeGreaterThan(0);
    // Once it has finished there is nothing to reattach to.
    expect(await transport.reconnectToStream({ chatId: th })).toBeNull();
  });
});

describe("a cursor across a thread's streams", () => {
  const resetOf = (frame: { event?: string; data?: string; id?: string } | undefined) => {
    expect(frame?.event).toBe("reset");
    const part = JSON.parse(frame?.data ?? "null");
    expect(part).toMatchObject({ type: "data-reset", transient: true });
    return { ...part.data, id: Number(frame?.id) };
  };

  it("Should answer another stream's cursor, or one beyond the end, with a reset and the whole stream, never a gap", async () => {
    const first = await postStream(account, ws, { message: { role: "user", content: QUESTION } });
    const th = first.headers.get("x-thread-id") as string;
    const firstParts = partsOf(await framesOf(first));
    const firstLast = firstParts.at(-1)?.seq as number;
    expect(firstParts[0]?.seq).toBe(1);

    // A second answer in the same thread, live while the clients below reattach.
    const second = await postStream(account, ws, {
      thread_id: th,
      message: { role: "user", content: `/delay 20\n${QUESTION}` },
    });
    const streamId = second.headers.get("x-thread-stream-id");
    const original = new SseReader(second);
    const head: ReturnType<typeof partsOf> = [];
    for (let i = 0; i < 3; i++)
      head.push(...partsOf([(await original.next(5_000)) ?? { comments: [] }]));
    // Its ids go on from the first answer's: no id names a part of both.
    expect(head[0]?.seq).toBeGreaterThan(firstLast);
    expect(head.map((p) => p.seq)).toEqual([0, 1, 2].map((i) => (head[0]?.seq as number) + i));

    const [stale, beyond, normal] = await Promise.all([
      getStream(account, ws, th, { lastEventId: String(firstLast) }).then((r) => framesOf(r)),
      getStream(account, ws, th, { lastEventId: "999999" }).then((r) => framesOf(r)),
      getStream(account, ws, th, { lastEventId: String(head[2]?.seq) }).then((r) => framesOf(r)),
    ]);
    const all = [...head, ...partsOf(await original.rest(10_000))];
    const stored = await storedAnswer(th);
    expect(await built(all.map((p) => p.chunk))).toEqual(sameAs(stored));

    // The first answer's last id: a reset, then the second answer from its `start`, to [DONE].
    const staleReset = resetOf(stale[0]);
    expect(staleReset).toMatchObject({
      reason: "cursor_other_stream",
      requested_cursor: firstLast,
      stream_id: streamId,
    });
    expect(staleReset.id).toBe(staleReset.cursor);
    expect(staleReset.cursor).toBeLessThan(all[0]?.seq as number);
    expect(partsOf(stale.slice(1)).map((p) => p.seq)).toEqual(all.map((p) => p.seq));
    expect(partsOf(stale.slice(1))[0]?.chunk.type).toBe("start");
    expect(endsWithDone(stale)).toBe(true);
    expect(await built(partsOf(stale.slice(1)).map((p) => p.chunk))).toEqual(sameAs(stored));

    // Beyond the end: the same.
    expect(resetOf(beyond[0])).toMatchObject({
      reason: "cursor_unknown",
      requested_cursor: 999999,
    });
    expect(partsOf(beyond.slice(1)).map((p) => p.seq)).toEqual(all.map((p) => p.seq));

    // One of its own ids: no reset, the rest after it.
    expect(normal.some((frame) => frame.event === "reset")).toBe(false);
    expect(partsOf(normal).map((p) => p.seq)).toEqual(all.slice(3).map((p) => p.seq));

    // Finished: the same answers from the retained stream.
    const finishedStale = await framesOf(
      await getStream(account, ws, th, { lastEventId: String(firstLast) }),
    );
    expect(resetOf(finishedStale[0]).reason).toBe("cursor_other_stream");
    expect(partsOf(finishedStale.slice(1)).map((p) => p.seq)).toEqual(all.map((p) => p.seq));
    const finishedBeyond = await framesOf(
      await getStream(account, ws, th, { query: `?cursor=${(all.at(-1)?.seq as number) + 1}` }),
    );
    expect(resetOf(finishedBeyond[0]).reason).toBe("cursor_unknown");
    const finishedNormal = await framesOf(
      await getStream(account, ws, th, { lastEventId: String(all[5]?.seq) }),
    );
    expect(partsOf(finishedNormal).map((p) => p.seq)).toEqual(all.slice(6).map((p) => p.seq));
  });
});
