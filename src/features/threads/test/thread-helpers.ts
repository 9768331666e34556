import { expect } from "vitest";
import { type ApiResponse, api, type TestAccount } from "../../../../test/helpers";
import { replayFrom } from "../../events/test/event-helpers";
import type { WorkspaceEvent } from "../../events/workspace-event";

// Shared by the thread suites: typed calls to the thread routes and the shapes they answer.

export interface PartBody {
  type: string;
  [field: string]: unknown;
}

export interface MessageBody {
  id: string;
  role: "system" | "user" | "assistant";
  parts: PartBody[];
  metadata?: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface ThreadBody {
  id: string;
  title: string | null;
  summary: string | null;
  metadata: Record<string, unknown>;
  status: "idle" | "streaming";
  created_by: string | null;
  created_at: string;
  updated_at: string;
  etag: string;
  message_count: number;
  last_message_at: string | null;
  last_message_preview: string | null;
}

export interface ThreadWithMessages extends ThreadBody {
  messages: MessageBody[];
  messages_next_cursor: string | null;
}

export interface PairBody {
  query: MessageBody | null;
  response: MessageBody | null;
  previous_responses: MessageBody[];
  status: string;
  execution_time: number | null;
  errors: unknown[];
  warnings: unknown[];
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export const threadsPath = (ws: string) => `/v1/workspaces/${ws}/threads`;
export const threadPath = (ws: string, th: string) => `${threadsPath(ws)}/${th}`;

/** A UIMessage as a client builds it: one text part. */
export const text = (id: string, role: MessageBody["role"], body: string, extra = {}) => ({
  id,
  role,
  parts: [{ type: "text", text: body }],
  ...extra,
});

export function threads(account: TestAccount) {
  const key = account.key;
  return {
    create: (ws: string, body: unknown = {}, headers: Record<string, string> = {}) =>
      api<ThreadBody>("POST", threadsPath(ws), { key, body, headers }),
    get: (ws: string, th: string) => api<ThreadWithMessages>("GET", threadPath(ws, th), { key }),
    put: (ws: string, th: string, body: unknown, headers: Record<string, string> = {}) =>
      api<ThreadBody>("PUT", threadPath(ws, th), { key, body, headers }),
    patch: (ws: string, th: string, body: unknown, headers: Record<string, string> = {}) =>
      api<ThreadBody>("PATCH", threadPath(ws, th), { key, body, headers }),
    patchMetadata: (ws: string, th: string, body: unknown, headers: Record<string, string> = {}) =>
      api<ThreadBody>("PATCH", `${threadPath(ws, th)}/metadata`, { key, body, headers }),
    delete: (ws: string, th: string, headers: Record<string, string> = {}) =>
      api("DELETE", threadPath(ws, th), { key, headers }),
    list: (ws: string, query = "") =>
      api<Page<ThreadBody>>("GET", `${threadsPath(ws)}${query ? `?${query}` : ""}`, { key }),
    messages: <T = MessageBody>(ws: string, th: string, query = "") =>
      api<Page<T>>("GET", `${threadPath(ws, th)}/messages${query ? `?${query}` : ""}`, { key }),
    rebuild: (ws: string) =>
      api<{
        threads_checked: number;
        threads_changed: number;
        changes: { thread_id: string; fields: Record<string, { from: unknown; to: unknown }> }[];
      }>("POST", `${threadsPath(ws)}/rebuild-metadata`, { key }),
  };
}

/** Creates a thread and expects a 201. */
export async function newThread(account: TestAccount, ws: string, body: unknown = {}) {
  const response = await threads(account).create(ws, body);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

export function expectError(response: ApiResponse<unknown>, status: number, code: string) {
  expect(response.status, JSON.stringify(response.body).slice(0, 500)).toBe(status);
  expect((response.body as ErrorBody).error.code).toBe(code);
  return (response.body as ErrorBody).error;
}

/** The fields a validation error names. */
export const fieldsOf = (response: ApiResponse<unknown>) =>
  ((response.body as ErrorBody).error.details as { field: string }[]).map((d) => d.field);

/** Thread events in the log after `cursor`. */
export async function threadEvents(
  account: TestAccount,
  ws: string,
  cursor = 0,
): Promise<WorkspaceEvent[]> {
  return (await replayFrom(account, ws, cursor)).filter((event) => event.type.startsWith("thread"));
}
