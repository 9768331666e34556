import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { contentTypeFor } from "./content-types";
import type { FileEntry, StoredObject } from "./file-index";
import { putObject } from "./object-store";
import type { WriteConditions } from "./preconditions";

// The three steps of every single-request upload, shared by the file routes and the signed
// upload URL: the DO prepares (conditions, quota, object name), the body streams to R2, the DO
// commits. The DO never sees the bytes.

export type UploadResult = { entry: FileEntry; created: boolean };

export interface UploadOptions {
  /** The stored content type; by default the one the path's extension implies. */
  contentType?: string;
  /** Commits the stored object; by default as a plain upload to `path`. */
  commit?: (object: StoredObject) => Promise<UploadResult>;
}

/** The conditional headers of a write request. */
export function conditionsOf(c: Context<AppEnv>): WriteConditions {
  return {
    ifMatch: c.req.header("if-match") ?? null,
    ifNoneMatch: c.req.header("if-none-match") ?? null,
  };
}

/** Prepare, stream to R2, commit. */
export async function uploadFile(
  c: Context<AppEnv>,
  path: string,
  size: number | undefined,
  conditions: WriteConditions,
  options: UploadOptions = {},
): Promise<UploadResult> {
  const workspace = c.var.workspace;
  // Without a Content-Length the size is only known once the body is read: small bodies only.
  const body = await sizedBody(c.req.raw.body, size);
  const { objectKey } = await workspace.call((stub, caller) =>
    stub.filePrepareUpload(caller, path, body.size, conditions),
  );
  const contentType = options.contentType ?? contentTypeFor(path);
  const { sha256 } = await putObject(c.env.FILES, objectKey, body.stream, body.size, contentType);
  const object = { objectKey, size: body.size, sha256, contentType };
  if (options.commit) return options.commit(object);
  return workspace.call((stub, caller) => stub.fileCommitUpload(caller, path, object, conditions));
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
