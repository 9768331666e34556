import { z } from "@hono/zod-openapi";
import type { EventLog, LoggedEvent } from "./event-log";
import { matchesTypes, TypePrefixSchema } from "./event-schema";
import { REPLAY_PAGE, replayStart } from "./replay";
import type { SubscriberInfo, SubscriptionRequest } from "./subscriber";

// The workspace's WebSockets, accepted through the Hibernation API: the Durable Object may be
// evicted from memory while sockets stay open, so what a socket asked for lives in its
// attachment, and the in-memory copy below is only a cache of it.

/** Answered by the runtime itself, without waking the Durable Object. */
export const SOCKET_PING = '{"type":"ping"}';
export const SOCKET_PONG = '{"type":"pong"}';

/** The close code sent when the workspace is deleted (4000–4999 are the application's). */
export const CLOSE_WORKSPACE_DELETED = 4404;
/** The close code sent to a subscriber too far behind; it resumes with its cursor. */
export const CLOSE_TOO_FAR_BEHIND = 4008;

/**
 * The most events one subscribe replays. The runtime does not expose a socket's send buffer
 * (workerd#988), so instead of queuing an unbounded backlog the socket is dropped at this point
 * with its cursor, and resumes from there.
 */
export const SOCKET_REPLAY_LIMIT = 5_000;

export const SocketRequestSchema = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("subscribe"),
      cursor: z.number().int().min(0).optional(),
      // Omitted keeps the socket's filter; null delivers every type again.
      types: z.array(TypePrefixSchema).min(1).max(20).nullable().optional(),
    })
    .strict(),
]);

interface SocketAttachment {
  id: string;
  actor: string | null;
  types: string[] | null;
  /** The last event id delivered or skipped. */
  cursor: number;
  connectedAt: number;
}

export class SocketHub {
  private readonly cache = new WeakMap<WebSocket, SocketAttachment>();
  /**
   * The open sockets, kept in step by accept and close so fan-out does not ask the runtime for
   * them on every event; rebuilt from `getWebSockets()` when the DO wakes from hibernation.
   */
  private open: Set<WebSocket> | null = null;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly log: EventLog,
  ) {}

  accept(request: SubscriptionRequest): Response {
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    this.sockets().add(server);
    const attachment: SocketAttachment = {
      id: crypto.randomUUID(),
      actor: request.actor,
      types: request.types,
      cursor: 0,
      connectedAt: Date.now(),
    };
    this.subscribe(server, attachment, request.cursor);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** A message from a client: `{"type":"subscribe","cursor":N,"types":[…]}` (re)subscribes. */
  message(ws: WebSocket, raw: string | ArrayBuffer): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(typeof raw === "string" ? raw : new TextDecoder().decode(raw));
    } catch {
      this.sendError(ws, 'messages are JSON: {"type":"subscribe","cursor":N}');
      return;
    }
    const result = SocketRequestSchema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
      this.sendError(ws, `${where}${issue?.message ?? "invalid message"}`);
      return;
    }
    const attachment = this.attachment(ws);
    if (!attachment) return;
    if (result.data.types !== undefined) attachment.types = result.data.types;
    this.subscribe(ws, attachment, result.data.cursor ?? null);
  }

  /** Sends committed events, in order, to every socket that has not seen them. */
  deliver(events: readonly LoggedEvent[]): void {
    for (const ws of this.sockets()) {
      const attachment = this.attachment(ws);
      if (!attachment) continue;
      for (const event of events) {
        if (event.id <= attachment.cursor) continue;
        attachment.cursor = event.id;
        if (matchesTypes(event.type, attachment.types)) send(ws, event.json);
      }
    }
  }

  /** A control message to every socket, e.g. `workspace_reset`. */
  broadcast(message: Record<string, unknown>): void {
    const json = JSON.stringify(message);
    for (const ws of this.sockets()) send(ws, json);
  }

  closeAll(reason: string): void {
    for (const ws of this.sockets()) {
      send(ws, JSON.stringify({ type: "closed", reason }));
      try {
        ws.close(CLOSE_WORKSPACE_DELETED, reason);
      } catch {
        // Already closing.
      }
    }
    this.open = null;
  }

  /** The client closed: complete the closing handshake. */
  closed(ws: WebSocket, code: number, reason: string): void {
    this.open?.delete(ws);
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // The runtime already answered the close.
    }
  }

  infos(): SubscriberInfo[] {
    const now = Date.now();
    return [...this.sockets()].flatMap((ws) => {
      const attachment = this.attachment(ws);
      if (!attachment) return [];
      return [
        {
          id: attachment.id,
          kind: "socket" as const,
          actor: attachment.actor,
          types: attachment.types,
          cursor: attachment.cursor,
          live: true,
          queued_bytes: null,
          connected_at: new Date(attachment.connectedAt).toISOString(),
          age_ms: now - attachment.connectedAt,
        },
      ];
    });
  }

  /**
   * Replays what the socket missed and makes it live, in one synchronous turn: no commit can
   * land between the last replayed event and the first live one.
   */
  private subscribe(ws: WebSocket, attachment: SocketAttachment, cursor: number | null): void {
    const start = replayStart(this.log, cursor);
    if (start.kind === "reset") {
      send(ws, JSON.stringify(start.marker));
    } else {
      send(ws, JSON.stringify({ type: "subscribed", cursor: start.cursor, head: this.log.head() }));
    }
    let position = start.cursor;
    if (start.kind === "replay") {
      let sent = 0;
      for (;;) {
        const page = this.log.read(position, REPLAY_PAGE, attachment.types);
        for (const event of page) send(ws, event.json);
        sent += page.length;
        if (page.length < REPLAY_PAGE) break;
        position = page[page.length - 1]?.id ?? position;
        if (sent >= SOCKET_REPLAY_LIMIT) {
          send(ws, JSON.stringify({ type: "dropped", reason: "too_far_behind", cursor: position }));
          ws.close(CLOSE_TOO_FAR_BEHIND, "too far behind: subscribe again from the cursor sent");
          this.open?.delete(ws);
          return;
        }
      }
      position = this.log.head();
    }
    attachment.cursor = position;
    ws.serializeAttachment(attachment);
    this.cache.set(ws, attachment);
  }

  private sockets(): Set<WebSocket> {
    this.open ??= new Set(this.ctx.getWebSockets());
    return this.open;
  }

  private attachment(ws: WebSocket): SocketAttachment | null {
    let attachment = this.cache.get(ws);
    if (!attachment) {
      attachment = (ws.deserializeAttachment() as SocketAttachment | null) ?? undefined;
      if (!attachment) return null;
      this.cache.set(ws, attachment);
    }
    return attachment;
  }

  private sendError(ws: WebSocket, message: string): void {
    send(ws, JSON.stringify({ type: "error", error: { code: "invalid_request", message } }));
  }
}

/**
 * Sends, ignoring a socket that is already closing: its close handler tidies up. No readyState
 * check first: every socket in the set was accepted open, a send on one that has since closed
 * throws (caught here), and the check would cost a call into the runtime per send of every
 * fan-out.
 */
function send(ws: WebSocket, message: string): void {
  try {
    ws.send(message);
  } catch {
    // Closed or closing.
  }
}
