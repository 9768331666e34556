// The command registry (its FTS5 index kept in step by fts.ts), executions and their output, chunk by chunk; a prompt command's answer (message_id).
// Steps run once each, in order (see src/kernel/migrations.ts); append new ones, never edit.
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS commands (
     trigger TEXT PRIMARY KEY,
     description TEXT NOT NULL,
     category TEXT NOT NULL,
     type TEXT NOT NULL CHECK (type IN ('shell', 'prompt', 'http')),
     body TEXT NOT NULL,
     args TEXT NOT NULL,
     timeout_ms INTEGER,
     etag TEXT NOT NULL,
     created_by TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX IF NOT EXISTS commands_by_category ON commands (category, trigger);
   CREATE VIRTUAL TABLE IF NOT EXISTS commands_fts USING fts5(
     trigger, description, body, tokenize = 'porter unicode61'
   );
   CREATE TABLE IF NOT EXISTS command_executions (
     id TEXT PRIMARY KEY,
     trigger TEXT NOT NULL,
     type TEXT NOT NULL,
     status TEXT NOT NULL
       CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled', 'timed_out')),
     args TEXT NOT NULL,
     thread_id TEXT,
     tool_call_id TEXT,
     rendered TEXT,
     exit_code INTEGER,
     http_status INTEGER,
     reason TEXT,
     output_bytes INTEGER NOT NULL DEFAULT 0,
     output_truncated INTEGER NOT NULL DEFAULT 0,
     last_seq INTEGER NOT NULL DEFAULT 0,
     actor TEXT,
     created_at TEXT NOT NULL,
     started_at TEXT,
     finished_at TEXT,
     duration_ms INTEGER
   );
   CREATE INDEX IF NOT EXISTS command_executions_by_trigger ON command_executions (trigger, id);
   CREATE INDEX IF NOT EXISTS command_executions_by_status ON command_executions (status);
   CREATE TABLE IF NOT EXISTS command_output (
     execution_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     stream TEXT NOT NULL CHECK (stream IN ('stdout', 'stderr')),
     data TEXT NOT NULL,
     PRIMARY KEY (execution_id, seq)
   );`,
  `ALTER TABLE command_executions ADD COLUMN message_id TEXT;`,
];
