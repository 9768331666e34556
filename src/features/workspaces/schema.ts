// The workspace's lifecycle events and codebases.
// Steps run once each, in order (see src/kernel/migrations.ts); append new ones, never edit.
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS lifecycle_events (
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
];
