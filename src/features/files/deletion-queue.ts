import { num } from "../../lib/sql-values";

// R2 objects no longer named by the file index, waiting for the DO alarm to delete them. A key
// is queued in the same transaction that dropped its last reference, so none is forgotten; a
// failed delete is retried with backoff. An upload queues its own object in advance (with a
// grace period) and unqueues it when committed, so an upload that never commits is cleaned up.
// While a reader holds deletions (holdUntil), newly freed objects wait for the hold to end.

export const UNCOMMITTED_UPLOAD_GRACE_MS = 60 * 60 * 1000;
/** How long a ZIP's listing keeps freed objects in R2; the stream renews it while it runs. */
export const ZIP_READ_HOLD_MS = 10 * 60 * 1000;
const MAX_BACKOFF_MS = 60 * 60 * 1000;
const BATCH = 1000;

export class DeletionQueue {
  constructor(private readonly sql: SqlStorage) {}

  /**
   * Queues keys, due at `dueAt` (an earlier due time already queued is kept), but never before
   * a read hold ends.
   */
  queue(keys: readonly string[], dueAt: number): void {
    if (keys.length === 0) return;
    const due = Math.max(dueAt, this.heldUntil());
    for (const key of keys) {
      this.sql.exec(
        `INSERT INTO object_deletions (object_key, due_at) VALUES (?, ?)
         ON CONFLICT(object_key) DO UPDATE SET due_at = min(due_at, excluded.due_at)`,
        key,
        due,
      );
    }
  }

  /**
   * A reader (a ZIP being streamed) has listed objects it has yet to read: objects freed from
   * now until `until` stay in R2 until then, so a file deleted or overwritten mid-ZIP is still
   * read whole. Kept in `meta`, so it outlives the DO's eviction.
   */
  holdUntil(until: number): void {
    this.sql.exec(
      `INSERT INTO meta (key, value) VALUES ('deletion_hold_until', ?)
       ON CONFLICT(key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))`,
      String(until),
    );
  }

  heldUntil(): number {
    const row = this.sql
      .exec("SELECT value FROM meta WHERE key = 'deletion_hold_until'")
      .toArray()[0];
    return row ? Number(row.value) : 0;
  }

  /** The key is referenced again (its upload committed): it must not be deleted. */
  keep(key: string): void {
    this.sql.exec("DELETE FROM object_deletions WHERE object_key = ?", key);
  }

  due(now: number): string[] {
    return this.sql
      .exec(
        "SELECT object_key FROM object_deletions WHERE due_at <= ? ORDER BY due_at LIMIT ?",
        now,
        BATCH,
      )
      .toArray()
      .map((row) => String(row.object_key));
  }

  done(keys: readonly string[]): void {
    for (const key of keys) this.keep(key);
  }

  /** The delete failed: try again later, a little later each time. */
  failed(keys: readonly string[], now: number): void {
    for (const key of keys) {
      this.sql.exec(
        `UPDATE object_deletions SET attempts = attempts + 1,
           due_at = ? + min(?, 1000 * (1 << min(attempts, 20)))
         WHERE object_key = ?`,
        now,
        MAX_BACKOFF_MS,
        key,
      );
    }
  }

  nextDue(): number | null {
    const row = this.sql.exec("SELECT min(due_at) AS due FROM object_deletions").one();
    return num(row.due);
  }

  pending(): number {
    return Number(this.sql.exec("SELECT count(*) AS n FROM object_deletions").one().n);
  }
}
