// The file index (path → R2 object), objects waiting to be deleted from R2, attachments (name → R2 object), multipart uploads with the parts R2 accepted, and signed upload URLs (the signing key lives in meta).
// Steps run once each, in order (see src/kernel/migrations.ts); append new ones, never edit.
export const MIGRATIONS: readonly string[] = [
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
];
