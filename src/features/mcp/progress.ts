import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type {
  ProgressToken,
  ServerNotification,
  ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";

// notifications/progress for a tool call whose client sent a progressToken: the progress value
// always grows (the specification requires it), and messages that come faster than one per
// PROGRESS_INTERVAL_MS are joined into one (each notification is stored for Last-Event-ID).

export const PROGRESS_INTERVAL_MS = 50;

export interface ProgressReporter {
  send(message: string, progress?: number, total?: number): Promise<void>;
  /** Sends what is still held back (before the call's result). */
  flush(): Promise<void>;
}

export function progressReporter(
  token: ProgressToken | undefined,
  extra: RequestHandlerExtra<ServerRequest, ServerNotification>,
): ProgressReporter {
  if (token === undefined) {
    return { send: async () => undefined, flush: async () => undefined };
  }
  let last = 0;
  let sentAt = 0;
  let held: { message: string; progress: number; total?: number } | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const deliver = async () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!held) return;
    const { message, progress, total } = held;
    held = null;
    sentAt = Date.now();
    await extra
      .sendNotification({
        method: "notifications/progress",
        params: {
          progressToken: token,
          progress,
          ...(total === undefined ? {} : { total }),
          message,
        },
      })
      .catch(() => undefined);
  };
  return {
    async send(message, progress, total) {
      last = Math.max(last + 1, progress ?? 0);
      held = { message: (held?.message ?? "") + message, progress: last, total };
      if (Date.now() - sentAt >= PROGRESS_INTERVAL_MS) return deliver();
      timer ??= setTimeout(deliver, PROGRESS_INTERVAL_MS);
    },
    flush: deliver,
  };
}
