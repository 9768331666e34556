import { parseSocketRequest } from "../../features/events/socket-forward";
import {
  consumeTicket,
  type NewTicket,
  storeTicket,
  type TicketHolder,
} from "../../features/events/stream-tickets";
import type { SubscriberInfo, SubscriptionRequest } from "../../features/events/subscriber";
import type { StoredObject } from "../../features/files/file-index";
import { unpersistedEchoStream } from "../../features/threads/bench-stream";
import type { Caller } from "../../features/workspaces/workspace.types";
import { type RpcResult, rpcBoundary } from "../rpc-errors";

import { WorkspaceActivityRpc } from "./activity-rpc";
import { nowIso } from "./core";

/** The live event feed: SSE tails, stream tickets, WebSockets (hibernation API), the debug view; and the benchmarks' entry points. */
export abstract class WorkspaceEventRpc extends WorkspaceActivityRpc {
  /**
   * An SSE stream of this workspace's events: replay from the cursor, then live. The tail's id
   * comes with it because a client's cancel does not travel back through an RPC stream
   * (workerd#7298): the Worker calls `closeEvents` with it instead.
   */
  openEvents(
    caller: Caller,
    request: Omit<SubscriptionRequest, "actor">,
  ): Promise<RpcResult<{ tailId: string; stream: ReadableStream<Uint8Array> }>> {
    return rpcBoundary(() => {
      this.load(caller);
      return this.hub.openSse({ ...request, actor: caller.actor });
    });
  }

  /** The client of an SSE tail went away: stop feeding it. */
  closeEvents(caller: Caller, tailId: string): Promise<RpcResult<void>> {
    return rpcBoundary(() => {
      this.load(caller);
      this.hub.closeSse(tailId);
    });
  }

  /** Stores a stream ticket's hash for this workspace; the Worker hands the ticket out. */
  storeStreamTicket(
    caller: Caller,
    ticket: Pick<NewTicket, "hash" | "expiresAt">,
  ): Promise<RpcResult<void>> {
    return rpcBoundary(() => {
      this.load(caller);
      storeTicket(
        this.sql,
        ticket,
        { accountId: caller.accountId, actor: caller.actor },
        Date.now(),
      );
    });
  }

  /** Uses a stream ticket up; who it was issued to, or null when unknown, used or expired. */
  async consumeStreamTicket(hash: string): Promise<TicketHolder | null> {
    if (!this.initialized) return null;
    return consumeTicket(this.sql, hash, Date.now());
  }

  streamsDebug(caller: Caller) {
    return rpcBoundary(() => {
      this.load(caller);
      return {
        head_event_id: this.log.head(),
        oldest_retained_id: this.log.trimmedThrough() + 1,
        subscribers: this.hub.subscribers() satisfies SubscriberInfo[],
        ...this.threadStreams.debug(),
      };
    });
  }

  /**
   * The WebSocket upgrade, forwarded by the Worker after it authenticated the caller (the DO is
   * reachable only through the Worker, so the caller header is trusted like an RPC argument).
   */
  async fetch(request: Request): Promise<Response> {
    const socket = parseSocketRequest(request);
    if (!socket) return new Response("expected a WebSocket upgrade", { status: 426 });
    const loaded = await rpcBoundary(() => this.load(socket.caller));
    if (!loaded.ok) return Response.json({ error: loaded.error }, { status: 404 });
    return this.hub.sockets.accept({ ...socket.subscription, actor: socket.caller.actor });
  }

  webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    this.hub.sockets.message(ws, message);
  }

  webSocketClose(ws: WebSocket, code: number, reason: string): void {
    this.hub.sockets.closed(ws, code, reason);
  }

  webSocketError(ws: WebSocket): void {
    this.hub.sockets.closed(ws, 1011, "socket error");
  }

  /**
   * For the live-events benchmark only (reached through `/__bench`, which exists only when
   * BENCH_ROUTES is on): appends `count` lifecycle events, one every `intervalMs`, by the same
   * path as `POST …/lifecycle-events`, so delivery is measured without HTTP in front of it.
   */
  benchAppend(
    caller: Caller,
    count: number,
    intervalMs: number,
  ): Promise<RpcResult<{ appended: number; lateMs: number }>> {
    return rpcBoundary(async () => {
      const { record } = this.load(caller);
      const start = Date.now();
      let lateMs = 0;
      for (let i = 0; i < count; i++) {
        const wait = start + i * intervalMs - Date.now();
        if (wait > 0) await scheduler.wait(wait);
        else lateMs = Math.max(lateMs, -wait);
        this.commit(caller, record.id, (emit) =>
          this.lifecycle(emit, { event: "bench", notes: String(i), actor: caller.actor }, nowIso()),
        );
      }
      return { appended: count, lateMs };
    });
  }

  /**
   * For the files benchmark only (through `/__bench`): indexes objects the Worker already put
   * in R2, by the same `putFile` and commit as an upload, so seeding 10,000 files does not take
   * 10,000 requests. No quota check: the benchmark's workspace is its own.
   */
  benchSeedFiles(
    caller: Caller,
    objects: Array<StoredObject & { path: string }>,
  ): Promise<RpcResult<{ indexed: number }>> {
    return rpcBoundary(() => {
      const { record } = this.load(caller);
      const now = nowIso();
      this.commit(caller, record.id, (emit) => {
        for (const { path, ...object } of objects) {
          this.files.putFile(path, object, { now, author: caller.actor, emit });
        }
      });
      return { indexed: objects.length };
    });
  }

  /** For the threads benchmark only: an echo stream of `words` words, framed but not stored. */
  benchStreamUnpersisted(caller: Caller, words: number) {
    return rpcBoundary(() => {
      this.load(caller);
      return unpersistedEchoStream(words);
    });
  }

  /** For the files benchmark only: the R2 keys of the files under `directory`. */
  benchObjectKeys(caller: Caller, directory: string): Promise<RpcResult<string[]>> {
    return rpcBoundary(() => {
      this.load(caller);
      return this.files
        .entriesUnder(directory, null, Number.MAX_SAFE_INTEGER)
        .flatMap((entry) => (entry.objectKey ? [entry.objectKey] : []));
    });
  }
}
