import { z } from "zod";
import { base64ToBytes, bytesToBase64 } from "../../../lib/base64";
import { MoveSchema, PathGlobFields } from "../../files/file.schemas";
import type { FileInfo, McpPorts } from "../ports";
import { fileUri } from "../resource-uris";
import { asText } from "../text-bytes";
import { DESTRUCTIVE, defineTool, READ_ONLY, type ToolDefinition } from "../tool-kit";

// The file tools: the files API as coding agents use it — list, read (text, or an embedded
// resource for bytes), write, an exact-string edit, move, delete, glob search.

/** The most entries list_directory and search_paths answer; past it `more` is true. */
export const LIST_MAX = 1000;

const PathSchema = z
  .string()
  .min(1)
  .max(1024)
  .describe("A path relative to the workspace root, e.g. src/index.ts");

const info = (entry: FileInfo) => ({
  path: entry.path,
  kind: entry.kind,
  size: entry.size,
  etag: entry.etag,
  content_type: entry.content_type,
  updated_at: entry.updated_at,
});

export function fileTools(ports: McpPorts, ws: string, maxBytes: number): ToolDefinition[] {
  return [
    defineTool({
      name: "list_directory",
      title: "List a directory",
      description: `The files and directories directly inside a directory of the workspace (at most ${LIST_MAX}).`,
      input: z.object({
        path: z
          .string()
          .max(1024)
          .default("")
          .describe("The directory; '' (the default) is the root"),
      }),
      annotations: READ_ONLY,
      run: async ({ path }, { caller }) => {
        const { entries, more } = ports.files(caller).list(path, LIST_MAX);
        return { value: { path, entries: entries.map(info), more } };
      },
    }),
    defineTool({
      name: "read_file",
      title: "Read a file",
      description:
        "A file's content: text as text; other bytes as an embedded resource (base64). A file larger than the result limit is cut, with a link to its resource.",
      input: z.object({ path: PathSchema }),
      annotations: READ_ONLY,
      run: async ({ path }, { caller }) => {
        const read = await ports.files(caller).read(path, maxBytes);
        const uri = fileUri(ws, read.entry.path);
        const link = { uri, name: read.entry.path, mimeType: read.entry.content_type ?? undefined };
        const text = asText(read.bytes);
        const meta = { ...info(read.entry), truncated: read.truncated };
        if (text !== null) {
          return { value: { ...meta, content: text }, ...(read.truncated ? { link } : {}) };
        }
        return {
          value: meta,
          content: [
            { type: "text", text: JSON.stringify(meta) },
            {
              type: "resource",
              resource: {
                uri,
                mimeType: read.entry.content_type ?? "application/octet-stream",
                blob: bytesToBase64(read.bytes),
              },
            },
            ...(read.truncated ? [{ type: "resource_link" as const, ...link }] : []),
          ],
        };
      },
    }),
    defineTool({
      name: "write_file",
      title: "Write a file",
      description:
        "Creates or replaces a file (its parent directories are made as needed): `content` as UTF-8 text, or `content_base64` for bytes.",
      input: z
        .object({
          path: PathSchema,
          content: z.string().optional().describe("The text to write"),
          content_base64: z.base64().optional().describe("The bytes to write, base64"),
        })
        .refine((input) => (input.content === undefined) !== (input.content_base64 === undefined), {
          message: "give exactly one of content and content_base64",
          path: ["content"],
        }),
      annotations: { ...DESTRUCTIVE, idempotentHint: true },
      run: async ({ path, content, content_base64 }, { caller }) => {
        const bytes =
          content_base64 === undefined
            ? new TextEncoder().encode(content)
            : base64ToBytes(content_base64);
        const { entry, created } = await ports.files(caller).write(path, bytes);
        return { value: { ...info(entry), created } };
      },
    }),
    defineTool({
      name: "edit_file",
      title: "Edit a file",
      description:
        "Replaces `old_string` by `new_string` in a text file. Refused when `old_string` is not in the file or — without `replace_all` — occurs more than once; the write is refused too if the file changed meanwhile.",
      input: z.object({
        path: PathSchema,
        old_string: z.string().min(1).describe("The exact text to replace"),
        new_string: z.string().describe("The text to put in its place"),
        replace_all: z.boolean().default(false).describe("Replace every occurrence"),
      }),
      annotations: DESTRUCTIVE,
      run: async (input, { caller }) => {
        const edited = await ports
          .files(caller)
          .edit(input.path, input.old_string, input.new_string, input.replace_all);
        return { value: { ...info(edited.entry), replacements: edited.replacements } };
      },
    }),
    defineTool({
      name: "move_path",
      title: "Move or rename",
      description: "Moves or renames a file or a whole directory (no bytes are copied).",
      input: MoveSchema,
      annotations: DESTRUCTIVE,
      run: async ({ from, to, overwrite }, { caller }) => ({
        value: info(await ports.files(caller).move(from, to, overwrite)),
      }),
    }),
    defineTool({
      name: "delete_path",
      title: "Delete a file or directory",
      description: "Deletes a file, or a directory and everything in it (only with `recursive`).",
      input: z.object({
        path: PathSchema,
        recursive: z.boolean().default(false).describe("Required to delete a directory"),
      }),
      annotations: { ...DESTRUCTIVE, idempotentHint: false },
      run: async ({ path, recursive }, { caller }) => {
        await ports.files(caller).remove(path, recursive);
        return { value: { path, deleted: true } };
      },
    }),
    defineTool({
      name: "search_paths",
      title: "Find paths by glob",
      description: `Workspace paths matching a glob (picomatch, e.g. 'src/**/*.ts'), in path order, at most ${LIST_MAX}.`,
      input: z.object(PathGlobFields),
      annotations: READ_ONLY,
      run: async ({ glob, max_depth }, { caller }) => {
        const found = ports.files(caller).search(glob, max_depth ?? null, LIST_MAX);
        return {
          value: {
            paths: found.entries.map((entry) => entry.path),
            entries: found.entries.map(info),
            more: found.more,
          },
        };
      },
    }),
  ];
}
