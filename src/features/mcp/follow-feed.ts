import type { FeedEvent, McpPorts } from "./ports";

// A long tool call (a process run, an agent's turn) follows the workspace's event feed while it
// waits: each event about its work becomes a progress notification, and the wait ends when
// `settled` says so or the client cancels.

export interface FeedFollow {
  /** Whether this event is about the work followed (its progress). */
  about(event: FeedEvent, data: Record<string, unknown>): boolean;
  /** After each event about it: whether the wait is over. */
  settled(): boolean | Promise<boolean>;
  progress(event: FeedEvent, data: Record<string, unknown>): void;
}

/** Resolves once the work is settled (checked at once, then after each event about it). */
export function followFeed(
  listen: McpPorts["listen"],
  signal: AbortSignal,
  follow: FeedFollow,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      stop();
      signal.removeEventListener("abort", aborted);
      if (error === undefined) resolve();
      else reject(error);
    };
    const aborted = () => finish(signal.reason ?? new Error("canceled"));
    const check = () => {
      Promise.resolve(follow.settled()).then(
        (settled) => settled && finish(),
        (error) => finish(error),
      );
    };
    const stop = listen((events) => {
      let relevant = false;
      for (const event of events) {
        const data = (JSON.parse(event.json) as { data?: Record<string, unknown> }).data ?? {};
        if (!follow.about(event, data)) continue;
        relevant = true;
        follow.progress(event, data);
      }
      if (relevant) check();
    });
    if (signal.aborted) return aborted();
    signal.addEventListener("abort", aborted, { once: true });
    check();
  });
}
