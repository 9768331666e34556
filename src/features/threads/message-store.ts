import { splitPage } from "../../lib/pagination";
import { type Row, str } from "../../lib/sql-values";
import { splitChunks } from "./chunks";
import type { PreparedMessage } from "./prepare-messages";
import type { Message, MessageRef, MessageRole } from "./thread.schemas";

// A thread's messages in the Durable Object's SQLite, one row per message at its position
// (`seq`, from 1). The serialized parts are cut into pieces (chunks.ts): the first lives in the
// row, the rest in message_chunks, and a read joins them back.

/** A stored message without its parts: what lists, diffs and the index need. */
interface StoredRef extends MessageRef {
  metadataJson: string | null;
  chunks: number;
}

export interface MessageChanges {
  created: MessageRef[];
  updated: MessageRef[];
  deleted: string[];
  /** Whether any kept message changed position. */
  moved: boolean;
}

export const hasChanges = (changes: MessageChanges) =>
  changes.created.length + changes.updated.length + changes.deleted.length > 0 || changes.moved;

export interface MessageIndex {
  count: number;
  lastCreatedAt: string | null;
  lastPreview: string | null;
  maxUpdatedAt: string | null;
}

const toRef = (row: Row): StoredRef => ({
  id: String(row.id),
  role: String(row.role) as MessageRole,
  seq: Number(row.seq),
  bytes: Number(row.bytes),
  created_at: String(row.created_at),
  updated_at: String(row.updated_at),
  metadataJson: str(row.metadata),
  chunks: Number(row.chunks),
});

const publicRef = ({ metadataJson: _, chunks: __, ...ref }: StoredRef): MessageRef => ref;

const REF_COLUMNS = "seq, id, role, bytes, metadata, chunks, created_at, updated_at";

export class MessageStore {
  constructor(private readonly sql: SqlStorage) {}

  /**
   * Makes the thread's messages exactly `next`, in order. A message that keeps its id keeps its
   * `created_at`, and its `updated_at` unless its role, parts or metadata changed; a message
   * unchanged at the same position is not rewritten.
   */
  replaceAll(threadId: string, next: readonly PreparedMessage[], now: string): MessageChanges {
    const existing = new Map(this.refs(threadId).map((ref) => [ref.id, ref]));
    const changes: MessageChanges = { created: [], updated: [], deleted: [], moved: false };
    const plan = next.map((message, index) => {
      const seq = index + 1;
      const before = existing.get(message.id);
      const same = before !== undefined && this.sameContent(threadId, before, message);
      return { message, seq, before, same, keep: same && before.seq === seq };
    });
    const kept = new Set(plan.filter((step) => step.keep).map((step) => step.seq));
    for (const ref of existing.values()) {
      if (!kept.has(ref.seq)) this.remove(threadId, ref.seq);
    }
    const nextIds = new Set(next.map((message) => message.id));
    for (const ref of existing.values()) {
      if (!nextIds.has(ref.id)) changes.deleted.push(ref.id);
    }
    for (const { message, seq, before, same, keep } of plan) {
      if (keep) continue;
      const ref = this.insert(threadId, seq, message, {
        createdAt: before?.created_at ?? now,
        updatedAt: same && before ? before.updated_at : now,
      });
      if (!before) changes.created.push(ref);
      else if (!same) changes.updated.push(ref);
      else changes.moved = true;
    }
    return changes;
  }

  /** Adds a message after the last one (a streamed turn: the question, then its answer). */
  append(threadId: string, message: PreparedMessage, now: string): MessageRef {
    const last = this.sql
      .exec("SELECT coalesce(max(seq), 0) AS seq FROM messages WHERE thread_id = ?", threadId)
      .one();
    return this.insert(threadId, Number(last.seq) + 1, message, { createdAt: now, updatedAt: now });
  }

  /** The position of the message with this id, or null. */
  seqOf(threadId: string, messageId: string): number | null {
    const row = this.sql
      .exec("SELECT seq FROM messages WHERE thread_id = ? AND id = ?", threadId, messageId)
      .toArray()[0];
    return row ? Number(row.seq) : null;
  }

  /** Deletes the messages from position `fromSeq` on (an edited or regenerated turn); their ids. */
  removeFrom(threadId: string, fromSeq: number): string[] {
    const ids = this.sql
      .exec(
        "SELECT id FROM messages WHERE thread_id = ? AND seq >= ? ORDER BY seq",
        threadId,
        fromSeq,
      )
      .toArray()
      .map((row) => String(row.id));
    this.sql.exec("DELETE FROM message_chunks WHERE thread_id = ? AND seq >= ?", threadId, fromSeq);
    this.sql.exec("DELETE FROM messages WHERE thread_id = ? AND seq >= ?", threadId, fromSeq);
    return ids;
  }

  /** Every message, oldest first (the model's context for a streamed turn). */
  all(threadId: string): (Message & { seq: number })[] {
    return this.range(threadId, 1, Number.MAX_SAFE_INTEGER);
  }

  deleteAll(threadId: string): void {
    this.sql.exec("DELETE FROM message_chunks WHERE thread_id = ?", threadId);
    this.sql.exec("DELETE FROM messages WHERE thread_id = ?", threadId);
  }

  /** Up to `limit` messages after `afterSeq`, stopping before `budget` bytes (at least one). */
  page(threadId: string, afterSeq: number, limit: number, budget: number, skip = 0) {
    const rows = this.sql
      .exec(
        "SELECT seq, bytes FROM messages WHERE thread_id = ? AND seq > ? ORDER BY seq LIMIT ? OFFSET ?",
        threadId,
        afterSeq,
        limit + 1,
        skip,
      )
      .toArray();
    let total = 0;
    let taken = 0;
    for (const row of rows.slice(0, limit)) {
      const bytes = Number(row.bytes);
      if (taken > 0 && total + bytes > budget) break;
      total += bytes;
      taken++;
    }
    const page = splitPage(rows, taken);
    const last = page.items.at(-1);
    const items = last ? this.range(threadId, Number(rows[0]?.seq), Number(last.seq)) : [];
    return { items, nextAfter: page.more && last ? Number(last.seq) : null };
  }

  /** Positions, roles and sizes after `afterSeq`, without parts: for grouping into pairs. */
  outline(threadId: string, afterSeq: number, limit: number) {
    return this.sql
      .exec(
        "SELECT seq, role, bytes FROM messages WHERE thread_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        threadId,
        afterSeq,
        limit,
      )
      .toArray()
      .map((row) => ({
        seq: Number(row.seq),
        role: String(row.role) as MessageRole,
        bytes: Number(row.bytes),
      }));
  }

  /** The messages from `fromSeq` to `toSeq` (inclusive), whole. */
  range(threadId: string, fromSeq: number, toSeq: number): (Message & { seq: number })[] {
    const rows = this.sql
      .exec(
        `SELECT ${REF_COLUMNS}, parts FROM messages WHERE thread_id = ? AND seq BETWEEN ? AND ? ORDER BY seq`,
        threadId,
        fromSeq,
        toSeq,
      )
      .toArray();
    return rows.map((row) => {
      const ref = toRef(row);
      const message: Message & { seq: number } = {
        seq: ref.seq,
        id: ref.id,
        role: ref.role,
        parts: JSON.parse(this.joinParts(threadId, ref, String(row.parts))),
        created_at: ref.created_at,
        updated_at: ref.updated_at,
      };
      if (ref.metadataJson !== null) message.metadata = JSON.parse(ref.metadataJson);
      return message;
    });
  }

  /** The figures a thread's index is made of, computed from its messages. */
  index(threadId: string): MessageIndex {
    const totals = this.sql
      .exec(
        "SELECT count(*) AS n, max(updated_at) AS updated FROM messages WHERE thread_id = ?",
        threadId,
      )
      .one();
    const last = this.sql
      .exec(
        "SELECT created_at, preview FROM messages WHERE thread_id = ? ORDER BY seq DESC LIMIT 1",
        threadId,
      )
      .toArray()[0];
    return {
      count: Number(totals.n),
      maxUpdatedAt: str(totals.updated),
      lastCreatedAt: last ? String(last.created_at) : null,
      lastPreview: str(last?.preview),
    };
  }

  private refs(threadId: string): StoredRef[] {
    return this.sql
      .exec(`SELECT ${REF_COLUMNS} FROM messages WHERE thread_id = ? ORDER BY seq`, threadId)
      .toArray()
      .map(toRef);
  }

  private sameContent(threadId: string, before: StoredRef, next: PreparedMessage): boolean {
    if (before.role !== next.role || before.bytes !== next.bytes) return false;
    if (before.metadataJson !== next.metadataJson) return false;
    const first = this.sql
      .exec("SELECT parts FROM messages WHERE thread_id = ? AND seq = ?", threadId, before.seq)
      .one();
    return this.joinParts(threadId, before, String(first.parts)) === next.partsJson;
  }

  private joinParts(threadId: string, ref: StoredRef, first: string): string {
    if (ref.chunks <= 1) return first;
    const rest = this.sql
      .exec(
        "SELECT data FROM message_chunks WHERE thread_id = ? AND seq = ? ORDER BY chunk",
        threadId,
        ref.seq,
      )
      .toArray()
      .map((row) => String(row.data));
    if (rest.length !== ref.chunks - 1) {
      throw new Error(`message ${ref.id} of ${threadId}: ${rest.length + 1}/${ref.chunks} chunks`);
    }
    return first + rest.join("");
  }

  private insert(
    threadId: string,
    seq: number,
    message: PreparedMessage,
    times: { createdAt: string; updatedAt: string },
  ): MessageRef {
    const pieces = splitChunks(message.partsJson);
    this.sql.exec(
      `INSERT INTO messages (thread_id, seq, id, role, parts, chunks, metadata, bytes, preview, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      threadId,
      seq,
      message.id,
      message.role,
      pieces[0] ?? "",
      pieces.length,
      message.metadataJson,
      message.bytes,
      message.preview,
      times.createdAt,
      times.updatedAt,
    );
    for (let chunk = 1; chunk < pieces.length; chunk++) {
      this.sql.exec(
        "INSERT INTO message_chunks (thread_id, seq, chunk, data) VALUES (?, ?, ?, ?)",
        threadId,
        seq,
        chunk,
        pieces[chunk] as string,
      );
    }
    return publicRef({
      id: message.id,
      role: message.role,
      seq,
      bytes: message.bytes,
      created_at: times.createdAt,
      updated_at: times.updatedAt,
      metadataJson: message.metadataJson,
      chunks: pieces.length,
    });
  }

  private remove(threadId: string, seq: number): void {
    this.sql.exec("DELETE FROM message_chunks WHERE thread_id = ? AND seq = ?", threadId, seq);
    this.sql.exec("DELETE FROM messages WHERE thread_id = ? AND seq = ?", threadId, seq);
  }
}
