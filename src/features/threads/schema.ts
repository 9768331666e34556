// Threads and their messages (AI SDK UIMessages; parts too large for a row continue in message_chunks, see chunks.ts), and thread streams: one row per response stream and its UI message stream parts, several per row.
// Steps run once each, in order (see src/kernel/migrations.ts); append new ones, never edit.
export const MIGRATIONS: readonly string[] = [
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
  // Part ids unique within a thread (a cursor from one of its streams never lands in another):
  // a stream's parts are numbered on from `base_id`, one past the thread's last part id so far,
  // and `thread_stream_ids` keeps that last id after the streams' rows are trimmed.
  `ALTER TABLE thread_streams RENAME COLUMN parts TO last_id;
   ALTER TABLE thread_streams ADD COLUMN base_id INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE IF NOT EXISTS thread_stream_ids (
     thread_id TEXT PRIMARY KEY,
     last_id INTEGER NOT NULL
   );`,
];
