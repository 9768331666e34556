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

interface RunnerToken {
  workspace_id: string;
  id: string | null;
  prefix: string | null;
  masked_token: string | null;
  created_at: string | null;
  token?: string;
}

/** Longer than the auth cache TTL the tests configure (AUTH_CACHE_TTL_MS = 200). */
const AUTH_CACHE_WAIT_MS = 300;
const waitForAuthCache = () => new Promise((resolve) => setTimeout(resolve, AUTH_CACHE_WAIT_MS));

async function rotate(account: TestAccount, ws: string): Promise<RunnerToken & { token: string }> {
  const response = await api<RunnerToken>("POST", `/v1/workspaces/${ws}/runner-token`, {
    key: account.key,
  });
  expect(response.status).toBe(201);
  const token = response.body.token;
  if (!token) throw new Error("no token in the rotate response");
  return { ...response.body, token };
}

/** A request made with a runner token instead of an account key. */
const asRunner = (token: string, method: string, path: string, body?: unknown) =>
  api(method, path, { key: token, body });

describe("showing the runner token", () => {
  it("Should show all nulls before a token is issued", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const response = await api<RunnerToken>("GET", `/v1/workspaces/${ws.id}/runner-token`, {
      key: account.key,
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      workspace_id: ws.id,
      id: null,
      prefix: null,
      masked_token: null,
      created_at: null,
    });
  });

  it("Should show the issued token masked, never the token itself", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const issued = await rotate(account, ws.id);
    const response = await api<RunnerToken>("GET", `/v1/workspaces/${ws.slug}/runner-token`, {
      key: account.key,
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      workspace_id: ws.id,
      id: issued.id,
      prefix: issued.prefix,
      masked_token: issued.masked_token,
      created_at: issued.created_at,
    });
    expect(JSON.stringify(response.body)).not.toContain(issued.token);
    expect(response.body.masked_token).not.toContain(issued.token.slice(12));
  });
});

describe("issuing a runner token", () => {
  it("Should answer 201 with a wsr_ token, its id, prefix and mask", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const response = await api<RunnerToken>("POST", `/v1/workspaces/${ws.id}/runner-token`, {
      key: account.key,
    });
    expect(response.status).toBe(201);
    const body = response.body;
    expect(body.workspace_id).toBe(ws.id);
    expect(body.token).toMatch(/^wsr_[A-Za-z0-9_-]{43}$/);
    expect(body.id).toMatch(/^key_/);
    expect(body.prefix).toBe(body.token?.slice(0, 12));
    expect(body.masked_token?.startsWith(body.prefix as string)).toBe(true);
    expect(body.masked_token).not.toContain(body.token?.slice(12));
    expect(Number.isNaN(Date.parse(body.created_at as string))).toBe(false);
  });

  it("Should issue a token by slug for the workspace behind it", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const issued = await rotate(account, ws.slug);
    expect(issued.workspace_id).toBe(ws.id);
    const got = await asRunner(issued.token, "GET", `/v1/workspaces/${ws.id}`);
    expect(got.status).toBe(200);
  });

  it("Should be 404 on both runner-token routes for another account's workspace, issuing nothing", async () => {
    const owner = await createAccount();
    const other = await createAccount();
    const ws = await createWorkspace(owner);
    for (const ref of [ws.id, ws.slug]) {
      for (const method of ["GET", "POST"]) {
        const response = await api(method, `/v1/workspaces/${ref}/runner-token`, {
          key: other.key,
        });
        expect(response.status, `${method} ${ref}`).toBe(404);
        expect(expectEnvelope(response.body).code).toBe("not_found");
      }
    }
    const shown = await api<RunnerToken>("GET", `/v1/workspaces/${ws.id}/runner-token`, {
      key: owner.key,
    });
    expect(shown.body.id).toBeNull();
  });

  it("Should be 404 for a workspace that does not exist", async () => {
    const account = await createAccount();
    const response = await api(
      "POST",
      "/v1/workspaces/ws_00000000000000000000000000/runner-token",
      {
        key: account.key,
      },
    );
    expect(response.status).toBe(404);
  });
});

describe("what a runner token can reach", () => {
  it("Should call its own workspace's routes, by id and by slug", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const { token } = await rotate(account, ws.id);
    for (const ref of [ws.id, ws.slug]) {
      for (const route of [
        "",
        "/status",
        "/health",
        "/metadata",
        "/codebases",
        "/lifecycle-events",
      ]) {
        const response = await asRunner(token, "GET", `/v1/workspaces/${ref}${route}`);
        expect(response.status, `${ref}${route}`).toBe(200);
      }
    }
    const got = await asRunner(token, "GET", `/v1/workspaces/${ws.slug}`);
    expect((got.body as WorkspaceBody).id).toBe(ws.id);
  });

  it("Should write to its own workspace, recorded with the token's id as actor", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const issued = await rotate(account, ws.id);
    const codebase = await asRunner(issued.token, "POST", `/v1/workspaces/${ws.id}/codebases`, {
      name: "repo",
      source_type: "local",
      path: "/repo",
    });
    expect(codebase.status).toBe(201);
    const stopped = await asRunner(issued.token, "POST", `/v1/workspaces/${ws.id}/stop`);
    expect(stopped.status).toBe(200);
    const event = await asRunner(issued.token, "POST", `/v1/workspaces/${ws.id}/lifecycle-events`, {
      event: "runner.heartbeat",
    });
    expect(event.status).toBe(201);
    expect((event.body as { actor: string }).actor).toBe(issued.id);

    const events = await api<{ items: { event: string; actor: string | null }[] }>(
      "GET",
      `/v1/workspaces/${ws.id}/lifecycle-events?limit=3`,
      { key: account.key },
    );
    expect(events.body.items.map((e) => [e.event, e.actor])).toEqual([
      ["runner.heartbeat", issued.id],
      ["stopped", issued.id],
      ["stopping", issued.id],
    ]);
  });

  it("Should be 404 for another workspace of the same account, by id and by slug", async () => {
    const account = await createAccount();
    const own = await createWorkspace(account);
    const sibling = await createWorkspace(account);
    const { token } = await rotate(account, own.id);
    for (const ref of [sibling.id, sibling.slug]) {
      for (const [method, route] of [
        ["GET", ""],
        ["GET", "/status"],
        ["GET", "/codebases"],
        ["GET", "/runner-token"],
        ["POST", "/runner-token"],
        ["POST", "/stop"],
        ["DELETE", ""],
      ] as const) {
        const response = await asRunner(token, method, `/v1/workspaces/${ref}${route}`);
        expect(response.status, `${method} ${ref}${route}`).toBe(404);
        expect(expectEnvelope(response.body).code).toBe("not_found");
      }
    }
    const sib = await api<WorkspaceBody>("GET", `/v1/workspaces/${sibling.id}`, {
      key: account.key,
    });
    expect(sib.body.status).toBe("running");
    expect(sib.body.etag).toBe(sibling.etag);
  });

  it("Should be 404 for another account's workspace", async () => {
    const account = await createAccount();
    const other = await createAccount();
    const own = await createWorkspace(account);
    const foreign = await createWorkspace(other);
    const { token } = await rotate(account, own.id);
    for (const ref of [foreign.id, foreign.slug]) {
      const response = await asRunner(token, "GET", `/v1/workspaces/${ref}`);
      expect(response.status, ref).toBe(404);
    }
  });

  it("Should be 403 with the envelope on account-level routes", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const { token } = await rotate(account, ws.id);
    const listed = await asRunner(token, "GET", "/v1/workspaces");
    expect(listed.status).toBe(403);
    expect(expectEnvelope(listed.body).code).toBe("forbidden");
    const created = await asRunner(token, "POST", "/v1/workspaces", { name: "Sneaky" });
    expect(created.status).toBe(403);
    expect(expectEnvelope(created.body).code).toBe("forbidden");
    const all = await api<{ total: number }>("GET", "/v1/workspaces", { key: account.key });
    expect(all.body.total).toBe(1);
  });

  it("Should be 401 for a well-formed token that was never issued", async () => {
    const response = await asRunner(`wsr_${"A".repeat(43)}`, "GET", "/v1/workspaces");
    expect(response.status).toBe(401);
    expect(expectEnvelope(response.body).code).toBe("unauthorized");
  });
});

describe("rotating and revoking", () => {
  it("Should stop accepting the old token after a rotation, and accept the new one", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const first = await rotate(account, ws.id);
    expect((await asRunner(first.token, "GET", `/v1/workspaces/${ws.id}`)).status).toBe(200);

    const second = await rotate(account, ws.id);
    expect(second.token).not.toBe(first.token);
    expect(second.id).not.toBe(first.id);
    await waitForAuthCache();

    const old = await asRunner(first.token, "GET", `/v1/workspaces/${ws.id}`);
    expect(old.status).toBe(401);
    expect(expectEnvelope(old.body).code).toBe("unauthorized");
    expect((await asRunner(second.token, "GET", `/v1/workspaces/${ws.id}`)).status).toBe(200);

    const shown = await api<RunnerToken>("GET", `/v1/workspaces/${ws.id}/runner-token`, {
      key: account.key,
    });
    expect(shown.body.id).toBe(second.id);
    expect(shown.body.prefix).toBe(second.prefix);
  });

  it("Should keep the runner tokens of different workspaces independent", async () => {
    const account = await createAccount();
    const a = await createWorkspace(account);
    const b = await createWorkspace(account);
    const tokenA = await rotate(account, a.id);
    const tokenB = await rotate(account, b.id);
    await rotate(account, a.id);
    await waitForAuthCache();
    expect((await asRunner(tokenA.token, "GET", `/v1/workspaces/${a.id}`)).status).toBe(401);
    expect((await asRunner(tokenB.token, "GET", `/v1/workspaces/${b.id}`)).status).toBe(200);
  });

  it("Should not affect the account's own API key", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    await rotate(account, ws.id);
    await rotate(account, ws.id);
    await waitForAuthCache();
    const listed = await api("GET", "/v1/workspaces", { key: account.key });
    expect(listed.status).toBe(200);
  });

  it("Should revoke the runner token when its workspace is deleted", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const { token } = await rotate(account, ws.id);
    expect((await asRunner(token, "GET", `/v1/workspaces/${ws.id}/status`)).status).toBe(200);

    const deleted = await api("DELETE", `/v1/workspaces/${ws.id}`, { key: account.key });
    expect(deleted.status).toBe(204);
    await waitForAuthCache();

    const after = await asRunner(token, "GET", `/v1/workspaces/${ws.id}/status`);
    expect(after.status).toBe(401);
    expect(expectEnvelope(after.body).code).toBe("unauthorized");
    const shown = await api("GET", `/v1/workspaces/${ws.id}/runner-token`, { key: account.key });
    expect(shown.status).toBe(404);
  });
});

describe("what a runner token may not do", () => {
  it("Should be 403 when a runner token deletes its own workspace, which survives", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const { token } = await rotate(account, ws.id);
    const response = await asRunner(token, "DELETE", `/v1/workspaces/${ws.id}`);
    expect(response.status).toBe(403);
    expect(expectEnvelope(response.body).code).toBe("forbidden");
    expect((await api("GET", `/v1/workspaces/${ws.id}`, { key: account.key })).status).toBe(200);
  });

  it("Should be 403 when a runner token shows or rotates runner tokens, and it keeps working", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const { token } = await rotate(account, ws.id);
    for (const method of ["GET", "POST"]) {
      const response = await asRunner(token, method, `/v1/workspaces/${ws.id}/runner-token`);
      expect(response.status).toBe(403);
      expect(expectEnvelope(response.body).code).toBe("forbidden");
    }
    await waitForAuthCache();
    expect((await asRunner(token, "GET", `/v1/workspaces/${ws.id}`)).status).toBe(200);
  });
});

describe("runner tokens and Idempotency-Key", () => {
  it("Should never replay a rotated token: a retry with the same key is 409 and issues nothing", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const headers = { "idempotency-key": `rotate-${ws.id}` };
    const first = await api<RunnerToken>("POST", `/v1/workspaces/${ws.id}/runner-token`, {
      key: account.key,
      headers,
    });
    expect(first.status).toBe(201);
    expect(first.headers.get("cache-control")).toContain("no-store");
    const retry = await api("POST", `/v1/workspaces/${ws.id}/runner-token`, {
      key: account.key,
      headers,
    });
    expect(retry.status).toBe(409);
    expect(JSON.stringify(retry.body)).not.toContain(String(first.body.token));
    const stored = await env.DB.prepare("SELECT response_body FROM idempotency_keys WHERE key = ?")
      .bind(headers["idempotency-key"])
      .first<{ response_body: string | null }>();
    expect(stored?.response_body).toBeNull();
    const shown = await api<RunnerToken>("GET", `/v1/workspaces/${ws.id}/runner-token`, {
      key: account.key,
    });
    expect(shown.body.id).toBe(first.body.id);
  });
});
