import type { WriteConditions } from "../../http/etag";
import type { Caller } from "../../kernel/caller";
import type { Emit } from "../../kernel/events";
import { featureApi } from "../../kernel/feature-api";
import type { Kernel } from "../../kernel/kernel";
import { nowIso } from "../../lib/time";
import { ZIP_READ_HOLD_MS } from "./deletion-queue";
import type { StoredObject } from "./file-index";
import type { FileService } from "./file-service";
import { type PathSearch, searchPaths } from "./path-search";

/** The file endpoints' methods: writes by prepare/commit, stat, move, delete, directories, search, ZIP pages. */
export function filesApi(kernel: Kernel, service: FileService) {
  const { index, deletions } = service;
  return featureApi({
    /** Before an upload's bytes are sent (see FileService.prepareWrite). */
    prepareUpload: (_caller: Caller, path: string, size: number, conditions: WriteConditions) =>
      service.prepareWrite(path, size, conditions),

    /** After the bytes are in R2 (see FileService.commitWrite). */
    commitUpload: (
      caller: Caller,
      path: string,
      object: StoredObject,
      conditions: WriteConditions,
    ) => service.commitWrite(caller, path, object, conditions),

    stat: (_caller: Caller, path: string) => service.stat(path),

    move: (caller: Caller, input: { from: string; to: string; overwrite: boolean }) =>
      service.move(caller, input),

    remove: (caller: Caller, path: string, recursive: boolean) =>
      service.remove(caller, path, recursive),

    makeDirectory: (caller: Caller, path: string) => service.makeDirectory(caller, path),

    /** Glob search over the index (picomatch semantics), a page at a time. */
    searchPaths: (_caller: Caller, search: PathSearch) =>
      searchPaths(index.entriesAfter(search.after), search),

    /** The entries directly inside a directory ("" is the root), by name. */
    listDirectory(_caller: Caller, path: string, after: string | null, limit: number, skip = 0) {
      service.assertDirectory(path);
      return index.children(path, after, limit, skip);
    },

    /**
     * A page of a directory's ZIP entries ("" is the root): everything below it, by path, after
     * `after`. Every page also holds deletions for `ZIP_READ_HOLD_MS`, so the objects listed
     * stay readable while the Worker streams them, even if their files are deleted meanwhile.
     */
    zipPage(_caller: Caller, path: string, after: string | null, limit: number) {
      if (after === null) service.assertDirectory(path);
      deletions.holdUntil(Date.now() + ZIP_READ_HOLD_MS);
      return index.entriesUnder(path, after, limit).map((entry) => ({
        path: entry.path,
        kind: entry.kind,
        size: entry.size,
        updated_at: entry.updated_at,
        objectKey: entry.objectKey,
      }));
    },

    /** Renews the deletion hold of a ZIP still streaming (see `zipPage`). */
    zipHold: (_caller: Caller) => deletions.holdUntil(Date.now() + ZIP_READ_HOLD_MS),

    /**
     * For the files benchmark only (through `/__bench`): indexes objects the Worker already put
     * in R2, by the same `putFile` and commit as an upload, so seeding 10,000 files does not
     * take 10,000 requests. No quota check: the benchmark's workspace is its own.
     */
    benchSeed(caller: Caller, objects: Array<StoredObject & { path: string }>) {
      const now = nowIso();
      kernel.commit(caller, (emit: Emit) => {
        for (const { path, ...object } of objects) {
          index.putFile(path, object, { now, author: caller.actor, emit });
        }
      });
      return { indexed: objects.length };
    },

    /** For the files benchmark only: the R2 keys of the files under `directory`. */
    benchObjectKeys: (_caller: Caller, directory: string) =>
      index
        .entriesUnder(directory, null, Number.MAX_SAFE_INTEGER)
        .flatMap((entry) => (entry.objectKey ? [entry.objectKey] : [])),
  });
}
