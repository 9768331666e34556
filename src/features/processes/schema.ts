// Processes: definitions by name; runs with the spec they were created from; one row per task
// of a run with its state, attempt and claim (a claim from an instance that is gone is a crashed
// attempt); log lines per run in order. Then a definition's etag and a task's deadline (a wait's or
// an approval's timeout_s), and the id of a run's `process.run.created` event (its events replay
// from there). Last, `state` renamed `status`, as the API calls it.
// Steps run once each, in order (see src/kernel/migrations.ts); append new ones, never edit.
export const MIGRATIONS: readonly string[] = [
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
  `ALTER TABLE process_definitions ADD COLUMN etag TEXT NOT NULL DEFAULT '';
   UPDATE process_definitions SET etag = lower(hex(randomblob(16))) WHERE etag = '';
   ALTER TABLE process_tasks ADD COLUMN deadline_at INTEGER;`,
  `ALTER TABLE process_runs ADD COLUMN created_event_id INTEGER;`,
  `ALTER TABLE process_runs RENAME COLUMN state TO status;
   ALTER TABLE process_tasks RENAME COLUMN state TO status;
   DROP INDEX IF EXISTS process_runs_by_state;
   CREATE INDEX IF NOT EXISTS process_runs_by_status ON process_runs (status);`,
];
