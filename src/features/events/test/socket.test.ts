import { describe, expect, it } from "vitest";
import {
  api,
  createAccount,
  createWorkspace,
  dispatch,
  expectEnvelope,
} from "../../../../test/helpers";
import {
  headOf,
  isSocketEvent,
  openSocket,
  range,
  recordLifecycle,
  recordLifecycles,
  replayFrom,
  requestSocket,
  seedEvents,
  socketEvents,
  streamsDebug,
  waitForDebug,
} from "./event-helpers";
import type { SocketMessage } from "./socket-reader";

// GET /v1/workspaces/{ws}/socket: the hibernatable WebSocket over the same log. A subscribed (or
// reset) message first, then events as JSON; subscribe messages replay; control messages.

const eventIds = (messages: readonly SocketMessage[]) => socketEvents(messages).map((e) => e.id);
const addCodebase = (key: string, ws: string, name: string) =>
  api("POST", `/v1/workspaces/${ws}/codebases`, {
    key,
    body: { name, source_type: "local", path: `/${name}` },
  });

describe("workspace socket", () => {
  it("Should say subscribed at the head without a cursor, then deliver live events", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const socket = await openSocket(account, ws.id);
    expect(await socket.next()).toEqual({ type: "subscribed", cursor: 3, head: 3 });

    await recordLifecycle(account, ws.id, "one");
    await recordLifecycle(account, ws.id, "two");
    const messages = await socket.until((message) => message.id === 5);
    expect(socketEvents(messages)).toMatchObject([
      { id: 4, type: "lifecycle_event.created", workspace_id: ws.id, actor: account.keyId },
      { id: 5, type: "lifecycle_event.created" },
    ]);
    expect(messages).toHaveLength(2);
    socket.close();
  });

  it("Should replay from every position 0..head given ?cursor or Last-Event-ID", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    await recordLifecycles(account, ws.id, 4);
    const log = await replayFrom(account, ws.id, 0);
    const head = log.length;

    for (let cursor = 0; cursor <= head; cursor++) {
      const options = cursor % 2 === 0 ? { cursor } : { lastEventId: cursor };
      const socket = await openSocket(account, ws.id, options);
      expect(await socket.next()).toEqual({ type: "subscribed", cursor, head });
      const replayed = cursor < head ? await socket.until((message) => message.id === head) : [];
      expect(socketEvents(replayed), `replay from ${cursor}`).toEqual(log.slice(cursor));
      expect(replayed).toHaveLength(head - cursor);
      socket.close();
    }
  });

  it("Should re-subscribe with replay on a subscribe message, with no duplicate live events", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const socket = await openSocket(account, ws.id);
    await socket.next();
    await recordLifecycle(account, ws.id);
    expect(eventIds(await socket.until((message) => message.id === 4))).toEqual([4]);

    socket.send({ type: "subscribe", cursor: 1 });
    const replay = await socket.until((message) => message.id === 4);
    expect(replay[0]).toEqual({ type: "subscribed", cursor: 1, head: 4 });
    expect(eventIds(replay)).toEqual([2, 3, 4]);
    expect(replay).toHaveLength(4);

    await recordLifecycle(account, ws.id);
    expect(eventIds(await socket.until((message) => message.id === 5))).toEqual([5]);

    // Without a cursor: live from the head, nothing replayed.
    socket.send({ type: "subscribe" });
    expect(await socket.next()).toEqual({ type: "subscribed", cursor: 5, head: 5 });
    await recordLifecycle(account, ws.id);
    expect(eventIds(await socket.until(isSocketEvent))).toEqual([6]);
    expect(await socket.drain(150)).toEqual([]);
    socket.close();
  });

  it("Should deliver only matching types, set by ?types or by a subscribe message", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const socket = await openSocket(account, ws.id, { types: "codebase." });
    expect(await socket.next()).toMatchObject({ type: "subscribed" });
    await recordLifecycle(account, ws.id);
    await addCodebase(account.key, ws.id, "a");
    const first = await socket.until(isSocketEvent);
    expect(socketEvents(first).map((event) => [event.id, event.type])).toEqual([
      [5, "codebase.added"],
    ]);

    socket.send({ type: "subscribe", cursor: 0, types: ["lifecycle_event.", "workspace.created"] });
    const replay = await socket.until((message) => message.id === 4);
    expect(socketEvents(replay).map((event) => [event.id, event.type])).toEqual([
      [1, "workspace.created"],
      [2, "lifecycle_event.created"],
      [3, "lifecycle_event.created"],
      [4, "lifecycle_event.created"],
    ]);
    await addCodebase(account.key, ws.id, "b");
    await recordLifecycle(account, ws.id);
    expect(eventIds(await socket.until(isSocketEvent))).toEqual([7]);

    const debug = await streamsDebug(account, ws.id);
    expect(debug.subscribers).toMatchObject([
      { kind: "socket", types: ["lifecycle_event.", "workspace.created"], cursor: 7 },
    ]);

    // `types: null` clears the filter; omitting `types` keeps the current one.
    socket.send({ type: "subscribe", types: null });
    expect(await socket.next()).toMatchObject({ type: "subscribed", cursor: 7 });
    await addCodebase(account.key, ws.id, "c");
    expect(socketEvents(await socket.until(isSocketEvent)).map((event) => event.type)).toEqual([
      "codebase.added",
    ]);
    expect((await streamsDebug(account, ws.id)).subscribers).toMatchObject([
      { kind: "socket", types: null },
    ]);
    socket.send({ type: "subscribe", types: ["codebase."] });
    await socket.next();
    socket.send({ type: "subscribe" });
    await socket.next();
    expect((await streamsDebug(account, ws.id)).subscribers).toMatchObject([
      { kind: "socket", types: ["codebase."] },
    ]);
    socket.close();
  });

  it('Should answer {"type":"ping"} with {"type":"pong"}', async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const socket = await openSocket(account, ws.id);
    await socket.next();
    socket.send({ type: "ping" });
    expect(await socket.next()).toEqual({ type: "pong" });
    socket.send('{"type":"ping"}');
    expect(await socket.next()).toEqual({ type: "pong" });
    socket.close();
  });

  it("Should answer invalid messages with an invalid_request error and keep the socket", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const socket = await openSocket(account, ws.id);
    await socket.next();

    for (const bad of [
      "not json",
      { type: "nope" },
      { type: "subscribe", cursor: -1 },
      { type: "subscribe", cursor: "3" },
      { type: "subscribe", types: [] },
      { type: "subscribe", types: ["Bad Prefix"] },
      { type: "subscribe", extra: true },
      [],
    ]) {
      socket.send(bad);
      const reply = await socket.next();
      expect(reply, JSON.stringify(bad)).toMatchObject({
        type: "error",
        error: { code: "invalid_request", message: expect.any(String) },
      });
    }
    // Still subscribed as before: the next change arrives.
    await recordLifecycle(account, ws.id);
    expect(eventIds(await socket.until(isSocketEvent))).toEqual([4]);
    socket.close();
  });

  it("Should send a reset marker for a cursor beyond the head, then follow live", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const socket = await openSocket(account, ws.id, { cursor: 99 });
    expect(await socket.next()).toEqual({
      type: "reset",
      reason: "cursor_unknown",
      requested_cursor: 99,
      oldest_id: 1,
      cursor: 3,
    });
    await recordLifecycle(account, ws.id);
    expect(eventIds(await socket.until(isSocketEvent))).toEqual([4]);
    socket.close();
  });

  it("Should broadcast workspace_reset after the workspace.reset event", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const sockets = [await openSocket(account, ws.id), await openSocket(account, ws.id)];
    for (const socket of sockets) await socket.next();

    const reset = await api<{ event_id: number; reset_at: string }>(
      "POST",
      `/v1/workspaces/${ws.id}/reset`,
      { key: account.key },
    );
    expect(reset.status).toBe(200);
    expect(reset.body.event_id).toBe(4);
    for (const socket of sockets) {
      const messages = await socket.until((message) => message.type === "workspace_reset");
      expect(socketEvents(messages)).toMatchObject([
        {
          id: 4,
          type: "workspace.reset",
          data: {
            agents_closed: 0,
            executions_canceled: 0,
            streams_canceled: 0,
            process_runs_canceled: 0,
          },
        },
      ]);
      expect(messages.at(-1)).toEqual({
        type: "workspace_reset",
        workspace_id: ws.id,
        event_id: 4,
        reset_at: reset.body.reset_at,
      });
      expect(messages).toHaveLength(2);
      socket.close();
    }
  });

  it("Should send closed and close with 4404 when the workspace is deleted", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const socket = await openSocket(account, ws.id);
    await socket.next();
    expect((await api("DELETE", `/v1/workspaces/${ws.id}`, { key: account.key })).status).toBe(204);
    const messages = await socket.until((message) => message.type === "closed");
    expect(socketEvents(messages)).toMatchObject([
      { id: 4, type: "workspace.deleted", data: { workspace_id: ws.id } },
    ]);
    expect(messages.at(-1)).toEqual({ type: "closed", reason: "workspace_deleted" });
    expect(await socket.closed).toEqual({ code: 4404, reason: "workspace_deleted" });
    expect((await requestSocket(account, ws.id)).status).toBe(404);
  });

  it("Should refuse another account's key with 404 and no socket, and anonymous with 401", async () => {
    const owner = await createAccount();
    const stranger = await createAccount();
    const ws = await createWorkspace(owner);

    const other = await requestSocket(stranger, ws.id);
    expect(other.status).toBe(404);
    expect(other.webSocket).toBeNull();
    expect(expectEnvelope(await other.json()).code).toBe("not_found");
    // A slug is looked up in the caller's own account: another's slug is unknown.
    expect((await requestSocket(stranger, ws.slug)).status).toBe(404);

    const anonymous = await requestSocket(null, ws.id);
    expect(anonymous.status).toBe(401);
    expect(anonymous.webSocket).toBeNull();

    expect((await streamsDebug(owner, ws.id)).subscribers).toEqual([]);
  });

  it("Should answer 400 without an Upgrade header, but 404 for another account's workspace", async () => {
    const owner = await createAccount();
    const stranger = await createAccount();
    const ws = await createWorkspace(owner);
    const plain = (key: string) =>
      dispatch(
        new Request(`https://api.test/v1/workspaces/${ws.id}/socket`, {
          headers: { authorization: `Bearer ${key}` },
        }),
      );
    const own = await plain(owner.key);
    expect(own.status).toBe(400);
    expect(expectEnvelope(await own.json()).code).toBe("invalid_request");
    expect((await plain(stranger.key)).status).toBe(404);
  });

  it("Should list sockets in streams/debug and drop them when the client closes", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const socket = await openSocket(account, ws.id, { cursor: 2 });
    await socket.until((message) => message.id === 3);
    await recordLifecycle(account, ws.id);
    await socket.until(isSocketEvent);

    const debug = await streamsDebug(account, ws.id);
    expect(debug.subscribers).toHaveLength(1);
    expect(debug.subscribers[0]).toMatchObject({
      kind: "socket",
      actor: account.keyId,
      types: null,
      cursor: 4,
      live: true,
      queued_bytes: null,
    });
    expect(debug.subscribers[0]?.age_ms).toBeGreaterThanOrEqual(0);

    socket.close();
    await waitForDebug(account, ws.id, (after) => after.subscribers.length === 0);
    expect(await headOf(account, ws.id)).toBe(4);
  });

  it("Should drop a socket whose replay passes 5000 events with its cursor, close 4008, and resume from it", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    await seedEvents(account, ws.id, 5_300);
    const head = await headOf(account, ws.id);

    const socket = await openSocket(account, ws.id, { cursor: 0 });
    const messages = await socket.until((message) => message.type === "dropped", 10_000);
    expect(messages[0]).toEqual({ type: "subscribed", cursor: 0, head });
    const dropped = messages.at(-1);
    expect(dropped).toEqual({ type: "dropped", reason: "too_far_behind", cursor: 5_000 });
    expect(eventIds(messages)).toEqual(range(1, 5_000));
    expect((await socket.closed).code).toBe(4008);

    const resumed = await openSocket(account, ws.id, { cursor: 5_000 });
    const rest = await resumed.until((message) => message.id === head, 5_000);
    expect(rest[0]).toEqual({ type: "subscribed", cursor: 5_000, head });
    expect(eventIds(rest)).toEqual(range(5_001, head));
    await recordLifecycle(account, ws.id);
    expect(eventIds(await resumed.until(isSocketEvent))).toEqual([head + 1]);
    resumed.close();
  });
});
