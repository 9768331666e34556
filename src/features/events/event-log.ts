import type { EventData, EventType } from "../../kernel/events";
import { EVENT_SCHEMA_VERSION } from "./event-schema";

// The workspace's event log, in the Durable Object's SQLite. Ids are assigned here, one past the
// head, and never reused: trimming always keeps the newest events, so the head survives it. The
// serialized event is stored as it will be sent, so replay and fan-out never re-serialize it.

/** An appended event as delivery needs it: its id, type and the JSON sent to subscribers. */
export interface LoggedEvent {
  id: number;
  type: string;
  json: string;
}

export interface RetentionPolicy {
  /** At least this many of the newest events are kept, however old. */
  minEvents: number;
  /** Events younger than this are kept, however many. */
  maxAgeMs: number;
}

const TRIMMED_THROUGH_KEY = "events_trimmed_through";

export class EventLog {
  /** The newest id, read once and then advanced by appends; null means "read it again". */
  private cachedHead: number | null = null;
  /** Read once, then kept in step by `trim`, the only writer. */
  private cachedTrimmedThrough: number | null = null;

  constructor(private readonly sql: SqlStorage) {}

  append<T extends EventType>(
    workspaceId: string,
    type: T,
    data: EventData<T>,
    actor: string | null,
    now: number,
  ): LoggedEvent {
    const id = this.head() + 1;
    const event = {
      id,
      type,
      version: EVENT_SCHEMA_VERSION,
      workspace_id: workspaceId,
      actor,
      created_at: new Date(now).toISOString(),
      data,
    };
    const json = JSON.stringify(event);
    this.sql.exec(
      "INSERT INTO events (id, type, actor, created_at, json) VALUES (?, ?, ?, ?, ?)",
      id,
      type,
      actor,
      now,
      json,
    );
    this.cachedHead = id;
    return { id, type, json };
  }

  /** Called when a transaction that appended rolled back: the head is read again. */
  forgetHead(): void {
    this.cachedHead = null;
    this.cachedTrimmedThrough = null;
  }

  head(): number {
    // Trimming always keeps the newest events, so the largest id present is the head.
    this.cachedHead ??= Number(this.sql.exec("SELECT max(id) AS id FROM events").one().id ?? 0);
    return this.cachedHead;
  }

  /** Every id up to this one has been trimmed; a replay from before it cannot be complete. */
  trimmedThrough(): number {
    this.cachedTrimmedThrough ??= Number(
      this.sql.exec("SELECT value FROM meta WHERE key = ?", TRIMMED_THROUGH_KEY).toArray()[0]
        ?.value ?? 0,
    );
    return this.cachedTrimmedThrough;
  }

  /** Events after `after`, oldest first, whose type starts with one of `prefixes` (all if null). */
  read(after: number, limit: number, prefixes: readonly string[] | null): LoggedEvent[] {
    const filter = prefixes?.length
      ? `AND (${prefixes.map(() => "instr(type, ?) = 1").join(" OR ")})`
      : "";
    const rows = this.sql
      .exec(
        `SELECT id, type, json FROM events WHERE id > ? ${filter} ORDER BY id LIMIT ?`,
        after,
        ...(prefixes ?? []),
        limit,
      )
      .toArray();
    return rows.map((row) => ({
      id: Number(row.id),
      type: String(row.type),
      json: String(row.json),
    }));
  }

  count(): number {
    return Number(this.sql.exec("SELECT count(*) AS n FROM events").one().n);
  }

  oldestCreatedAt(): number | null {
    const row = this.sql.exec("SELECT created_at FROM events ORDER BY id LIMIT 1").toArray()[0];
    return row ? Number(row.created_at) : null;
  }

  /**
   * Deletes events that are both outside the newest `minEvents` and older than `maxAgeMs`, and
   * records how far the log is now trimmed. Returns how many rows went.
   */
  trim(policy: RetentionPolicy, now: number): number {
    const boundary = this.head() - policy.minEvents;
    if (boundary <= 0) return 0;
    const cutoff = now - policy.maxAgeMs;
    const last = this.sql
      .exec(
        "SELECT max(id) AS id, count(*) AS n FROM events WHERE id <= ? AND created_at < ?",
        boundary,
        cutoff,
      )
      .one();
    if (!last.n) return 0;
    // Trimming stops at the first event still young enough: the log never has holes.
    const youngest = this.sql
      .exec("SELECT min(id) AS id FROM events WHERE id <= ? AND created_at >= ?", boundary, cutoff)
      .one();
    const through = youngest.id === null ? Number(last.id) : Number(youngest.id) - 1;
    if (through <= this.trimmedThrough()) return 0;
    const deleted = this.sql.exec("DELETE FROM events WHERE id <= ?", through).rowsWritten;
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      TRIMMED_THROUGH_KEY,
      String(through),
    );
    this.cachedTrimmedThrough = through;
    return deleted;
  }
}
