import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import type { FileEntry } from "./file-index";
import { putObject } from "./object-store";
import { putUnsizedObject } from "./object-store-unsized";
import type { WriteConditions } from "./preconditions";

// Prepare, stream to R2, commit: the three steps of every upload, whatever the bytes' source
// (a request body, a URL import). The DO checks conditions and quota and names the object before
// any byte is stored, and switches the index only once the object is complete; the DO never sees
// the bytes.

export interface UploadBody {
  stream: ReadableStream<Uint8Array> | null;
  /**
   * The length, when known before the body is read: the quota is checked with it up front and
   * the body must match it. Unknown, the body streams in parts (bounded by its producer) and the
   * quota is checked with the real size at commit.
   */
  size: number | undefined;
  contentType: string;
}

export async function storeFile(
  c: Context<AppEnv>,
  path: string,
  body: UploadBody,
  conditions: WriteConditions,
): Promise<{ entry: FileEntry; created: boolean }> {
  const workspace = c.var.workspace;
  const { objectKey } = await workspace.call((stub, caller) =>
    stub.filePrepareUpload(caller, path, body.size ?? 0, conditions),
  );
  const { contentType } = body;
  const stored =
    body.size === undefined && body.stream
      ? await putUnsizedObject(c.env.FILES, objectKey, body.stream, contentType)
      : {
          ...(await putObject(c.env.FILES, objectKey, body.stream, body.size ?? 0, contentType)),
          size: body.size ?? 0,
        };
  return workspace.call((stub, caller) =>
    stub.fileCommitUpload(
      caller,
      path,
      { objectKey, size: stored.size, sha256: stored.sha256, contentType },
      conditions,
    ),
  );
}
