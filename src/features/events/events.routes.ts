import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/app-env";
import { ApiError } from "../../http/errors";
import {
  jsonResponse,
  lastEventIdHeader,
  WorkspaceParamsSchema,
  withErrors,
} from "../../http/openapi-helpers";
import { apiRoute } from "../../http/route";
import { relayUntilCancelled } from "../../lib/relay-stream";
import { ThreadStreamInfoSchema, ThreadStreamReplaySchema } from "../threads/stream.schemas";
import { TypePrefixSchema } from "./event-schema";
import { isWebSocketUpgrade, socketForwardRequest, upgradeRequired } from "./socket-forward";
import { resumeCursor, SSE_HEADERS } from "./sse";
import { streamTicketAuth } from "./stream-ticket-auth";
import { newTicket, TICKET_TTL_MS } from "./stream-tickets";
import { SubscriberInfoSchema } from "./subscriber";
import { WorkspaceEventSchema } from "./workspace-event";

// The workspace's live event feed: an SSE tail and a hibernatable WebSocket over the same log,
// the tickets that let a browser open either without an Authorization header, and a view of
// who is connected.

const tags = ["Events"];

const StreamQuerySchema = z.object({
  cursor: z.coerce.number().int().min(0).optional().openapi({
    description: "Replay events after this id (`Last-Event-ID` wins when both are sent)",
  }),
  types: z
    .string()
    .max(1000)
    .optional()
    .refine(
      (value) =>
        value === undefined ||
        value.split(",").every((part) => TypePrefixSchema.safeParse(part.trim()).success),
      "a comma-separated list of type prefixes, e.g. `workspace.,file.`",
    )
    .openapi({
      description: "Deliver only types starting with one of these comma-separated prefixes",
      example: "workspace.,codebase.",
    }),
  ticket: z.string().max(200).optional().openapi({
    description: "A stream ticket (`POST …/stream-tickets`) instead of an Authorization header",
  }),
});

const LastEventIdHeaderSchema = lastEventIdHeader("Sent by a reconnecting EventSource");

const eventsRoute = apiRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/events",
  operationId: "streamWorkspaceEvents",
  auth: "ticket",
  authenticate: streamTicketAuth("sse"),
  stream: true,
  tags,
  summary: "Follow the workspace's events (SSE): replay what was missed, then live",
  description:
    "Each event is an SSE frame `event: workspace-event`, `id: <event id>`, `data: <WorkspaceEvent JSON>`. " +
    "A comment heartbeat comes every 15 s. The server ends the stream after its lifetime (5 min) with a " +
    "`retry:` hint; reconnect with `Last-Event-ID` (or `?cursor=`) to resume without loss. When the events " +
    "after the cursor are no longer retained, an `event: reset` frame comes first: refetch state, then follow. " +
    "A subscriber too slow to read gets `event: dropped` and is closed; it resumes by id. Deleting the " +
    "workspace ends the stream with `event: closed`.",
  request: {
    params: WorkspaceParamsSchema,
    query: StreamQuerySchema,
    headers: LastEventIdHeaderSchema,
  },
  responses: {
    200: {
      description: "An event stream; each `data:` is a WorkspaceEvent",
      content: { "text/event-stream": { schema: WorkspaceEventSchema } },
    },
    ...withErrors(),
  },
});

const socketRoute = apiRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/socket",
  operationId: "openWorkspaceSocket",
  auth: "ticket",
  authenticate: streamTicketAuth("socket"),
  stream: true,
  tags,
  summary: "Follow the workspace's events over a WebSocket (hibernatable)",
  description:
    "Upgrade with `Upgrade: websocket`. Each workspace event arrives as one JSON message (a WorkspaceEvent). " +
    'Send `{"type":"subscribe","cursor":N,"types":["file."]}` to replay events after `N` and follow live; the ' +
    'server answers `{"type":"subscribed","cursor":N,"head":H}` (or `{"type":"reset",…}` when events after `N` ' +
    'are no longer retained). `{"type":"ping"}` is answered `{"type":"pong"}`. Also sent: `{"type":"workspace_reset",…}` ' +
    'after `POST …/reset`, `{"type":"closed","reason":"workspace_deleted"}` (close code 4404) on delete, and ' +
    '`{"type":"dropped","cursor":N}` (close code 4008) when a replay is too long to send at once.',
  request: {
    params: WorkspaceParamsSchema,
    query: StreamQuerySchema,
    headers: LastEventIdHeaderSchema,
  },
  responses: {
    101: { description: "Switching Protocols: the socket is open" },
    ...withErrors(),
  },
});

const TicketSchema = z
  .object({
    ticket: z.string().openapi({ description: "Pass as `?ticket=`; valid once, for 60 s" }),
    workspace_id: z.string(),
    expires_at: z.string(),
    expires_in: z.number().int().openapi({ description: "Seconds" }),
  })
  .openapi("StreamTicket");

const ticketRoute = apiRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/stream-tickets",
  operationId: "createStreamTicket",
  auth: "key",
  tags,
  summary: "Issue a single-use, 60-second ticket for `/events` or `/socket` (for browsers)",
  request: { params: WorkspaceParamsSchema },
  responses: { 201: jsonResponse(TicketSchema, "The ticket, shown once"), ...withErrors(422) },
});

const StreamsDebugSchema = z
  .object({
    head_event_id: z.number().int(),
    oldest_retained_id: z.number().int(),
    subscribers: z.array(SubscriberInfoSchema),
    thread_streams: z.array(ThreadStreamInfoSchema).openapi({
      description: "Thread streams being produced, with the clients following each",
    }),
    thread_stream_replays: z.array(ThreadStreamReplaySchema).openapi({
      description: "Clients replaying a finished thread stream",
    }),
  })
  .openapi("StreamsDebug");

const debugRoute = apiRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/streams/debug",
  operationId: "getStreamDebug",
  auth: "key",
  tags,
  summary: "Active SSE tails, sockets and thread streams with their cursor, queued bytes and age",
  request: { params: WorkspaceParamsSchema },
  responses: { 200: jsonResponse(StreamsDebugSchema, "Who is connected"), ...withErrors() },
});

function subscription(query: z.infer<typeof StreamQuerySchema>, lastEventId: string | undefined) {
  return {
    cursor: resumeCursor(lastEventId, query.cursor),
    types: query.types ? query.types.split(",").map((part) => part.trim()) : null,
  };
}

export function registerEventRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(eventsRoute, async (c) => {
    const request = subscription(c.req.valid("query"), c.req.valid("header")["last-event-id"]);
    const workspace = c.var.workspace;
    const { tailId, stream } = await workspace.events.open(request);
    const body = relayUntilCancelled(
      stream,
      () => workspace.events.close(tailId),
      (promise) => c.executionCtx.waitUntil(promise),
    );
    return new Response(body, { status: 200, headers: SSE_HEADERS });
  });

  app.openapi(socketRoute, async (c) => {
    const workspace = c.var.workspace;
    if (!isWebSocketUpgrade(c.req.header("upgrade"))) {
      // Another account's workspace is a 404 whatever else is wrong with the request.
      await workspace.workspaces.status();
      throw upgradeRequired();
    }
    const request = subscription(c.req.valid("query"), c.req.valid("header")["last-event-id"]);
    const response = await workspace.forward(
      socketForwardRequest(c.req.raw, { caller: workspace.caller, subscription: request }),
    );
    if (response.status === 404) throw new ApiError("not_found", "workspace not found");
    return response;
  });

  app.openapi(ticketRoute, async (c) => {
    const workspace = c.var.workspace;
    const now = Date.now();
    const ticket = await newTicket(workspace.id, now);
    await workspace.events.storeTicket({ hash: ticket.hash, expiresAt: ticket.expiresAt });
    // A secret: never stored for idempotent replay (see the idempotency middleware).
    c.header("Cache-Control", "no-store");
    return c.json(
      {
        ticket: ticket.ticket,
        workspace_id: workspace.id,
        expires_at: new Date(ticket.expiresAt).toISOString(),
        expires_in: TICKET_TTL_MS / 1000,
      },
      201,
    );
  });

  app.openapi(debugRoute, async (c) => {
    const report = await c.var.workspace.events.debug();
    return c.json(report, 200);
  });
}
