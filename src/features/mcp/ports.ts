import type { Caller } from "../../kernel/caller";

// What the MCP server needs of the other features, as the shapes it uses them in — each one a
// feature's facade bound to the caller (wired in kernel/modules.ts, which checks that the real
// facades fit these shapes). A tool calls the same facade method as the REST route, so it
// validates, emits and fails the same way.

type Awaitable<T> = T | Promise<T>;

export interface FileInfo {
  path: string;
  kind: "file" | "directory";
  size: number;
  etag: string | null;
  content_type: string | null;
  updated_at: string;
}

export interface McpFiles {
  list(path: string, limit: number): { entries: FileInfo[]; more: boolean };
  read(
    path: string,
    maxBytes: number,
  ): Promise<{ entry: FileInfo; bytes: Uint8Array; truncated: boolean }>;
  write(path: string, bytes: Uint8Array): Promise<{ entry: FileInfo; created: boolean }>;
  edit(
    path: string,
    oldString: string,
    newString: string,
    replaceAll: boolean,
  ): Promise<{ entry: FileInfo; replacements: number }>;
  move(from: string, to: string, overwrite: boolean): Promise<FileInfo>;
  remove(path: string, recursive: boolean): Promise<void>;
  search(
    glob: string,
    maxDepth: number | null,
    limit: number,
    after?: string | null,
  ): { entries: FileInfo[]; more: boolean };
}

export interface ScriptRequest {
  script: string;
  timeoutMs?: number;
  outputMaxBytes: number;
  signal: AbortSignal;
  onOutput?: (stream: "stdout" | "stderr", text: string) => void;
}

export interface ArgInfo {
  name: string;
  type: "string" | "number" | "boolean";
  required: boolean;
  default?: string | number | boolean;
  description?: string;
}

export interface CommandInfo {
  trigger: string;
  description: string;
  type: "shell" | "prompt" | "http";
  args: ArgInfo[];
}

export interface ExecutionInfo {
  id: string;
  trigger: string;
  status: string;
}

export interface McpCommands {
  list(query: {
    type: "shell" | "prompt" | "http" | undefined;
    search: string | undefined;
    category: string | undefined;
    after: string | null;
    limit: number;
  }): Awaitable<{ items: CommandInfo[]; more: boolean }>;
  execute(
    trigger: string,
    input: { args: Record<string, string | number | boolean> },
  ): Awaitable<ExecutionInfo>;
  follow(
    trigger: string,
    id: string,
    onChunk: (chunk: { seq: number; stream: "stdout" | "stderr"; data: string }) => void,
  ): Promise<ExecutionInfo>;
  cancel(trigger: string, id: string): Promise<unknown>;
  renderPrompt(
    trigger: string,
    args: Record<string, string>,
  ): Awaitable<{ command: CommandInfo; text: string }>;
}

export interface McpThreads {
  list(query: {
    sortBy: "created_at" | "updated_at";
    order: "asc" | "desc";
    after: null;
    limit: number;
  }): Awaitable<{ items: { id: string }[]; more: boolean }>;
  /** The thread and its first page of messages. */
  get(
    threadId: string,
  ): Awaitable<{ thread: { id: string }; messages: unknown[]; nextAfter: number | null }>;
  messages(
    threadId: string,
    page: { view: "messages"; after: number; limit: number; skip: number },
  ): Awaitable<{ items: unknown[]; nextAfter: number | null }>;
}

/** A user message answered in a thread, its text streamed to `onText` (a prompt command's turn). */
export interface McpTurn {
  text: string;
  threadId: string | null;
  signal: AbortSignal;
  onText(delta: string): void;
  onStarted(threadId: string, messageId: string): void;
}

export interface RunInfo {
  id: string;
  status: string;
}

export interface McpProcesses {
  createRun(
    process: string,
    input: {
      spec?: unknown;
      inputs?: Record<string, unknown>;
      metadata?: Record<string, unknown>;
      instructions?: string | null;
    },
  ): Awaitable<RunInfo>;
  controlRun(runId: string, action: "start", process: null): Awaitable<RunInfo>;
  getRun(runId: string, process: null): Awaitable<RunInfo>;
  approveRun(
    runId: string,
    input: { task?: string; decision: "approve" | "reject"; comment?: string | null },
    process: null,
  ): Awaitable<RunInfo>;
}

export interface AgentInfo {
  id: string;
  status: string;
  thread_id: string;
}

export interface McpAgents {
  spawn(input: { role: string; task?: string; model?: string }): Promise<AgentInfo>;
  /** Open agents, and the newest closed ones. */
  list(): Promise<{ agents: AgentInfo[]; closed: AgentInfo[] }>;
  get(id: string): Awaitable<AgentInfo>;
  close(id: string): Awaitable<unknown>;
}

/** A committed event of the workspace's feed, as the event log holds it. */
export interface FeedEvent {
  id: number;
  type: string;
  /** The whole event as JSON (`data` among its fields). */
  json: string;
}

export interface McpPorts {
  /** The workspace's record: the `workspace://{ws}` resource. */
  workspace(caller: Caller): Awaitable<{ id: string; name: string }>;
  files(caller: Caller): McpFiles;
  runScript(
    caller: Caller,
    run: ScriptRequest,
  ): Promise<{ exit_code: number; stdout: string; stderr: string; truncated: boolean }>;
  commands(caller: Caller): McpCommands;
  threads(caller: Caller): McpThreads;
  /** One turn in a thread (made when `threadId` is null or unknown): the stream's end status. */
  answer(caller: Caller, turn: McpTurn): Promise<string>;
  processes(caller: Caller): McpProcesses;
  agents(caller: Caller): McpAgents;
  /** Every batch of committed events, until the returned stop. */
  listen(listener: (events: readonly FeedEvent[]) => void): () => void;
}
