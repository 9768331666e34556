import { sseFrame } from "../events/sse";

// Where a client reattaching to a thread stream starts. Part ids are unique within a thread
// (stream-store.ts), so a cursor names one part of one stream: one of this stream's parts resumes
// after it; none (or 0: "I have nothing") replays the stream from its start. Any other cursor —
// a part of another of the thread's streams, or beyond what this stream has — cannot be served
// without a gap, so, as the event feed does, the client is told: a reset frame first, then the
// whole stream from its start. Never a silent skip.

export type ResetReason = "cursor_other_stream" | "cursor_unknown";

export interface ResumeStart {
  /** The tail replays the parts after this id. */
  after: number;
  /** The reset frame to send first, when the cursor could not be served. */
  preface: string | null;
}

export function resumeStart(
  cursor: number | null,
  stream: { id: string; baseId: number; lastId: number },
): ResumeStart {
  const { baseId, lastId } = stream;
  if (cursor === null || cursor === 0 || cursor === baseId) return { after: baseId, preface: null };
  if (cursor > baseId && cursor <= lastId) return { after: cursor, preface: null };
  const reason: ResetReason = cursor < baseId ? "cursor_other_stream" : "cursor_unknown";
  return { after: baseId, preface: resetFrame(reason, cursor, stream.id, baseId) };
}

/**
 * `event: reset` (an EventSource dispatches it apart from the parts) whose data is also a valid
 * UI message stream part — a transient `data-reset` part, which the AI SDK hands to `onData` and
 * keeps out of the message — so an SDK client reading the stream does not fail on it. Its `id:`
 * is the stream's base: a reconnect from there replays the stream from its start.
 */
function resetFrame(reason: ResetReason, requested: number, streamId: string, baseId: number) {
  const part = {
    type: "data-reset",
    transient: true,
    data: { reason, requested_cursor: requested, stream_id: streamId, cursor: baseId },
  };
  return sseFrame({ event: "reset", data: JSON.stringify(part), id: baseId });
}
