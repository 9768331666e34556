import { describe, expect, it } from "vitest";
import {
  type ApiResponse,
  api,
  createAccount,
  createWorkspace,
  env,
  expectEnvelope,
  getWorkspace as get,
  listWorkspaces as list,
  type TestAccount,
  uniqueSlug,
  type WorkspaceBody,
} from "../../../../test/helpers";

const N = 5;
const times = <T>(n: number, make: (i: number) => T): T[] =>
  Array.from({ length: n }, (_, i) => make(i));

/** The record as the D1 index has it (what lists show). */
async function listed(account: TestAccount, id: string): Promise<WorkspaceBody | undefined> {
  return (await list(account, "limit=100")).body.items.find((w) => w.id === id);
}

function statuses(responses: ApiResponse[]): number[] {
  return responses.map((r) => r.status).sort();
}

const withoutCodebases = (body: WorkspaceBody) => {
  const { codebases: _ignored, ...rest } = body;
  return rest;
};

const uniqueName = (base: string) => `${base} ${crypto.randomUUID()}`;

const postWorkspace = (account: TestAccount, body: unknown, idempotencyKey?: string) =>
  api<WorkspaceBody>("POST", "/v1/workspaces", {
    key: account.key,
    body,
    headers: idempotencyKey ? { "idempotency-key": idempotencyKey } : {},
  });

describe("ETag races", () => {
  it("Should let exactly one of 5 concurrent PATCHes with the same If-Match win", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account, { name: "start", metadata: { base: true } });
    const responses = await Promise.all(
      times(N, (i) =>
        api<WorkspaceBody>("PATCH", `/v1/workspaces/${ws.id}`, {
          key: account.key,
          body: { name: `writer-${i}`, metadata: { [`writer_${i}`]: i } },
          headers: { "if-match": `"${ws.etag}"` },
        }),
      ),
    );
    const winners = responses.filter((r) => r.status === 200);
    const losers = responses.filter((r) => r.status !== 200);
    expect(winners).toHaveLength(1);
    expect(losers.map((r) => r.status)).toEqual(times(N - 1, () => 412));
    for (const loser of losers) expect(expectEnvelope(loser.body).code).toBe("precondition_failed");

    const winner = winners[0]?.body as WorkspaceBody;
    const index = Number(winner.name.replace("writer-", ""));
    const final = await get(account, ws.id);
    expect(final.body.name).toBe(`writer-${index}`);
    expect(final.body.metadata).toEqual({ base: true, [`writer_${index}`]: index });
    expect(final.body.etag).toBe(winner.etag);
    expect(withoutCodebases(final.body)).toEqual(winner);
    expect(await listed(account, ws.id)).toEqual(winner);
  });

  it("Should let exactly one of 5 concurrent PUTs with the same If-Match win", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const responses = await Promise.all(
      times(N, (i) =>
        api<WorkspaceBody>("PUT", `/v1/workspaces/${ws.id}`, {
          key: account.key,
          body: { name: `put-${i}`, description: `description ${i}` },
          headers: { "if-match": `"${ws.etag}"` },
        }),
      ),
    );
    expect(statuses(responses)).toEqual([200, ...times(N - 1, () => 412)]);
    const winner = responses.find((r) => r.status === 200)?.body as WorkspaceBody;
    const final = await get(account, ws.id);
    expect(withoutCodebases(final.body)).toEqual(winner);
    expect(final.body.description).toBe(winner.description);
    expect(await listed(account, ws.id)).toEqual(winner);
  });

  it("Should apply every one of 10 concurrent unconditional PATCHes (no lost metadata update)", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const responses = await Promise.all(
      times(10, (i) =>
        api<WorkspaceBody>("PATCH", `/v1/workspaces/${ws.id}`, {
          key: account.key,
          body: { name: `n-${i}`, metadata: { [`k${i}`]: i } },
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(times(10, () => 200));
    expect(new Set(responses.map((r) => r.body.etag)).size).toBe(10);

    const final = await get(account, ws.id);
    expect(final.body.metadata).toEqual(Object.fromEntries(times(10, (i) => [`k${i}`, i])));
    // The last write applied is the one whose response carries the final etag.
    const last = responses.find((r) => r.body.etag === final.body.etag);
    expect(last).toBeDefined();
    expect(final.body.name).toBe(last?.body.name);
    // The D1 mirror holds the same version as the Durable Object.
    expect(await listed(account, ws.id)).toEqual(withoutCodebases(final.body));
  });

  it("Should let exactly one of 5 concurrent DELETEs succeed, the rest 404 (never 5xx)", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const responses = await Promise.all(
      times(N, () =>
        api("DELETE", `/v1/workspaces/${ws.id}`, {
          key: account.key,
          headers: { "if-match": `"${ws.etag}"` },
        }),
      ),
    );
    expect(statuses(responses)).toEqual([204, ...times(N - 1, () => 404)]);
    expect((await get(account, ws.id)).status).toBe(404);
    expect((await list(account)).body.total).toBe(0);
  });

  it("Should leave no trace of a workspace deleted while PATCHes race with it", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const patches = times(6, (i) =>
      api("PATCH", `/v1/workspaces/${ws.id}`, { key: account.key, body: { name: `p${i}` } }),
    );
    const deletion = api("DELETE", `/v1/workspaces/${ws.id}`, { key: account.key });
    const more = times(6, (i) =>
      api("PATCH", `/v1/workspaces/${ws.id}`, { key: account.key, body: { name: `q${i}` } }),
    );
    const [deleted, ...patched] = await Promise.all([deletion, ...patches, ...more]);
    expect(deleted?.status).toBe(204);
    for (const response of patched) expect([200, 404]).toContain(response.status);
    expect((await get(account, ws.id)).status).toBe(404);
    expect((await get(account, ws.slug)).status).toBe(404);
    expect((await list(account)).body.total).toBe(0);
    const row = await env.DB.prepare("SELECT id FROM workspaces WHERE id = ?").bind(ws.id).first();
    expect(row).toBeNull();
  });

  it("Should let exactly one of 5 concurrent creates with the same slug succeed", async () => {
    const account = await createAccount();
    const slug = uniqueSlug("race");
    const responses = await Promise.all(
      times(N, (i) => postWorkspace(account, { name: `racer ${i}`, slug })),
    );
    expect(statuses(responses)).toEqual([201, ...times(N - 1, () => 409)]);
    const winner = responses.find((r) => r.status === 201)?.body as WorkspaceBody;
    const page = await list(account);
    expect(page.body.total).toBe(1);
    expect(page.body.items.map((w) => w.id)).toEqual([winner.id]);
    expect((await get(account, slug)).body.id).toBe(winner.id);
  });

  it("Should let exactly one of two workspaces take a slug both rename to at once", async () => {
    const account = await createAccount();
    const a = await createWorkspace(account);
    const b = await createWorkspace(account);
    const target = uniqueSlug("wanted");
    const [ra, rb] = await Promise.all(
      [a, b].map((ws) =>
        api<WorkspaceBody>("PATCH", `/v1/workspaces/${ws.id}`, {
          key: account.key,
          body: { slug: target },
        }),
      ),
    );
    expect([ra?.status, rb?.status].sort()).toEqual([200, 409]);
    const [winner, loser] = ra?.status === 200 ? [a, b] : [b, a];
    expect((await get(account, target)).body.id).toBe(winner.id);
    const loserNow = await get(account, loser.id);
    expect(loserNow.body.slug).toBe(loser.slug);
    expect(loserNow.body.etag).toBe(loser.etag);
    expect((await listed(account, loser.id))?.slug).toBe(loser.slug);
  });
});

describe("Idempotency-Key races and replays", () => {
  it("Should create exactly one workspace from 5 concurrent creates with the same key and body", async () => {
    const account = await createAccount();
    const name = uniqueName("Idem race");
    const key = crypto.randomUUID();
    const responses = await Promise.all(times(N, () => postWorkspace(account, { name }, key)));

    for (const response of responses) expect([201, 409]).toContain(response.status);
    const created = responses.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    // Exactly one ran; any other 201 is a replay of it.
    const originals = created.filter((r) => r.headers.get("idempotent-replayed") !== "true");
    expect(originals).toHaveLength(1);
    for (const conflict of responses.filter((r) => r.status === 409)) {
      expect(expectEnvelope(conflict.body).code).toBe("conflict");
    }

    const page = await list(account, `q=${encodeURIComponent(name)}`);
    expect(page.body.total).toBe(1);
    expect(page.body.items.map((w) => w.id)).toEqual([created[0]?.body.id]);
    expect((await list(account)).body.total).toBe(1);

    // Once the first has finished, a retry is a replay of it.
    const retry = await postWorkspace(account, { name }, key);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body.id).toBe(created[0]?.body.id);
  });

  it("Should replay the first response with identical status, body and headers", async () => {
    const account = await createAccount();
    const key = `retry-${crypto.randomUUID()}`;
    const body = { name: uniqueName("Replay"), metadata: { attempt: 1 } };
    const first = await postWorkspace(account, body, key);
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();

    const second = await postWorkspace(account, body, key);
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body).toEqual(first.body);
    expect(second.headers.get("etag")).toBe(first.headers.get("etag"));
    expect(second.headers.get("location")).toBe(first.headers.get("location"));
    expect(second.headers.get("content-type")).toBe(first.headers.get("content-type"));

    const third = await postWorkspace(account, body, key);
    expect(third.body).toEqual(first.body);
    expect((await list(account)).body.total).toBe(1);
  });

  it("Should replay even after the workspace was changed since (the first response, not the current state)", async () => {
    const account = await createAccount();
    const key = crypto.randomUUID();
    const body = { name: uniqueName("Snapshot") };
    const first = await postWorkspace(account, body, key);
    await api("PATCH", `/v1/workspaces/${first.body.id}`, {
      key: account.key,
      body: { name: "changed later" },
    });
    const replay = await postWorkspace(account, body, key);
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(first.body);
    expect((await list(account)).body.total).toBe(1);
  });

  it("Should be 422 for the same key with a different body, and create nothing more", async () => {
    const account = await createAccount();
    const key = crypto.randomUUID();
    const first = await postWorkspace(account, { name: uniqueName("First") }, key);
    expect(first.status).toBe(201);
    const other = await postWorkspace(account, { name: uniqueName("Second") }, key);
    expect(other.status).toBe(422);
    expect(expectEnvelope(other.body).code).toBe("unprocessable");
    expect((await list(account)).body.total).toBe(1);
  });

  it("Should be 422 for the same key on a different route", async () => {
    const account = await createAccount();
    const key = crypto.randomUUID();
    const first = await postWorkspace(account, { name: uniqueName("Route") }, key);
    expect(first.status).toBe(201);
    const stop = await api("POST", `/v1/workspaces/${first.body.id}/stop`, {
      key: account.key,
      headers: { "idempotency-key": key },
    });
    expect(stop.status).toBe(422);
    expect((await get(account, first.body.id)).body.status).toBe("running");
  });

  it("Should let another account use the same key independently", async () => {
    const a = await createAccount();
    const b = await createAccount();
    const key = crypto.randomUUID();
    const body = { name: uniqueName("Shared key") };
    const [ra, rb] = await Promise.all([postWorkspace(a, body, key), postWorkspace(b, body, key)]);
    expect(ra.status).toBe(201);
    expect(rb.status).toBe(201);
    expect(ra.headers.get("idempotent-replayed")).toBeNull();
    expect(rb.headers.get("idempotent-replayed")).toBeNull();
    expect(ra.body.id).not.toBe(rb.body.id);
    expect(ra.body.account_id).toBe(a.accountId);
    expect(rb.body.account_id).toBe(b.accountId);
    // And b's different body under the same key is no conflict for a.
    const again = await postWorkspace(a, body, key);
    expect(again.body.id).toBe(ra.body.id);
    expect((await list(a)).body.total).toBe(1);
    expect((await list(b)).body.total).toBe(1);
  });

  it("Should create separate workspaces for concurrent creates with different keys", async () => {
    const account = await createAccount();
    const name = uniqueName("Distinct keys");
    const responses = await Promise.all(
      times(N, () => postWorkspace(account, { name }, crypto.randomUUID())),
    );
    expect(responses.map((r) => r.status)).toEqual(times(N, () => 201));
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(N);
    expect(new Set(responses.map((r) => r.body.slug)).size).toBe(N);
    const found = await list(account, `q=${encodeURIComponent(name)}`);
    expect(found.body.total).toBe(N);
  });

  it("Should not keep a 4xx: the retry runs again once the cause is gone", async () => {
    const account = await createAccount();
    const taken = await createWorkspace(account);
    const key = crypto.randomUUID();
    const body = { name: "clash", slug: taken.slug };
    const first = await postWorkspace(account, body, key);
    expect(first.status).toBe(409);
    const second = await postWorkspace(account, body, key);
    expect(second.status).toBe(409);
    expect(second.headers.get("idempotent-replayed")).toBeNull();

    expect((await api("DELETE", `/v1/workspaces/${taken.id}`, { key: account.key })).status).toBe(
      204,
    );
    const third = await postWorkspace(account, body, key);
    expect(third.status).toBe(201);
    expect(third.headers.get("idempotent-replayed")).toBeNull();
    const fourth = await postWorkspace(account, body, key);
    expect(fourth.status).toBe(201);
    expect(fourth.headers.get("idempotent-replayed")).toBe("true");
    expect(fourth.body.id).toBe(third.body.id);
  });

  it.each([
    ["longer than 255 characters", "k".repeat(256)],
    ["containing a space", "has space"],
    ["empty", ""],
  ])("Should be 400 for an Idempotency-Key %s", async (_label, key) => {
    const account = await createAccount();
    const response = await api("POST", "/v1/workspaces", {
      key: account.key,
      body: { name: "x" },
      headers: { "idempotency-key": key },
    });
    expect(response.status).toBe(400);
    expect(expectEnvelope(response.body).code).toBe("invalid_request");
    expect((await list(account)).body.total).toBe(0);
  });

  it("Should ignore Idempotency-Key on methods other than POST", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const key = crypto.randomUUID();
    const first = await api<WorkspaceBody>("PATCH", `/v1/workspaces/${ws.id}`, {
      key: account.key,
      body: { name: "one" },
      headers: { "idempotency-key": key },
    });
    const second = await api<WorkspaceBody>("PATCH", `/v1/workspaces/${ws.id}`, {
      key: account.key,
      body: { name: "two" },
      headers: { "idempotency-key": key },
    });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.headers.get("idempotent-replayed")).toBeNull();
    expect((await get(account, ws.id)).body.name).toBe("two");
  });
});
