import type { UIMessageChunk } from "ai";
import type { ResumeStart } from "./stream-cursor";
import type { StoredPart, StreamRow, StreamStatus, StreamStore } from "./stream-store";
import { partFrame, StreamTail, type TailOptions, type TailSource } from "./stream-tail";

// The producer of one thread stream, in the Durable Object and independent of any connection:
// it reads the UI message stream (from streamText), numbers each part, stores the parts in
// batches, and hands each stored batch to the clients following live. A part reaches a client
// only after it is stored, so whatever a client saw survives a restart and replays the same.
// When the model's stream ends (finished, aborted, failed) the `finalize` callback assembles and
// saves the answer, and only then do the clients get `[DONE]`.

export interface ProducerOptions {
  /** Flush when this many parts are waiting… */
  flushParts: number;
  /**
   * …or this long (ms) after the first of them came; 0: as soon as the model's stream pauses
   * (the flush timer runs after the task that produced them), so a batch is what came at once.
   */
  flushMs: number;
  tail: TailOptions;
}

export interface StreamOutcome {
  status: Exclude<StreamStatus, "streaming">;
  error: string | null;
}

export type Finalize = (stream: ThreadStream, outcome: StreamOutcome) => Promise<void>;

/** A safe one-line description of a failure: no stack. */
export const errorText = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).slice(0, 2000) || "stream failed";

export class ThreadStream implements TailSource {
  readonly abort = new AbortController();
  readonly tails = new Map<string, StreamTail>();
  /** Set when the thread was deleted: nothing more is stored or saved. */
  discarded = false;
  private cancelRequested = false;
  private stored: number;
  private pending: string[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private finished = false;
  private sawAbort = false;
  private lastError: string | null = null;
  private done: Promise<void> = Promise.resolve();
  private flushes = 0;

  constructor(
    readonly row: StreamRow,
    private readonly store: StreamStore,
    private readonly options: ProducerOptions,
    private readonly finalize: Finalize,
  ) {
    this.stored = row.lastId;
  }

  get id(): string {
    return this.row.id;
  }

  /** Starts reading the model's UI message stream (made by `source`, which may fail). */
  start(source: (signal: AbortSignal) => Promise<ReadableStream<UIMessageChunk>>): void {
    this.done = this.run(source);
  }

  /** Resolves once the stream has finished and its answer is saved. */
  whenDone(): Promise<void> {
    return this.done;
  }

  /** Aborts the model call; the stream ends with an `abort` part and keeps what came before. */
  cancel(reason = "canceled"): void {
    this.cancelRequested = true;
    if (!this.abort.signal.aborted) this.abort.abort(new DOMException(reason, "AbortError"));
  }

  /** A new client, replaying after `start.after` then following live. */
  attach(start: ResumeStart, actor: string | null): StreamTail {
    const tail = new StreamTail(
      this,
      start.after,
      this.options.tail,
      (t) => this.tails.delete(t.id),
      actor,
      start.preface,
    );
    this.tails.set(tail.id, tail);
    return tail;
  }

  read(afterSeq: number, maxUnits: number): StoredPart[] {
    return this.store.read(this.row.id, afterSeq, maxUnits);
  }

  storedThrough(): number {
    return this.stored;
  }

  ended(): boolean {
    return this.finished;
  }

  private async run(source: (signal: AbortSignal) => Promise<ReadableStream<UIMessageChunk>>) {
    try {
      const reader = (await source(this.abort.signal)).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        // A model that answers without waiting (the echo model) would otherwise keep this loop
        // in microtasks to its end: nothing, not even the response's headers, would leave the
        // object meanwhile. After every flush, let I/O through: the frames just stored go out
        // (the first at once, before the next batch is even produced).
        if (this.push(value)) await yieldToIo();
      }
    } catch (error) {
      if (this.abort.signal.aborted) this.push({ type: "abort", reason: "canceled" });
      else this.push({ type: "error", errorText: errorText(error) });
    }
    // An abort before the model answered leaves no abort part from the SDK: say it here.
    if (this.cancelRequested && !this.sawAbort) this.push({ type: "abort", reason: "canceled" });
    this.flush();
    const outcome: StreamOutcome = this.sawAbort
      ? { status: "canceled", error: null }
      : this.lastError !== null
        ? { status: "error", error: this.lastError }
        : { status: "completed", error: null };
    try {
      if (!this.discarded) await this.finalize(this, outcome);
    } catch (error) {
      console.error("could not save a thread stream's answer", error);
    }
    this.finished = true;
    for (const tail of [...this.tails.values()]) tail.ended();
  }

  /** Queues a part; answers whether it flushed the queue. */
  private push(chunk: UIMessageChunk): boolean {
    if (chunk.type === "abort") this.sawAbort = true;
    if (chunk.type === "error") this.lastError = chunk.errorText;
    this.pending.push(JSON.stringify(chunk));
    // The stream's first part goes at once: a client's first byte waits for no batch.
    if (this.pending.length >= this.options.flushParts || this.flushes === 0) {
      this.flush();
      return true;
    }
    this.timer ??= setTimeout(() => this.flush(), this.options.flushMs);
    return false;
  }

  /** Stores the waiting parts as one batch, then delivers them. */
  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    this.flushes++;
    const from = this.stored + 1;
    const lines = this.pending;
    this.pending = [];
    if (!this.discarded) this.store.append(this.row.id, from, lines);
    this.stored += lines.length;
    const frames = lines.map((json, index) => partFrame({ seq: from + index, json })).join("");
    for (const tail of this.tails.values()) tail.deliver(this.stored, frames);
  }
}

/** Lets I/O through (the frames just enqueued leave the object) before the next batch. */
export const yieldToIo = () => new Promise((resolve) => setTimeout(resolve, 0));
