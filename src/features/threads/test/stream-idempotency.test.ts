import { beforeAll, describe, expect, it } from "vitest";
import { createAccount, createWorkspace, type TestAccount } from "../../../../test/helpers";
import { SseReader } from "../../events/test/sse-reader";
import { endsWithDone, framesOf, partsOf, postStream } from "./stream-helpers";
import { threads } from "./thread-helpers";

// A POST …/threads/stream retried under its Idempotency-Key never runs the turn twice: it gets
// the stream the first request started, replayed from its first part and followed live.

let account: TestAccount;
let ws: string;

beforeAll(async () => {
  account = await createAccount("stream idempotency");
  ws = (await createWorkspace(account)).id;
});

const body = { message: { role: "user", content: "/delay 20\none two three four five six" } };
const headersOf = (response: Response) => ({
  thread: response.headers.get("x-thread-id"),
  stream: response.headers.get("x-thread-stream-id"),
  message: response.headers.get("x-message-id"),
});

describe("POST …/threads/stream with an Idempotency-Key", () => {
  it("Should run one turn: a retry attaches live, a later one replays the whole answer", async () => {
    // A workspace of its own, so the count of threads below is this test's.
    const ws = (await createWorkspace(account)).id;
    const key = { "idempotency-key": `stream-${crypto.randomUUID()}` };
    const first = await postStream(account, ws, body, "", key);
    expect(first.status).toBe(200);
    const original = new SseReader(first);
    await original.next(5_000);

    // While the first still streams: the same stream, from its start, then live.
    const live = await postStream(account, ws, body, "", key);
    expect(live.status).toBe(200);
    expect(live.headers.get("idempotent-replayed")).toBe("true");
    expect(headersOf(live)).toEqual(headersOf(first));
    const liveFrames = await framesOf(live);

    const all = [...original.seen, ...(await original.rest(10_000))];
    const parts = partsOf(all);
    expect(endsWithDone(all)).toBe(true);
    expect(endsWithDone(liveFrames)).toBe(true);
    expect(partsOf(liveFrames)).toEqual(parts);

    // After it finished: the whole answer again.
    const later = await postStream(account, ws, body, "", key);
    expect(later.status).toBe(200);
    expect(headersOf(later)).toEqual(headersOf(first));
    expect(partsOf(await framesOf(later))).toEqual(parts);

    // One turn: one user message, one assistant message.
    const thread = await threads(account).get(ws, headersOf(first).thread as string);
    expect(thread.body.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(thread.body.messages[1]?.id).toBe(headersOf(first).message);
    const list = await threads(account).list(ws);
    expect(list.body.items.length).toBe(1);
  });

  it("Should be 422 for another body under the same key", async () => {
    const key = { "idempotency-key": `stream-${crypto.randomUUID()}` };
    const first = await postStream(account, ws, { message: "hello" }, "", key);
    await framesOf(first);
    const other = await postStream(account, ws, { message: "something else" }, "", key);
    expect(other.status).toBe(422);
    const error = ((await other.json()) as { error: { code: string } }).error;
    expect(error.code).toBe("unprocessable");
  });
});
