import { describe, expect, it } from "vitest";
import {
  api,
  createAccount,
  createWorkspace,
  dispatch,
  expectEnvelope,
  type TestAccount,
} from "../../../../test/helpers";
import { ticketHash } from "../stream-tickets";
import {
  doSql,
  isEventFrame,
  openEvents,
  openSocket,
  recordLifecycle,
  requestEvents,
  requestSocket,
  sseEvents,
  streamsDebug,
} from "./event-helpers";

// Stream tickets: single-use, 60-second, one-workspace secrets that stand in for the
// Authorization header on /events and /socket only.

interface Ticket {
  ticket: string;
  workspace_id: string;
  expires_at: string;
  expires_in: number;
}

async function issue(account: TestAccount, ws: string): Promise<Ticket> {
  const response = await api<Ticket>("POST", `/v1/workspaces/${ws}/stream-tickets`, {
    key: account.key,
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

async function expect401(response: Response, message?: RegExp) {
  expect(response.status).toBe(401);
  const error = expectEnvelope(await response.json());
  expect(error.code).toBe("unauthorized");
  if (message) expect(error.message).toMatch(message);
}

describe("stream tickets", () => {
  it("Should issue a 60-second ticket for the workspace, marked no-store", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const before = Date.now();
    const response = await api<Ticket>("POST", `/v1/workspaces/${ws.slug}/stream-tickets`, {
      key: account.key,
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.body).toEqual({
      ticket: expect.stringMatching(/^wst_[A-Za-z0-9_-]{43}\.ws_[0-9a-z]{26}$/),
      workspace_id: ws.id,
      expires_at: expect.any(String),
      expires_in: 60,
    });
    const expiresAt = Date.parse(response.body.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 60_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 60_000);
    // Only the hash is stored, in the workspace's DO.
    const rows = await doSql(ws.id, "SELECT hash, account_id, actor FROM stream_tickets");
    expect(rows).toEqual([
      {
        hash: await ticketHash(response.body.ticket),
        account_id: account.accountId,
        actor: account.keyId,
      },
    ]);
    // Each request is a new ticket.
    expect((await issue(account, ws.id)).ticket).not.toBe(response.body.ticket);
  });

  it("Should open /events once with a ticket and no Authorization header, as the issuing key", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const { ticket } = await issue(account, ws.id);

    const reader = await openEvents(null, ws.id, { ticket, cursor: 0 });
    expect(sseEvents(await reader.until((frame) => frame.id === "3"))).toHaveLength(3);
    await recordLifecycle(account, ws.id);
    expect(sseEvents(await reader.until(isEventFrame))).toMatchObject([{ id: 4 }]);
    const debug = await streamsDebug(account, ws.id);
    expect(debug.subscribers).toMatchObject([{ kind: "sse", actor: account.keyId }]);
    await reader.cancel();

    await expect401(await requestEvents(null, ws.id, { ticket }), /already used/);
    await expect401(await requestSocket(null, ws.id, { ticket }));
  });

  it("Should open /socket once with a ticket", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const { ticket } = await issue(account, ws.id);

    const socket = await openSocket(null, ws.id, { ticket });
    expect(await socket.next()).toEqual({ type: "subscribed", cursor: 3, head: 3 });
    await recordLifecycle(account, ws.id);
    expect(await socket.next()).toMatchObject({ id: 4, actor: account.keyId });
    expect((await streamsDebug(account, ws.id)).subscribers).toMatchObject([
      { kind: "socket", actor: account.keyId },
    ]);
    socket.close();

    const reused = await requestSocket(null, ws.id, { ticket });
    expect(reused.webSocket).toBeNull();
    await expect401(reused);
    await expect401(await requestEvents(null, ws.id, { ticket }));
  });

  it("Should not use a ticket up on a socket request that is not an upgrade", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const { ticket } = await issue(account, ws.id);
    const plain = await dispatch(
      new Request(
        `https://api.test/v1/workspaces/${ws.id}/socket?ticket=${encodeURIComponent(ticket)}`,
      ),
    );
    expect(plain.status).toBe(400);
    expect(expectEnvelope(await plain.json()).code).toBe("invalid_request");
    const socket = await openSocket(null, ws.id, { ticket });
    expect(await socket.next()).toMatchObject({ type: "subscribed" });
    socket.close();
  });

  it("Should accept the workspace's slug in the URL with its ticket", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const events = await openEvents(null, ws.slug, {
      ticket: (await issue(account, ws.id)).ticket,
    });
    expect((await events.next())?.id).toBe("3");
    await events.cancel();
    const socket = await openSocket(null, ws.slug, {
      ticket: (await issue(account, ws.id)).ticket,
    });
    expect(await socket.next()).toMatchObject({ type: "subscribed" });
    socket.close();
  });

  it("Should refuse a ticket on another workspace's URL, by id or by slug", async () => {
    const account = await createAccount();
    const stranger = await createAccount();
    const a = await createWorkspace(account);
    const b = await createWorkspace(account);
    const foreign = await createWorkspace(stranger);
    const { ticket } = await issue(account, a.id);

    for (const ref of [b.id, b.slug, foreign.id, foreign.slug]) {
      await expect401(await requestEvents(null, ref, { ticket }), /another workspace/);
      await expect401(await requestSocket(null, ref, { ticket }), /another workspace/);
    }
    expect((await streamsDebug(account, b.id)).subscribers).toEqual([]);
    expect((await streamsDebug(stranger, foreign.id)).subscribers).toEqual([]);
  });

  it("Should refuse an expired ticket", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const { ticket } = await issue(account, ws.id);
    const second = await issue(account, ws.id);
    await doSql(ws.id, "UPDATE stream_tickets SET expires_at = ?", Date.now() - 1);

    await expect401(await requestEvents(null, ws.id, { ticket }), /expired/);
    await expect401(await requestSocket(null, ws.id, { ticket: second.ticket }), /expired/);
    // An expired ticket is used up when presented, and swept when the next one is issued.
    expect(await doSql(ws.id, "SELECT hash FROM stream_tickets")).toEqual([]);
    await doSql(
      ws.id,
      "INSERT INTO stream_tickets (hash, account_id, actor, expires_at) VALUES ('old', ?, NULL, 1)",
      account.accountId,
    );
    await issue(account, ws.id);
    expect(await doSql(ws.id, "SELECT hash FROM stream_tickets WHERE hash = 'old'")).toEqual([]);
  });

  it("Should refuse a ticket on any other route", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const { ticket } = await issue(account, ws.id);
    for (const [method, path] of [
      ["GET", `/v1/workspaces/${ws.id}`],
      ["GET", `/v1/workspaces/${ws.id}/streams/debug`],
      ["POST", `/v1/workspaces/${ws.id}/stream-tickets`],
      ["GET", `/v1/workspaces/${ws.id}/lifecycle-events`],
      ["GET", "/v1/workspaces"],
      ["GET", `/v1/workspaces/${ws.id}/events/extra`],
    ] as const) {
      const response = await api(method, `${path}?ticket=${encodeURIComponent(ticket)}`);
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(expectEnvelope(response.body).code).toBe("unauthorized");
    }
    // None of those used the ticket up.
    const reader = await openEvents(null, ws.id, { ticket });
    expect((await reader.next())?.id).toBe("3");
    await reader.cancel();
  });

  it("Should refuse malformed and unknown tickets", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const { ticket } = await issue(account, ws.id);
    const [secret] = ticket.split(".");
    const forged = `wst_${"A".repeat(43)}.${ws.id}`;
    for (const bad of [
      "garbage",
      secret ?? "",
      `${secret}.`,
      `${ticket}x`,
      ticket.replace("wst_", "wsk_"),
      `${secret}.ws_${"0".repeat(26)}`,
      forged,
    ]) {
      await expect401(await requestEvents(null, ws.id, { ticket: bad }));
      await expect401(await requestSocket(null, ws.id, { ticket: bad }));
    }
    // The real ticket still works: the failures did not consume it.
    const socket = await openSocket(null, ws.id, { ticket });
    expect(await socket.next()).toMatchObject({ type: "subscribed" });
    socket.close();
  });

  it("Should not let another account issue tickets for the workspace", async () => {
    const owner = await createAccount();
    const stranger = await createAccount();
    const ws = await createWorkspace(owner);
    const response = await api("POST", `/v1/workspaces/${ws.id}/stream-tickets`, {
      key: stranger.key,
    });
    expect(response.status).toBe(404);
    expect(await doSql(ws.id, "SELECT hash FROM stream_tickets")).toEqual([]);
  });
});
