import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { UI_MESSAGE_STREAM_HEADERS } from "ai";
import type { AppEnv } from "../../http/app-env";
import { ApiError } from "../../http/errors";
import {
  jsonBody,
  jsonResponse,
  lastEventIdHeader,
  noContent,
  WorkspaceParamsSchema,
  withErrors,
} from "../../http/openapi-helpers";
import { apiRoute } from "../../http/route";
import type { WorkspaceClient } from "../../kernel/workspace-client";
import { relayUntilCancelled } from "../../lib/relay-stream";
import { resumeCursor } from "../events/sse";
import {
  ReattachQuerySchema,
  StreamQuerySchema,
  StreamRequestSchema,
  StreamThreadParamsSchema,
  threadIdOfChat,
} from "./stream.schemas";

// A thread's AI response as a resumable stream: the AI SDK's UI message stream over SSE
// (`data: <part>` frames, each with `id: <part id>`, unique within the thread, then
// `data: [DONE]`), produced in the workspace's Durable Object whatever happens to the
// connection. A client that loses it reattaches with GET (Last-Event-ID resumes after the last
// part it got; a cursor the stream cannot serve is answered with a reset, stream-cursor.ts).

const tags = ["Threads"];

const streamHeaders = {
  "x-thread-id": { schema: { type: "string" as const }, description: "The thread answered" },
  "x-thread-stream-id": {
    schema: { type: "string" as const },
    description: "The stream (`?stream_id=` when reattaching)",
  },
  "x-message-id": {
    schema: { type: "string" as const },
    description: "The assistant message being produced",
  },
};

const sseResponse = (description: string) => ({
  description,
  headers: streamHeaders,
  content: {
    "text/event-stream": {
      schema: z.string().openapi({
        description:
          "SSE frames `data: <UIMessageChunk JSON>` + `id: <part id>` (unique within the thread: a stream numbers its parts on from the thread's previous one), ending with `data: [DONE]`. A reattach whose cursor is not one of this stream's parts starts with `event: reset` (data: a transient `data-reset` part `{reason: cursor_other_stream|cursor_unknown, requested_cursor, stream_id, cursor}`, `id:` the stream's start), then the whole stream",
      }),
    },
  },
});

const LastEventIdHeaderSchema = lastEventIdHeader(
  "The id of the last part received: the replay starts after it",
);

const startRoute = apiRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/threads/stream",
  operationId: "createThreadStream",
  auth: "key",
  body: "thread",
  stream: true,
  // A retry with the key attaches to the stream the first request started (idempotency.ts).
  idempotent: true,
  tags,
  summary: "Send a user message and stream the AI answer (AI SDK UI message stream over SSE)",
  description:
    "Accepts DefaultChatTransport's body (`id`: the thread, `messages`, `trigger`, `messageId`) or " +
    "`{thread_id?, message}`. The thread is created if needed, the user message stored, and the " +
    "answer produced in the workspace's Durable Object independently of this connection: every part " +
    "is stored as it is produced, and the assembled assistant message is saved when the stream ends " +
    "(metadata `{status, started_at, finished_at, error?}`). While the thread streams, another POST " +
    "is 409 unless `?interrupt=true`, which cancels the running stream first. `model` picks the " +
    "provider, `tools` the workspace tools (list_files, read_file, write_file, search_files), " +
    "`max_steps` the agent loop's limit. With an `Idempotency-Key`, a retry of the same request " +
    "never starts a second turn: it answers the stream the first one started, from its first part " +
    "(replayed, then followed live while it runs; `Idempotent-Replayed: true`), with the same " +
    "headers; another request under the key is 422, a retry before the first has started its " +
    "stream 409, and once that stream's parts are no longer retained (THREAD_STREAM_RETENTION_MS) " +
    "409 naming the thread and message.",
  request: {
    params: WorkspaceParamsSchema,
    query: StreamQuerySchema,
    body: jsonBody(StreamRequestSchema),
  },
  responses: {
    200: sseResponse("The answer as it is produced"),
    ...withErrors(409),
    413: { description: "The request body is too large" },
  },
});

const reattachRoute = apiRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/threads/{th}/stream",
  operationId: "resumeThreadStream",
  auth: "key",
  stream: true,
  tags,
  summary: "Reattach to the thread's stream: replay, then follow live, to `[DONE]`",
  description:
    "204 when nothing is streaming. Otherwise the running stream's parts from the start (or after " +
    "`Last-Event-ID` / `?cursor=`), then live. With a cursor, the newest finished stream is replayed " +
    "too while its parts are retained (THREAD_STREAM_RETENTION_MS), so a client cut off just before " +
    "the end still gets the rest. Part ids are unique within the thread; a cursor that is not one of " +
    "this stream's parts (another stream's, or beyond this one's end) is answered with an " +
    "`event: reset` frame and then the whole stream from its start, never with a gap. `0` replays " +
    "from the start.",
  request: {
    params: StreamThreadParamsSchema,
    query: ReattachQuerySchema,
    headers: LastEventIdHeaderSchema,
  },
  responses: {
    200: sseResponse("The stream"),
    204: { description: "No stream to follow" },
    ...withErrors(),
  },
});

const CancelResultSchema = z
  .object({
    stream_id: z.string(),
    status: z
      .string()
      .openapi({ description: "`canceled` (or how it ended, if it had just ended)" }),
  })
  .openapi("ThreadStreamCanceled");

const cancelRoute = apiRoute({
  method: "delete",
  path: "/v1/workspaces/{ws}/threads/{th}/stream",
  operationId: "cancelThreadStream",
  auth: "key",
  tags,
  summary: "Cancel the thread's stream: the model call is aborted, the partial answer kept",
  description:
    "The stream ends with an `abort` part (reconnecting clients see it) and its answer is saved with " +
    "status `canceled`; answers once that is done. 204 when nothing was streaming.",
  request: { params: StreamThreadParamsSchema },
  responses: {
    200: jsonResponse(CancelResultSchema, "Canceled"),
    204: noContent,
    ...withErrors(),
  },
});

/** The SSE response for a tail of a stream in the DO; its client's cancel is relayed back. */
function streamResponse(
  workspace: WorkspaceClient,
  opened: {
    streamId: string;
    messageId: string;
    tailId: string;
    stream: ReadableStream<Uint8Array>;
  },
  threadId: string,
  waitUntil: (promise: Promise<unknown>) => void,
): Response {
  const body = relayUntilCancelled(
    opened.stream,
    () => workspace.threads.closeStream(opened.tailId),
    waitUntil,
  );
  return new Response(body, {
    status: 200,
    headers: {
      ...UI_MESSAGE_STREAM_HEADERS,
      "x-thread-id": threadId,
      "x-thread-stream-id": opened.streamId,
      "x-message-id": opened.messageId,
    },
  });
}

/** A retried start (same Idempotency-Key): the first request's stream, from its first part. */
async function reopen(workspace: WorkspaceClient, first: Record<string, string>) {
  const threadId = first["x-thread-id"];
  const streamId = first["x-thread-stream-id"];
  const opened =
    threadId && streamId ? await workspace.threads.attachStream(threadId, 0, streamId) : null;
  if (!opened) {
    throw new ApiError(
      "conflict",
      "this Idempotency-Key's stream is no longer retained; its answer is stored in the thread",
      { details: { thread_id: threadId, message_id: first["x-message-id"] } },
    );
  }
  return opened;
}

export function registerThreadStreamRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(startRoute, async (c) => {
    const request = c.req.valid("json");
    const interrupt = c.req.valid("query").interrupt === "true";
    const workspace = c.var.workspace;
    const replayOf = c.var.idempotentReplay;
    if (replayOf) {
      return streamResponse(
        workspace,
        await reopen(workspace, replayOf),
        replayOf["x-thread-id"] ?? "",
        (promise) => c.executionCtx.waitUntil(promise),
      );
    }
    const opened = await workspace.threads.startStream(request, interrupt);
    return streamResponse(workspace, opened, opened.threadId, (promise) =>
      c.executionCtx.waitUntil(promise),
    );
  });

  app.openapi(reattachRoute, async (c) => {
    const th = threadIdOfChat(c.req.valid("param").th);
    const query = c.req.valid("query");
    const cursor = resumeCursor(c.req.valid("header")["last-event-id"], query.cursor);
    const workspace = c.var.workspace;
    const opened = await workspace.threads.attachStream(th, cursor, query.stream_id ?? null);
    if (!opened) return c.body(null, 204);
    return streamResponse(workspace, opened, th, (promise) => c.executionCtx.waitUntil(promise));
  });

  app.openapi(cancelRoute, async (c) => {
    const th = threadIdOfChat(c.req.valid("param").th);
    const result = await c.var.workspace.threads.cancelStream(th);
    if (!result) return c.body(null, 204);
    return c.json(result, 200);
  });
}
