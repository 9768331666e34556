import { unwrapRpc } from "../../kernel/rpc-errors";
import type { WorkspaceRpc } from "../../kernel/workspace-client";
import { hexOf } from "../../lib/crypto";
import { contentTypeFor } from "../files/content-types";
import type { FileIndex } from "../files/file-index";
import type { Caller } from "../workspaces/workspace.types";
import type { FileHost } from "./workspace-fs";

// The shell's FileHost inside the DO: reads from the index and R2, and every change through the
// DO's own files-API methods (the ones the Worker calls), so a shell write is an upload like any
// other — prepare (quota, no directory in the way, a new object name), put, commit (parent
// directories, `file.created`/`file.updated`, the replaced object queued for deletion).

/** The DO's files-API methods the shell writes through. */
export type FileApi = Pick<
  WorkspaceRpc,
  "filePrepareUpload" | "fileCommitUpload" | "fileDelete" | "fileMove" | "makeDirectory"
>;

/** Enough for globbing in any workspace a shell should walk; beyond it a glob sees a prefix. */
const ALL_PATHS_MAX = 100_000;
const CHILDREN_MAX = 100_000;
const ANY = { ifMatch: null, ifNoneMatch: null };

export function shellFileHost(
  api: FileApi,
  files: FileIndex,
  bucket: R2Bucket,
  caller: Caller,
): FileHost {
  return {
    row: (path) => files.row(path),
    children: (path) => files.children(path, null, CHILDREN_MAX),
    allPaths() {
      const paths: string[] = [];
      for (const entry of files.entriesAfter(null)) {
        if (paths.length >= ALL_PATHS_MAX) break;
        paths.push(entry.path);
      }
      return paths;
    },
    async readObject(objectKey) {
      const object = await bucket.get(objectKey);
      if (!object)
        throw Object.assign(new Error("EIO: the file's bytes are missing"), { code: "EIO" });
      return new Uint8Array(await object.arrayBuffer());
    },
    async writeFile(path, bytes) {
      const { objectKey } = unwrapRpc(
        await api.filePrepareUpload(caller, path, bytes.byteLength, ANY),
      );
      const contentType = contentTypeFor(path);
      await bucket.put(objectKey, bytes, { httpMetadata: { contentType } });
      const sha256 = hexOf(await crypto.subtle.digest("SHA-256", bytes));
      unwrapRpc(
        await api.fileCommitUpload(
          caller,
          path,
          { objectKey, size: bytes.byteLength, sha256, contentType },
          ANY,
        ),
      );
    },
    async mkdir(path) {
      unwrapRpc(await api.makeDirectory(caller, path));
    },
    async remove(path) {
      unwrapRpc(await api.fileDelete(caller, path, true));
    },
    async move(from, to) {
      unwrapRpc(await api.fileMove(caller, { from, to, overwrite: true }));
    },
  };
}
