import { ApiError, notFound } from "../../http/errors";
import type { Emit } from "../../kernel/events";
import { newId } from "../../lib/ids";
import { type Row, str } from "../../lib/sql-values";
import type { AttachmentType } from "./attachment-types";
import { extensionOf } from "./content-types";

// Attachments: immutable files a workspace serves by a name the server gives them, so a name
// always means the same bytes and may be cached forever. The bytes are R2 objects like files';
// this index, in the DO's SQLite, maps each name to its object.

import { type Attachment, AttachmentSchema } from "./file.schemas";

export { type Attachment, AttachmentSchema };

/** What the Worker hands the DO once the bytes are in R2. */
export interface StoredAttachment {
  originalName: string;
  objectKey: string;
  size: number;
  sha256: string;
  type: Pick<AttachmentType, "contentType" | "extensions">;
}

const DEFAULT_MAX_BYTES = 25 * 1024 * 1024;

/** The largest attachment accepted (`ATTACHMENT_MAX_BYTES`, default 25 MiB). */
export function attachmentMaxBytes(env: Env): number {
  const value = Number(env.ATTACHMENT_MAX_BYTES);
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_MAX_BYTES;
}

const MAX_NAME_BYTES = 255;
const MAX_STEM_CHARS = 80;

/** The uploader's file name, refused (400) when empty, too long or holding control characters. */
export function checkOriginalName(name: string): string {
  const normalized = name.normalize("NFC");
  const problem =
    normalized.trim() === ""
      ? "must not be empty"
      : new TextEncoder().encode(normalized).byteLength > MAX_NAME_BYTES
        ? `must be at most ${MAX_NAME_BYTES} bytes`
        : // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
          /[\u0000-\u001f\u007f]/.test(normalized)
          ? "must not contain control characters"
          : null;
  if (problem) {
    throw new ApiError("invalid_request", `name ${problem}`, {
      details: [{ field: "name", message: problem }],
    });
  }
  return normalized;
}

/**
 * A safe single URL segment from the uploader's name: its last path part, ASCII letters, digits,
 * '.', '-' and '_' only, ending in an extension of the type the content proved.
 */
export function safeName(original: string, type: StoredAttachment["type"]): string {
  const base = original.split(/[/\\]/).pop() ?? "";
  const extension = extensionOf(base);
  const stem = (extension ? base.slice(0, -(extension.length + 1)) : base)
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9_-]+/g, "-")
    .replace(/^[-_]+|[-_]+$/g, "")
    .slice(0, MAX_STEM_CHARS);
  const suffix = type.extensions.includes(extension) ? extension : type.extensions[0];
  return `${stem || "file"}.${suffix}`;
}

const toAttachment = (row: Row): Attachment => ({
  name: String(row.name),
  original_name: String(row.original_name),
  content_type: String(row.content_type),
  size: Number(row.size),
  etag: String(row.sha256),
  created_at: String(row.created_at),
  author: str(row.author),
});

export class AttachmentIndex {
  constructor(private readonly sql: SqlStorage) {}

  /** Names the stored object (a fresh id makes the name unique) and indexes it. */
  add(
    stored: StoredAttachment,
    context: { now: string; author: string | null; emit: Emit },
  ): Attachment {
    const name = `${newId("att")}-${safeName(stored.originalName, stored.type)}`;
    this.sql.exec(
      `INSERT INTO attachments (name, object_key, content_type, size, sha256, original_name, created_at, author)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      name,
      stored.objectKey,
      stored.type.contentType,
      stored.size,
      stored.sha256,
      stored.originalName,
      context.now,
      context.author,
    );
    const attachment = this.get(name);
    context.emit("attachment.created", { attachment });
    return attachment;
  }

  row(name: string): (Attachment & { objectKey: string }) | null {
    const row = this.sql.exec("SELECT * FROM attachments WHERE name = ?", name).toArray()[0];
    return row ? { ...toAttachment(row), objectKey: String(row.object_key) } : null;
  }

  get(name: string): Attachment {
    const row = this.row(name);
    if (!row) throw notFound("attachment");
    const { objectKey: _, ...attachment } = row;
    return attachment;
  }

  /** A page by name (names begin with a sortable id, so this is upload order). */
  list(after: string | null, limit: number, skip = 0): Attachment[] {
    return this.sql
      .exec(
        "SELECT * FROM attachments WHERE name > ? ORDER BY name LIMIT ? OFFSET ?",
        after ?? "",
        limit,
        skip,
      )
      .toArray()
      .map(toAttachment);
  }

  /** Drops an attachment from the index; returns its object, now unreferenced. */
  remove(name: string, context: { emit: Emit }): string {
    const row = this.row(name);
    if (!row) throw notFound("attachment");
    this.sql.exec("DELETE FROM attachments WHERE name = ?", name);
    context.emit("attachment.deleted", { name });
    return row.objectKey;
  }

  totals(): { attachments: number; bytes: number } {
    const row = this.sql
      .exec("SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM attachments")
      .one();
    return { attachments: Number(row.n), bytes: Number(row.bytes) };
  }
}
