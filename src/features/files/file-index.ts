import { ApiError, notFound } from "../../http/errors";
import type { Emit } from "../../kernel/events";
import { type Row, str } from "../../lib/sql-values";
import { ancestorsOf, baseName, isWithin, parentOf } from "./paths";

// The workspace's file index, in its Durable Object's SQLite: path → R2 object. R2 objects are
// immutable and named by id; everything a user does to paths (create, overwrite, move, delete,
// list, search) is a change to these rows. Objects no longer named by any row are queued in
// `object_deletions` in the same transaction, and the DO alarm deletes them from R2.

import { type FileEntry, FileEntrySchema } from "./file.schemas";

export { type FileEntry, FileEntrySchema };

export interface StoredObject {
  objectKey: string;
  size: number;
  /** The content's etag: its SHA-256, or R2's multipart etag for a file uploaded in parts. */
  sha256: string;
  contentType: string;
}

const toEntry = (row: Row): FileEntry => ({
  path: String(row.path),
  name: baseName(String(row.path)),
  kind: row.kind === "directory" ? "directory" : "file",
  size: Number(row.size),
  etag: str(row.sha256),
  content_type: str(row.content_type),
  created_at: String(row.created_at),
  updated_at: String(row.updated_at),
  author: str(row.author),
});

/** Rows at `?1` or below it: a range on the primary key ('0' sorts right after '/'). */
const SUBTREE = "(path = ?1 OR (path >= ?1 || '/' AND path < ?1 || '0'))";

export class FileIndex {
  constructor(private readonly sql: SqlStorage) {}

  row(path: string): (FileEntry & { objectKey: string | null }) | null {
    const row = this.sql.exec("SELECT * FROM files WHERE path = ?", path).toArray()[0];
    return row ? { ...toEntry(row), objectKey: str(row.object_key) } : null;
  }

  get(path: string): FileEntry {
    const row = this.row(path);
    if (!row) throw notFound("file");
    const { objectKey: _, ...entry } = row;
    return entry;
  }

  totals(): { files: number; bytes: number } {
    const row = this.sql
      .exec(
        "SELECT count(*) AS files, coalesce(sum(size), 0) AS bytes FROM files WHERE kind = 'file'",
      )
      .one();
    return { files: Number(row.files), bytes: Number(row.bytes) };
  }

  /** mkdir -p: creates `path` (when `includeSelf`) and every missing directory above it. */
  ensureDirectories(
    path: string,
    includeSelf: boolean,
    context: { now: string; author: string | null; emit: Emit },
  ): void {
    const wanted = includeSelf ? [...ancestorsOf(path), path] : ancestorsOf(path);
    for (const directory of wanted) {
      const existing = this.row(directory);
      if (existing?.kind === "directory") continue;
      if (existing) {
        throw new ApiError("conflict", `'${directory}' is a file, not a directory`, {
          details: [{ field: "path", message: `'${directory}' is a file` }],
        });
      }
      this.sql.exec(
        `INSERT INTO files (path, parent, kind, size, created_at, updated_at, author)
         VALUES (?, ?, 'directory', 0, ?, ?, ?)`,
        directory,
        parentOf(directory),
        context.now,
        context.now,
        context.author,
      );
      context.emit("directory.created", { directory: this.get(directory) });
    }
  }

  /**
   * Points `path` at a new object (creating parent directories); returns the entry, whether it
   * was created, and the object it replaced (now unreferenced).
   */
  putFile(
    path: string,
    object: StoredObject,
    context: { now: string; author: string | null; emit: Emit },
  ): { entry: FileEntry; created: boolean; replaced: string | null } {
    const existing = this.row(path);
    if (existing?.kind === "directory") {
      throw new ApiError("conflict", `'${path}' is a directory`);
    }
    this.ensureDirectories(path, false, context);
    this.sql.exec(
      `INSERT INTO files (path, parent, kind, object_key, size, sha256, content_type, created_at, updated_at, author)
       VALUES (?, ?, 'file', ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(path) DO UPDATE SET object_key = excluded.object_key, size = excluded.size,
         sha256 = excluded.sha256, content_type = excluded.content_type,
         updated_at = excluded.updated_at, author = excluded.author`,
      path,
      parentOf(path),
      object.objectKey,
      object.size,
      object.sha256,
      object.contentType,
      context.now,
      context.now,
      context.author,
    );
    const entry = this.get(path);
    context.emit(existing ? "file.updated" : "file.created", { file: entry });
    return { entry, created: !existing, replaced: existing?.objectKey ?? null };
  }

  /**
   * Renames a file or a whole directory: one UPDATE of the rows, no object copied. Refuses to
   * replace an existing target unless `overwrite`; returns the objects that overwriting freed.
   */
  move(
    from: string,
    to: string,
    overwrite: boolean,
    context: { now: string; author: string | null; emit: Emit },
  ): { entry: FileEntry; freed: string[] } {
    const source = this.row(from);
    if (!source) throw notFound("file");
    if (from === to) throw new ApiError("invalid_request", "'from' and 'to' are the same path");
    if (source.kind === "directory" && isWithin(to, from)) {
      throw new ApiError("invalid_request", "a directory cannot be moved into itself", {
        details: [{ field: "to", message: `'${to}' is inside '${from}'` }],
      });
    }
    if (isWithin(from, to)) {
      throw new ApiError(
        "invalid_request",
        `'${to}' contains '${from}': it cannot be replaced by it`,
      );
    }
    let freed: string[] = [];
    if (this.row(to)) {
      if (!overwrite) {
        throw new ApiError("conflict", `'${to}' exists; pass overwrite: true to replace it`, {
          details: [{ field: "to", message: "exists" }],
        });
      }
      freed = this.removeSubtree(to);
    }
    this.ensureDirectories(to, false, context);
    // Counted first: rowsWritten would also count the index entries the UPDATE rewrites.
    const moved = this.subtreeCount(from);
    this.sql.exec(
      `UPDATE files SET
         path = ?2 || substr(path, length(?1) + 1),
         parent = CASE WHEN path = ?1 THEN ?3 ELSE ?2 || substr(parent, length(?1) + 1) END,
         updated_at = CASE WHEN path = ?1 THEN ?4 ELSE updated_at END
       WHERE ${SUBTREE}`,
      from,
      to,
      parentOf(to),
      context.now,
    );
    const entry = this.get(to);
    if (source.kind === "directory") {
      context.emit("directory.moved", { from, to, entries: moved });
    } else {
      context.emit("file.moved", { from, to, file: entry });
    }
    return { entry, freed };
  }

  /** Deletes a file, or a directory with everything in it; returns the objects freed. */
  remove(path: string, context: { emit: Emit }): string[] {
    const existing = this.row(path);
    if (!existing) throw notFound("file");
    const count = this.subtreeCount(path);
    const freed = this.removeSubtree(path);
    if (existing.kind === "directory") {
      context.emit("directory.deleted", { path, entries: count });
    } else {
      context.emit("file.deleted", { path });
    }
    return freed;
  }

  /** The entries directly inside `directory`, by name, after `after`. */
  children(directory: string, after: string | null, limit: number, skip = 0): FileEntry[] {
    return this.sql
      .exec(
        "SELECT * FROM files WHERE parent = ? AND path > ? ORDER BY path LIMIT ? OFFSET ?",
        directory,
        after ?? "",
        limit,
        skip,
      )
      .toArray()
      .map(toEntry);
  }

  /** Every entry after `after`, by path, read lazily from SQLite as the caller iterates. */
  *entriesAfter(after: string | null): Generator<FileEntry> {
    for (const row of this.sql.exec(
      "SELECT * FROM files WHERE path > ? ORDER BY path",
      after ?? "",
    )) {
      yield toEntry(row);
    }
  }

  /** Every entry under `directory` (all of them for the root), by path. */
  subtree(directory: string): FileEntry[] {
    const rows =
      directory === ""
        ? this.sql.exec("SELECT * FROM files ORDER BY path")
        : this.sql.exec(`SELECT * FROM files WHERE ${SUBTREE} ORDER BY path`, directory);
    return rows.toArray().map(toEntry);
  }

  /**
   * Everything below `directory` (the whole index for the root; never the directory itself),
   * files with their objects, by path after `after`: a page of a ZIP's entries.
   */
  entriesUnder(
    directory: string,
    after: string | null,
    limit: number,
  ): Array<FileEntry & { objectKey: string | null }> {
    const rows =
      directory === ""
        ? this.sql.exec(
            "SELECT * FROM files WHERE path > ? ORDER BY path LIMIT ?",
            after ?? "",
            limit,
          )
        : this.sql.exec(
            `SELECT * FROM files WHERE path >= ?1 || '/' AND path < ?1 || '0' AND path > ?2
             ORDER BY path LIMIT ?3`,
            directory,
            after ?? "",
            limit,
          );
    return rows.toArray().map((row) => ({
      ...toEntry(row),
      objectKey: str(row.object_key),
    }));
  }

  isDirectoryEmpty(path: string): boolean {
    return this.subtreeCount(path) <= 1;
  }

  private subtreeCount(path: string): number {
    return Number(this.sql.exec(`SELECT count(*) AS n FROM files WHERE ${SUBTREE}`, path).one().n);
  }

  private removeSubtree(path: string): string[] {
    const where = SUBTREE;
    const keys = this.sql
      .exec(`SELECT object_key FROM files WHERE ${where} AND object_key IS NOT NULL`, path)
      .toArray()
      .map((row) => String(row.object_key));
    this.sql.exec(`DELETE FROM files WHERE ${where}`, path);
    return keys;
  }
}
