// The client end of a workspace socket inside workerd: the 101 response's `webSocket`, accepted,
// with its messages queued as parsed JSON so a test can wait for them in order.

const DEFAULT_TIMEOUT_MS = 3_000;

export type SocketMessage = Record<string, unknown> & { type: string };

export interface SocketClose {
  code: number;
  reason: string;
}

export class SocketTimeout extends Error {}

export class SocketReader {
  /** Every message received so far, in order, including those already returned. */
  readonly seen: SocketMessage[] = [];
  /** Resolves when the server closes the socket (or the client's close completes). */
  readonly closed: Promise<SocketClose>;
  private readonly ready: SocketMessage[] = [];
  private waiter: (() => void) | null = null;
  private closeInfo: SocketClose | null = null;

  constructor(readonly socket: WebSocket) {
    socket.accept();
    this.closed = new Promise((resolve) => {
      socket.addEventListener("close", (event) => {
        this.closeInfo = { code: event.code, reason: event.reason };
        resolve(this.closeInfo);
        this.wake();
      });
    });
    socket.addEventListener("message", (event) => {
      const text =
        typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data);
      const message = JSON.parse(text) as SocketMessage;
      this.ready.push(message);
      this.seen.push(message);
      this.wake();
    });
  }

  /** The next message, or null once the socket has closed; throws when none comes in time. */
  async next(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SocketMessage | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.ready.length === 0) {
      if (this.closeInfo) return null;
      const remaining = deadline - Date.now();
      if (remaining <= 0 || !(await this.wait(remaining))) {
        throw new SocketTimeout(
          `no socket message within ${timeoutMs} ms; so far:\n${this.seen
            .slice(-10)
            .map((message) => JSON.stringify(message).slice(0, 160))
            .join("\n")}`,
        );
      }
    }
    return this.ready.shift() ?? null;
  }

  /** Messages until one matches, the match last; throws when the socket closes or time runs out. */
  async until(predicate: (message: SocketMessage) => boolean, timeoutMs = DEFAULT_TIMEOUT_MS) {
    const deadline = Date.now() + timeoutMs;
    const messages: SocketMessage[] = [];
    for (;;) {
      const message = await this.next(Math.max(1, deadline - Date.now()));
      if (!message) {
        throw new Error(
          `socket closed before the message looked for; got ${JSON.stringify(messages)}`,
        );
      }
      messages.push(message);
      if (predicate(message)) return messages;
    }
  }

  /** The messages that arrive within `ms`: for checking that nothing (more) is delivered. */
  async drain(ms: number): Promise<SocketMessage[]> {
    const deadline = Date.now() + ms;
    const messages: SocketMessage[] = [];
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return messages;
      try {
        const message = await this.next(remaining);
        if (!message) return messages;
        messages.push(message);
      } catch (error) {
        if (error instanceof SocketTimeout) return messages;
        throw error;
      }
    }
  }

  send(message: unknown): void {
    this.socket.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  close(): void {
    try {
      this.socket.close(1000, "test done");
    } catch {
      // Already closed by the server.
    }
  }

  private wait(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve(false);
      }, ms);
      this.waiter = () => {
        clearTimeout(timer);
        this.waiter = null;
        resolve(true);
      };
    });
  }

  private wake(): void {
    this.waiter?.();
  }
}
