import type { Context } from "hono";
import type { AppEnv } from "../../http/app-env";
import { ApiError } from "../../http/errors";
import { contentTypeFor } from "./content-types";
import type { FileEntry, StoredObject } from "./file-index";
import { putObject } from "./object-store";
import { putUnsizedObject } from "./object-store-unsized";
import type { WriteConditions } from "./preconditions";

// The three steps of every single-request upload, whatever the bytes' source (a request body, a
// signed upload URL, a URL import): the DO prepares (conditions, quota, object name) before any
// byte is stored, the body streams to R2, and the DO switches the index only once the object is
// complete. The DO never sees the bytes.

export type UploadResult = { entry: FileEntry; created: boolean };

export interface UploadOptions {
  /** The stored content type; by default the one the path's extension implies. */
  contentType?: string;
  /** Commits the stored object; by default as a plain upload to `path`. */
  commit?: (object: StoredObject) => Promise<UploadResult>;
}

export interface UploadBody {
  stream: ReadableStream<Uint8Array> | null;
  /**
   * The length, when known before the body is read: the quota is checked with it up front and
   * the body must match it. Unknown, the body streams in parts (bounded by its producer) and the
   * quota is checked with the real size at commit.
   */
  size: number | undefined;
}

/** The request's own body: prepare, stream to R2, commit. */
export async function uploadFile(
  c: Context<AppEnv>,
  path: string,
  size: number | undefined,
  conditions: WriteConditions,
  options: UploadOptions = {},
): Promise<UploadResult> {
  // Without a Content-Length the size is only known once the body is read: small bodies only.
  return storeFile(c, path, await sizedBody(c.req.raw.body, size), conditions, options);
}

/** Any body: prepare, stream to R2 (in parts when its length is unknown), commit. */
export async function storeFile(
  c: Context<AppEnv>,
  path: string,
  body: UploadBody,
  conditions: WriteConditions,
  options: UploadOptions = {},
): Promise<UploadResult> {
  const workspace = c.var.workspace;
  const { objectKey } = await workspace.files.prepareUpload(path, body.size ?? 0, conditions);
  const contentType = options.contentType ?? contentTypeFor(path);
  const stored =
    body.size === undefined && body.stream
      ? await putUnsizedObject(c.env.FILES, objectKey, body.stream, contentType)
      : {
          ...(await putObject(c.env.FILES, objectKey, body.stream, body.size ?? 0, contentType)),
          size: body.size ?? 0,
        };
  const object = { objectKey, size: stored.size, sha256: stored.sha256, contentType };
  if (options.commit) return options.commit(object);
  return workspace.files.commitUpload(path, object, conditions);
}

export const UNSIZED_BODY_MAX = 1024 * 1024;

/** The body with its size: as is when the length was sent, otherwise read (up to 1 MiB). */
export async function sizedBody(
  stream: ReadableStream<Uint8Array> | null,
  size: number | undefined,
): Promise<{ stream: ReadableStream<Uint8Array> | null; size: number }> {
  return size === undefined ? readSmallBody(stream) : { stream, size };
}

/** Reads a body sent without a Content-Length, refusing it past 1 MiB (send the length). */
async function readSmallBody(stream: ReadableStream<Uint8Array> | null) {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (stream) {
    for await (const chunk of stream) {
      size += chunk.byteLength;
      if (size > UNSIZED_BODY_MAX) {
        throw new ApiError(
          "too_large",
          `a body without Content-Length may be at most ${UNSIZED_BODY_MAX} bytes; send the length`,
        );
      }
      chunks.push(chunk);
    }
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { stream: new Response(bytes).body, size };
}
