import { type ToolSet, tool } from "ai";
import { z } from "zod";

// The agent loop's tools: the workspace's own files, through the same code paths as the files
// API (the Durable Object implements `WorkspaceFiles`), so a write emits its file events and
// counts against the quota. Input is validated by the SDK against these schemas before
// `execute` runs; a failure (bad input, a missing file, the quota) becomes a tool error part in
// the stream, and the model sees its text.

export const THREAD_TOOLS = ["list_files", "read_file", "write_file", "search_files"] as const;
export type ThreadToolName = (typeof THREAD_TOOLS)[number];

/** The most text `read_file` returns, and `write_file` accepts (characters). */
export const TOOL_TEXT_MAX = 256 * 1024;
/** The most entries `list_files` and `search_files` answer. */
export const TOOL_LIST_MAX = 200;

export interface ToolEntry {
  path: string;
  kind: "file" | "directory";
  size: number;
}

export interface WorkspaceFiles {
  list(directory: string): Promise<{ entries: ToolEntry[]; more: boolean }>;
  read(path: string): Promise<{ path: string; size: number; content: string; truncated: boolean }>;
  write(path: string, content: string): Promise<{ path: string; size: number; created: boolean }>;
  search(glob: string): Promise<{ paths: string[]; more: boolean }>;
}

const PathSchema = z.string().min(1).max(1024).describe("A path relative to the workspace root");

// The tools' descriptions and input schemas, built once: a thread stream asks for its tools on
// every turn, before its first frame, and building four zod schemas there cost half a
// millisecond of that frame's latency.
const TOOL_SPECS = {
  list_files: {
    description: "List the files and directories directly inside a directory of the workspace.",
    inputSchema: z.object({
      path: z.string().max(1024).default("").describe("The directory; '' is the root"),
    }),
  },
  read_file: {
    description: `Read a text file of the workspace (at most ${TOOL_TEXT_MAX} characters).`,
    inputSchema: z.object({ path: PathSchema }),
  },
  write_file: {
    description: "Create or overwrite a text file of the workspace.",
    inputSchema: z.object({ path: PathSchema, content: z.string().max(TOOL_TEXT_MAX) }),
  },
  search_files: {
    description: "Find workspace paths matching a glob, e.g. 'src/**/*.ts'.",
    inputSchema: z.object({ pattern: z.string().min(1).max(1024).describe("A glob") }),
  },
} as const;

/** The tools `names` asks for, acting on `files`; only those are made. */
export function workspaceTools(files: WorkspaceFiles, names: readonly ThreadToolName[]): ToolSet {
  const make = {
    list_files: () => tool({ ...TOOL_SPECS.list_files, execute: ({ path }) => files.list(path) }),
    read_file: () => tool({ ...TOOL_SPECS.read_file, execute: ({ path }) => files.read(path) }),
    write_file: () =>
      tool({
        ...TOOL_SPECS.write_file,
        execute: ({ path, content }) => files.write(path, content),
      }),
    search_files: () =>
      tool({ ...TOOL_SPECS.search_files, execute: ({ pattern }) => files.search(pattern) }),
  } satisfies Record<ThreadToolName, () => unknown>;
  const chosen: ToolSet = {};
  for (const name of names) chosen[name] = make[name]();
  return chosen;
}
