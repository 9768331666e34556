// Reads a server-sent event stream frame by frame, as an EventSource would parse it
// (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation),
// but keeping everything a test wants to look at: `id:` and `retry:` without data, comments.

export interface SseFrame {
  event?: string;
  /** `data:` lines joined with "\n"; absent when the frame had none. */
  data?: string;
  id?: string;
  retry?: number;
  /** Comment lines (`: text`), without the colon and the space after it. */
  comments: string[];
}

const DEFAULT_TIMEOUT_MS = 3_000;

/** A short description of frames, for failure messages. */
export const describeFrames = (frames: readonly SseFrame[]) =>
  frames
    .map((frame) => JSON.stringify({ ...frame, data: frame.data && `${frame.data.slice(0, 80)}…` }))
    .join("\n");

export class SseReader {
  /** Every frame parsed so far, in order, including those already returned. */
  readonly seen: SseFrame[] = [];
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = "";
  private current: SseFrame = { comments: [] };
  private readonly ready: SseFrame[] = [];
  /** A read still outstanding after a timeout; the next call waits on it instead of reading twice. */
  private pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;
  private ended = false;

  constructor(readonly response: Response) {
    if (!response.body) throw new Error(`response ${response.status} has no body`);
    this.reader = response.body.getReader();
  }

  /** Whether the server has closed the stream (and every frame before the end was returned). */
  get done(): boolean {
    return this.ended && this.ready.length === 0;
  }

  /** The next frame, or null once the stream has ended; throws when none comes in time. */
  async next(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SseFrame | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.ready.length === 0) {
      if (this.ended) return null;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw this.timeout(timeoutMs);
      const chunk = await this.read(remaining);
      if (chunk === "timeout") throw this.timeout(timeoutMs);
      if (chunk.done) {
        this.ended = true;
        // A frame not ended by a blank line is discarded, as the spec says.
      } else {
        this.push(this.decoder.decode(chunk.value, { stream: true }));
      }
    }
    return this.ready.shift() ?? null;
  }

  /**
   * Reads frames until one matches; returns every frame read, the match last. Throws when the
   * stream ends or the time runs out first.
   */
  async until(predicate: (frame: SseFrame) => boolean, timeoutMs = DEFAULT_TIMEOUT_MS) {
    const deadline = Date.now() + timeoutMs;
    const frames: SseFrame[] = [];
    for (;;) {
      const frame = await this.next(Math.max(1, deadline - Date.now()));
      if (!frame) {
        throw new Error(
          `stream ended before the frame looked for; read:\n${describeFrames(frames)}`,
        );
      }
      frames.push(frame);
      if (predicate(frame)) return frames;
    }
  }

  /** Every frame up to the end of the stream; throws when it does not end in time. */
  async rest(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SseFrame[]> {
    const deadline = Date.now() + timeoutMs;
    const frames: SseFrame[] = [];
    for (;;) {
      const frame = await this.next(Math.max(1, deadline - Date.now()));
      if (!frame) return frames;
      frames.push(frame);
    }
  }

  /**
   * The frames that arrive within `ms` (the stream may stay open): for checking that nothing
   * (or nothing more) is delivered.
   */
  async drain(ms: number): Promise<SseFrame[]> {
    const deadline = Date.now() + ms;
    const frames: SseFrame[] = [];
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return frames;
      try {
        const frame = await this.next(remaining);
        if (!frame) return frames;
        frames.push(frame);
      } catch (error) {
        if (error instanceof SseTimeout) return frames;
        throw error;
      }
    }
  }

  /** Stops reading: the server sees the stream cancelled. */
  async cancel(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.reader.cancel().catch(() => undefined);
  }

  private read(timeoutMs: number): Promise<ReadableStreamReadResult<Uint8Array> | "timeout"> {
    this.pending ??= this.reader.read();
    const pending = this.pending;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    return Promise.race([
      pending.then((result) => {
        this.pending = null;
        return result;
      }),
      timeout,
    ]).finally(() => clearTimeout(timer));
  }

  private push(text: string): void {
    this.buffer += text;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      // A lone "\r" at the end may be the first half of "\r\n": wait for more.
      if (!match || (match[0] === "\r" && match.index === this.buffer.length - 1)) return;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === "") {
      const frame = this.current;
      this.current = { comments: [] };
      if (
        frame.comments.length > 0 ||
        frame.event !== undefined ||
        frame.data !== undefined ||
        frame.id !== undefined ||
        frame.retry !== undefined
      ) {
        this.ready.push(frame);
        this.seen.push(frame);
      }
      return;
    }
    if (line.startsWith(":")) {
      this.current.comments.push(line.slice(1).replace(/^ /, ""));
      return;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    switch (field) {
      case "event":
        this.current.event = value;
        break;
      case "data":
        this.current.data =
          this.current.data === undefined ? value : `${this.current.data}\n${value}`;
        break;
      case "id":
        this.current.id = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.current.retry = Number(value);
        break;
    }
  }

  private timeout(ms: number): SseTimeout {
    return new SseTimeout(
      `no SSE frame within ${ms} ms; frames so far:\n${describeFrames(this.seen.slice(-10))}`,
    );
  }
}

export class SseTimeout extends Error {}
