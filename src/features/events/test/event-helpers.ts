import { runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import { api, dispatch, env, type TestAccount } from "../../../../test/helpers";
import type { Emit } from "../../../kernel/events";
import type { Kernel } from "../../../kernel/kernel";
import type { composeModules } from "../../../kernel/modules";
import type { WorkspaceDO } from "../../../kernel/workspace-do";
import { type WorkspaceEvent, WorkspaceEventSchema } from "../workspace-event";
import { type SocketMessage, SocketReader } from "./socket-reader";
import { type SseFrame, SseReader } from "./sse-reader";

// Shared by the event suites: opening SSE streams and sockets the way a client does, reading the
// log, and looking inside the workspace's Durable Object where only that can show a property.

const BASE = "https://api.test";

/** The SSE event name every workspace event is sent under. */
export const WORKSPACE_EVENT = "workspace-event";

/** The retry hint the test bindings set (vitest.config.ts: SSE_RETRY_MS). */
export const RETRY_MS = 250;
export const HEARTBEAT_MS = 300;
export const LIFETIME_MS = 4_000;
export const MIN_EVENTS = 20;

export interface StreamOptions {
  cursor?: number;
  lastEventId?: string | number;
  types?: string;
  ticket?: string;
}

function streamUrl(ws: string, route: "events" | "socket", options: StreamOptions): string {
  const query = new URLSearchParams();
  if (options.cursor !== undefined) query.set("cursor", String(options.cursor));
  if (options.types !== undefined) query.set("types", options.types);
  if (options.ticket !== undefined) query.set("ticket", options.ticket);
  const search = query.toString();
  return `${BASE}/v1/workspaces/${ws}/${route}${search ? `?${search}` : ""}`;
}

function streamHeaders(account: TestAccount | null, options: StreamOptions) {
  const headers: Record<string, string> = {};
  if (account) headers.authorization = `Bearer ${account.key}`;
  if (options.lastEventId !== undefined) headers["last-event-id"] = String(options.lastEventId);
  return headers;
}

/** GET …/events as a client would; the response is returned unread (error bodies are buffered). */
export function requestEvents(
  account: TestAccount | null,
  ws: string,
  options: StreamOptions = {},
): Promise<Response> {
  return dispatch(
    new Request(streamUrl(ws, "events", options), { headers: streamHeaders(account, options) }),
  );
}

/** Opens the SSE stream and expects it to be one. */
export async function openEvents(
  account: TestAccount | null,
  ws: string,
  options: StreamOptions = {},
): Promise<SseReader> {
  const response = await requestEvents(account, ws, options);
  if (response.status !== 200) {
    throw new Error(`GET events: ${response.status} ${await response.text()}`);
  }
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  return new SseReader(response);
}

/** GET …/socket with `Upgrade: websocket`; the response is returned as is. */
export function requestSocket(
  account: TestAccount | null,
  ws: string,
  options: StreamOptions = {},
): Promise<Response> {
  return dispatch(
    new Request(streamUrl(ws, "socket", options), {
      headers: { upgrade: "websocket", ...streamHeaders(account, options) },
    }),
  );
}

/** Opens the socket and expects the upgrade to succeed. */
export async function openSocket(
  account: TestAccount | null,
  ws: string,
  options: StreamOptions = {},
): Promise<SocketReader> {
  const response = await requestSocket(account, ws, options);
  if (response.status !== 101 || !response.webSocket) {
    throw new Error(`GET socket: ${response.status} ${await response.text()}`);
  }
  return new SocketReader(response.webSocket);
}

/** A workspace event received over a socket: anything with a numeric id (control messages have none). */
export const isSocketEvent = (message: SocketMessage) => typeof message.id === "number";

/** Parses socket messages that are events, with the event schema. */
export const socketEvents = (messages: readonly SocketMessage[]): WorkspaceEvent[] =>
  messages.filter(isSocketEvent).map((message) => WorkspaceEventSchema.parse(message));

export const isEventFrame = (frame: SseFrame) => frame.event === WORKSPACE_EVENT;

/** The workspace events among SSE frames, parsed with the schema; each frame's id is the event's. */
export function sseEvents(frames: readonly SseFrame[]): WorkspaceEvent[] {
  return frames.filter(isEventFrame).map((frame) => {
    const event = WorkspaceEventSchema.parse(JSON.parse(frame.data ?? ""));
    expect(frame.id, "the frame's id: is the event's id").toBe(String(event.id));
    return event;
  });
}

/** Reads SSE frames until the event with this id; returns the events read (parsed). */
export async function sseEventsThrough(reader: SseReader, id: number, timeoutMs = 3_000) {
  const frames = await reader.until(
    (frame) => isEventFrame(frame) && frame.id === String(id),
    timeoutMs,
  );
  return sseEvents(frames);
}

export interface StreamsDebug {
  head_event_id: number;
  oldest_retained_id: number;
  subscribers: {
    id: string;
    kind: "sse" | "socket";
    actor: string | null;
    types: string[] | null;
    cursor: number;
    live: boolean;
    queued_bytes: number | null;
    connected_at: string;
    age_ms: number;
  }[];
}

export async function streamsDebug(account: TestAccount, ws: string): Promise<StreamsDebug> {
  const response = await api<StreamsDebug>("GET", `/v1/workspaces/${ws}/streams/debug`, {
    key: account.key,
  });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
}

export const headOf = async (account: TestAccount, ws: string) =>
  (await streamsDebug(account, ws)).head_event_id;

/** Waits until the debug view satisfies a condition (subscribers leave asynchronously). */
export async function waitForDebug(
  account: TestAccount,
  ws: string,
  condition: (debug: StreamsDebug) => boolean,
  timeoutMs = 3_000,
): Promise<StreamsDebug> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const debug = await streamsDebug(account, ws);
    if (condition(debug)) return debug;
    if (Date.now() > deadline) {
      throw new Error(`streams/debug never matched: ${JSON.stringify(debug)}`);
    }
    await sleep(50);
  }
}

/** The whole retained log as a client sees it: a replay from `cursor` up to the head. */
export async function replayFrom(
  account: TestAccount,
  ws: string,
  cursor = 0,
): Promise<WorkspaceEvent[]> {
  const head = await headOf(account, ws);
  const reader = await openEvents(account, ws, { cursor });
  try {
    return head > cursor ? await sseEventsThrough(reader, head) : [];
  } finally {
    await reader.cancel();
  }
}

/** Records a lifecycle event: one `lifecycle_event.created`. */
export async function recordLifecycle(account: TestAccount, ws: string, event = "note") {
  const response = await api<{ id: string }>("POST", `/v1/workspaces/${ws}/lifecycle-events`, {
    key: account.key,
    body: { event },
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

export async function recordLifecycles(account: TestAccount, ws: string, count: number) {
  for (let i = 0; i < count; i++) await recordLifecycle(account, ws, `note-${i}`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const workspaceStub = (workspaceId: string) =>
  env.WORKSPACE.get(env.WORKSPACE.idFromName(workspaceId));

/** Runs SQL in the workspace's Durable Object and returns the rows. */
export function doSql(workspaceId: string, query: string, ...bindings: unknown[]) {
  return runInDurableObject(workspaceStub(workspaceId), (_instance: WorkspaceDO, state) =>
    state.storage.sql.exec(query, ...bindings).toArray(),
  );
}

/** The ids in the log's table, oldest first. */
export async function storedIds(workspaceId: string): Promise<number[]> {
  const rows = await doSql(workspaceId, "SELECT id FROM events ORDER BY id");
  return rows.map((row) => Number(row.id));
}

export const range = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, index) => from + index);

type Commit = (
  caller: { accountId: string; actor: string | null },
  workspaceId: string,
  body: (emit: Emit) => void,
) => void;

/** The DO's parts, behind its public surface: the kernel and the composed modules. */
export const internalsOf = (instance: WorkspaceDO) =>
  instance as unknown as { kernel: Kernel; composed: ReturnType<typeof composeModules> };

/** The kernel's `commit()`: a change and its events in one transaction, then published. */
export const commitOf =
  (instance: WorkspaceDO): Commit =>
  (caller, _workspaceId, body) =>
    internalsOf(instance).kernel.commit(caller, body);

/**
 * Appends `count` small events (`codebase.removed`) through the DO's own commit, in one
 * transaction: a long log without thousands of requests.
 */
export function seedEvents(account: TestAccount, workspaceId: string, count: number) {
  return runInDurableObject(workspaceStub(workspaceId), (instance: WorkspaceDO) => {
    commitOf(instance)(
      { accountId: account.accountId, actor: account.keyId },
      workspaceId,
      (emit) => {
        for (let i = 0; i < count; i++) emit("codebase.removed", { codebase_id: `cb_seed_${i}` });
      },
    );
  });
}
