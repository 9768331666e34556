import { notFound } from "../../http/errors";
import { randomToken } from "../../lib/crypto";
import type { JsonObject } from "../../lib/merge";
import { splitPage } from "../../lib/pagination";
import { json, type Row, str } from "../../lib/sql-values";
import type { MessageStore } from "./message-store";
import type { Thread, ThreadStatus } from "./thread.schemas";

// The threads table: one row per thread with its own fields and an index over its messages
// (count, last message, updated_at). Every write goes through `save`, which recomputes that
// index from the messages, so it can only drift if rows are changed behind its back — which
// `rebuild` then repairs.

export interface ThreadFields {
  title: string | null;
  summary: string | null;
  metadata: JsonObject;
}

export type SortField = "created_at" | "updated_at";
export type SortOrder = "asc" | "desc";

export interface ThreadListQuery {
  sortBy: SortField;
  order: SortOrder;
  /** Resume after this thread (its sort value and id), as the last page ended. */
  after: { value: string; id: string } | null;
  limit: number;
  /** Threads to skip before the page (`offset` / `page`). */
  skip?: number;
}

/** The index fields `rebuild` may find wrong. */
const INDEX_FIELDS = ["message_count", "last_message_at", "last_message_preview", "updated_at"];
type IndexField = "message_count" | "last_message_at" | "last_message_preview" | "updated_at";

export type IndexFix = { [F in IndexField]?: { from: unknown; to: unknown } };

const newEtag = () => randomToken(9);

function toThread(row: Row): Thread {
  return {
    id: String(row.id),
    title: str(row.title),
    summary: str(row.summary),
    metadata: json(row.metadata) as JsonObject,
    status: String(row.status) as ThreadStatus,
    created_by: str(row.created_by),
    created_at: String(row.created_at),
    updated_at: String(row.updated_at),
    etag: String(row.etag),
    message_count: Number(row.message_count),
    last_message_at: str(row.last_message_at),
    last_message_preview: str(row.last_message_preview),
  };
}

export class ThreadStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly messages: MessageStore,
  ) {}

  find(id: string): Thread | null {
    const row = this.sql.exec("SELECT * FROM threads WHERE id = ?", id).toArray()[0];
    return row ? toThread(row) : null;
  }

  get(id: string): Thread {
    const thread = this.find(id);
    if (!thread) throw notFound("thread");
    return thread;
  }

  insert(id: string, fields: ThreadFields, createdBy: string | null, now: string): void {
    this.sql.exec(
      `INSERT INTO threads (id, title, summary, metadata, created_by, created_at, changed_at, updated_at, etag, version)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
      id,
      fields.title,
      fields.summary,
      JSON.stringify(fields.metadata),
      createdBy,
      now,
      now,
      now,
      newEtag(),
    );
  }

  /** Writes the thread's own fields as of `now`, with a new etag, and refreshes its index. */
  save(id: string, fields: ThreadFields, now: string): Thread {
    this.sql.exec(
      `UPDATE threads SET title = ?, summary = ?, metadata = ?, changed_at = ?, etag = ?,
       version = version + 1 WHERE id = ?`,
      fields.title,
      fields.summary,
      JSON.stringify(fields.metadata),
      now,
      newEtag(),
      id,
    );
    this.refreshIndex(id);
    return this.get(id);
  }

  /** The index fields as the messages say they should be; a change gets a new etag. */
  refreshIndex(id: string): IndexFix {
    const row = this.sql
      .exec(`SELECT changed_at, ${INDEX_FIELDS.join(", ")} FROM threads WHERE id = ?`, id)
      .one();
    const index = this.messages.index(id);
    const changedAt = String(row.changed_at);
    const expected: Record<IndexField, SqlStorageValue> = {
      message_count: index.count,
      last_message_at: index.lastCreatedAt,
      last_message_preview: index.lastPreview,
      updated_at:
        index.maxUpdatedAt !== null && index.maxUpdatedAt > changedAt
          ? index.maxUpdatedAt
          : changedAt,
    };
    const fix: IndexFix = {};
    for (const field of INDEX_FIELDS as IndexField[]) {
      if (row[field] !== expected[field]) fix[field] = { from: row[field], to: expected[field] };
    }
    if (Object.keys(fix).length > 0) {
      this.sql.exec(
        `UPDATE threads SET message_count = ?, last_message_at = ?, last_message_preview = ?,
         updated_at = ? WHERE id = ?`,
        expected.message_count,
        expected.last_message_at,
        expected.last_message_preview,
        expected.updated_at,
        id,
      );
    }
    return fix;
  }

  /** Marks the thread streaming or idle (a new etag: the representation changed). */
  setStatus(id: string, status: ThreadStatus): Thread {
    this.sql.exec(
      "UPDATE threads SET status = ?, etag = ?, version = version + 1 WHERE id = ?",
      status,
      newEtag(),
      id,
    );
    this.refreshIndex(id);
    return this.get(id);
  }

  /** A changed index is a changed representation: it gets a new etag. */
  renewEtag(id: string): void {
    this.sql.exec("UPDATE threads SET etag = ?, version = version + 1 WHERE id = ?", newEtag(), id);
  }

  delete(id: string): void {
    this.messages.deleteAll(id);
    this.sql.exec("DELETE FROM threads WHERE id = ?", id);
  }

  ids(): string[] {
    return this.sql
      .exec("SELECT id FROM threads ORDER BY id")
      .toArray()
      .map((row) => String(row.id));
  }

  /** A page in (sort field, id) order, keyset-paged so pages never overlap or skip. */
  list(query: ThreadListQuery): { items: Thread[]; more: boolean } {
    // Both come from closed enums, never from the client's text.
    const column = query.sortBy === "created_at" ? "created_at" : "updated_at";
    const direction = query.order === "asc" ? "ASC" : "DESC";
    const compare = query.order === "asc" ? ">" : "<";
    const where = query.after ? `WHERE (${column}, id) ${compare} (?, ?)` : "";
    const bindings = query.after ? [query.after.value, query.after.id] : [];
    const rows = this.sql
      .exec(
        `SELECT * FROM threads ${where} ORDER BY ${column} ${direction}, id ${direction} LIMIT ? OFFSET ?`,
        ...bindings,
        query.limit + 1,
        query.skip ?? 0,
      )
      .toArray();
    const { items, more } = splitPage(rows, query.limit);
    return { items: items.map(toThread), more };
  }

  counts(): { threads: number; messages: number } {
    const row = this.sql
      .exec("SELECT count(*) AS threads, coalesce(sum(message_count), 0) AS messages FROM threads")
      .one();
    return { threads: Number(row.threads), messages: Number(row.messages) };
  }
}
