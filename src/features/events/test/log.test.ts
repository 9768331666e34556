import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createAccount, createWorkspace, type WorkspaceBody } from "../../../../test/helpers";
import type { WorkspaceDO } from "../../../kernel/workspace-do";
import type { WorkspaceEvent } from "../workspace-event";
import {
  commitOf,
  doSql,
  headOf,
  MIN_EVENTS,
  openEvents,
  openSocket,
  range,
  recordLifecycle,
  recordLifecycles,
  replayFrom,
  sseEvents,
  sseEventsThrough,
  storedIds,
  streamsDebug,
  workspaceStub,
} from "./event-helpers";

// The workspace event log: one event per change, in order, with the documented data; a change
// that fails appends nothing; the alarm trims what is both beyond the retained count and old.

const DAY_MS = 24 * 60 * 60 * 1000;

const types = (events: readonly WorkspaceEvent[]) => events.map((event) => event.type);

describe("workspace event log", () => {
  it("Should log workspace.created and the created and started lifecycle events on create", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const events = await replayFrom(account, ws.id);

    expect(events.map((event) => event.id)).toEqual([1, 2, 3]);
    expect(types(events)).toEqual([
      "workspace.created",
      "lifecycle_event.created",
      "lifecycle_event.created",
    ]);
    for (const event of events) {
      expect(event.version).toBe(1);
      expect(event.workspace_id).toBe(ws.id);
      expect(event.actor).toBe(account.keyId);
      expect(new Date(event.created_at).toISOString()).toBe(event.created_at);
    }
    const [created, first, second] = events;
    if (created?.type !== "workspace.created") throw new Error("expected workspace.created");
    expect(created.data.workspace).toEqual(ws);
    if (first?.type !== "lifecycle_event.created" || second?.type !== "lifecycle_event.created") {
      throw new Error("expected lifecycle events");
    }
    expect(first.data.lifecycle_event).toMatchObject({
      event: "created",
      from_status: null,
      to_status: "creating",
      actor: account.keyId,
    });
    expect(second.data.lifecycle_event).toMatchObject({
      event: "started",
      from_status: "creating",
      to_status: "running",
    });
    expect((await streamsDebug(account, ws.id)).head_event_id).toBe(3);
  });

  it("Should log every change as its documented events, in order, with contiguous ids", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const key = account.key;
    const path = `/v1/workspaces/${ws.id}`;

    const patched = await api<WorkspaceBody>("PATCH", path, { key, body: { name: "Patched" } });
    expect(patched.status).toBe(200);
    const replaced = await api<WorkspaceBody>("PUT", path, { key, body: { name: "Replaced" } });
    expect(replaced.status).toBe(200);
    expect((await api("POST", `${path}/stop`, { key })).status).toBe(200);
    expect((await api("POST", `${path}/start`, { key })).status).toBe(200);
    expect((await api("POST", `${path}/archive`, { key, body: { archive: true } })).status).toBe(
      200,
    );
    expect((await api("POST", `${path}/archive`, { key, body: { archive: false } })).status).toBe(
      200,
    );
    await recordLifecycle(account, ws.id, "deployed");
    const codebase = await api<{ id: string }>("POST", `${path}/codebases`, {
      key,
      body: { name: "backend", source_type: "local", path: "/srv/backend" },
    });
    expect(codebase.status).toBe(201);
    expect((await api("DELETE", `${path}/codebases/${codebase.body.id}`, { key })).status).toBe(
      204,
    );
    const reset = await api<{ event_id: number }>("POST", `${path}/reset`, { key });
    expect(reset.status).toBe(200);

    const events = await replayFrom(account, ws.id);
    expect(types(events)).toEqual([
      "workspace.created",
      "lifecycle_event.created",
      "lifecycle_event.created",
      // PATCH, PUT
      "workspace.updated",
      "workspace.updated",
      // stop: running → stopping → stopped
      "workspace.status_changed",
      "lifecycle_event.created",
      "workspace.status_changed",
      "lifecycle_event.created",
      // start
      "workspace.status_changed",
      "lifecycle_event.created",
      // archive, unarchive
      "workspace.status_changed",
      "lifecycle_event.created",
      "workspace.archived",
      "workspace.status_changed",
      "lifecycle_event.created",
      "workspace.archived",
      // POST lifecycle-events, codebases, DELETE codebase, reset
      "lifecycle_event.created",
      "codebase.added",
      "codebase.removed",
      "workspace.reset",
    ]);
    expect(events.map((event) => event.id)).toEqual(range(1, events.length));
    expect(await headOf(account, ws.id)).toBe(events.length);
    for (let i = 1; i < events.length; i++) {
      const [before, after] = [events[i - 1], events[i]];
      expect(Date.parse(after?.created_at ?? "")).toBeGreaterThanOrEqual(
        Date.parse(before?.created_at ?? ""),
      );
    }
    for (const event of events) expect(event.actor).toBe(account.keyId);

    const data = events.map((event) => event.data as Record<string, unknown>);
    expect(data[3]).toEqual({ workspace: patched.body });
    expect(data[4]).toEqual({ workspace: replaced.body });
    const transitions = events
      .filter((event) => event.type === "workspace.status_changed")
      .map((event) => [event.data.from_status, event.data.to_status]);
    expect(transitions).toEqual([
      ["running", "stopping"],
      ["stopping", "stopped"],
      ["stopped", "running"],
      ["running", "archived"],
      ["archived", "running"],
    ]);
    expect(data[13]).toEqual({ archived: true, status: "archived" });
    expect(data[16]).toEqual({ archived: false, status: "running" });
    expect(data[18]).toMatchObject({ codebase: { id: codebase.body.id, name: "backend" } });
    expect(data[19]).toEqual({ codebase_id: codebase.body.id });
    expect(data[20]).toEqual({
      agents_closed: 0,
      executions_canceled: 0,
      streams_canceled: 0,
      process_runs_canceled: 0,
    });
    expect(reset.body.event_id).toBe(21);

    // Each lifecycle_event.created carries exactly the record the lifecycle list shows.
    const listed = await api<{ items: unknown[] }>(
      "GET",
      `${path}/lifecycle-events?order=asc&limit=100`,
      { key },
    );
    expect(listed.status).toBe(200);
    const logged = events.flatMap((event) =>
      event.type === "lifecycle_event.created" ? [event.data.lifecycle_event] : [],
    );
    expect(logged).toEqual(listed.body.items);
    expect(logged.map((item) => item.event)).toEqual([
      "created",
      "started",
      "stopping",
      "stopped",
      "started",
      "archived",
      "unarchived",
      "deployed",
    ]);
  });

  it("Should number each workspace's events from 1, independently of other workspaces", async () => {
    const account = await createAccount();
    const first = await createWorkspace(account);
    const second = await createWorkspace(account);
    await recordLifecycles(account, first.id, 3);
    await recordLifecycle(account, second.id);

    expect((await replayFrom(account, first.id)).map((event) => event.id)).toEqual(range(1, 6));
    const events = await replayFrom(account, second.id);
    expect(events.map((event) => event.id)).toEqual(range(1, 4));
    expect(events.every((event) => event.workspace_id === second.id)).toBe(true);
  });

  it("Should log workspace.deleted as the last event when the workspace is deleted", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const reader = await openEvents(account, ws.id);
    await reader.next();

    expect((await api("DELETE", `/v1/workspaces/${ws.id}`, { key: account.key })).status).toBe(204);
    const frames = await reader.rest();
    const events = sseEvents(frames);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      id: 4,
      type: "workspace.deleted",
      data: { workspace_id: ws.id },
      actor: account.keyId,
    });
  });

  it("Should append nothing, and deliver nothing, when a change fails", async () => {
    const account = await createAccount();
    const key = account.key;
    const ws = await createWorkspace(account);
    const other = await createWorkspace(account);
    const path = `/v1/workspaces/${ws.id}`;
    const head = await headOf(account, ws.id);
    const reader = await openEvents(account, ws.id);
    expect((await reader.next())?.id).toBe(String(head));

    const failures: [string, Promise<{ status: number }>, number][] = [
      [
        "PATCH with a stale If-Match",
        api("PATCH", path, { key, body: { name: "x" }, headers: { "if-match": '"stale"' } }),
        412,
      ],
      [
        "PUT with a stale If-Match",
        api("PUT", path, { key, body: { name: "x" }, headers: { "if-match": '"stale"' } }),
        412,
      ],
      ["start while running", api("POST", `${path}/start`, { key }), 409],
      [
        "unarchive while not archived",
        api("POST", `${path}/archive`, { key, body: { archive: false } }),
        409,
      ],
      ["remove an unknown codebase", api("DELETE", `${path}/codebases/cb_nope`, { key }), 404],
      ["PATCH to a slug in use", api("PATCH", path, { key, body: { slug: other.slug } }), 409],
      [
        "DELETE with a stale If-Match",
        api("DELETE", path, { key, headers: { "if-match": '"stale"' } }),
        412,
      ],
      [
        "an invalid lifecycle event",
        api("POST", `${path}/lifecycle-events`, { key, body: { event: "Not Valid" } }),
        400,
      ],
    ];
    for (const [name, request, status] of failures) {
      expect((await request).status, name).toBe(status);
    }

    expect(await headOf(account, ws.id)).toBe(head);
    expect(await storedIds(ws.id)).toEqual(range(1, head));
    // The next change takes the next id, and it is the first thing the subscriber receives.
    await recordLifecycle(account, ws.id, "after-failures");
    const frames = await reader.until((frame) => frame.event === "workspace-event");
    const events = sseEvents(frames);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ id: head + 1, type: "lifecycle_event.created" });
    await reader.cancel();
  });

  it("Should roll back a change's events when the change throws inside its transaction", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const head = await headOf(account, ws.id);
    const socket = await openSocket(account, ws.id);
    expect(await socket.next()).toMatchObject({ type: "subscribed", cursor: head });

    // Through the DO's own commit(): a codebase row and its event are written, then it throws.
    const outcome = await runInDurableObject(
      workspaceStub(ws.id),
      (instance: WorkspaceDO, state) => {
        const commit = commitOf(instance);
        const sql = state.storage.sql;
        try {
          commit({ accountId: account.accountId, actor: account.keyId }, ws.id, (emit) => {
            sql.exec(
              "INSERT INTO codebases (id, name, source_type, path, created_at) VALUES ('cb_doomed', 'doomed', 'local', '/x', '2026-01-01T00:00:00.000Z')",
            );
            const first = emit("codebase.removed", { codebase_id: "cb_doomed" });
            const second = emit("codebase.removed", { codebase_id: "cb_doomed_2" });
            if (first !== head + 1 || second !== head + 2) throw new Error("unexpected ids");
            throw new Error("the change failed after emitting");
          });
          return "committed";
        } catch (error) {
          return (error as Error).message;
        }
      },
    );
    expect(outcome).toBe("the change failed after emitting");

    expect(await doSql(ws.id, "SELECT id FROM codebases WHERE id = 'cb_doomed'")).toEqual([]);
    expect(await storedIds(ws.id)).toEqual(range(1, head));
    expect(await headOf(account, ws.id)).toBe(head);
    // The ids the rolled-back events had are given to the next committed change.
    await recordLifecycle(account, ws.id, "after-rollback");
    const messages = await socket.until((message) => message.id === head + 1);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ type: "lifecycle_event.created" });
    expect(await socket.drain(200)).toEqual([]);
    socket.close();
  });

  it("Should keep retained events in the table with the JSON subscribers receive", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    await recordLifecycle(account, ws.id);
    const rows = await doSql(ws.id, "SELECT id, type, actor, created_at, json FROM events");
    const events = await replayFrom(account, ws.id);
    expect(rows.map((row) => JSON.parse(String(row.json)))).toEqual(events);
    for (const row of rows) {
      const event = JSON.parse(String(row.json)) as WorkspaceEvent;
      expect(row.type).toBe(event.type);
      expect(row.actor).toBe(event.actor);
      expect(new Date(Number(row.created_at)).toISOString()).toBe(event.created_at);
    }
  });
});

describe("event retention", () => {
  /** A workspace with `3 + extra` events, and its trim alarm set (the log outgrew MIN_EVENTS). */
  async function grownWorkspace(extra: number) {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    await recordLifecycles(account, ws.id, extra);
    return { account, ws, head: 3 + extra };
  }

  /** Makes events up to `through` look `days` old. */
  const backdate = (workspaceId: string, through: number, days = 8) =>
    doSql(
      workspaceId,
      "UPDATE events SET created_at = created_at - ? WHERE id <= ?",
      days * DAY_MS,
      through,
    );

  it("Should trim old events down to the newest EVENT_RETENTION_MIN_EVENTS, however old", async () => {
    const { account, ws, head } = await grownWorkspace(30);
    await backdate(ws.id, head);
    expect(await runDurableObjectAlarm(workspaceStub(ws.id))).toBe(true);

    const oldest = head - MIN_EVENTS + 1;
    expect(await storedIds(ws.id)).toEqual(range(oldest, head));
    const debug = await streamsDebug(account, ws.id);
    expect(debug).toMatchObject({ head_event_id: head, oldest_retained_id: oldest });

    // From a cursor whose successors are all retained: a normal replay.
    const replayed = await replayFrom(account, ws.id, oldest - 1);
    expect(replayed.map((event) => event.id)).toEqual(range(oldest, head));
    // New events continue from the head; ids are never reused.
    await recordLifecycle(account, ws.id);
    expect(await headOf(account, ws.id)).toBe(head + 1);
  });

  it("Should answer a cursor older than the retained window with a reset marker, then follow live", async () => {
    const { account, ws, head } = await grownWorkspace(30);
    await backdate(ws.id, head);
    await runDurableObjectAlarm(workspaceStub(ws.id));
    const oldest = head - MIN_EVENTS + 1;

    for (const cursor of [0, oldest - 2]) {
      const reader = await openEvents(account, ws.id, { cursor });
      const first = await reader.next();
      expect(first?.event).toBe("reset");
      expect(first?.id).toBe(String(head));
      expect(JSON.parse(first?.data ?? "")).toEqual({
        type: "reset",
        reason: "cursor_expired",
        requested_cursor: cursor,
        oldest_id: oldest,
        cursor: head,
      });
      await reader.cancel();
    }

    const reader = await openEvents(account, ws.id, { lastEventId: 1 });
    expect((await reader.next())?.event).toBe("reset");
    await recordLifecycle(account, ws.id);
    const frames = await reader.until((frame) => frame.event === "workspace-event");
    expect(sseEvents(frames).map((event) => event.id)).toEqual([head + 1]);
    await reader.cancel();

    const socket = await openSocket(account, ws.id, { cursor: 0 });
    expect(await socket.next()).toEqual({
      type: "reset",
      reason: "cursor_expired",
      requested_cursor: 0,
      oldest_id: oldest,
      cursor: head + 1,
    });
    await recordLifecycle(account, ws.id);
    expect(await socket.next()).toMatchObject({ id: head + 2 });
    socket.close();
  });

  it("Should never trim events younger than EVENT_RETENTION_DAYS, even beyond the count", async () => {
    const { account, ws, head } = await grownWorkspace(30);
    // Only the first five are old: the trim stops at the first young event.
    await backdate(ws.id, 5);
    expect(await runDurableObjectAlarm(workspaceStub(ws.id))).toBe(true);
    expect(await storedIds(ws.id)).toEqual(range(6, head));
    expect((await streamsDebug(account, ws.id)).oldest_retained_id).toBe(6);
    expect((await replayFrom(account, ws.id, 5)).map((event) => event.id)).toEqual(range(6, head));
    const reader = await openEvents(account, ws.id, { cursor: 4 });
    const first = await reader.next();
    expect(first?.event).toBe("reset");
    expect(JSON.parse(first?.data ?? "")).toMatchObject({ reason: "cursor_expired", oldest_id: 6 });
    await reader.cancel();
  });

  it("Should trim nothing while every event is young", async () => {
    const { account, ws, head } = await grownWorkspace(30);
    expect(await runDurableObjectAlarm(workspaceStub(ws.id))).toBe(true);
    expect(await storedIds(ws.id)).toEqual(range(1, head));
    expect((await streamsDebug(account, ws.id)).oldest_retained_id).toBe(1);
    expect((await replayFrom(account, ws.id, 0)).map((event) => event.id)).toEqual(range(1, head));
  });

  it("Should trim nothing in a log no longer than EVENT_RETENTION_MIN_EVENTS", async () => {
    const { account, ws, head } = await grownWorkspace(MIN_EVENTS - 3);
    expect(head).toBe(MIN_EVENTS);
    await backdate(ws.id, head);
    // The log never outgrew the count, so no trim alarm was set.
    expect(await runDurableObjectAlarm(workspaceStub(ws.id))).toBe(false);
    expect(await storedIds(ws.id)).toEqual(range(1, head));
    const reader = await openEvents(account, ws.id, { cursor: 0 });
    expect((await sseEventsThrough(reader, head)).map((event) => event.id)).toEqual(range(1, head));
    await reader.cancel();
  });
});
