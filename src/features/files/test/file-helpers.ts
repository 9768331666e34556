import { runDurableObjectAlarm } from "cloudflare:test";
import { api, dispatch, env, type TestAccount } from "../../../../test/helpers";
import { doSql, workspaceStub } from "../../events/test/event-helpers";
import { WorkspaceEventSchema } from "../../events/workspace-event";

// Shared by the file suites: raw uploads and downloads the way a client sends them, the R2 keys
// under a workspace's prefix, the index's own object keys, and the DO's alarm on demand.

const BASE = "https://api.test";

/** A path as one URL segment run: every '/' and '.' encoded, so the URL parser keeps it whole. */
export const encodePath = (path: string) => encodeURIComponent(path).replaceAll(".", "%2E");

/** Encodes each segment but keeps the '/'s, as a client naming a nested file would. */
export const segmentsPath = (path: string) => path.split("/").map(encodeURIComponent).join("/");

export const fileUrl = (ws: string, encoded: string) =>
  `${BASE}/v1/workspaces/${ws}/files/${encoded}`;

export function putRaw(
  account: TestAccount,
  ws: string,
  encoded: string,
  body: Uint8Array | string,
  headers: Record<string, string> = {},
): Promise<Response> {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  return dispatch(
    new Request(fileUrl(ws, encoded), {
      method: "PUT",
      headers: {
        authorization: `Bearer ${account.key}`,
        "content-length": String(bytes.byteLength),
        ...headers,
      },
      body: bytes,
    }),
  );
}

/** PUT a file at a path (segments encoded) and expect 200/201; returns the entry. */
export async function putFile(
  account: TestAccount,
  ws: string,
  path: string,
  body: Uint8Array | string,
  headers: Record<string, string> = {},
): Promise<FileEntryBody> {
  const response = await putRaw(account, ws, segmentsPath(path), body, headers);
  const text = await response.text();
  if (response.status !== 200 && response.status !== 201) {
    throw new Error(`PUT ${path}: ${response.status} ${text}`);
  }
  return JSON.parse(text) as FileEntryBody;
}

export function getRaw(
  account: TestAccount,
  ws: string,
  path: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<Response> {
  return dispatch(
    new Request(fileUrl(ws, segmentsPath(path)), {
      method,
      headers: { authorization: `Bearer ${account.key}`, ...headers },
    }),
  );
}

export async function getBytes(account: TestAccount, ws: string, path: string) {
  const response = await getRaw(account, ws, path);
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

export interface FileEntryBody {
  path: string;
  name: string;
  kind: "file" | "directory";
  size: number;
  etag: string | null;
  content_type: string | null;
  created_at: string;
  updated_at: string;
  author: string | null;
}

/** Every R2 key under the workspace's prefix, sorted. */
export async function r2Keys(workspaceId: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await env.FILES.list({ prefix: `ws/${workspaceId}/`, cursor, limit: 1000 });
    keys.push(...page.objects.map((object) => object.key));
    if (!page.truncated) return keys.sort();
    cursor = page.cursor;
  }
}

/** The object keys the file index names, sorted. */
export async function indexedKeys(workspaceId: string): Promise<string[]> {
  const rows = await doSql(
    workspaceId,
    "SELECT object_key FROM files WHERE object_key IS NOT NULL ORDER BY object_key",
  );
  return rows.map((row) => String(row.object_key)).sort();
}

/**
 * Runs the workspace DO's alarm until R2 under the prefix holds exactly the objects the index
 * names (the alarm may also fire on its own, be mid-run, or have re-armed itself a second out for
 * keys queued while it ran: each round runs whatever is scheduled). Returns the final keys; the
 * caller asserts on them, so an orphan that never goes away still fails the test.
 */
export async function runAlarm(workspaceId: string, timeoutMs = 5_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await runDurableObjectAlarm(workspaceStub(workspaceId));
    const keys = await r2Keys(workspaceId);
    const indexed = await indexedKeys(workspaceId);
    if (JSON.stringify(keys) === JSON.stringify(indexed) || Date.now() > deadline) return keys;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The workspace's events, oldest first, as `{type, data}`. */
export async function eventsOf(
  workspaceId: string,
  afterId = 0,
): Promise<{ id: number; type: string; data: Record<string, unknown> }[]> {
  const rows = await doSql(
    workspaceId,
    "SELECT id, type, json FROM events WHERE id > ? ORDER BY id",
    afterId,
  );
  return rows.map((row) => {
    const parsed = WorkspaceEventSchema.parse(JSON.parse(String(row.json)));
    return { id: parsed.id, type: parsed.type, data: parsed.data as Record<string, unknown> };
  });
}

export const headId = async (workspaceId: string) => {
  const rows = await doSql(workspaceId, "SELECT coalesce(max(id), 0) AS id FROM events");
  return Number(rows[0]?.id ?? 0);
};

export const metadataOf = (account: TestAccount, ws: string) =>
  api<{ files: number; bytes: number }>("GET", `/v1/workspaces/${ws}/metadata`, {
    key: account.key,
  });

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Deterministic pseudo-random bytes (xorshift), so a failure is reproducible. */
export function randomBytes(length: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}
