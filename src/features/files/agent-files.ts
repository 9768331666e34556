import type { Caller } from "../../kernel/caller";
import { TOOL_LIST_MAX, TOOL_TEXT_MAX, type WorkspaceFiles } from "../../models/workspace-tools";
import type { FileService } from "./file-service";
import { searchPaths } from "./path-search";
import { normalizeDirectory, normalizePath, toolPath } from "./paths";

/**
 * The workspace's files as a model's tools use them, acting as the stream's caller: the files
 * API's paths, and writes through the one FileService like any upload.
 */
export function agentFiles(service: FileService, caller: Caller): WorkspaceFiles {
  const { index } = service;
  const directoryOf = (raw: string) => {
    const path = normalizeDirectory(toolPath(raw));
    service.assertDirectory(path);
    return path;
  };
  return {
    list: async (raw) => {
      const entries = index.children(directoryOf(raw), null, TOOL_LIST_MAX + 1);
      return {
        entries: entries
          .slice(0, TOOL_LIST_MAX)
          .map(({ path, kind, size }) => ({ path, kind, size })),
        more: entries.length > TOOL_LIST_MAX,
      };
    },
    read: async (raw) => {
      const path = normalizePath(toolPath(raw));
      const row = index.row(path);
      if (!row) throw new Error(`no such file: ${path}`);
      if (row.kind === "directory" || !row.objectKey) throw new Error(`'${path}' is a directory`);
      const object = await service.bucket.get(row.objectKey, {
        range: { offset: 0, length: TOOL_TEXT_MAX * 4 },
      });
      if (!object) throw new Error(`the bytes of '${path}' are missing`);
      const text = await object.text();
      const content = text.slice(0, TOOL_TEXT_MAX);
      return {
        path,
        size: row.size,
        content,
        truncated: content.length < text.length || row.size > TOOL_TEXT_MAX * 4,
      };
    },
    write: async (raw, content) => {
      const path = normalizePath(toolPath(raw));
      const { entry, created } = await service.writeBytes(
        caller,
        path,
        new TextEncoder().encode(content),
      );
      return { path: entry.path, size: entry.size, created };
    },
    search: async (glob) => {
      const found = searchPaths(index.entriesAfter(null), {
        glob,
        maxDepth: null,
        after: null,
        limit: TOOL_LIST_MAX,
      });
      return { paths: found.items.map((entry) => entry.path), more: found.more };
    },
  };
}
