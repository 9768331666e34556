import { encodeSse, sseComment, sseFrame } from "../events/sse";
import type { StoredPart } from "./stream-store";

// One client reading a thread stream, in the Durable Object: it replays the stored parts after
// its cursor, page by page as the client reads, then follows the producer live, and ends with
// `data: [DONE]` once the stream has finished. Every frame is `data: <part JSON>` and
// `id: <seq>`, so a reconnect with Last-Event-ID resumes exactly after what the client got.

/** What a tail reads from: a live producer, or a finished stream's stored parts. */
export interface TailSource {
  /** Stored parts after `afterSeq`, about `maxUnits` of them. */
  read(afterSeq: number, maxUnits: number): StoredPart[];
  /** The number of the last stored part: everything up to it can be replayed. */
  storedThrough(): number;
  /** Whether no more parts will come. */
  ended(): boolean;
}

export interface TailOptions {
  heartbeatMs: number;
  /** A live client with more than this queued is closed; it resumes with Last-Event-ID. */
  maxQueuedBytes: number;
}

export const partFrame = (part: StoredPart) => sseFrame({ data: part.json, id: part.seq });
export const DONE_FRAME = sseFrame({ data: "[DONE]" });

const HIGH_WATER_MARK = 64 * 1024;
const REPLAY_UNITS = 48 * 1024;

export class StreamTail {
  readonly id = crypto.randomUUID();
  readonly connectedAt = Date.now();
  readonly stream: ReadableStream<Uint8Array>;
  private cursor: number;
  private live = false;
  private closed = false;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private heartbeat: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly source: TailSource,
    afterSeq: number,
    private readonly options: TailOptions,
    private readonly onClose: (tail: StreamTail) => void,
    readonly actor: string | null,
    /** SSE text sent before the parts (a reset frame, see stream-cursor.ts). */
    preface: string | null = null,
  ) {
    this.cursor = afterSeq;
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
          if (preface) controller.enqueue(encodeSse(preface));
          this.heartbeat = setInterval(() => {
            if (this.queuedBytes() <= this.options.maxQueuedBytes) {
              this.write(sseComment("heartbeat"));
            }
          }, this.options.heartbeatMs);
        },
        pull: () => this.replayPage(),
        cancel: () => this.finish(false),
      },
      new ByteLengthQueuingStrategy({ highWaterMark: HIGH_WATER_MARK }),
    );
  }

  /** New parts, just stored (`frames` is their SSE text, ending with part `lastSeq`). */
  deliver(lastSeq: number, frames: string): void {
    if (this.closed || !this.live || lastSeq <= this.cursor) return;
    this.cursor = lastSeq;
    this.write(frames);
    if (this.queuedBytes() > this.options.maxQueuedBytes) this.finish(false);
  }

  /** The producer has finished: a live tail ends now; a replaying one when it catches up. */
  ended(): void {
    if (this.live) this.finish(true);
  }

  /** The client went away. */
  cancel(): void {
    this.finish(false);
  }

  info() {
    return {
      id: this.id,
      actor: this.actor,
      cursor: this.cursor,
      live: this.live,
      queued_bytes: this.queuedBytes(),
      connected_at: new Date(this.connectedAt).toISOString(),
      age_ms: Date.now() - this.connectedAt,
    };
  }

  private replayPage(): void {
    if (this.closed || this.live) return;
    const page = this.source.read(this.cursor, REPLAY_UNITS);
    if (page.length > 0) {
      this.write(page.map(partFrame).join(""));
      this.cursor = page[page.length - 1]?.seq ?? this.cursor;
    }
    // Caught up, in the same synchronous turn as the read: the next flush is delivered live.
    if (this.cursor >= this.source.storedThrough()) {
      if (this.source.ended()) this.finish(true);
      else this.live = true;
    }
  }

  private queuedBytes(): number {
    if (this.closed) return 0;
    return HIGH_WATER_MARK - (this.controller.desiredSize ?? HIGH_WATER_MARK);
  }

  private write(text: string): void {
    if (!this.closed) this.controller.enqueue(encodeSse(text));
  }

  private finish(done: boolean): void {
    if (this.closed) return;
    if (done) this.write(DONE_FRAME);
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    try {
      this.controller.close();
    } catch {
      // Already cancelled by the client.
    }
    this.onClose(this);
  }
}
