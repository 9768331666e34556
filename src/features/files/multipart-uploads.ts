import { z } from "@hono/zod-openapi";
import { ApiError, notFound } from "../../http/errors";
import { randomToken } from "../../lib/crypto";
import { num, type Row, str } from "../../lib/sql-values";

// Multipart uploads in progress, in the workspace DO's SQLite. The bytes go from the client
// through the Worker straight into an R2 multipart upload; the DO names the object, records
// each part R2 accepted (number, size, etag) and, at completion, checks the client's part list
// against those records before asking R2 to assemble them. An upload that is neither completed
// nor aborted expires and is aborted by the DO alarm.

/** R2 refuses to assemble parts (all but the last) under 5 MiB, locally as in production. */
export const PART_SIZE_MIN = 5 * 1024 * 1024;
/** R2's largest part. */
export const PART_SIZE_MAX = 5 * 1024 ** 3;
export const MAX_PART_NUMBER = 10_000;
export const MULTIPART_TTL_MS = 24 * 60 * 60 * 1000;
/** An expired upload whose abort keeps failing is dropped after this many tries (R2's own
 * lifecycle rule aborts incomplete multipart uploads after 7 days). */
const MAX_ABORT_ATTEMPTS = 8;
const MAX_ABORT_BACKOFF_MS = 60 * 60 * 1000;

const UPLOAD_ID_PATTERN = /^mpu_[A-Za-z0-9_-]{24}$/;

export const UploadIdSchema = z
  .string()
  .regex(UPLOAD_ID_PATTERN, "a multipart upload id is `mpu_` and 24 characters")
  .openapi({ example: "mpu_k3J9x0aQ2mZ8c1VbN4tR7yWq" });

export const MultipartUploadSchema = z
  .object({
    upload_id: UploadIdSchema,
    path: z.string(),
    part_size_min: z.number().int().openapi({
      description:
        "Every part but the last must be at least this many bytes, and all of them the same size",
    }),
    expires_at: z.string().openapi({ description: "Aborted after this time if not completed" }),
  })
  .openapi("MultipartUpload");
export type MultipartUploadBody = z.infer<typeof MultipartUploadSchema>;

export const UploadedPartSchema = z
  .object({
    part_number: z.number().int(),
    etag: z.string().openapi({ description: "Send it back in the part list at completion" }),
    size: z.number().int(),
  })
  .openapi("UploadedPart");
export type UploadedPart = z.infer<typeof UploadedPartSchema>;

export interface MultipartUpload {
  uploadId: string;
  path: string;
  objectKey: string;
  r2UploadId: string;
  contentType: string;
  state: "open" | "completing";
  author: string | null;
  declaredSize: number | null;
  bytesReceived: number;
  createdAt: number;
  expiresAt: number;
}

export const newUploadId = () => `mpu_${randomToken(18)}`;

const toUpload = (row: Row): MultipartUpload => ({
  uploadId: String(row.upload_id),
  path: String(row.path),
  objectKey: String(row.object_key),
  r2UploadId: String(row.r2_upload_id),
  contentType: String(row.content_type),
  state: row.state === "completing" ? "completing" : "open",
  author: str(row.author),
  declaredSize: num(row.declared_size),
  bytesReceived: Number(row.bytes_received),
  createdAt: Number(row.created_at),
  expiresAt: Number(row.expires_at),
});

export const describeUpload = (upload: MultipartUpload): MultipartUploadBody => ({
  upload_id: upload.uploadId,
  path: upload.path,
  part_size_min: PART_SIZE_MIN,
  expires_at: new Date(upload.expiresAt).toISOString(),
});

export class MultipartUploads {
  constructor(private readonly sql: SqlStorage) {}

  insert(upload: Omit<MultipartUpload, "state" | "bytesReceived">): void {
    this.sql.exec(
      `INSERT INTO multipart_uploads (upload_id, path, object_key, r2_upload_id, content_type,
         author, declared_size, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      upload.uploadId,
      upload.path,
      upload.objectKey,
      upload.r2UploadId,
      upload.contentType,
      upload.author,
      upload.declaredSize,
      upload.createdAt,
      upload.expiresAt,
    );
  }

  /** An upload that is still open, or 404 (unknown, expired, completed or aborted). */
  open(uploadId: string, now: number): MultipartUpload {
    const row = this.sql
      .exec("SELECT * FROM multipart_uploads WHERE upload_id = ?", uploadId)
      .toArray()[0];
    if (!row || Number(row.expires_at) <= now) throw notFound("multipart upload");
    const upload = toUpload(row);
    if (upload.state === "completing") {
      throw new ApiError("conflict", "the multipart upload is being completed");
    }
    return upload;
  }

  /** The bytes the upload would hold with part `partNumber` replaced by one of `size` bytes. */
  totalWithPart(upload: MultipartUpload, partNumber: number, size: number): number {
    const previous = this.sql
      .exec(
        "SELECT size FROM multipart_parts WHERE upload_id = ? AND part_number = ?",
        upload.uploadId,
        partNumber,
      )
      .toArray()[0];
    return upload.bytesReceived - Number(previous?.size ?? 0) + size;
  }

  /** Records a part R2 accepted (a part sent again replaces the earlier one, as in R2). */
  recordPart(uploadId: string, part: UploadedPart): void {
    this.sql.exec(
      `INSERT INTO multipart_parts (upload_id, part_number, size, etag) VALUES (?, ?, ?, ?)
       ON CONFLICT(upload_id, part_number) DO UPDATE SET size = excluded.size, etag = excluded.etag`,
      uploadId,
      part.part_number,
      part.size,
      part.etag,
    );
    this.sql.exec(
      `UPDATE multipart_uploads SET bytes_received =
         (SELECT coalesce(sum(size), 0) FROM multipart_parts WHERE upload_id = ?1)
       WHERE upload_id = ?1`,
      uploadId,
    );
  }

  parts(uploadId: string): Map<number, { size: number; etag: string }> {
    const rows = this.sql
      .exec("SELECT part_number, size, etag FROM multipart_parts WHERE upload_id = ?", uploadId)
      .toArray();
    return new Map(
      rows.map((row) => [
        Number(row.part_number),
        { size: Number(row.size), etag: String(row.etag) },
      ]),
    );
  }

  setState(uploadId: string, state: MultipartUpload["state"]): void {
    this.sql.exec("UPDATE multipart_uploads SET state = ? WHERE upload_id = ?", state, uploadId);
  }

  remove(uploadId: string): void {
    this.sql.exec("DELETE FROM multipart_parts WHERE upload_id = ?", uploadId);
    this.sql.exec("DELETE FROM multipart_uploads WHERE upload_id = ?", uploadId);
  }

  /** Uploads past their expiry (whatever their state), oldest first. */
  expired(now: number, limit = 100): MultipartUpload[] {
    return this.sql
      .exec(
        "SELECT * FROM multipart_uploads WHERE expires_at <= ? ORDER BY expires_at LIMIT ?",
        now,
        limit,
      )
      .toArray()
      .map(toUpload);
  }

  all(): MultipartUpload[] {
    return this.sql.exec("SELECT * FROM multipart_uploads").toArray().map(toUpload);
  }

  nextExpiry(): number | null {
    const row = this.sql.exec("SELECT min(expires_at) AS at FROM multipart_uploads").one();
    return num(row.at);
  }

  /** The abort failed: try again later, or give up after a few tries. */
  abortFailed(uploadId: string, now: number): void {
    const row = this.sql
      .exec(
        `UPDATE multipart_uploads SET abort_attempts = abort_attempts + 1,
           expires_at = ? + min(?, 1000 * (1 << min(abort_attempts, 20)))
         WHERE upload_id = ? RETURNING abort_attempts`,
        now,
        MAX_ABORT_BACKOFF_MS,
        uploadId,
      )
      .toArray()[0];
    if (row && Number(row.abort_attempts) >= MAX_ABORT_ATTEMPTS) this.remove(uploadId);
  }
}

/** Aborts the upload in R2 (aborting one already completed or aborted changes nothing). */
export async function abortInR2(bucket: R2Bucket, upload: MultipartUpload): Promise<void> {
  await bucket.resumeMultipartUpload(upload.objectKey, upload.r2UploadId).abort();
}

/**
 * Checks a completion's part list against the parts R2 accepted, with R2's rules, so a client
 * hears what is wrong rather than a storage error: ascending part numbers, each one uploaded
 * with that etag, every part but the last the same size and at least PART_SIZE_MIN, the last no
 * larger. Returns the file's size.
 */
export function checkPartList(
  requested: readonly { part_number: number; etag: string }[],
  recorded: Map<number, { size: number; etag: string }>,
): number {
  let previous = 0;
  for (const part of requested) {
    if (part.part_number <= previous) {
      throw new ApiError("invalid_request", "parts must be listed once each, by ascending number", {
        details: [{ field: "parts", message: `part ${part.part_number} is out of order` }],
      });
    }
    previous = part.part_number;
  }
  const sizes = requested.map((part) => {
    const uploaded = recorded.get(part.part_number);
    if (!uploaded) {
      throw new ApiError("conflict", `part ${part.part_number} was not uploaded`, {
        details: [{ field: "parts", part_number: part.part_number, message: "not uploaded" }],
      });
    }
    if (uploaded.etag !== part.etag.replace(/^"(.*)"$/, "$1")) {
      throw new ApiError("conflict", `part ${part.part_number}'s etag does not match the upload`, {
        details: [{ field: "parts", part_number: part.part_number, message: "etag mismatch" }],
      });
    }
    return uploaded.size;
  });
  const first = sizes[0] ?? 0;
  sizes.forEach((size, index) => {
    const last = index === sizes.length - 1;
    const wrong = last ? size > first && sizes.length > 1 : size !== first || size < PART_SIZE_MIN;
    if (wrong) {
      const part = requested[index]?.part_number;
      throw new ApiError(
        "conflict",
        `part ${part} is ${size} bytes: every part but the last must be the same size, at least ${PART_SIZE_MIN} bytes, and the last no larger`,
        { details: [{ field: "parts", part_number: part, size, part_size_min: PART_SIZE_MIN }] },
      );
    }
  });
  return sizes.reduce((total, size) => total + size, 0);
}

/**
 * Streams one part (exactly `size` bytes) into the R2 multipart upload; returns R2's etag for
 * it. A body shorter or longer than `size` fails, and the part is not recorded.
 */
export async function putPart(
  bucket: R2Bucket,
  target: { objectKey: string; r2UploadId: string },
  partNumber: number,
  body: ReadableStream<Uint8Array> | null,
  size: number,
): Promise<string> {
  const upload = bucket.resumeMultipartUpload(target.objectKey, target.r2UploadId);
  if (!body || size === 0) return (await upload.uploadPart(partNumber, new Uint8Array(0))).etag;
  const fixed = new FixedLengthStream(size);
  const piped = body.pipeTo(fixed.writable);
  // Both settle before we decide, so neither failure is left unhandled.
  const [stored, streamed] = await Promise.allSettled([
    upload.uploadPart(partNumber, fixed.readable),
    piped,
  ]);
  if (streamed.status === "rejected") {
    throw new ApiError(
      "invalid_request",
      `the body did not match its Content-Length (${size} bytes) or the upload was interrupted`,
    );
  }
  if (stored.status === "rejected") {
    // Aborted (or expired and swept) between the DO's check and the bytes' arrival.
    if (String(stored.reason).includes("does not exist")) throw notFound("multipart upload");
    throw stored.reason;
  }
  return stored.value.etag;
}
