import type { Caller } from "../../kernel/caller";
import type { FileHost } from "./workspace-fs";

// The shell's FileHost inside the DO: reads from the index and R2, and every change through the
// workspace's one file service (the same code the files API runs), so a shell write is a write
// like any other — quota, no directory in the way, a new object, parent directories,
// `file.created`/`file.updated`, the replaced object queued for deletion.

/** What the shell needs of the files feature (its FileService has this shape). */
export interface ShellFiles {
  readonly index: {
    row: FileHost["row"];
    children(path: string, after: string | null, limit: number): ReturnType<FileHost["children"]>;
    entriesAfter(after: string | null): Iterable<{ path: string }>;
  };
  readonly bucket: R2Bucket;
  writeBytes(caller: Caller, path: string, bytes: Uint8Array): Promise<unknown>;
  makeDirectory(caller: Caller, path: string): unknown;
  remove(caller: Caller, path: string, recursive: boolean): Promise<void>;
  move(caller: Caller, input: { from: string; to: string; overwrite: boolean }): Promise<unknown>;
}

/** Enough for globbing in any workspace a shell should walk; beyond it a glob sees a prefix. */
const ALL_PATHS_MAX = 100_000;
const CHILDREN_MAX = 100_000;

export function shellFileHost(files: ShellFiles, caller: Caller): FileHost {
  return {
    row: (path) => files.index.row(path),
    children: (path) => files.index.children(path, null, CHILDREN_MAX),
    allPaths() {
      const paths: string[] = [];
      for (const entry of files.index.entriesAfter(null)) {
        if (paths.length >= ALL_PATHS_MAX) break;
        paths.push(entry.path);
      }
      return paths;
    },
    async readObject(objectKey) {
      const object = await files.bucket.get(objectKey);
      if (!object)
        throw Object.assign(new Error("EIO: the file's bytes are missing"), { code: "EIO" });
      return new Uint8Array(await object.arrayBuffer());
    },
    async writeFile(path, bytes) {
      await files.writeBytes(caller, path, bytes);
    },
    async mkdir(path) {
      files.makeDirectory(caller, path);
    },
    remove: (path) => files.remove(caller, path, true),
    async move(from, to) {
      await files.move(caller, { from, to, overwrite: true });
    },
  };
}
