import { describe, expect, it } from "vitest";
import { api, createAccount, createWorkspace, expectEnvelope } from "../../../../test/helpers";
import type { WorkspaceEvent } from "../workspace-event";
import {
  HEARTBEAT_MS,
  headOf,
  isEventFrame,
  LIFETIME_MS,
  openEvents,
  RETRY_MS,
  range,
  recordLifecycle,
  recordLifecycles,
  replayFrom,
  requestEvents,
  seedEvents,
  sseEvents,
  sseEventsThrough,
  streamsDebug,
  WORKSPACE_EVENT,
  waitForDebug,
} from "./event-helpers";

// GET /v1/workspaces/{ws}/events: the SSE tail. Replay from a cursor, then live, with nothing
// skipped or repeated at the seam or across a reconnect; filters, markers, heartbeats, lifetime.

const ids = (events: readonly WorkspaceEvent[]) => events.map((event) => event.id);

describe("SSE events", () => {
  it("Should start at the head without a cursor, with an id-only frame, then deliver live", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    await recordLifecycles(account, ws.id, 2);
    const reader = await openEvents(account, ws.id);
    expect(reader.response.headers.get("cache-control")).toContain("no-cache");

    expect(await reader.next()).toEqual({ id: "5", retry: RETRY_MS, comments: [] });
    await recordLifecycle(account, ws.id, "live");
    const frames = await reader.until(isEventFrame);
    expect(frames.filter((frame) => frame.comments.length === 0)).toHaveLength(1);
    const [event] = sseEvents(frames);
    expect(event).toMatchObject({ id: 6, type: "lifecycle_event.created" });
    expect(frames.at(-1)?.event).toBe(WORKSPACE_EVENT);
    await reader.cancel();
  });

  it("Should replay exactly the events after the cursor, from every position 0..head, then go live", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    await api("PATCH", `/v1/workspaces/${ws.id}`, { key: account.key, body: { name: "n" } });
    await api("POST", `/v1/workspaces/${ws.id}/stop`, { key: account.key });
    await recordLifecycles(account, ws.id, 3);
    const initialHead = await headOf(account, ws.id);
    expect(initialHead).toBe(11);
    const log = await replayFrom(account, ws.id, 0);
    expect(ids(log)).toEqual(range(1, initialHead));

    // Each round adds one live event, so the log (and the head) grows by one per cursor.
    for (let cursor = 0; cursor <= initialHead; cursor++) {
      const head = log.length;
      const reader = await openEvents(account, ws.id, { cursor });
      // A replay starts with the retry hint only: no id, so the client's cursor stays put.
      expect(await reader.next()).toEqual({ retry: RETRY_MS, comments: [] });
      const replayed = cursor < head ? await sseEventsThrough(reader, head) : [];
      expect(replayed, `replay from ${cursor}`).toEqual(log.slice(cursor));
      // Nothing else was pending: the next event frame is the next commit.
      await recordLifecycle(account, ws.id, `after-${cursor}`);
      const live = sseEvents(await reader.until(isEventFrame));
      expect(ids(live), `live after the replay from ${cursor}`).toEqual([head + 1]);
      log.push(...live);
      await reader.cancel();
    }
    expect(await replayFrom(account, ws.id, 0)).toEqual(log);
  });

  it("Should resume with Last-Event-ID without gaps or duplicates while changes keep coming", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const received: WorkspaceEvent[] = [];

    const first = await openEvents(account, ws.id);
    const opening = await first.next();
    expect(opening?.id).toBe("3");
    let lastEventId = Number(opening?.id);
    await recordLifecycles(account, ws.id, 4);
    // The client reads two of the four, then the connection drops.
    received.push(...(await sseEventsThrough(first, 5)));
    lastEventId = received.at(-1)?.id ?? lastEventId;
    await first.cancel();

    // While disconnected, and while reconnecting, more changes commit concurrently.
    await recordLifecycles(account, ws.id, 3);
    const writers = Promise.all(range(1, 8).map((n) => recordLifecycle(account, ws.id, `c-${n}`)));
    const second = await openEvents(account, ws.id, { lastEventId });
    await writers;
    const head = await headOf(account, ws.id);
    expect(head).toBe(3 + 4 + 3 + 8);
    received.push(...(await sseEventsThrough(second, head)));

    // A third connection from the second's last id gets only what comes after it.
    const third = await openEvents(account, ws.id, { lastEventId: head });
    await recordLifecycle(account, ws.id, "last");
    received.push(...sseEvents(await third.until(isEventFrame)));

    expect(ids(received)).toEqual(range(4, head + 1));
    expect(received).toEqual((await replayFrom(account, ws.id, 3)).slice(0, head + 1 - 3));
    await second.cancel();
    await third.cancel();
  });

  it("Should prefer Last-Event-ID over ?cursor and fall back to ?cursor when it is not a number", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    await recordLifecycles(account, ws.id, 3);

    const header = await openEvents(account, ws.id, { cursor: 0, lastEventId: 4 });
    expect(ids(await sseEventsThrough(header, 6))).toEqual([5, 6]);
    await header.cancel();

    const fallback = await openEvents(account, ws.id, { cursor: 5, lastEventId: "abc" });
    expect(ids(await sseEventsThrough(fallback, 6))).toEqual([6]);
    await fallback.cancel();
  });

  it("Should deliver only the types matching ?types prefixes, in replay and live", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const path = `/v1/workspaces/${ws.id}`;
    const key = account.key;
    await recordLifecycle(account, ws.id);
    await api("POST", `${path}/codebases`, {
      key,
      body: { name: "a", source_type: "local", path: "/a" },
    });
    await api("PATCH", path, { key, body: { name: "renamed" } });
    const head = await headOf(account, ws.id);
    const wanted = (await replayFrom(account, ws.id, 0)).filter(
      (event) => event.type.startsWith("workspace.") || event.type.startsWith("codebase."),
    );
    expect(wanted.map((event) => event.type)).toEqual([
      "workspace.created",
      "codebase.added",
      "workspace.updated",
    ]);

    const reader = await openEvents(account, ws.id, { cursor: 0, types: "workspace.,codebase." });
    expect(await sseEventsThrough(reader, head)).toEqual(wanted);
    // Live: a lifecycle event is skipped, the codebase event after it arrives with its own id.
    await recordLifecycle(account, ws.id);
    await api("POST", `${path}/codebases`, {
      key,
      body: { name: "b", source_type: "local", path: "/b" },
    });
    const live = sseEvents(await reader.until(isEventFrame));
    expect(live.map((event) => [event.id, event.type])).toEqual([[head + 2, "codebase.added"]]);
    // The tail's cursor moved past the skipped event too.
    const debug = await streamsDebug(account, ws.id);
    expect(debug.subscribers.filter((tail) => tail.types !== null)).toMatchObject([
      { types: ["workspace.", "codebase."], cursor: head + 2 },
    ]);
    await reader.cancel();

    const invalid = await requestEvents(account, ws.id, { types: "Workspace!" });
    expect(invalid.status).toBe(400);
    expect(expectEnvelope(await invalid.json()).code).toBe("invalid_request");
  });

  it("Should answer a cursor beyond the head with a cursor_unknown reset marker, then follow live", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const reader = await openEvents(account, ws.id, { cursor: 50 });
    const marker = await reader.next();
    expect(marker).toMatchObject({ event: "reset", id: "3", retry: RETRY_MS });
    expect(JSON.parse(marker?.data ?? "")).toEqual({
      type: "reset",
      reason: "cursor_unknown",
      requested_cursor: 50,
      oldest_id: 1,
      cursor: 3,
    });
    await recordLifecycle(account, ws.id);
    expect(ids(sseEvents(await reader.until(isEventFrame)))).toEqual([4]);
    await reader.cancel();
  });

  it("Should send a heartbeat comment every SSE_HEARTBEAT_MS", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const reader = await openEvents(account, ws.id);
    const opened = Date.now();
    await reader.next();
    const isHeartbeat = (frame: { comments: string[] }) => frame.comments.includes("heartbeat");
    const frames = [
      ...(await reader.until(isHeartbeat, HEARTBEAT_MS * 4)),
      ...(await reader.until(isHeartbeat, HEARTBEAT_MS * 4)),
    ];
    const elapsed = Date.now() - opened;
    expect(frames.every(isHeartbeat)).toBe(true);
    expect(frames).toHaveLength(2);
    // Two heartbeats: not sooner than two periods (with a little timer slack), not much later.
    expect(elapsed).toBeGreaterThanOrEqual(HEARTBEAT_MS * 2 - 50);
    expect(elapsed).toBeLessThan(HEARTBEAT_MS * 5);
    await reader.cancel();
  });

  it("Should end the stream after SSE_MAX_LIFETIME_MS with a retry hint, and resume by Last-Event-ID", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const reader = await openEvents(account, ws.id);
    const opened = Date.now();
    expect((await reader.next())?.id).toBe("3");
    await recordLifecycle(account, ws.id);

    const frames = await reader.rest(LIFETIME_MS + 2_000);
    const elapsed = Date.now() - opened;
    expect(reader.done).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(LIFETIME_MS - 100);
    const lastId = Number(frames.filter(isEventFrame).at(-1)?.id);
    expect(lastId).toBe(4);
    const closing = frames.slice(-2);
    expect(closing[0]).toEqual({ retry: RETRY_MS, comments: [] });
    expect(closing[1]?.comments[0]).toMatch(/lifetime.*Last-Event-ID/);
    // The DO no longer holds the tail.
    await waitForDebug(account, ws.id, (debug) => debug.subscribers.length === 0, 2_000);

    await recordLifecycle(account, ws.id);
    const resumed = await openEvents(account, ws.id, { lastEventId: lastId });
    expect(ids(await sseEventsThrough(resumed, 5))).toEqual([5]);
    await resumed.cancel();
  }, 15_000);

  it("Should forget a tail as soon as its client goes away", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const staying = await openEvents(account, ws.id);
    await staying.next();
    const gone = await openEvents(account, ws.id);
    await gone.next();
    expect((await streamsDebug(account, ws.id)).subscribers).toHaveLength(2);
    // A cancel does not cross the RPC stream by itself (workerd#7298); the Worker reports it.
    await gone.cancel();
    await waitForDebug(account, ws.id, (debug) => debug.subscribers.length === 1, 1_000);
    await recordLifecycle(account, ws.id);
    expect(ids(sseEvents(await staying.until(isEventFrame)))).toEqual([4]);
    await staying.cancel();
    await waitForDebug(account, ws.id, (debug) => debug.subscribers.length === 0, 1_000);
  });

  it("Should end the stream with event: closed when the workspace is deleted", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const reader = await openEvents(account, ws.id);
    await reader.next();
    expect((await api("DELETE", `/v1/workspaces/${ws.id}`, { key: account.key })).status).toBe(204);
    const frames = (await reader.rest()).filter((frame) => frame.comments.length === 0);
    expect(reader.done).toBe(true);
    expect(sseEvents(frames).map((event) => event.type)).toEqual(["workspace.deleted"]);
    expect(frames.at(-1)).toEqual({
      event: "closed",
      data: JSON.stringify({ reason: "workspace_deleted" }),
      comments: [],
    });
    // The workspace is gone for new streams.
    expect((await requestEvents(account, ws.id)).status).toBe(404);
  });

  it("Should drop a subscriber whose unread bytes exceed EVENT_QUEUE_MAX_BYTES, with its cursor", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const reader = await openEvents(account, ws.id);
    // Never read past the first frame: events pile up in the DO's stream buffer.
    await reader.next();
    const padding = "x".repeat(15_000);
    let dropped = false;
    let sent = 0;
    const queued: number[] = [];
    while (!dropped && sent < 20) {
      const patched = await api("PATCH", `/v1/workspaces/${ws.id}`, {
        key: account.key,
        body: { metadata: { padding: `${padding}${sent++}` } },
      });
      expect(patched.status).toBe(200);
      const debug = await streamsDebug(account, ws.id);
      dropped = debug.subscribers.length === 0;
      if (!dropped) queued.push(debug.subscribers[0]?.queued_bytes ?? 0);
    }
    expect(dropped).toBe(true);
    // queued_bytes grew with the unread events (once the pipe to the client had absorbed what it
    // buffers) until the cap (64 KiB) was passed.
    expect(queued.length).toBeGreaterThan(1);
    for (let i = 1; i < queued.length; i++) {
      expect(queued[i]).toBeGreaterThanOrEqual(queued[i - 1] ?? 0);
    }
    expect(queued.at(-1)).toBeGreaterThan(queued[0] ?? 0);
    expect(queued.at(-1)).toBeLessThanOrEqual(65_536);

    const frames = await reader.rest();
    expect(reader.done).toBe(true);
    const last = frames.at(-1);
    expect(last).toMatchObject({ event: "dropped", retry: RETRY_MS });
    const body = JSON.parse(last?.data ?? "") as { reason: string; cursor: number };
    expect(body.reason).toBe("slow_consumer");
    // Everything up to the cursor was written before the drop: resuming from it loses nothing.
    const delivered = sseEvents(frames);
    expect(delivered.at(-1)?.id).toBe(body.cursor);
    expect(ids(delivered)).toEqual(range(4, body.cursor));
    const head = await headOf(account, ws.id);
    expect(body.cursor).toBe(head);
    await recordLifecycle(account, ws.id);
    const resumed = await openEvents(account, ws.id, { lastEventId: body.cursor });
    expect(ids(await sseEventsThrough(resumed, head + 1))).toEqual([head + 1]);
    await resumed.cancel();
  });

  it("Should answer 401 without credentials and 404 for another account's workspace", async () => {
    const owner = await createAccount();
    const stranger = await createAccount();
    const ws = await createWorkspace(owner);

    const anonymous = await requestEvents(null, ws.id);
    expect(anonymous.status).toBe(401);
    expect(expectEnvelope(await anonymous.json()).code).toBe("unauthorized");

    for (const ref of [ws.id, ws.slug]) {
      const other = await requestEvents(stranger, ref);
      expect(other.status).toBe(404);
      expect(other.headers.get("content-type")).not.toMatch(/event-stream/);
    }
    expect((await streamsDebug(owner, ws.id)).subscribers).toEqual([]);
  });

  it("Should list an SSE tail in streams/debug with its actor, types, cursor and queue", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const before = Date.now();
    const reader = await openEvents(account, ws.id, { cursor: 1, types: "lifecycle_event." });
    await sseEventsThrough(reader, 3);
    await recordLifecycle(account, ws.id);
    await reader.until(isEventFrame);

    const debug = await streamsDebug(account, ws.id);
    expect(debug.head_event_id).toBe(4);
    expect(debug.oldest_retained_id).toBe(1);
    expect(debug.subscribers).toHaveLength(1);
    const [tail] = debug.subscribers;
    expect(tail).toMatchObject({
      kind: "sse",
      actor: account.keyId,
      types: ["lifecycle_event."],
      cursor: 4,
      live: true,
      queued_bytes: 0,
    });
    expect(Date.parse(tail?.connected_at ?? "")).toBeGreaterThanOrEqual(before - 5);
    expect(tail?.age_ms).toBeGreaterThanOrEqual(0);
    expect(tail?.age_ms).toBeLessThan(LIFETIME_MS);
    await reader.cancel();

    const stranger = await createAccount();
    const hidden = await api("GET", `/v1/workspaces/${ws.id}/streams/debug`, {
      key: stranger.key,
    });
    expect(hidden.status).toBe(404);
  });

  it("Should replay a long backlog page by page as the client reads, then go live without loss", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    await seedEvents(account, ws.id, 1_200);
    const head = await headOf(account, ws.id);
    expect(head).toBe(1_203);

    const reader = await openEvents(account, ws.id, { cursor: 0 });
    expect(await reader.next()).toEqual({ retry: RETRY_MS, comments: [] });
    // Unread, the tail stops after what fits its buffer: still replaying, cursor on a page end.
    const paused = await waitForDebug(account, ws.id, (debug) => debug.subscribers.length === 1);
    const [tail] = paused.subscribers;
    expect(tail?.live).toBe(false);
    expect(tail?.cursor).toBeGreaterThan(0);
    expect(tail?.cursor).toBeLessThan(head);
    expect((tail?.cursor ?? 0) % 200).toBe(0);
    expect(tail?.queued_bytes).toBeGreaterThan(0);

    // Commits during the replay are read from the log when the replay reaches them.
    await recordLifecycle(account, ws.id, "during-replay");
    const events = await sseEventsThrough(reader, head + 1, 10_000);
    expect(ids(events)).toEqual(range(1, head + 1));
    expect(events.at(-1)?.type).toBe("lifecycle_event.created");
    expect((await streamsDebug(account, ws.id)).subscribers[0]).toMatchObject({
      live: true,
      cursor: head + 1,
    });
    await recordLifecycle(account, ws.id, "live");
    expect(ids(sseEvents(await reader.until(isEventFrame)))).toEqual([head + 2]);
    await reader.cancel();
  });
});
