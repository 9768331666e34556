import { DefaultChatTransport, readUIMessageStream, type UIMessage, type UIMessageChunk } from "ai";
import { expect } from "vitest";
import { dispatch, type TestAccount } from "../../../../test/helpers";
import { type SseFrame, SseReader } from "../../events/test/sse-reader";
import { threadPath, threadsPath } from "./thread-helpers";

// Shared by the thread stream suites: the AI SDK's own client (DefaultChatTransport over the
// Worker's fetch handler, readUIMessageStream) and a raw SSE view of the same streams.

const BASE = "https://api.test";

export const streamPath = (ws: string) => `${threadsPath(ws)}/stream`;

/** A fetch that hands requests to the Worker, as the SDK's transports call it. */
export const workerFetch = (input: RequestInfo | URL, init?: RequestInit) =>
  dispatch(
    new Request(typeof input === "string" || input instanceof URL ? input : input.url, init),
  );

/** DefaultChatTransport as a browser would configure it for this API. */
export function chatTransport(
  account: TestAccount,
  ws: string,
  body: Record<string, unknown> = {},
) {
  return new DefaultChatTransport<UIMessage>({
    api: `${BASE}${streamPath(ws)}`,
    headers: { authorization: `Bearer ${account.key}` },
    body,
    fetch: workerFetch as typeof fetch,
    prepareReconnectToStreamRequest: ({ id, headers }) => ({
      api: `${BASE}${threadPath(ws, id)}/stream`,
      headers,
    }),
  });
}

/** The message the SDK's reader builds from a stream of chunks (its last snapshot). */
export async function assemble(stream: ReadableStream<UIMessageChunk>): Promise<UIMessage | null> {
  let last: UIMessage | null = null;
  for await (const message of readUIMessageStream({ stream, onError: () => undefined })) {
    last = message;
  }
  return last;
}

export const chunksStream = (chunks: readonly UIMessageChunk[]) =>
  new ReadableStream<UIMessageChunk>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });

let counter = 0;
/** A user message as the SDK's Chat makes it. */
export const userMessage = (
  text: string,
  id = `msg_user_${Date.now().toString(36)}_${counter++}`,
) => ({ id, role: "user", parts: [{ type: "text", text }] }) as UIMessage;

/** POSTs the short form `{thread_id?, message, …}`; answers the raw response. */
export function postStream(
  account: TestAccount,
  ws: string,
  body: Record<string, unknown>,
  query = "",
  headers: Record<string, string> = {},
) {
  return dispatch(
    new Request(`${BASE}${streamPath(ws)}${query}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${account.key}`,
        "content-type": "application/json",
        ...headers,
      },
      body: JSON.stringify(body),
    }),
  );
}

export function getStream(
  account: TestAccount,
  ws: string,
  th: string,
  options: { lastEventId?: string; query?: string } = {},
) {
  const headers: Record<string, string> = { authorization: `Bearer ${account.key}` };
  if (options.lastEventId !== undefined) headers["last-event-id"] = options.lastEventId;
  return dispatch(
    new Request(`${BASE}${threadPath(ws, th)}/stream${options.query ?? ""}`, { headers }),
  );
}

export function cancelStream(account: TestAccount, ws: string, th: string) {
  return dispatch(
    new Request(`${BASE}${threadPath(ws, th)}/stream`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${account.key}` },
    }),
  );
}

/** Every frame of an SSE response to its end. */
export async function framesOf(response: Response, timeoutMs = 10_000): Promise<SseFrame[]> {
  expect(response.status).toBe(200);
  return new SseReader(response).rest(timeoutMs);
}

/** The part frames (not [DONE], not comments), as numbered chunks. */
export function partsOf(frames: readonly SseFrame[]): { seq: number; chunk: UIMessageChunk }[] {
  return frames
    .filter((frame) => frame.data !== undefined && frame.data !== "[DONE]")
    .map((frame) => ({ seq: Number(frame.id), chunk: JSON.parse(frame.data as string) }));
}

export const endsWithDone = (frames: readonly SseFrame[]) =>
  frames.filter((frame) => frame.data !== undefined).at(-1)?.data === "[DONE]";
