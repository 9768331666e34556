import type { EventConfig } from "./event-config";
import type { EventLog, LoggedEvent } from "./event-log";
import { SocketHub } from "./socket-hub";
import { eventFrame, SseTail } from "./sse-tail";
import type { SubscriberInfo, SubscriptionRequest } from "./subscriber";

/**
 * Everyone watching one workspace: SSE tails (held in memory; they keep the Durable Object
 * awake for at most their lifetime) and hibernatable sockets. Committed events are published
 * here, after their transaction, in id order.
 */
export class EventHub {
  readonly sockets: SocketHub;
  private readonly tails = new Map<string, SseTail>();
  /** Other modules of this DO following the feed (MCP's resource updates); see `listen`. */
  private readonly listeners = new Set<(events: readonly LoggedEvent[]) => void>();

  constructor(
    ctx: DurableObjectState,
    private readonly log: EventLog,
    private readonly config: EventConfig,
  ) {
    this.sockets = new SocketHub(ctx, log);
  }

  openSse(request: SubscriptionRequest): { tailId: string; stream: ReadableStream<Uint8Array> } {
    const tail = new SseTail(this.log, this.config, request, (closed) =>
      this.tails.delete(closed.id),
    );
    this.tails.set(tail.id, tail);
    return { tailId: tail.id, stream: tail.stream };
  }

  /** Ends a tail whose client is gone (an unknown id is one that already ended). */
  closeSse(tailId: string): void {
    this.tails.get(tailId)?.cancel();
  }

  publish(events: readonly LoggedEvent[]): void {
    if (events.length === 0) return;
    if (this.tails.size > 0) {
      for (const event of events) {
        // One frame per event, encoded once and shared by every tail (each writes it, or keeps
        // it for its next write when its client is still busy with the previous one).
        const frame = eventFrame(event);
        for (const tail of this.tails.values()) tail.deliver(event, frame);
      }
    }
    this.sockets.deliver(events);
    for (const listener of this.listeners) {
      try {
        listener(events);
      } catch (error) {
        // A listener's failure is its own: the commit and the other subscribers stand.
        console.error("an event listener failed", error);
      }
    }
  }

  /** Calls `listener` with every batch of committed events, until the returned stop. */
  listen(listener: (events: readonly LoggedEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Ends every stream and socket with a final message saying why. */
  closeAll(reason: string): void {
    for (const tail of [...this.tails.values()]) tail.close(reason);
    this.sockets.closeAll(reason);
  }

  subscribers(): SubscriberInfo[] {
    return [...[...this.tails.values()].map((tail) => tail.info()), ...this.sockets.infos()];
  }
}
