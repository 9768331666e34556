// MCP sessions of the workspace, held by its Durable Object so that a session outlives the
// object's eviction: what `initialize` said (to replay it into a new transport on wake), the
// resources it subscribed to, and every server-to-client message with its SSE id (replayed to
// a client that reconnects with Last-Event-ID).
// Steps run once each, in order (see src/kernel/migrations.ts); append new ones, never edit.
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS mcp_sessions (
     id TEXT PRIMARY KEY,
     initialize TEXT NOT NULL,
     protocol_version TEXT NOT NULL,
     client_name TEXT,
     actor TEXT,
     created_at INTEGER NOT NULL,
     last_used_at INTEGER NOT NULL
   );
   CREATE INDEX IF NOT EXISTS mcp_sessions_by_use ON mcp_sessions (last_used_at);
   CREATE TABLE IF NOT EXISTS mcp_subscriptions (
     session_id TEXT NOT NULL,
     uri TEXT NOT NULL,
     PRIMARY KEY (session_id, uri)
   );
   CREATE TABLE IF NOT EXISTS mcp_messages (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     session_id TEXT NOT NULL,
     stream_id TEXT NOT NULL,
     message TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX IF NOT EXISTS mcp_messages_by_stream ON mcp_messages (session_id, stream_id, seq);`,
];
