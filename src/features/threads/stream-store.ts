import { num, type Row, str } from "../../lib/sql-values";
import { splitChunks } from "./chunks";

// Thread streams in the Durable Object's SQLite: the stream rows and their parts. Parts are the
// UI message stream's chunks as JSON, numbered (`seq`, the SSE `id:`) on from the stream's
// `baseId` — one past the thread's last part id before it, so ids are unique within the thread —
// and stored several per row: a flush appends to the stream's open row while it stays small,
// else starts a new one.

export const STREAM_STATUSES = [
  "streaming",
  "completed",
  "canceled",
  "error",
  "interrupted",
] as const;
export type StreamStatus = (typeof STREAM_STATUSES)[number];

export interface StreamRow {
  id: string;
  threadId: string;
  messageId: string;
  status: StreamStatus;
  model: string;
  actor: string | null;
  /** Its parts are numbered from `baseId + 1`; `baseId` is the id of "before its first part". */
  baseId: number;
  /** The id of its last stored part (`baseId` while none is). */
  lastId: number;
  startedAt: number;
  finishedAt: number | null;
  error: string | null;
}

/** One stored part: its number and its JSON. */
export interface StoredPart {
  seq: number;
  json: string;
}

/** A row grows by appends up to this many parts or bytes; then the next flush starts a row. */
const ROW_PARTS = 256;
const ROW_UNITS = 64 * 1024;

const toStream = (row: Row): StreamRow => ({
  id: String(row.id),
  threadId: String(row.thread_id),
  messageId: String(row.message_id),
  status: String(row.status) as StreamStatus,
  model: String(row.model),
  actor: str(row.actor),
  baseId: Number(row.base_id),
  lastId: Number(row.last_id),
  startedAt: Number(row.started_at),
  finishedAt: num(row.finished_at),
  error: str(row.error),
});

export class StreamStore {
  /** The open row of each stream being written: where the next small flush is appended. */
  private readonly open = new Map<string, { firstSeq: number; parts: number; units: number }>();

  constructor(private readonly sql: SqlStorage) {}

  insert(stream: Omit<StreamRow, "lastId" | "finishedAt" | "error" | "status">): void {
    this.sql.exec(
      `INSERT INTO thread_streams (id, thread_id, message_id, status, model, actor, started_at, base_id, last_id)
       VALUES (?, ?, ?, 'streaming', ?, ?, ?, ?, ?)`,
      stream.id,
      stream.threadId,
      stream.messageId,
      stream.model,
      stream.actor,
      stream.startedAt,
      stream.baseId,
      stream.baseId,
    );
  }

  /**
   * The `baseId` of the thread's next stream: 0 for its first, else one past the last part id
   * any of its streams had — a gap, so the next stream's base (its reset frame's id) is no part's.
   */
  nextBaseId(threadId: string): number {
    const row = this.sql
      .exec(
        `SELECT max(
           coalesce((SELECT max(last_id) FROM thread_streams WHERE thread_id = ?1), -1),
           coalesce((SELECT last_id FROM thread_stream_ids WHERE thread_id = ?1), -1)
         ) AS last`,
        threadId,
      )
      .one();
    const last = Number(row.last);
    return last < 0 ? 0 : last + 1;
  }

  get(id: string): StreamRow | null {
    const row = this.sql.exec("SELECT * FROM thread_streams WHERE id = ?", id).toArray()[0];
    return row ? toStream(row) : null;
  }

  /** The thread's newest stream, finished or not. */
  latest(threadId: string): StreamRow | null {
    const row = this.sql
      .exec(
        "SELECT * FROM thread_streams WHERE thread_id = ? ORDER BY started_at DESC, id DESC LIMIT 1",
        threadId,
      )
      .toArray()[0];
    return row ? toStream(row) : null;
  }

  /** Streams still marked streaming: after a restart, none of them has a producer. */
  unfinished(): StreamRow[] {
    return this.sql
      .exec("SELECT * FROM thread_streams WHERE status = 'streaming'")
      .toArray()
      .map(toStream);
  }

  /**
   * Stores parts `fromSeq…` (their JSON lines) and moves the stream's part count. Called with a
   * batch as it is flushed; the caller delivers the batch only after this returns.
   */
  append(streamId: string, fromSeq: number, lines: readonly string[]): void {
    if (lines.length === 0) return;
    const lastSeq = fromSeq + lines.length - 1;
    const text = lines.join("\n");
    const open = this.open.get(streamId);
    if (
      open &&
      open.parts + lines.length <= ROW_PARTS &&
      open.units + text.length + 1 <= ROW_UNITS
    ) {
      this.sql.exec(
        "UPDATE thread_stream_parts SET data = data || ? || ?, last_seq = ? WHERE stream_id = ? AND first_seq = ? AND chunk = 0",
        "\n",
        text,
        lastSeq,
        streamId,
        open.firstSeq,
      );
      open.parts += lines.length;
      open.units += text.length + 1;
    } else {
      const pieces = splitChunks(text);
      pieces.forEach((piece, chunk) => {
        this.sql.exec(
          "INSERT INTO thread_stream_parts (stream_id, first_seq, chunk, last_seq, data) VALUES (?, ?, ?, ?, ?)",
          streamId,
          fromSeq,
          chunk,
          lastSeq,
          piece,
        );
      });
      if (pieces.length === 1) {
        this.open.set(streamId, { firstSeq: fromSeq, parts: lines.length, units: text.length });
      } else {
        this.open.delete(streamId);
      }
    }
    this.sql.exec("UPDATE thread_streams SET last_id = ? WHERE id = ?", lastSeq, streamId);
  }

  /** Up to about `maxUnits` of parts after `afterSeq` (whole rows; at least one row). */
  read(streamId: string, afterSeq: number, maxUnits = Number.POSITIVE_INFINITY): StoredPart[] {
    const parts: StoredPart[] = [];
    let units = 0;
    let firstSeq = -1;
    let text = "";
    for (const row of this.sql.exec(
      "SELECT first_seq, data FROM thread_stream_parts WHERE stream_id = ? AND last_seq > ? ORDER BY first_seq, chunk",
      streamId,
      afterSeq,
    )) {
      const rowSeq = Number(row.first_seq);
      if (firstSeq !== -1 && rowSeq !== firstSeq) {
        units += takeLines(parts, firstSeq, text, afterSeq);
        firstSeq = -1;
        text = "";
        if (units >= maxUnits) break;
      }
      if (firstSeq === -1) firstSeq = rowSeq;
      text += String(row.data);
    }
    // The loop ran to the end: the batch it holds is whole.
    if (firstSeq !== -1) takeLines(parts, firstSeq, text, afterSeq);
    return parts;
  }

  finish(id: string, status: StreamStatus, finishedAt: number, error: string | null): void {
    this.open.delete(id);
    this.sql.exec(
      "UPDATE thread_streams SET status = ?, finished_at = ?, error = ? WHERE id = ?",
      status,
      finishedAt,
      error,
      id,
    );
    // The thread's last part id outlives the stream's row (trimmed after the retention).
    this.sql.exec(
      `INSERT INTO thread_stream_ids (thread_id, last_id)
       SELECT thread_id, last_id FROM thread_streams WHERE id = ?
       ON CONFLICT (thread_id) DO UPDATE SET last_id = max(last_id, excluded.last_id)`,
      id,
    );
  }

  /** Drops the parts and rows of streams that finished before `before`; answers how many. */
  trimFinished(before: number): number {
    const ids = this.sql
      .exec("SELECT id FROM thread_streams WHERE status != 'streaming' AND finished_at < ?", before)
      .toArray()
      .map((row) => String(row.id));
    for (const id of ids) this.remove(id);
    return ids.length;
  }

  /** The earliest finish time among streams whose parts are still kept. */
  oldestFinished(): number | null {
    const row = this.sql
      .exec("SELECT min(finished_at) AS at FROM thread_streams WHERE status != 'streaming'")
      .one();
    return num(row.at);
  }

  deleteForThread(threadId: string): void {
    const ids = this.sql
      .exec("SELECT id FROM thread_streams WHERE thread_id = ?", threadId)
      .toArray()
      .map((row) => String(row.id));
    for (const id of ids) this.remove(id);
    this.sql.exec("DELETE FROM thread_stream_ids WHERE thread_id = ?", threadId);
  }

  private remove(id: string): void {
    this.open.delete(id);
    this.sql.exec("DELETE FROM thread_stream_parts WHERE stream_id = ?", id);
    this.sql.exec("DELETE FROM thread_streams WHERE id = ?", id);
  }
}

/** Adds a batch's parts after `afterSeq` to `parts`; answers the batch's size. */
function takeLines(parts: StoredPart[], firstSeq: number, text: string, afterSeq: number): number {
  text.split("\n").forEach((json, index) => {
    if (firstSeq + index > afterSeq) parts.push({ seq: firstSeq + index, json });
  });
  return text.length;
}
