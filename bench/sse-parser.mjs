// An event-stream parser for the benchmark's SSE subscribers, as the HTML standard interprets
// the stream (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
// lines end in CRLF, LF or CR; `field: value` (one leading space dropped); `:` starts a comment;
// `data:` lines join with "\n"; a blank line dispatches the frame. Fed decoded text (the caller
// decodes UTF-8 across chunk boundaries), it calls `onFrame` with { event, data, id, retry }.

export class SseParser {
  constructor(onFrame) {
    this.onFrame = onFrame;
    this.buffer = "";
    /** A chunk ended in CR: an LF at the start of the next one belongs to the same line end. */
    this.skipLf = false;
    this.frame = {};
  }

  push(text) {
    let start = 0;
    if (this.skipLf && text.charCodeAt(0) === 10) start = 1;
    this.skipLf = false;
    const length = text.length;
    let i = start;
    while (i < length) {
      const code = text.charCodeAt(i);
      if (code !== 10 && code !== 13) {
        i++;
        continue;
      }
      const line = this.buffer === "" ? text.slice(start, i) : this.buffer + text.slice(start, i);
      this.buffer = "";
      this.line(line);
      if (code === 13) {
        if (i + 1 === length) this.skipLf = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      i++;
      start = i;
    }
    if (start < length) this.buffer += text.slice(start);
  }

  line(line) {
    if (line === "") {
      const frame = this.frame;
      this.frame = {};
      if (frame.data !== undefined || frame.id !== undefined || frame.retry !== undefined) {
        this.onFrame(frame);
      }
      return;
    }
    if (line.charCodeAt(0) === 58) return; // ":" a comment
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === "data") {
      this.frame.data = this.frame.data === undefined ? value : `${this.frame.data}\n${value}`;
    } else if (field === "event") {
      this.frame.event = value;
    } else if (field === "id") {
      if (!value.includes("\0")) this.frame.id = value;
    } else if (field === "retry") {
      if (/^\d+$/.test(value)) this.frame.retry = Number(value);
    }
  }
}
