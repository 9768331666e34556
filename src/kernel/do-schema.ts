// The workspace Durable Object's SQLite schema, as numbered steps. A step runs once, in order,
// inside the constructor's blockConcurrencyWhile; later features append steps, never edit them.
const STEPS: string[] = [
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE IF NOT EXISTS workspace (
     singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
     owner_account_id TEXT NOT NULL,
     version INTEGER NOT NULL,
     deleted INTEGER NOT NULL DEFAULT 0,
     status_before_archive TEXT,
     record TEXT NOT NULL
   );
   CREATE TABLE IF NOT EXISTS lifecycle_events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     event TEXT NOT NULL,
     notes TEXT,
     from_status TEXT,
     to_status TEXT,
     actor TEXT,
     created_at TEXT NOT NULL
   );
   CREATE TABLE IF NOT EXISTS codebases (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     source_type TEXT NOT NULL,
     path TEXT,
     url TEXT,
     branch TEXT,
     created_at TEXT NOT NULL
   );`,
  // Issue 3: the event log (ids assigned by EventLog) and stream tickets.
  `CREATE TABLE IF NOT EXISTS events (
     id INTEGER PRIMARY KEY,
     type TEXT NOT NULL,
     actor TEXT,
     created_at INTEGER NOT NULL,
     json TEXT NOT NULL
   );
   CREATE TABLE IF NOT EXISTS stream_tickets (
     hash TEXT PRIMARY KEY,
     account_id TEXT NOT NULL,
     actor TEXT,
     expires_at INTEGER NOT NULL
   );`,
  // Issue 4: the file index (path → R2 object) and the objects waiting to be deleted from R2.
  `CREATE TABLE IF NOT EXISTS files (
     path TEXT PRIMARY KEY,
     parent TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('file', 'directory')),
     object_key TEXT,
     size INTEGER NOT NULL DEFAULT 0,
     sha256 TEXT,
     content_type TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     author TEXT
   );
   CREATE INDEX IF NOT EXISTS files_by_parent ON files (parent, path);
   CREATE TABLE IF NOT EXISTS object_deletions (
     object_key TEXT PRIMARY KEY,
     due_at INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0
   );`,
  // Issue 4: attachments, immutable and named by the server (name → R2 object).
  `CREATE TABLE IF NOT EXISTS attachments (
     name TEXT PRIMARY KEY,
     object_key TEXT NOT NULL,
     content_type TEXT NOT NULL,
     size INTEGER NOT NULL,
     sha256 TEXT NOT NULL,
     original_name TEXT NOT NULL,
     created_at TEXT NOT NULL,
     author TEXT
   );`,
  // Issue 4: large files. Multipart uploads in progress (with the parts R2 has accepted) and the
  // signed upload URLs handed out; the signing key lives in meta.
  `CREATE TABLE IF NOT EXISTS multipart_uploads (
     upload_id TEXT PRIMARY KEY,
     path TEXT NOT NULL,
     object_key TEXT NOT NULL,
     r2_upload_id TEXT NOT NULL,
     content_type TEXT NOT NULL,
     state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'completing')),
     author TEXT,
     declared_size INTEGER,
     bytes_received INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     abort_attempts INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX IF NOT EXISTS multipart_uploads_by_expiry ON multipart_uploads (expires_at);
   CREATE TABLE IF NOT EXISTS multipart_parts (
     upload_id TEXT NOT NULL,
     part_number INTEGER NOT NULL,
     size INTEGER NOT NULL,
     etag TEXT NOT NULL,
     PRIMARY KEY (upload_id, part_number)
   );
   CREATE TABLE IF NOT EXISTS signed_uploads (
     nonce TEXT PRIMARY KEY,
     path TEXT NOT NULL,
     max_size INTEGER NOT NULL,
     content_type TEXT,
     account_id TEXT NOT NULL,
     actor TEXT,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     used_at INTEGER
   );`,
  // Issue 5: threads and their messages (AI SDK UIMessages). A message's serialized parts are
  // split across message_chunks when they would make a row too large (src/features/threads/chunks.ts).
  // message_count, last_message_at, last_message_preview and updated_at are an index over the
  // messages (rebuild-metadata recomputes them); changed_at is when the thread itself last
  // changed; version counts its writes (the etag is random, so it says nothing of order).
  `CREATE TABLE IF NOT EXISTS threads (
     id TEXT PRIMARY KEY,
     title TEXT,
     summary TEXT,
     metadata TEXT NOT NULL,
     status TEXT NOT NULL DEFAULT 'idle' CHECK (status IN ('idle', 'streaming')),
     created_by TEXT,
     created_at TEXT NOT NULL,
     changed_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     etag TEXT NOT NULL,
     version INTEGER NOT NULL,
     message_count INTEGER NOT NULL DEFAULT 0,
     last_message_at TEXT,
     last_message_preview TEXT
   );
   CREATE INDEX IF NOT EXISTS threads_by_created ON threads (created_at, id);
   CREATE INDEX IF NOT EXISTS threads_by_updated ON threads (updated_at, id);
   CREATE TABLE IF NOT EXISTS messages (
     thread_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     id TEXT NOT NULL,
     role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
     parts TEXT NOT NULL,
     chunks INTEGER NOT NULL DEFAULT 1,
     metadata TEXT,
     bytes INTEGER NOT NULL,
     preview TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (thread_id, seq),
     UNIQUE (thread_id, id)
   );
   CREATE TABLE IF NOT EXISTS message_chunks (
     thread_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     chunk INTEGER NOT NULL,
     data TEXT NOT NULL,
     PRIMARY KEY (thread_id, seq, chunk)
   );`,
  // Issue 6: the command registry (with its FTS5 index, kept in step by src/features/commands/fts.ts),
  // the executions of commands and their output, chunk by chunk in the order produced.
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
  // Issue 5: thread streams. One row per response stream (its assistant message, status and
  // times) and its UI message stream parts, several per row: `data` is their JSON, one per line,
  // for the parts first_seq..last_seq; a batch too large for one row continues in rows of the
  // same first_seq with a higher `chunk` (src/features/threads/chunks.ts).
  `CREATE TABLE IF NOT EXISTS thread_streams (
     id TEXT PRIMARY KEY,
     thread_id TEXT NOT NULL,
     message_id TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('streaming', 'completed', 'canceled', 'error', 'interrupted')),
     model TEXT NOT NULL,
     actor TEXT,
     parts INTEGER NOT NULL DEFAULT 0,
     started_at INTEGER NOT NULL,
     finished_at INTEGER,
     error TEXT
   );
   CREATE INDEX IF NOT EXISTS thread_streams_by_thread ON thread_streams (thread_id, started_at);
   CREATE INDEX IF NOT EXISTS thread_streams_by_status ON thread_streams (status, finished_at);
   CREATE TABLE IF NOT EXISTS thread_stream_parts (
     stream_id TEXT NOT NULL,
     first_seq INTEGER NOT NULL,
     chunk INTEGER NOT NULL DEFAULT 0,
     last_seq INTEGER NOT NULL,
     data TEXT NOT NULL,
     PRIMARY KEY (stream_id, first_seq, chunk)
   );`,
  // Issue 6: a prompt command's answer (the thread's assistant message), role templates
  // (src/features/agents/role-templates.ts) and agents, each driving one thread (src/features/agents/agents.ts).
  `ALTER TABLE command_executions ADD COLUMN message_id TEXT;
   CREATE TABLE IF NOT EXISTS role_templates (
     role TEXT PRIMARY KEY,
     template TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE IF NOT EXISTS agents (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     role TEXT NOT NULL,
     model TEXT,
     effort TEXT NOT NULL,
     task TEXT NOT NULL,
     thread_id TEXT NOT NULL,
     parent_id TEXT,
     actor TEXT,
     created_at TEXT NOT NULL,
     closed_at TEXT,
     close_reason TEXT
   );`,
  // Issue 7: processes. Definitions by name; runs with the spec they were created from; one
  // row per task of a run with its state, attempt and claim (which instance runs it: a claim
  // from an instance that is gone is a crashed attempt); log lines per run in order.
  `CREATE TABLE IF NOT EXISTS process_definitions (
     name TEXT PRIMARY KEY,
     description TEXT,
     spec TEXT NOT NULL,
     input_schema TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE IF NOT EXISTS process_runs (
     id TEXT PRIMARY KEY,
     process TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('created', 'running', 'paused', 'awaiting_approval', 'succeeded', 'failed', 'canceled')),
     spec TEXT NOT NULL,
     inputs TEXT NOT NULL,
     metadata TEXT NOT NULL,
     instructions TEXT,
     error TEXT,
     account_id TEXT NOT NULL,
     actor TEXT,
     created_at INTEGER NOT NULL,
     started_at INTEGER,
     finished_at INTEGER,
     log_seq INTEGER NOT NULL DEFAULT 0,
     ticks INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX IF NOT EXISTS process_runs_by_process ON process_runs (process, id);
   CREATE INDEX IF NOT EXISTS process_runs_by_state ON process_runs (state);
   CREATE TABLE IF NOT EXISTS process_tasks (
     run_id TEXT NOT NULL,
     task_id TEXT NOT NULL,
     phase TEXT NOT NULL,
     phase_index INTEGER NOT NULL,
     position INTEGER NOT NULL,
     kind TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'waiting_approval', 'succeeded', 'failed', 'skipped', 'canceled')),
     attempt INTEGER NOT NULL DEFAULT 0,
     retry_base INTEGER NOT NULL DEFAULT 0,
     claim TEXT,
     due_at INTEGER,
     output TEXT,
     error TEXT,
     approval TEXT,
     started_at INTEGER,
     finished_at INTEGER,
     PRIMARY KEY (run_id, task_id)
   );
   CREATE TABLE IF NOT EXISTS process_logs (
     run_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     task_id TEXT,
     attempt INTEGER,
     stream TEXT NOT NULL,
     message TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (run_id, seq)
   );`,
  // Issue 6: whether an agent was spawned as an orchestrator (its role the workspace's
  // orchestrator_role, or its template's is_orchestrator), fixed at spawn.
  `ALTER TABLE agents ADD COLUMN is_orchestrator INTEGER NOT NULL DEFAULT 0;`,
  // Issue 7, continued: a definition's etag (If-Match on PUT and DELETE; rows saved before
  // this step get one now), and a task's deadline (a wait's or an approval's timeout_s, which
  // the alarm is set for as it is for due_at).
  `ALTER TABLE process_definitions ADD COLUMN etag TEXT NOT NULL DEFAULT '';
   UPDATE process_definitions SET etag = lower(hex(randomblob(16))) WHERE etag = '';
   ALTER TABLE process_tasks ADD COLUMN deadline_at INTEGER;`,
  // Issue 6, continued: a role template's etag (If-Match on PUT); rows saved before get one.
  `ALTER TABLE role_templates ADD COLUMN etag TEXT NOT NULL DEFAULT '';
   UPDATE role_templates SET etag = lower(hex(randomblob(9))) WHERE etag = '';`,
  // Issue 7, continued: the id of a run's `process.run.created` event, so the run's event
  // stream replays from the run's start without scanning the log for it.
  `ALTER TABLE process_runs ADD COLUMN created_event_id INTEGER;`,
];

export const SCHEMA_VERSION = STEPS.length;

export function hasSchema(sql: SqlStorage): boolean {
  return (
    sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").toArray()
      .length > 0
  );
}

export function migrateSchema(sql: SqlStorage): void {
  let current = 0;
  if (hasSchema(sql)) {
    const row = sql.exec("SELECT value FROM meta WHERE key = 'schema_version'").toArray()[0];
    current = row ? Number(row.value) : 0;
  }
  for (let step = current; step < STEPS.length; step++) {
    sql.exec(STEPS[step] as string);
    sql.exec(
      "INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      String(step + 1),
    );
  }
}
