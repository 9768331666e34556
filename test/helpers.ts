import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../src/index";

export const ADMIN_TOKEN = "test-admin-token";
const BASE = "https://api.test";

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * Hands a request to the Worker's own fetch handler, with the test bindings and storage, and
 * waits for its background work. Not `SELF.fetch`: the pool's SELF gets slower with every request
 * a file makes (each call nests another Proxy around the entrypoint's prototype;
 * cloudflare/workers-sdk#15446), which turns a large suite from seconds into minutes.
 */
export async function dispatch(request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, env, ctx);
  // An event stream or a socket stays open: the caller reads (and cancels) it.
  if (isEventStream(response) || response.webSocket) return response;
  const body = await response.arrayBuffer();
  await waitOnExecutionContext(ctx);
  return new Response(response.status === 204 || response.status === 304 ? null : body, response);
}

export const isEventStream = (response: Response) =>
  response.headers.get("content-type")?.startsWith("text/event-stream") ?? false;

/**
 * Calls the Worker through its real fetch handler; JSON bodies are sent and parsed. An event
 * stream is cancelled at once (its body is ""): read streams with `dispatch`.
 */
export async function api<T = Record<string, unknown>>(
  method: string,
  path: string,
  options: { key?: string | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["content-type"] ??= "application/json";
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  }
  const response = await dispatch(new Request(`${BASE}${path}`, { method, headers, body }));
  if (response.webSocket) {
    response.webSocket.accept();
    response.webSocket.close(1000, "done");
    return { status: response.status, headers: response.headers, body: "" as T };
  }
  if (isEventStream(response)) {
    await response.body?.cancel();
    return { status: response.status, headers: response.headers, body: "" as T };
  }
  const text = await response.text();
  let parsed: unknown = text;
  if (text && response.headers.get("content-type")?.includes("json")) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed as T };
}

export interface TestAccount {
  accountId: string;
  key: string;
  keyId: string;
}

/** A fresh account with one API key, made through the admin API. */
export async function createAccount(name = "test account"): Promise<TestAccount> {
  const account = await api<{ id: string }>("POST", "/v1/admin/accounts", {
    key: ADMIN_TOKEN,
    body: { name },
  });
  if (account.status !== 201) throw new Error(`account: ${account.status}`);
  const key = await api<{ id: string; key: string }>(
    "POST",
    `/v1/admin/accounts/${account.body.id}/keys`,
    { key: ADMIN_TOKEN, body: { name: "test key" } },
  );
  if (key.status !== 201) throw new Error(`key: ${key.status}`);
  return { accountId: account.body.id, key: key.body.key, keyId: key.body.id };
}

export interface WorkspaceBody {
  id: string;
  slug: string;
  name: string;
  status: string;
  etag: string;
  metadata: Record<string, unknown>;
  [field: string]: unknown;
}

let counter = 0;
/** A unique slug per call, so tests sharing a file's storage never clash. */
export const uniqueSlug = (base = "ws") => `${base}-${Date.now().toString(36)}-${counter++}`;

export async function createWorkspace(
  account: TestAccount,
  body: Record<string, unknown> = {},
): Promise<WorkspaceBody> {
  const response = await api<WorkspaceBody>("POST", "/v1/workspaces", {
    key: account.key,
    body: { name: "Test workspace", slug: uniqueSlug(), ...body },
  });
  if (response.status !== 201) {
    throw new Error(`create workspace: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body;
}

export function expectEnvelope(body: unknown): {
  code: string;
  message: string;
  request_id: string;
} {
  const error = (body as { error?: { code: string; message: string; request_id: string } }).error;
  if (!error || typeof error.code !== "string" || typeof error.request_id !== "string") {
    throw new Error(`not an error envelope: ${JSON.stringify(body)}`);
  }
  return error;
}

export { env };

export interface WorkspacePage {
  items: WorkspaceBody[];
  next_cursor: string | null;
  total: number;
}

export const getWorkspace = (account: TestAccount, ref: string) =>
  api<WorkspaceBody>("GET", `/v1/workspaces/${ref}`, { key: account.key });

export const listWorkspaces = (account: TestAccount, query = "") =>
  api<WorkspacePage>("GET", `/v1/workspaces${query ? `?${query}` : ""}`, { key: account.key });
