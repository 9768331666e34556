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

interface StatusReport {
  id: string;
  status: string;
  error_reason: string | null;
  pending_operation: string | null;
  last_activity_at: string | null;
  updated_at: string;
}

interface Summary {
  workspace_id: string;
  threads: number;
  messages: number;
  files: number;
  bytes: number;
  runs: number;
  agents: number;
  commands: number;
  codebases: number;
  lifecycle_events: number;
  last_activity_at: string | null;
}

interface Component {
  status: string;
  latency_ms: number;
  error?: string;
}

interface Health {
  workspace_id: string;
  status: string;
  workspace_status: string;
  checked_at: string;
  components?: { index: Component; durable_object: Component; storage: Component };
  metrics?: Summary;
}

async function markError(account: TestAccount, workspaceId: string, reason: string) {
  const caller = { accountId: account.accountId, actor: null };
  await workspaceApi(env, workspaceId, caller).workspaces.markError(reason);
}

const get = <T>(account: TestAccount, path: string) => api<T>("GET", path, { key: account.key });

async function addCodebase(account: TestAccount, ws: string) {
  const created = await api("POST", `/v1/workspaces/${ws}/codebases`, {
    key: account.key,
    body: { name: "repo", source_type: "local", path: "/src/repo" },
  });
  expect(created.status).toBe(201);
}

describe("GET /v1/workspaces/{ws}/status", () => {
  it("Should report a new workspace as running with nothing pending", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const response = await get<StatusReport>(account, `/v1/workspaces/${ws.id}/status`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: ws.id,
      status: "running",
      error_reason: null,
      pending_operation: null,
      last_activity_at: ws.last_activity_at,
      updated_at: ws.updated_at,
    });
  });

  it("Should follow the workspace through stop", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const stopped = await api<WorkspaceBody>("POST", `/v1/workspaces/${ws.id}/stop`, {
      key: account.key,
    });
    const response = await get<StatusReport>(account, `/v1/workspaces/${ws.id}/status`);
    expect(response.body.status).toBe("stopped");
    expect(response.body.updated_at).toBe(stopped.body.updated_at);
    expect(response.body.last_activity_at).toBe(stopped.body.last_activity_at);
  });

  it("Should report the error reason of a workspace in error", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    await markError(account, ws.id, "runtime unreachable");
    const response = await get<StatusReport>(account, `/v1/workspaces/${ws.id}/status`);
    expect(response.status).toBe(200);
    expect(response.body.status).toBe("error");
    expect(response.body.error_reason).toBe("runtime unreachable");
  });

  it("Should answer by slug as well as by id", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const byId = await get<StatusReport>(account, `/v1/workspaces/${ws.id}/status`);
    const bySlug = await get<StatusReport>(account, `/v1/workspaces/${ws.slug}/status`);
    expect(bySlug.status).toBe(200);
    expect(bySlug.body).toEqual(byId.body);
  });
});

describe("GET /v1/workspaces/{ws}/health", () => {
  it("Should report a healthy workspace without details or metrics by default", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const response = await get<Health>(account, `/v1/workspaces/${ws.id}/health`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      workspace_id: ws.id,
      status: "healthy",
      workspace_status: "running",
      checked_at: expect.any(String),
    });
    expect(Number.isNaN(Date.parse(response.body.checked_at))).toBe(false);
  });

  it("Should add each component with its latency when include_details=true", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const response = await get<Health>(
      account,
      `/v1/workspaces/${ws.id}/health?include_details=true`,
    );
    expect(response.status).toBe(200);
    expect(response.body.status).toBe("healthy");
    expect(response.body.metrics).toBeUndefined();
    const components = response.body.components;
    expect(Object.keys(components ?? {}).sort()).toEqual(["durable_object", "index", "storage"]);
    for (const name of ["index", "durable_object", "storage"] as const) {
      const component = components?.[name];
      expect(component, name).toEqual({ status: "up", latency_ms: expect.any(Number) });
      expect(component?.latency_ms).toBeGreaterThanOrEqual(0);
    }
  });

  it("Should add the metrics when include_metrics=true, the same as the metadata", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    await addCodebase(account, ws.id);
    const response = await get<Health>(
      account,
      `/v1/workspaces/${ws.id}/health?include_metrics=true`,
    );
    expect(response.status).toBe(200);
    expect(response.body.components).toBeUndefined();
    const metadata = await get<Summary>(account, `/v1/workspaces/${ws.id}/metadata`);
    expect(response.body.metrics).toEqual(metadata.body);
    expect(response.body.metrics?.codebases).toBe(1);
  });

  it("Should add both when both flags are 1", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const response = await get<Health>(
      account,
      `/v1/workspaces/${ws.id}/health?include_details=1&include_metrics=1`,
    );
    expect(response.status).toBe(200);
    expect(response.body.components?.durable_object.status).toBe("up");
    expect(response.body.metrics?.workspace_id).toBe(ws.id);
  });

  it("Should leave details and metrics out when the flags are false", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const response = await get<Health>(
      account,
      `/v1/workspaces/${ws.id}/health?include_details=false&include_metrics=0`,
    );
    expect(response.status).toBe(200);
    expect(response.body.components).toBeUndefined();
    expect(response.body.metrics).toBeUndefined();
  });

  it("Should be 400 when a flag is not a boolean", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    for (const query of ["include_details=yes", "include_metrics=2"]) {
      const response = await get(account, `/v1/workspaces/${ws.id}/health?${query}`);
      expect(response.status, query).toBe(400);
      expect(expectEnvelope(response.body).code).toBe("invalid_request");
    }
  });

  it("Should report the workspace's own status as workspace_status, staying healthy", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    await api("POST", `/v1/workspaces/${ws.id}/stop`, { key: account.key });
    const stopped = await get<Health>(account, `/v1/workspaces/${ws.slug}/health`);
    expect(stopped.status).toBe(200);
    expect(stopped.body.status).toBe("healthy");
    expect(stopped.body.workspace_status).toBe("stopped");
    await markError(account, ws.id, "boom");
    const failed = await get<Health>(account, `/v1/workspaces/${ws.id}/health`);
    expect(failed.body.workspace_status).toBe("error");
  });
});

describe("GET /v1/workspaces/{ws}/metadata", () => {
  it("Should count a new workspace's two lifecycle events and nothing else", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const response = await get<Summary>(account, `/v1/workspaces/${ws.id}/metadata`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      workspace_id: ws.id,
      threads: 0,
      messages: 0,
      files: 0,
      bytes: 0,
      attachments: 0,
      attachment_bytes: 0,
      runs: 0,
      agents: 0,
      commands: 0,
      codebases: 0,
      lifecycle_events: 2,
      last_activity_at: ws.last_activity_at,
    });
  });

  it("Should count codebases and lifecycle events as they are added and removed", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    await addCodebase(account, ws.id);
    await addCodebase(account, ws.id);
    await api("POST", `/v1/workspaces/${ws.id}/lifecycle-events`, {
      key: account.key,
      body: { event: "note" },
    });
    await api("POST", `/v1/workspaces/${ws.id}/stop`, { key: account.key });
    const response = await get<Summary>(account, `/v1/workspaces/${ws.slug}/metadata`);
    expect(response.status).toBe(200);
    expect(response.body.codebases).toBe(2);
    // created + started + note + stopping + stopped
    expect(response.body.lifecycle_events).toBe(5);

    const list = await get<{ items: { id: string }[] }>(
      account,
      `/v1/workspaces/${ws.id}/codebases`,
    );
    await api("DELETE", `/v1/workspaces/${ws.id}/codebases/${list.body.items[0]?.id}`, {
      key: account.key,
    });
    const after = await get<Summary>(account, `/v1/workspaces/${ws.id}/metadata`);
    expect(after.body.codebases).toBe(1);
  });
});

describe("observation routes and ownership", () => {
  const ROUTES = ["status", "health", "health?include_details=true", "metadata"];

  it("Should be 404 for another account's workspace on every observation route", async () => {
    const owner = await createAccount();
    const other = await createAccount();
    const ws = await createWorkspace(owner);
    for (const route of ROUTES) {
      for (const ref of [ws.id, ws.slug]) {
        const response = await get(other, `/v1/workspaces/${ref}/${route}`);
        expect(response.status, `${route} ${ref}`).toBe(404);
        expect(expectEnvelope(response.body).code).toBe("not_found");
      }
    }
  });

  it("Should be 404 for a workspace that does not exist", async () => {
    const account = await createAccount();
    for (const route of ROUTES) {
      for (const ref of ["ws_00000000000000000000000000", "no-such-slug"]) {
        const response = await get(account, `/v1/workspaces/${ref}/${route}`);
        expect(response.status, `${route} ${ref}`).toBe(404);
      }
    }
  });

  it("Should be 404 on every observation route once the workspace is deleted", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const deleted = await api("DELETE", `/v1/workspaces/${ws.id}`, { key: account.key });
    expect(deleted.status).toBe(204);
    for (const route of ROUTES) {
      const response = await get(account, `/v1/workspaces/${ws.id}/${route}`);
      expect(response.status, route).toBe(404);
    }
  });

  it("Should be 401 without an API key", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    for (const route of ROUTES) {
      const response = await api("GET", `/v1/workspaces/${ws.id}/${route}`);
      expect(response.status, route).toBe(401);
    }
  });
});
