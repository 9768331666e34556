import {
  ErrorCode,
  type ListResourcesResult,
  McpError,
  type ReadResourceResult,
  type ResourceTemplate,
} from "@modelcontextprotocol/sdk/types.js";
import { ApiError } from "../../http/errors";
import type { Caller } from "../../kernel/caller";
import { bytesToBase64 } from "../../lib/base64";
import type { McpPorts } from "./ports";
import { fileUri, parseResourceUri, threadUri, workspaceUri } from "./resource-uris";
import { asText } from "./text-bytes";

// The workspace's resources: the record, every file (listed a page at a time, by path; text as
// text, other bytes as a base64 blob) and every thread's transcript (a template: thread ids are
// listed by list_threads).

const FILES_PER_PAGE = 200;
/** Resource not found, as the specification numbers it. */
const RESOURCE_NOT_FOUND = -32002;

export function resourceTemplates(ws: string): ResourceTemplate[] {
  return [
    {
      uriTemplate: `${workspaceUri(ws)}/files/{+path}`,
      name: "file",
      title: "A file of the workspace",
      description: "A file by its path (segments percent-encoded)",
    },
    {
      uriTemplate: `${workspaceUri(ws)}/threads/{thread_id}`,
      name: "thread",
      title: "A thread's transcript",
      description: "The thread and all its messages, as JSON",
      mimeType: "application/json",
    },
  ];
}

/** The record first, then the workspace's files in path order; the cursor is the last path. */
export async function listResources(
  ports: McpPorts,
  caller: Caller,
  ws: string,
  cursor: string | undefined,
): Promise<ListResourcesResult> {
  const found = ports.files(caller).search("**", null, FILES_PER_PAGE, cursor ?? null);
  const files = found.entries.filter((entry) => entry.kind === "file");
  const record =
    cursor === undefined
      ? [{ uri: workspaceUri(ws), name: "workspace", mimeType: "application/json" }]
      : [];
  return {
    resources: [
      ...record,
      ...files.map((entry) => ({
        uri: fileUri(ws, entry.path),
        name: entry.path,
        ...(entry.content_type ? { mimeType: entry.content_type } : {}),
        size: entry.size,
      })),
    ],
    ...(found.more ? { nextCursor: found.entries.at(-1)?.path } : {}),
  };
}

const json = (uri: string, value: unknown): ReadResourceResult => ({
  contents: [{ uri, mimeType: "application/json", text: JSON.stringify(value, null, 2) }],
});

export async function readResource(
  ports: McpPorts,
  caller: Caller,
  ws: string,
  uri: string,
  maxBytes: number,
): Promise<ReadResourceResult> {
  const ref = parseResourceUri(ws, uri);
  if (!ref) throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri });
  try {
    if (ref.kind === "workspace") return json(uri, await ports.workspace(caller));
    if (ref.kind === "thread") {
      const threads = ports.threads(caller);
      const { thread } = await threads.get(ref.threadId);
      const messages: unknown[] = [];
      for (let after = 0; ; ) {
        const page = await threads.messages(ref.threadId, {
          view: "messages",
          after,
          limit: 100,
          skip: 0,
        });
        messages.push(...page.items);
        if (page.nextAfter === null) break;
        after = page.nextAfter;
      }
      return json(threadUri(ws, ref.threadId), { ...thread, messages });
    }
    const read = await ports.files(caller).read(ref.path, maxBytes);
    if (read.truncated) {
      throw new ApiError(
        "too_large",
        `'${ref.path}' is larger than ${maxBytes} bytes: GET /v1/workspaces/${ws}/files/${ref.path}`,
      );
    }
    const mimeType = read.entry.content_type ?? "application/octet-stream";
    const text = asText(read.bytes);
    return {
      contents: [
        text === null
          ? { uri, mimeType, blob: bytesToBase64(read.bytes) }
          : { uri, mimeType, text },
      ],
    };
  } catch (error) {
    if (error instanceof ApiError && error.code === "not_found") {
      throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri });
    }
    if (error instanceof ApiError) {
      throw new McpError(ErrorCode.InvalidParams, `${error.code}: ${error.message}`, {
        code: error.code,
      });
    }
    throw error;
  }
}

/** The URIs an event changed, for resources/updated (files moved: both ends). */
export function changedUris(ws: string, type: string, data: Record<string, unknown>): string[] {
  const file = (data.file as { path?: string } | undefined)?.path;
  if (type === "file.moved") {
    return [String(data.from), String(data.to)].map((path) => fileUri(ws, path));
  }
  if (type.startsWith("file.")) {
    const path = file ?? (data.path as string | undefined);
    return path ? [fileUri(ws, path)] : [];
  }
  if (type.startsWith("thread.")) {
    const id =
      (data.thread_id as string | undefined) ?? (data.thread as { id?: string } | undefined)?.id;
    return id ? [threadUri(ws, id)] : [];
  }
  if (type.startsWith("workspace.")) return [workspaceUri(ws)];
  return [];
}
