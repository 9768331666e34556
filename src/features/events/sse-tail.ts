import type { EventConfig } from "./event-config";
import type { EventLog, LoggedEvent } from "./event-log";
import { matchesTypes } from "./event-schema";
import { REPLAY_PAGE, replayStart } from "./replay";
import { encodeSse, sseComment, sseFrame } from "./sse";
import type { SubscriberInfo, SubscriptionRequest } from "./subscriber";

/** The SSE event name of every workspace event (FEATURES.md). */
export const WORKSPACE_EVENT = "workspace-event";

/** An event as an SSE frame: `event: workspace-event`, its JSON, its id. */
export const eventFrame = (event: LoggedEvent) =>
  encodeSse(sseFrame({ event: WORKSPACE_EVENT, id: event.id, data: event.json }));

/** Bytes of replay read ahead of the client; a paused replay holds at most about this much. */
const REPLAY_READ_AHEAD = 64 * 1024;

/**
 * One SSE subscriber of a workspace's events, living in the Durable Object. It replays from its
 * cursor page by page as the client reads (never more than REPLAY_READ_AHEAD ahead of it), then
 * follows live. Heartbeats, the lifetime limit and the slow-consumer cap are enforced here.
 *
 * The stream has no buffer of its own (high-water mark 0): the runtime asks for bytes (`pull`)
 * only when the client side has taken the previous chunk. A frame that finds the client waiting
 * is handed over at once; frames that arrive while it is still busy wait in `pending` and go
 * out together, as one chunk, on the next pull. Under a backlog that is one write through the
 * RPC stream, the Worker, the proxy and the socket for many frames instead of one per frame.
 */
export class SseTail {
  readonly id = crypto.randomUUID();
  readonly connectedAt = Date.now();
  readonly stream: ReadableStream<Uint8Array>;
  private cursor = 0;
  private live = false;
  private closed = false;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private readonly timers: ReturnType<typeof setTimeout>[] = [];
  /** Frames not yet handed to the stream, oldest first, and their size. */
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** The runtime has asked for bytes (a read is outstanding) and none were there. */
  private waiting = false;

  constructor(
    private readonly log: EventLog,
    private readonly config: EventConfig,
    private readonly request: SubscriptionRequest,
    private readonly onClose: (tail: SseTail) => void,
  ) {
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
          this.begin();
        },
        pull: () => this.pull(),
        cancel: () => this.finish(null),
      },
      new ByteLengthQueuingStrategy({ highWaterMark: 0 }),
    );
  }

  /** Called with every committed event, in order, and its frame (see `eventFrame`). */
  deliver(event: LoggedEvent, frame: Uint8Array): void {
    if (this.closed || !this.live || event.id <= this.cursor) return;
    this.cursor = event.id;
    if (!matchesTypes(event.type, this.request.types)) return;
    if (this.request.match && !this.request.match(event)) return;
    this.push(frame);
    if (this.queuedBytes() > this.config.maxQueuedBytes) {
      this.finish(
        sseFrame({
          event: "dropped",
          data: JSON.stringify({ reason: "slow_consumer", cursor: this.cursor }),
          retry: this.config.retryMs,
        }),
      );
    }
  }

  /** The client went away: end without a last frame. */
  cancel(): void {
    this.finish(null);
  }

  /** Ends the stream with a last frame, e.g. when the workspace is deleted. */
  close(reason: string): void {
    this.finish(sseFrame({ event: "closed", data: JSON.stringify({ reason }) }));
  }

  info(): SubscriberInfo {
    return {
      id: this.id,
      kind: "sse",
      actor: this.request.actor,
      types: this.request.types,
      cursor: this.cursor,
      live: this.live,
      queued_bytes: this.queuedBytes(),
      connected_at: new Date(this.connectedAt).toISOString(),
      age_ms: Date.now() - this.connectedAt,
    };
  }

  private begin(): void {
    const start = replayStart(this.log, this.request.cursor);
    this.cursor = start.cursor;
    if (start.kind === "replay") {
      this.write(sseFrame({ retry: this.config.retryMs }));
    } else {
      // No replay: `id:` alone moves the client's Last-Event-ID to the head, so a reconnect
      // resumes from here; a reset marker says what was lost.
      this.write(
        start.kind === "reset"
          ? sseFrame({
              event: "reset",
              data: JSON.stringify(start.marker),
              id: start.cursor,
              retry: this.config.retryMs,
            })
          : sseFrame({ id: start.cursor, retry: this.config.retryMs }),
      );
      this.live = true;
    }
    this.timers.push(
      setInterval(() => {
        if (this.queuedBytes() <= this.config.maxQueuedBytes) this.write(sseComment("heartbeat"));
      }, this.config.heartbeatMs),
      setTimeout(() => {
        this.finish(
          sseFrame({ retry: this.config.retryMs }) +
            sseComment("stream lifetime reached; reconnect with Last-Event-ID to resume"),
        );
      }, this.config.sseLifetimeMs),
    );
  }

  /**
   * The runtime wants bytes: what is pending goes out as one chunk. While replaying, the next
   * pages are read ahead (up to REPLAY_READ_AHEAD) so they are ready for the following pull.
   */
  private pull(): void {
    if (this.closed) return;
    const sent = this.flush();
    if (!this.live) this.readAhead();
    if (!sent && !this.flush()) this.waiting = true;
  }

  /** Reads replay pages into `pending`; the last page turns the tail live. */
  private readAhead(): void {
    while (!this.live && this.pendingBytes < REPLAY_READ_AHEAD) {
      const page = this.log.read(this.cursor, REPLAY_PAGE, this.request.types);
      for (const event of page) {
        if (!this.request.match || this.request.match(event)) this.push(eventFrame(event));
      }
      if (page.length < REPLAY_PAGE) {
        // Caught up, in the same synchronous turn as the read: the next commit is delivered live.
        this.cursor = this.log.head();
        this.live = true;
      } else {
        this.cursor = page[page.length - 1]?.id ?? this.cursor;
      }
    }
  }

  /** Hands the bytes straight to a waiting read, or keeps them for the next pull. */
  private push(bytes: Uint8Array): void {
    if (this.waiting) {
      this.waiting = false;
      this.controller.enqueue(bytes);
      return;
    }
    this.pending.push(bytes);
    this.pendingBytes += bytes.byteLength;
  }

  /** Enqueues everything pending as one chunk; false when there was nothing. */
  private flush(): boolean {
    if (this.pendingBytes === 0) return false;
    const chunk = concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.controller.enqueue(chunk);
    return true;
  }

  /** Bytes the client has not taken: pending here, plus any enqueued but not yet read. */
  private queuedBytes(): number {
    if (this.closed) return 0;
    return this.pendingBytes + Math.max(0, -(this.controller.desiredSize ?? 0));
  }

  private write(text: string): void {
    if (!this.closed) this.push(encodeSse(text));
  }

  private finish(lastFrame: string | null): void {
    if (this.closed) return;
    if (lastFrame) this.write(lastFrame);
    this.closed = true;
    // The stream's queue keeps what was enqueued before close: the client still gets it all.
    try {
      this.flush();
    } catch {
      // Already cancelled by the client: nobody is left to read it.
    }
    this.pending = [];
    this.pendingBytes = 0;
    for (const timer of this.timers) clearTimeout(timer);
    try {
      this.controller.close();
    } catch {
      // Already cancelled by the client: nothing left to close.
    }
    this.onClose(this);
  }
}

function concat(parts: readonly Uint8Array[], byteLength: number): Uint8Array {
  if (parts.length === 1 && parts[0]) return parts[0];
  const out = new Uint8Array(byteLength);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
