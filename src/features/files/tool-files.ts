import { ApiError, notFound } from "../../http/errors";
import type { Caller } from "../../kernel/caller";
import type { FileEntry } from "./file-index";
import type { FileService } from "./file-service";
import { searchPaths } from "./path-search";
import { normalizeDirectory, normalizePath, toolPath } from "./paths";

// The workspace's files as an outside tool client (an MCP client) uses them, acting as its
// caller: the files API's paths, errors and limits (an ApiError, as the REST routes answer),
// every write through the one FileService with its events — plus what such clients expect
// that REST leaves to them: an exact-string edit, and reads capped at a size.

export interface ToolFileRead {
  entry: FileEntry;
  /** The first `maxBytes` bytes (all of them unless `truncated`). */
  bytes: Uint8Array;
  truncated: boolean;
}

export interface ToolFileEdit {
  entry: FileEntry;
  replacements: number;
}

const encoder = new TextEncoder();

/** Non-overlapping occurrences of `needle` in `text`. */
function occurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) {
    count++;
  }
  return count;
}

export function toolFiles(service: FileService, caller: Caller) {
  const { index } = service;
  const fileAt = (raw: string) => {
    const path = normalizePath(toolPath(raw));
    const row = index.row(path);
    if (!row) throw notFound("file");
    if (row.kind === "directory" || !row.objectKey) {
      throw new ApiError("conflict", `'${path}' is a directory`);
    }
    return { ...row, objectKey: row.objectKey };
  };
  const withoutKey = ({ objectKey: _, ...entry }: FileEntry & { objectKey: string }) => entry;

  async function read(raw: string, maxBytes: number): Promise<ToolFileRead> {
    const row = fileAt(raw);
    const object = await service.bucket.get(row.objectKey, {
      range: { offset: 0, length: Math.max(1, Math.min(row.size, maxBytes)) },
    });
    if (!object) throw new ApiError("internal", `the bytes of '${row.path}' are missing`);
    const bytes = row.size === 0 ? new Uint8Array() : new Uint8Array(await object.arrayBuffer());
    return { entry: withoutKey(row), bytes, truncated: row.size > maxBytes };
  }

  return {
    /** A directory's entries in path order, `limit` at most; `more` when there are others. */
    list(raw: string, limit: number): { entries: FileEntry[]; more: boolean } {
      const directory = normalizeDirectory(toolPath(raw));
      service.assertDirectory(directory);
      const entries = index.children(directory, null, limit + 1);
      return { entries: entries.slice(0, limit), more: entries.length > limit };
    },

    read,

    /** Creates or replaces the file (parents made as needed); `ifMatch` guards a replace. */
    async write(raw: string, bytes: Uint8Array, ifMatch: string | null = null) {
      const path = normalizePath(toolPath(raw));
      return service.writeBytes(caller, path, bytes, { ifMatch, ifNoneMatch: null });
    },

    /**
     * Replaces `oldString` by `newString` in a UTF-8 text file: refused when it is absent, or —
     * without `replaceAll` — when it is there more than once (which one was meant?). The write
     * is conditional on the content read, so an edit never overwrites a change it did not see.
     */
    async edit(
      raw: string,
      oldString: string,
      newString: string,
      replaceAll: boolean,
    ): Promise<ToolFileEdit> {
      const row = fileAt(raw);
      if (oldString === "") {
        throw new ApiError("invalid_request", "old_string is empty", {
          details: [{ field: "old_string", message: "must not be empty" }],
        });
      }
      const { bytes } = await read(raw, row.size);
      let text: string;
      try {
        text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
      } catch {
        throw new ApiError("unprocessable", `'${row.path}' is not UTF-8 text`);
      }
      const found = occurrences(text, oldString);
      if (found === 0) {
        throw new ApiError("unprocessable", `old_string was not found in '${row.path}'`, {
          details: [{ field: "old_string", message: "not found in the file" }],
        });
      }
      if (found > 1 && !replaceAll) {
        throw new ApiError(
          "unprocessable",
          `old_string occurs ${found} times in '${row.path}'; make it unique or set replace_all`,
          { details: [{ field: "old_string", message: `occurs ${found} times` }] },
        );
      }
      const edited = replaceAll
        ? text.split(oldString).join(newString)
        : text.replace(oldString, () => newString);
      const { entry } = await service.writeBytes(caller, row.path, encoder.encode(edited), {
        ifMatch: `"${row.etag}"`,
        ifNoneMatch: null,
      });
      return { entry, replacements: replaceAll ? found : 1 };
    },

    move(from: string, to: string, overwrite: boolean): Promise<FileEntry> {
      return service.move(caller, {
        from: normalizePath(toolPath(from), "from"),
        to: normalizePath(toolPath(to), "to"),
        overwrite,
      });
    },

    remove(raw: string, recursive: boolean): Promise<void> {
      return service.remove(caller, normalizePath(toolPath(raw)), recursive);
    },

    /** Paths matching a glob, in path order after `after`, `limit` at most. */
    search(glob: string, maxDepth: number | null, limit: number, after: string | null = null) {
      const found = searchPaths(index.entriesAfter(after), { glob, maxDepth, after, limit });
      return { entries: found.items, more: found.more };
    },
  };
}

export type ToolFiles = ReturnType<typeof toolFiles>;
