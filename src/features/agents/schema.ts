// Role templates and agents (each driving one thread); whether an agent is an orchestrator; a template's etag.
// Steps run once each, in order (see src/kernel/migrations.ts); append new ones, never edit.
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS role_templates (
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
  `ALTER TABLE agents ADD COLUMN is_orchestrator INTEGER NOT NULL DEFAULT 0;`,
  `ALTER TABLE role_templates ADD COLUMN etag TEXT NOT NULL DEFAULT '';
   UPDATE role_templates SET etag = lower(hex(randomblob(9))) WHERE etag = '';`,
];
