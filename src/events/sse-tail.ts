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

/** Bytes the stream buffers before `pull` stops being called; replay reads in step with it. */
const HIGH_WATER_MARK = 64 * 1024;

/**
 * One SSE subscriber of a workspace's events, living in the Durable Object. It replays from its
 * cursor page by page as the client reads (never more than the stream's buffer at a time), then
 * follows live. Heartbeats, the lifetime limit and the slow-consumer cap are enforced here.
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
        pull: () => this.replayPage(),
        cancel: () => this.finish(null),
      },
      new ByteLengthQueuingStrategy({ highWaterMark: HIGH_WATER_MARK }),
    );
  }

  /** Called with every committed event, in order, and its frame (see `eventFrame`). */
  deliver(event: LoggedEvent, frame: Uint8Array): void {
    if (this.closed || !this.live || event.id <= this.cursor) return;
    this.cursor = event.id;
    if (!matchesTypes(event.type, this.request.types)) return;
    this.controller.enqueue(frame);
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

  /** One page of the replay, when the client has room for it; the last page turns the tail live. */
  private replayPage(): void {
    if (this.closed || this.live) return;
    const page = this.log.read(this.cursor, REPLAY_PAGE, this.request.types);
    for (const event of page) this.controller.enqueue(eventFrame(event));
    if (page.length < REPLAY_PAGE) {
      // Caught up, in the same synchronous turn as the read: the next commit is delivered live.
      this.cursor = this.log.head();
      this.live = true;
    } else {
      this.cursor = page[page.length - 1]?.id ?? this.cursor;
    }
  }

  private queuedBytes(): number {
    if (this.closed) return 0;
    return HIGH_WATER_MARK - (this.controller.desiredSize ?? HIGH_WATER_MARK);
  }

  private write(text: string): void {
    if (!this.closed) this.controller.enqueue(encodeSse(text));
  }

  private finish(lastFrame: string | null): void {
    if (this.closed) return;
    if (lastFrame) this.write(lastFrame);
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    try {
      this.controller.close();
    } catch {
      // Already cancelled by the client: nothing left to close.
    }
    this.onClose(this);
  }
}
