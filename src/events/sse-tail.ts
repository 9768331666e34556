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
 * The bytes go into a native stream (an IdentityTransformStream), so the runtime moves them to
 * the Worker without calling back into JavaScript for each chunk, and one write at a time is in
 * flight: a write completes when the client side has taken it. A frame that finds nothing in
 * flight is written at once; frames that arrive meanwhile wait in `pending` and go out together,
 * as one chunk, when the write completes. Under a backlog that is one write through the RPC
 * stream, the Worker, the proxy and the socket for many frames instead of one per frame.
 */
export class SseTail {
  readonly id = crypto.randomUUID();
  readonly connectedAt = Date.now();
  readonly stream: ReadableStream<Uint8Array>;
  private cursor = 0;
  private live = false;
  private closed = false;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readonly timers: ReturnType<typeof setTimeout>[] = [];
  /** Bytes of the write the client side has not taken yet; 0 when none is in flight. */
  private inFlight = 0;
  /** Frames not yet written, oldest first, and their size. */
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private readonly written = () => this.onWritten();
  private readonly failed = () => this.finish(null);

  constructor(
    private readonly log: EventLog,
    private readonly config: EventConfig,
    private readonly request: SubscriptionRequest,
    private readonly onClose: (tail: SseTail) => void,
  ) {
    const { readable, writable } = new IdentityTransformStream();
    this.stream = readable;
    this.writer = writable.getWriter();
    this.begin();
  }

  /** Called with every committed event, in order, and its frame (see `eventFrame`). */
  deliver(event: LoggedEvent, frame: Uint8Array): void {
    if (this.closed || !this.live || event.id <= this.cursor) return;
    this.cursor = event.id;
    if (!matchesTypes(event.type, this.request.types)) return;
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
      this.readAhead();
      this.flush();
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
   * The client side took the last write: what is pending goes out as one chunk. While
   * replaying, the next pages are read ahead (up to REPLAY_READ_AHEAD) for the following one.
   */
  private onWritten(): void {
    this.inFlight = 0;
    if (this.closed) return;
    this.flush();
    if (!this.live) {
      this.readAhead();
      this.flush();
    }
  }

  /** Reads replay pages into `pending`; the last page turns the tail live. */
  private readAhead(): void {
    while (!this.live && this.pendingBytes < REPLAY_READ_AHEAD) {
      const page = this.log.read(this.cursor, REPLAY_PAGE, this.request.types);
      for (const event of page) this.queue(eventFrame(event));
      if (page.length < REPLAY_PAGE) {
        // Caught up, in the same synchronous turn as the read: the next commit is delivered live.
        this.cursor = this.log.head();
        this.live = true;
      } else {
        this.cursor = page[page.length - 1]?.id ?? this.cursor;
      }
    }
  }

  /** Writes the bytes when nothing is in flight, or keeps them for when the write completes. */
  private push(bytes: Uint8Array): void {
    this.queue(bytes);
    this.flush();
  }

  private queue(bytes: Uint8Array): void {
    this.pending.push(bytes);
    this.pendingBytes += bytes.byteLength;
  }

  /** Writes everything pending as one chunk, unless a write is still in flight. */
  private flush(): void {
    if (this.inFlight > 0 || this.pendingBytes === 0) return;
    const chunk = this.takePending();
    this.inFlight = chunk.byteLength;
    this.writer.write(chunk).then(this.written, this.failed);
  }

  private takePending(): Uint8Array {
    const chunk = concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return chunk;
  }

  /** Bytes the client has not taken: the write in flight and what waits behind it. */
  private queuedBytes(): number {
    if (this.closed) return 0;
    return this.inFlight + this.pendingBytes;
  }

  private write(text: string): void {
    if (!this.closed) this.push(encodeSse(text));
  }

  /**
   * Ends the stream: the last frame (if any) is written after everything pending, then the
   * stream closes once the client side has taken it all. Without a last frame the client is
   * gone, and the stream is aborted.
   */
  private finish(lastFrame: string | null): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    const ignore = () => {};
    if (lastFrame) {
      this.queue(encodeSse(lastFrame));
      // Queued behind the write in flight, if any: the stream keeps writes in order.
      this.writer.write(this.takePending()).catch(ignore);
      this.writer.close().catch(ignore);
    } else {
      this.pending = [];
      this.pendingBytes = 0;
      this.writer.abort().catch(ignore);
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
