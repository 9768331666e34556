import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  api,
  createAccount,
  createWorkspace,
  env,
  expectEnvelope,
  type TestAccount,
  type WorkspaceBody,
} from "../../../../test/helpers";
import { workspaceApi } from "../../../kernel/workspace-client";

type Status = "creating" | "running" | "stopping" | "stopped" | "error" | "archived";
type Action = "start" | "stop" | "archive" | "unarchive";

interface LifecycleEvent {
  id: string;
  event: string;
  notes: string | null;
  from_status: string | null;
  to_status: string | null;
  actor: string | null;
  created_at: string;
}

interface EventPage {
  items: LifecycleEvent[];
  next_cursor: string | null;
}

const STATUSES: Status[] = ["creating", "running", "stopping", "stopped", "error", "archived"];
const ACTIONS: Action[] = ["start", "stop", "archive", "unarchive"];

/** What each action leads to from each status; a missing entry is an illegal transition. */
const LEGAL: Record<Action, Partial<Record<Status, Status>>> = {
  start: { stopped: "running", error: "running" },
  stop: { running: "stopped", error: "stopped" },
  archive: { running: "archived", stopped: "archived", error: "archived" },
  // The workspaces below are archived from `running`, so unarchiving brings them back there.
  unarchive: { archived: "running" },
};

const allowedFrom = (status: Status): Action[] =>
  ACTIONS.filter((action) => LEGAL[action][status] !== undefined);

const stub = (workspaceId: string) => env.WORKSPACE.get(env.WORKSPACE.idFromName(workspaceId));

/** Fails the workspace the way its runtime would: straight through the DO. */
async function markError(account: TestAccount, workspaceId: string, reason = "boom") {
  await workspaceApi(env, workspaceId, {
    accountId: account.accountId,
    actor: null,
  }).workspaces.markError(reason);
}

/** The `details` of a 409 from the state machine. */
const conflictDetails = (body: unknown) =>
  (body as { error: { details: { status: string; action: string; allowed_actions: string[] } } })
    .error.details;

/** Calls the route behind an action. */
function act(account: TestAccount, ws: string, action: Action) {
  if (action === "archive" || action === "unarchive") {
    return api<WorkspaceBody>("POST", `/v1/workspaces/${ws}/archive`, {
      key: account.key,
      body: { archive: action === "archive" },
    });
  }
  return api<WorkspaceBody>("POST", `/v1/workspaces/${ws}/${action}`, { key: account.key });
}

async function getWorkspace(account: TestAccount, ws: string) {
  const got = await api<WorkspaceBody>("GET", `/v1/workspaces/${ws}`, { key: account.key });
  expect(got.status).toBe(200);
  return got.body;
}

/**
 * Forces the DO's record into a status the API only passes through (`creating`, `stopping`),
 * so the table can cover those rows too.
 */
async function forceStatus(workspaceId: string, status: Status) {
  await runInDurableObject(stub(workspaceId), (_instance, state) => {
    state.storage.sql.exec("UPDATE workspace SET record = json_set(record, '$.status', ?)", status);
  });
}

/** A fresh workspace of the account, brought to `status`. */
async function workspaceIn(account: TestAccount, status: Status): Promise<WorkspaceBody> {
  const ws = await createWorkspace(account);
  switch (status) {
    case "running":
      break;
    case "stopped":
      expect((await act(account, ws.id, "stop")).status).toBe(200);
      break;
    case "archived":
      expect((await act(account, ws.id, "archive")).status).toBe(200);
      break;
    case "error":
      await markError(account, ws.id);
      break;
    case "creating":
    case "stopping":
      await forceStatus(ws.id, status);
      break;
  }
  const current = await getWorkspace(account, ws.id);
  expect(current.status).toBe(status);
  return current;
}

async function events(
  account: TestAccount,
  ws: string,
  query = "order=asc&limit=100",
): Promise<LifecycleEvent[]> {
  const page = await api<EventPage>("GET", `/v1/workspaces/${ws}/lifecycle-events?${query}`, {
    key: account.key,
  });
  expect(page.status).toBe(200);
  return page.body.items;
}

/** Every (status, action) pair as [status, action, target or null]: 6 × 4 = 24 rows. */
const TABLE: [Status, Action, Status | null][] = STATUSES.flatMap((status) =>
  ACTIONS.map((action): [Status, Action, Status | null] => [
    status,
    action,
    LEGAL[action][status] ?? null,
  ]),
);

describe("lifecycle transitions, every status × action", () => {
  it("Should cover all 24 (status, action) pairs, 8 of them legal", () => {
    expect(TABLE).toHaveLength(24);
    expect(new Set(TABLE.map(([status, action]) => `${status}:${action}`)).size).toBe(24);
    expect(TABLE.filter(([, , target]) => target !== null)).toHaveLength(8);
  });

  it.each(
    TABLE.filter(([, , target]) => target !== null),
  )("Should move a %s workspace on %s into %s", async (status, action, target) => {
    const account = await createAccount();
    const before = await workspaceIn(account, status);
    const eventCount = (await events(account, before.id)).length;

    const response = await act(account, before.id, action);
    expect(response.status).toBe(200);
    expect(response.body.id).toBe(before.id);
    expect(response.body.status).toBe(target);
    expect(response.body.etag).not.toBe(before.etag);
    expect(response.headers.get("etag")).toBe(`"${response.body.etag}"`);
    // The reason of an error outlives archiving (unarchive may return to error); recovery clears it.
    expect(response.body.error_reason).toBe(
      status === "error" && target === "archived" ? before.error_reason : null,
    );
    if (target === "archived") expect(response.body.archived_at).toEqual(expect.any(String));
    else expect(response.body.archived_at).toBeNull();
    if (target === "stopped") expect(response.body.stopped_at).toEqual(expect.any(String));

    const after = await getWorkspace(account, before.id);
    expect(after.status).toBe(target);
    expect(after.etag).toBe(response.body.etag);
    // Stop passes through `stopping`, so it records two events; the others one.
    expect((await events(account, before.id)).length).toBe(
      eventCount + (action === "stop" ? 2 : 1),
    );
  });

  it.each(
    TABLE.filter(([, , target]) => target === null),
  )("Should be 409 when a %s workspace gets %s, leaving it unchanged", async (status, action) => {
    const account = await createAccount();
    const before = await workspaceIn(account, status);
    const eventCount = (await events(account, before.id)).length;

    const response = await act(account, before.id, action);
    expect(response.status).toBe(409);
    const error = expectEnvelope(response.body);
    expect(error.code).toBe("conflict");
    const allowed = allowedFrom(status);
    expect(error.message).toContain(action);
    expect(error.message).toContain(status);
    expect(error.message).toContain(allowed.length ? allowed.join(", ") : "none");
    const details = conflictDetails(response.body);
    expect(details.allowed_actions).toEqual(allowed);
    expect(details.status).toBe(status);
    expect(details.action).toBe(action);

    const after = await getWorkspace(account, before.id);
    expect(after.status).toBe(status);
    expect(after.etag).toBe(before.etag);
    expect(after.updated_at).toBe(before.updated_at);
    expect((await events(account, before.id)).length).toBe(eventCount);
  });
});

describe("lifecycle actions", () => {
  it("Should create a workspace that is running", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    expect(ws.status).toBe("running");
    expect(ws.error_reason).toBeNull();
    expect(ws.stopped_at).toBeNull();
    expect(ws.archived_at).toBeNull();
  });

  it("Should stop a running workspace into stopped with stopped_at set", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const stopped = await act(account, ws.id, "stop");
    expect(stopped.status).toBe(200);
    expect(stopped.body.status).toBe("stopped");
    expect(Date.parse(stopped.body.stopped_at as string)).toBeGreaterThanOrEqual(
      Date.parse(ws.created_at as string),
    );
    expect(stopped.body.updated_at).toBe(stopped.body.stopped_at);
  });

  it("Should be 409 when stopping a stopped workspace", async () => {
    const account = await createAccount();
    const ws = await workspaceIn(account, "stopped");
    const again = await act(account, ws.id, "stop");
    expect(again.status).toBe(409);
    expect(expectEnvelope(again.body).message).toBe(
      "cannot stop a workspace that is stopped; allowed: start, archive",
    );
  });

  it("Should be 409 when starting a running workspace", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const response = await act(account, ws.id, "start");
    expect(response.status).toBe(409);
    expect(expectEnvelope(response.body).message).toBe(
      "cannot start a workspace that is running; allowed: stop, archive",
    );
  });

  it("Should start a stopped workspace again and keep its stopped_at", async () => {
    const account = await createAccount();
    const ws = await workspaceIn(account, "stopped");
    const started = await act(account, ws.id, "start");
    expect(started.status).toBe(200);
    expect(started.body.status).toBe("running");
    expect(started.body.stopped_at).toBe(ws.stopped_at);
  });

  it("Should put a workspace into error with its reason when the DO marks it failed", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    await markError(account, ws.id, "boom");
    const got = await getWorkspace(account, ws.id);
    expect(got.status).toBe("error");
    expect(got.error_reason).toBe("boom");
  });

  it("Should clear error_reason when starting a workspace that is in error", async () => {
    const account = await createAccount();
    const ws = await workspaceIn(account, "error");
    expect(ws.error_reason).toBe("boom");
    const started = await act(account, ws.id, "start");
    expect(started.status).toBe(200);
    expect(started.body.status).toBe("running");
    expect(started.body.error_reason).toBeNull();
    expect((await getWorkspace(account, ws.id)).error_reason).toBeNull();
  });

  it("Should stop a workspace that is in error, clearing its reason", async () => {
    const account = await createAccount();
    const ws = await workspaceIn(account, "error");
    const stopped = await act(account, ws.id, "stop");
    expect(stopped.status).toBe(200);
    expect(stopped.body.status).toBe("stopped");
    expect(stopped.body.error_reason).toBeNull();
    expect(stopped.body.stopped_at).toEqual(expect.any(String));
  });

  it.each([
    "running",
    "stopped",
    "error",
  ] as const)("Should unarchive a workspace archived while %s back to that status", async (status) => {
    const account = await createAccount();
    const ws = await workspaceIn(account, status);
    const archived = await act(account, ws.id, "archive");
    expect(archived.status).toBe(200);
    expect(archived.body.status).toBe("archived");
    expect(archived.body.archived_at).toEqual(expect.any(String));

    const unarchived = await act(account, ws.id, "unarchive");
    expect(unarchived.status).toBe(200);
    expect(unarchived.body.status).toBe(status);
    expect(unarchived.body.archived_at).toBeNull();
    expect(unarchived.headers.get("etag")).toBe(`"${unarchived.body.etag}"`);
    expect((await getWorkspace(account, ws.id)).status).toBe(status);
  });

  it("Should remember the latest status before archiving across archive cycles", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    await act(account, ws.id, "archive");
    await act(account, ws.id, "unarchive");
    await act(account, ws.id, "stop");
    await act(account, ws.id, "archive");
    const unarchived = await act(account, ws.id, "unarchive");
    expect(unarchived.body.status).toBe("stopped");
  });

  it("Should be 409 when archiving an archived workspace", async () => {
    const account = await createAccount();
    const ws = await workspaceIn(account, "archived");
    const again = await act(account, ws.id, "archive");
    expect(again.status).toBe(409);
    const details = conflictDetails(again.body);
    expect(details.allowed_actions).toEqual(["unarchive"]);
    expect(expectEnvelope(again.body).message).toContain("allowed: unarchive");
  });

  it("Should be 400 when the archive body is missing, not a boolean or has extra fields", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    for (const body of [{}, { archive: "true" }, { archive: 1 }, { archive: true, extra: 1 }]) {
      const response = await api("POST", `/v1/workspaces/${ws.id}/archive`, {
        key: account.key,
        body,
      });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(expectEnvelope(response.body).code).toBe("invalid_request");
    }
    const noBody = await api("POST", `/v1/workspaces/${ws.id}/archive`, { key: account.key });
    expect(noBody.status).toBeGreaterThanOrEqual(400);
    expect(noBody.status).toBeLessThan(500);
    expect((await getWorkspace(account, ws.id)).etag).toBe(ws.etag);
  });

  it("Should run every action by slug as well as by id", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    expect((await act(account, ws.slug, "stop")).body.status).toBe("stopped");
    expect((await act(account, ws.slug, "start")).body.status).toBe("running");
    expect((await act(account, ws.slug, "archive")).body.status).toBe("archived");
    const unarchived = await act(account, ws.slug, "unarchive");
    expect(unarchived.status).toBe(200);
    expect(unarchived.body.id).toBe(ws.id);
    expect(unarchived.body.status).toBe("running");
  });

  it("Should be 404 for every action on another account's workspace, leaving it unchanged", async () => {
    const owner = await createAccount();
    const other = await createAccount();
    const ws = await createWorkspace(owner);
    for (const action of ACTIONS) {
      for (const ref of [ws.id, ws.slug]) {
        const response = await act(other, ref, action);
        expect(response.status, `${action} ${ref}`).toBe(404);
        expect(expectEnvelope(response.body).code).toBe("not_found");
      }
    }
    expect((await getWorkspace(owner, ws.id)).etag).toBe(ws.etag);
  });

  it("Should be 404 for an action on a workspace that does not exist", async () => {
    const account = await createAccount();
    const response = await act(account, "ws_00000000000000000000000000", "stop");
    expect(response.status).toBe(404);
  });

  it("Should give an ETag that a following If-Match write accepts", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const stopped = await act(account, ws.id, "stop");
    const etag = stopped.headers.get("etag") as string;
    const stale = await api("PATCH", `/v1/workspaces/${ws.id}`, {
      key: account.key,
      headers: { "if-match": `"${ws.etag}"` },
      body: { name: "Stale" },
    });
    expect(stale.status).toBe(412);
    const fresh = await api<WorkspaceBody>("PATCH", `/v1/workspaces/${ws.id}`, {
      key: account.key,
      headers: { "if-match": etag },
      body: { name: "Fresh" },
    });
    expect(fresh.status).toBe(200);
    expect(fresh.body.status).toBe("stopped");
  });

  it("Should replay a stop retried with the same Idempotency-Key instead of answering 409", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const headers = { "idempotency-key": `stop-${ws.id}` };
    const first = await api<WorkspaceBody>("POST", `/v1/workspaces/${ws.id}/stop`, {
      key: account.key,
      headers,
    });
    expect(first.status).toBe(200);
    const retry = await api<WorkspaceBody>("POST", `/v1/workspaces/${ws.id}/stop`, {
      key: account.key,
      headers,
    });
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get("etag")).toBe(first.headers.get("etag"));
    // created, started, stopping, stopped: the retry recorded nothing.
    expect(await events(account, ws.id)).toHaveLength(4);
  });

  it("Should mirror the new status into the workspace list", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    await act(account, ws.id, "stop");
    const list = await api<{ items: WorkspaceBody[] }>("GET", "/v1/workspaces", {
      key: account.key,
    });
    expect(list.status).toBe(200);
    const listed = list.body.items.find((item) => item.id === ws.id);
    expect(listed?.status).toBe("stopped");
  });
});

describe("lifecycle events", () => {
  it("Should record created and started when a workspace is created", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const list = await events(account, ws.id);
    expect(list.map((e) => [e.event, e.from_status, e.to_status, e.actor])).toEqual([
      ["created", null, "creating", account.keyId],
      ["started", "creating", "running", account.keyId],
    ]);
  });

  it("Should record stopping then stopped on stop, with the key id as actor", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    await act(account, ws.id, "stop");
    const list = await events(account, ws.id);
    expect(list.slice(2).map((e) => [e.event, e.from_status, e.to_status, e.actor])).toEqual([
      ["stopping", "running", "stopping", account.keyId],
      ["stopped", "stopping", "stopped", account.keyId],
    ]);
  });

  it("Should record every state change in order", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    await act(account, ws.id, "stop");
    await act(account, ws.id, "start");
    await act(account, ws.id, "archive");
    await act(account, ws.id, "unarchive");
    await markError(account, ws.id);
    await act(account, ws.id, "start");
    const list = await events(account, ws.id);
    expect(list.map((e) => [e.event, e.from_status, e.to_status])).toEqual([
      ["created", null, "creating"],
      ["started", "creating", "running"],
      ["stopping", "running", "stopping"],
      ["stopped", "stopping", "stopped"],
      ["started", "stopped", "running"],
      ["archived", "running", "archived"],
      ["unarchived", "archived", "running"],
      ["error", "running", "error"],
      ["started", "error", "running"],
    ]);
    const error = list.find((e) => e.event === "error");
    expect(error?.notes).toBe("boom");
    expect(error?.actor).toBeNull();
    expect(new Set(list.map((e) => e.id)).size).toBe(list.length);
    for (const event of list) {
      expect(event.id).toMatch(/^lce_/);
      expect(Number.isNaN(Date.parse(event.created_at))).toBe(false);
    }
  });

  it("Should list events newest first by default", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    await act(account, ws.id, "stop");
    const ascending = await events(account, ws.id);
    const response = await api<EventPage>("GET", `/v1/workspaces/${ws.id}/lifecycle-events`, {
      key: account.key,
    });
    expect(response.status).toBe(200);
    expect(response.body.next_cursor).toBeNull();
    expect(response.body.items.map((e) => e.id)).toEqual(ascending.map((e) => e.id).reverse());
    expect(response.body.items[0]?.event).toBe("stopped");
  });

  it("Should record a custom event with notes and answer 201", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const created = await api<LifecycleEvent>("POST", `/v1/workspaces/${ws.id}/lifecycle-events`, {
      key: account.key,
      body: { event: "deploy.started_v2-x", notes: "rolling out" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^lce_/),
      event: "deploy.started_v2-x",
      notes: "rolling out",
      from_status: null,
      to_status: null,
      actor: account.keyId,
      created_at: expect.any(String),
    });
    const newest = await events(account, ws.id, "limit=1");
    expect(newest).toEqual([created.body]);
  });

  it("Should record a custom event without notes as notes null, leaving the workspace unchanged", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const created = await api<LifecycleEvent>(
      "POST",
      `/v1/workspaces/${ws.slug}/lifecycle-events`,
      {
        key: account.key,
        body: { event: "checkpoint" },
      },
    );
    expect(created.status).toBe(201);
    expect(created.body.notes).toBeNull();
    const after = await getWorkspace(account, ws.id);
    expect(after.status).toBe("running");
    expect(after.etag).toBe(ws.etag);
  });

  it("Should accept an event name of exactly 64 characters and notes of exactly 4000", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const created = await api<LifecycleEvent>("POST", `/v1/workspaces/${ws.id}/lifecycle-events`, {
      key: account.key,
      body: { event: `a${"b".repeat(63)}`, notes: "n".repeat(4000) },
    });
    expect(created.status).toBe(201);
    expect(created.body.event).toHaveLength(64);
    expect(created.body.notes).toHaveLength(4000);
  });

  it.each([
    ["an empty event", { event: "" }],
    ["an uppercase event", { event: "Deploy" }],
    ["an event starting with a dot", { event: ".deploy" }],
    ["an event starting with a hyphen", { event: "-deploy" }],
    ["an event starting with an underscore", { event: "_deploy" }],
    ["an event with a space", { event: "deploy started" }],
    ["an event with a slash", { event: "deploy/started" }],
    ["an event of 65 characters", { event: "a".repeat(65) }],
    ["a missing event", { notes: "no event" }],
    ["a numeric event", { event: 42 }],
    ["notes of 4001 characters", { event: "deploy", notes: "n".repeat(4001) }],
    ["numeric notes", { event: "deploy", notes: 5 }],
    ["null notes", { event: "deploy", notes: null }],
    ["an unknown field", { event: "deploy", from_status: "running" }],
    ["an array body", [{ event: "deploy" }]],
  ])("Should be 400 when recording %s", async (_label, body) => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const response = await api("POST", `/v1/workspaces/${ws.id}/lifecycle-events`, {
      key: account.key,
      body,
    });
    expect(response.status).toBe(400);
    expect(expectEnvelope(response.body).code).toBe("invalid_request");
    expect(await events(account, ws.id)).toHaveLength(2);
  });

  it("Should be 400 when the event body is not JSON", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const response = await api("POST", `/v1/workspaces/${ws.id}/lifecycle-events`, {
      key: account.key,
      body: "{not json",
    });
    expect(response.status).toBe(400);
    expectEnvelope(response.body);
  });

  it.each([
    "asc",
    "desc",
  ] as const)("Should walk every event in %s order with a cursor, without gaps or duplicates", async (order) => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    for (let i = 0; i < 23; i++) {
      const created = await api("POST", `/v1/workspaces/${ws.id}/lifecycle-events`, {
        key: account.key,
        body: { event: `step-${i}` },
      });
      expect(created.status).toBe(201);
    }
    const all = await events(account, ws.id, `order=${order}&limit=100`);
    expect(all).toHaveLength(25);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `order=${order}&limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page = await api<EventPage>(
        "GET",
        `/v1/workspaces/${ws.id}/lifecycle-events?${query}`,
        {
          key: account.key,
        },
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(7);
      seen.push(...page.body.items.map((e) => e.id));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor && pages < 20);

    expect(pages).toBe(4);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(all.map((e) => e.id));
    const names = all.map((e) => e.event);
    if (order === "asc") expect(names.slice(0, 3)).toEqual(["created", "started", "step-0"]);
    else expect(names.slice(0, 2)).toEqual(["step-22", "step-21"]);
  });

  it("Should give no next cursor when the last page is exactly full", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const first = await api<EventPage>(
      "GET",
      `/v1/workspaces/${ws.id}/lifecycle-events?limit=1&order=asc`,
      { key: account.key },
    );
    expect(first.body.items).toHaveLength(1);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await api<EventPage>(
      "GET",
      `/v1/workspaces/${ws.id}/lifecycle-events?limit=1&order=asc&cursor=${first.body.next_cursor}`,
      { key: account.key },
    );
    expect(second.body.items.map((e) => e.event)).toEqual(["started"]);
    expect(second.body.next_cursor).toBeNull();
  });

  it.each([
    ["a garbage cursor", "cursor=garbage!!"],
    ["a cursor that is base64 but not JSON", `cursor=${btoa("not json")}`],
    ["a cursor whose after is a string", `cursor=${btoa(JSON.stringify({ after: "1" }))}`],
    ["a cursor without after", `cursor=${btoa(JSON.stringify({ id: 1 }))}`],
    ["limit 0", "limit=0"],
    ["limit 101", "limit=101"],
    ["a non-numeric limit", "limit=ten"],
    ["an unknown order", "order=sideways"],
  ])("Should be 400 when listing events with %s", async (_label, query) => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const response = await api("GET", `/v1/workspaces/${ws.id}/lifecycle-events?${query}`, {
      key: account.key,
    });
    expect(response.status).toBe(400);
    expect(expectEnvelope(response.body).code).toBe("invalid_request");
  });

  it("Should be 404 when reading or recording events of another account's workspace", async () => {
    const owner = await createAccount();
    const other = await createAccount();
    const ws = await createWorkspace(owner);
    for (const ref of [ws.id, ws.slug]) {
      const list = await api("GET", `/v1/workspaces/${ref}/lifecycle-events`, { key: other.key });
      expect(list.status).toBe(404);
      expectEnvelope(list.body);
      const record = await api("POST", `/v1/workspaces/${ref}/lifecycle-events`, {
        key: other.key,
        body: { event: "intrusion" },
      });
      expect(record.status).toBe(404);
    }
    expect(await events(owner, ws.id)).toHaveLength(2);
  });

  it("Should keep each workspace's events to itself", async () => {
    const account = await createAccount();
    const a = await createWorkspace(account);
    const b = await createWorkspace(account);
    await act(account, a.id, "stop");
    await api("POST", `/v1/workspaces/${a.id}/lifecycle-events`, {
      key: account.key,
      body: { event: "only-a" },
    });
    const bEvents = await events(account, b.id);
    expect(bEvents.map((e) => e.event)).toEqual(["created", "started"]);
  });
});
