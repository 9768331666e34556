// The event log (ids assigned by EventLog) and stream tickets.
// Steps run once each, in order (see src/kernel/migrations.ts); append new ones, never edit.
export const MIGRATIONS: readonly string[] = [
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
];
