import type { InitializeRequest } from "@modelcontextprotocol/sdk/types.js";

// The rows of the workspace's MCP sessions: what each one's `initialize` asked (replayed into
// a new transport when the object wakes without it), when it was last used (an idle session
// expires), and the resources it subscribed to.

export interface SessionRow {
  id: string;
  initialize: InitializeRequest["params"];
  protocolVersion: string;
  clientName: string | null;
  actor: string | null;
  createdAt: number;
  lastUsedAt: number;
}

const toRow = (row: Record<string, SqlStorageValue>): SessionRow => ({
  id: String(row.id),
  initialize: JSON.parse(String(row.initialize)),
  protocolVersion: String(row.protocol_version),
  clientName: row.client_name === null ? null : String(row.client_name),
  actor: row.actor === null ? null : String(row.actor),
  createdAt: Number(row.created_at),
  lastUsedAt: Number(row.last_used_at),
});

export class SessionStore {
  constructor(private readonly sql: SqlStorage) {}

  insert(row: SessionRow): void {
    this.sql.exec(
      `INSERT INTO mcp_sessions (id, initialize, protocol_version, client_name, actor, created_at, last_used_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      row.id,
      JSON.stringify(row.initialize),
      row.protocolVersion,
      row.clientName,
      row.actor,
      row.createdAt,
      row.lastUsedAt,
    );
  }

  find(id: string): SessionRow | null {
    const row = this.sql.exec("SELECT * FROM mcp_sessions WHERE id = ?", id).toArray()[0];
    return row ? toRow(row) : null;
  }

  touch(id: string, now: number): void {
    this.sql.exec("UPDATE mcp_sessions SET last_used_at = ? WHERE id = ?", now, id);
  }

  /** Sessions idle since before `before`. */
  idleSince(before: number): string[] {
    return this.sql
      .exec("SELECT id FROM mcp_sessions WHERE last_used_at < ?", before)
      .toArray()
      .map((row) => String(row.id));
  }

  /** The least recently used session's last use, or null when there is none. */
  oldestUse(): number | null {
    const row = this.sql.exec("SELECT min(last_used_at) AS at FROM mcp_sessions").one();
    return row.at === null ? null : Number(row.at);
  }

  ids(): string[] {
    return this.sql
      .exec("SELECT id FROM mcp_sessions")
      .toArray()
      .map((row) => String(row.id));
  }

  count(): number {
    return Number(this.sql.exec("SELECT count(*) AS n FROM mcp_sessions").one().n);
  }

  delete(id: string): void {
    this.sql.exec("DELETE FROM mcp_subscriptions WHERE session_id = ?", id);
    this.sql.exec("DELETE FROM mcp_sessions WHERE id = ?", id);
  }

  subscribe(id: string, uri: string): void {
    this.sql.exec(
      "INSERT OR IGNORE INTO mcp_subscriptions (session_id, uri) VALUES (?, ?)",
      id,
      uri,
    );
  }

  unsubscribe(id: string, uri: string): void {
    this.sql.exec("DELETE FROM mcp_subscriptions WHERE session_id = ? AND uri = ?", id, uri);
  }

  /** The sessions subscribed to each of `uris`. */
  subscribers(uris: readonly string[]): { sessionId: string; uri: string }[] {
    if (uris.length === 0) return [];
    return this.sql
      .exec(
        `SELECT session_id, uri FROM mcp_subscriptions WHERE uri IN (${uris.map(() => "?").join(", ")})`,
        ...uris,
      )
      .toArray()
      .map((row) => ({ sessionId: String(row.session_id), uri: String(row.uri) }));
  }
}
