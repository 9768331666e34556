// Server-sent event frames (https://html.spec.whatwg.org/multipage/server-sent-events.html).
// Every SSE stream of the API writes through these, so `id:`, `retry:` and comments look alike.

const encoder = new TextEncoder();

export interface SseFrame {
  id?: number | string;
  event?: string;
  /** One JSON document or plain string; a newline inside becomes another `data:` line. */
  data?: string;
  /** Milliseconds the client should wait before reconnecting. */
  retry?: number;
}

export function sseFrame(frame: SseFrame): string {
  let out = "";
  if (frame.event) out += `event: ${frame.event}\n`;
  if (frame.data !== undefined) {
    for (const line of frame.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  }
  // `id:` after `data:`: a frame with an id and no data still moves the client's Last-Event-ID.
  if (frame.id !== undefined) out += `id: ${frame.id}\n`;
  if (frame.retry !== undefined) out += `retry: ${frame.retry}\n`;
  return `${out}\n`;
}

/** A comment line: ignored by clients, it keeps proxies from closing an idle connection. */
export const sseComment = (text: string) => `: ${text.replace(/[\r\n]+/g, " ")}\n\n`;

export const encodeSse = (text: string) => encoder.encode(text);

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  // Tells nginx-style proxies not to buffer the stream.
  "x-accel-buffering": "no",
} as const;

/** Reads `Last-Event-ID` (preferred: a reconnecting EventSource sends it) or `?cursor=`. */
export function resumeCursor(lastEventId: string | undefined, cursor: number | undefined) {
  if (lastEventId !== undefined && /^\d{1,15}$/.test(lastEventId.trim())) {
    return Number(lastEventId.trim());
  }
  return cursor ?? null;
}
