import type { Caller } from "../../kernel/caller";
import type { EventData, EventType } from "../../kernel/events";
import { featureApi } from "../../kernel/feature-api";
import type { Kernel } from "../../kernel/kernel";
import type { WorkspaceModule } from "../../kernel/module";
import { rpcBoundary } from "../../kernel/rpc-errors";
import { eventConfig } from "./event-config";
import { EventHub } from "./event-hub";
import { EventLog, type LoggedEvent } from "./event-log";
import { MIGRATIONS } from "./schema";
import { parseSocketRequest } from "./socket-forward";
import { SOCKET_PING, SOCKET_PONG } from "./socket-hub";
import { consumeTicket, type NewTicket, storeTicket } from "./stream-tickets";
import type { SubscriberInfo, SubscriptionRequest } from "./subscriber";

/** What the events module needs of the others: their part of `GET …/streams/debug`. */
export interface EventsPorts<D extends Record<string, unknown>> {
  debug(): D;
}

/**
 * The workspace's event log and everyone watching it: the journal the kernel's `commit` appends
 * to, SSE tails, stream tickets, hibernatable WebSockets, and the retention trim on the alarm.
 */
export function eventsModule<D extends Record<string, unknown>>(
  kernel: Kernel,
  ports: EventsPorts<D>,
) {
  const config = eventConfig(kernel.env);
  const log = new EventLog(kernel.sql);
  const hub = new EventHub(kernel.ctx, log, config);
  /** Whether an alarm is known to be set for trimming the log. */
  let trimArmed = false;
  /** The sockets told the workspace is deleted whose closing reply has not come yet. */
  let closing: Set<WebSocket> | null = null;

  /**
   * Sets an alarm for when the oldest event beyond the retained count ages out; none while the
   * log holds no more than the retained count (the next append checks again).
   */
  async function armTrim(): Promise<void> {
    const { minEvents, maxAgeMs } = config.retention;
    if (log.head() - log.trimmedThrough() <= minEvents) return;
    const oldest = log.oldestCreatedAt();
    if (oldest === null) return;
    trimArmed = true;
    await kernel.wakeAt(Math.max(oldest + maxAgeMs, Date.now() + 1000));
  }

  kernel.useJournal({
    append: (type, data, actor, now) =>
      log.append(
        kernel.owner().workspaceId,
        type as EventType,
        data as EventData<EventType>,
        actor,
        now,
      ),
    rolledBack: () => log.forgetHead(),
    publish(appended) {
      hub.publish(appended as LoggedEvent[]);
      if (appended.length > 0 && !trimArmed) {
        armTrim().catch((error) => console.error("could not set the event trim alarm", error));
      }
    },
  });
  // Pings are answered by the runtime, so an idle socket never wakes a hibernating DO.
  kernel.ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(SOCKET_PING, SOCKET_PONG));

  const api = featureApi(
    {
      /**
       * An SSE stream of this workspace's events: replay from the cursor, then live. The tail's
       * id comes with it because a client's cancel does not travel back through an RPC stream
       * (workerd#7298): the Worker calls `close` with it instead.
       */
      open: (caller: Caller, request: Omit<SubscriptionRequest, "actor">) =>
        hub.openSse({ ...request, actor: caller.actor }),
      /** The client of an SSE tail went away: stop feeding it. */
      close: (_caller: Caller, tailId: string) => hub.closeSse(tailId),
      /** Stores a stream ticket's hash for this workspace; the Worker hands the ticket out. */
      storeTicket: (caller: Caller, ticket: Pick<NewTicket, "hash" | "expiresAt">) =>
        storeTicket(
          kernel.sql,
          ticket,
          { accountId: caller.accountId, actor: caller.actor },
          Date.now(),
        ),
      /** Uses a stream ticket up: who it was issued to, or null when unknown, used or expired. */
      consumeTicket: (_caller: Caller | null, hash: string) =>
        kernel.initialized ? consumeTicket(kernel.sql, hash, Date.now()) : null,
      debug: (_caller: Caller) => ({
        head_event_id: log.head(),
        oldest_retained_id: log.trimmedThrough() + 1,
        subscribers: hub.subscribers() satisfies SubscriberInfo[],
        ...ports.debug(),
      }),
    },
    { unchecked: ["consumeTicket"] },
  );

  const module: WorkspaceModule = {
    name: "events",
    migrations: MIGRATIONS,
    apis: { events: api },
    async onAlarm(now) {
      trimArmed = false;
      log.trim(config.retention, now);
      await armTrim();
    },
    // After `workspace.deleted` is committed, so every tail and socket has seen it.
    onDeleted() {
      closing = new Set(kernel.ctx.getWebSockets());
      hub.closeAll("workspace_deleted");
    },
    onPurge: async () => log.forgetHead(),
  };

  return {
    module,
    api,
    hub,
    log,
    config,
    /**
     * A socket's closing handshake is done. The runtime releases a hibernatable socket's
     * connection only when the object hibernates (~10 s idle, longer while the purge runs), so
     * a client would see its close that late. Once every socket of a deleted workspace has
     * answered, the object is reset instead (`kernel.reset`), which releases them at once.
     */
    socketClosed(ws: WebSocket, code: number, reason: string): void {
      hub.sockets.closed(ws, code, reason);
      if (!closing) return;
      closing.delete(ws);
      if (closing.size === 0) kernel.resetDeleted();
    },
    /**
     * The WebSocket upgrade, forwarded by the Worker after it authenticated the caller (the DO
     * is reachable only through the Worker, so the caller header is trusted like an RPC
     * argument).
     */
    async accept(request: Request): Promise<Response> {
      const socket = parseSocketRequest(request);
      if (!socket) return new Response("expected a WebSocket upgrade", { status: 426 });
      const checked = await rpcBoundary(() => kernel.check(socket.caller));
      if (!checked.ok) return Response.json({ error: checked.error }, { status: 404 });
      return hub.sockets.accept({ ...socket.subscription, actor: socket.caller.actor });
    },
  };
}
