// The kernel's own tables: small settings (`meta`) and the workspace row (owner, version, record).
// Steps run once each, in order (see src/kernel/migrations.ts); append new ones, never edit.
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE IF NOT EXISTS workspace (
     singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
     owner_account_id TEXT NOT NULL,
     version INTEGER NOT NULL,
     deleted INTEGER NOT NULL DEFAULT 0,
     status_before_archive TEXT,
     record TEXT NOT NULL
   );`,
];
