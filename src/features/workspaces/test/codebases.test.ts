import { describe, expect, it } from "vitest";
import {
  api,
  createAccount,
  createWorkspace,
  expectEnvelope,
  type TestAccount,
  type WorkspaceBody,
} from "../../../../test/helpers";

interface Codebase {
  id: string;
  name: string;
  source_type: "local" | "github";
  path: string | null;
  url: string | null;
  branch: string | null;
  created_at: string;
}

const LOCAL = { name: "backend", source_type: "local", path: "/home/dev/backend" };
const GITHUB = {
  name: "frontend",
  source_type: "github",
  url: "https://github.com/acme/frontend",
  branch: "main",
};

function add(account: TestAccount, ws: string, body: unknown) {
  return api<Codebase>("POST", `/v1/workspaces/${ws}/codebases`, { key: account.key, body });
}

async function addOk(account: TestAccount, ws: string, body: unknown): Promise<Codebase> {
  const created = await add(account, ws, body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

async function list(account: TestAccount, ws: string): Promise<Codebase[]> {
  const response = await api<{ items: Codebase[] }>("GET", `/v1/workspaces/${ws}/codebases`, {
    key: account.key,
  });
  expect(response.status).toBe(200);
  return response.body.items;
}

describe("adding codebases", () => {
  it("Should add a local codebase with its path and answer 201", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const created = await add(account, ws.id, LOCAL);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^cb_[0-9a-z]{26}$/),
      name: "backend",
      source_type: "local",
      path: "/home/dev/backend",
      url: null,
      branch: null,
      created_at: expect.any(String),
    });
    expect(Number.isNaN(Date.parse(created.body.created_at))).toBe(false);
  });

  it("Should add a github codebase with its url and branch", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const created = await add(account, ws.id, GITHUB);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: "frontend",
      source_type: "github",
      path: null,
      url: "https://github.com/acme/frontend",
      branch: "main",
    });
  });

  it("Should add a local codebase with a branch", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const created = await addOk(account, ws.id, { ...LOCAL, branch: "feature/x" });
    expect(created.branch).toBe("feature/x");
  });

  it.each([
    "https://github.com/acme/repo.git",
    "https://github.com/acme/repo/",
    "https://github.com/Acme-Org/my.repo_name",
  ])("Should accept the github url %s", async (url) => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const created = await addOk(account, ws.id, { name: "r", source_type: "github", url });
    expect(created.url).toBe(url);
  });

  it("Should trim the name", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const created = await addOk(account, ws.id, { ...LOCAL, name: "  padded  " });
    expect(created.name).toBe("padded");
  });

  it.each([
    ["a local codebase without a path", { name: "x", source_type: "local" }],
    ["a local codebase with an empty path", { name: "x", source_type: "local", path: "" }],
    [
      "a local codebase with a url",
      { name: "x", source_type: "local", path: "/p", url: "https://github.com/a/b" },
    ],
    ["a github codebase without a url", { name: "x", source_type: "github" }],
    [
      "a github codebase with a path",
      { name: "x", source_type: "github", url: "https://github.com/a/b", path: "/p" },
    ],
    [
      "a github codebase with a gitlab url",
      { name: "x", source_type: "github", url: "https://gitlab.com/a/b" },
    ],
    [
      "a github codebase over http",
      { name: "x", source_type: "github", url: "http://github.com/a/b" },
    ],
    [
      "a github codebase with only an owner",
      { name: "x", source_type: "github", url: "https://github.com/acme" },
    ],
    [
      "a github codebase pointing into a repo",
      { name: "x", source_type: "github", url: "https://github.com/acme/repo/tree/main" },
    ],
    [
      "a github codebase on a look-alike host",
      { name: "x", source_type: "github", url: "https://github.com.evil.io/a/b" },
    ],
    ["an unknown source_type", { name: "x", source_type: "svn", path: "/p" }],
    ["a missing source_type", { name: "x", path: "/p" }],
    ["a missing name", { source_type: "local", path: "/p" }],
    ["an empty name", { name: "", source_type: "local", path: "/p" }],
    ["a blank name", { name: "   ", source_type: "local", path: "/p" }],
    ["a name of 256 characters", { name: "n".repeat(256), source_type: "local", path: "/p" }],
    ["an empty branch", { ...LOCAL, branch: "" }],
    ["a null branch", { ...LOCAL, branch: null }],
    ["an extra field", { ...LOCAL, owner: "me" }],
    ["an array body", [LOCAL]],
  ])("Should be 400 when adding %s", async (_label, body) => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const response = await add(account, ws.id, body);
    expect(response.status).toBe(400);
    expect(expectEnvelope(response.body).code).toBe("invalid_request");
    expect(await list(account, ws.id)).toEqual([]);
  });

  it("Should be 400 when the body is not JSON", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const response = await add(account, ws.id, "{oops");
    expect(response.status).toBe(400);
    expectEnvelope(response.body);
  });

  it("Should be 409 when a workspace already holds 100 codebases", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    for (let i = 0; i < 100; i++) {
      await addOk(account, ws.id, { ...LOCAL, name: `cb-${i}` });
    }
    const response = await add(account, ws.id, LOCAL);
    expect(response.status).toBe(409);
    expect(expectEnvelope(response.body).code).toBe("conflict");
    expect(await list(account, ws.id)).toHaveLength(100);
  });
});

describe("reading and removing codebases", () => {
  it("Should list the workspace's codebases", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    expect(await list(account, ws.id)).toEqual([]);
    const a = await addOk(account, ws.id, LOCAL);
    const b = await addOk(account, ws.id, GITHUB);
    const items = await list(account, ws.id);
    expect(items).toHaveLength(2);
    expect(items).toEqual(expect.arrayContaining([a, b]));
  });

  it("Should get one codebase", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const created = await addOk(account, ws.id, GITHUB);
    const got = await api<Codebase>("GET", `/v1/workspaces/${ws.id}/codebases/${created.id}`, {
      key: account.key,
    });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created);
  });

  it("Should include the codebases in the workspace", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const empty = await api<WorkspaceBody>("GET", `/v1/workspaces/${ws.id}`, {
      key: account.key,
    });
    expect(empty.body.codebases).toEqual([]);
    const a = await addOk(account, ws.id, LOCAL);
    const b = await addOk(account, ws.id, GITHUB);
    const got = await api<WorkspaceBody>("GET", `/v1/workspaces/${ws.slug}`, { key: account.key });
    expect(got.status).toBe(200);
    expect(got.body.codebases).toHaveLength(2);
    expect(got.body.codebases).toEqual(expect.arrayContaining([a, b]));
  });

  it("Should not change the workspace's etag when codebases change", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    await addOk(account, ws.id, LOCAL);
    const got = await api<WorkspaceBody>("GET", `/v1/workspaces/${ws.id}`, { key: account.key });
    expect(got.body.etag).toBe(ws.etag);
  });

  it("Should delete a codebase with 204, then answer 404 for it", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const keep = await addOk(account, ws.id, LOCAL);
    const gone = await addOk(account, ws.id, GITHUB);
    const path = `/v1/workspaces/${ws.id}/codebases/${gone.id}`;
    const deleted = await api("DELETE", path, { key: account.key });
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBe("");

    const got = await api("GET", path, { key: account.key });
    expect(got.status).toBe(404);
    expect(expectEnvelope(got.body).code).toBe("not_found");
    const again = await api("DELETE", path, { key: account.key });
    expect(again.status).toBe(404);
    expect(await list(account, ws.id)).toEqual([keep]);
  });

  it("Should be 404 for a codebase id that does not exist", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    for (const method of ["GET", "DELETE"]) {
      const response = await api(method, `/v1/workspaces/${ws.id}/codebases/cb_nope`, {
        key: account.key,
      });
      expect(response.status, method).toBe(404);
      expectEnvelope(response.body);
    }
  });

  it("Should be 400 for a codebase id longer than 64 characters", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const response = await api("GET", `/v1/workspaces/${ws.id}/codebases/${"c".repeat(65)}`, {
      key: account.key,
    });
    expect(response.status).toBe(400);
  });

  it("Should not reach a codebase through another workspace of the same account", async () => {
    const account = await createAccount();
    const a = await createWorkspace(account);
    const b = await createWorkspace(account);
    const codebase = await addOk(account, a.id, LOCAL);
    const path = `/v1/workspaces/${b.id}/codebases/${codebase.id}`;
    expect((await api("GET", path, { key: account.key })).status).toBe(404);
    expect((await api("DELETE", path, { key: account.key })).status).toBe(404);
    expect(await list(account, b.id)).toEqual([]);
    expect(await list(account, a.id)).toEqual([codebase]);
  });

  it("Should work by slug on every codebase route", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const created = await addOk(account, ws.slug, LOCAL);
    expect(await list(account, ws.slug)).toEqual([created]);
    const path = `/v1/workspaces/${ws.slug}/codebases/${created.id}`;
    const got = await api<Codebase>("GET", path, { key: account.key });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created);
    expect((await api("DELETE", path, { key: account.key })).status).toBe(204);
    expect(await list(account, ws.id)).toEqual([]);
  });
});

describe("codebases and ownership", () => {
  it("Should be 404 on every codebase route for another account's workspace", async () => {
    const owner = await createAccount();
    const other = await createAccount();
    const ws = await createWorkspace(owner);
    const codebase = await addOk(owner, ws.id, LOCAL);
    for (const ref of [ws.id, ws.slug]) {
      const requests: [string, string, unknown?][] = [
        ["GET", `/v1/workspaces/${ref}/codebases`],
        ["POST", `/v1/workspaces/${ref}/codebases`, GITHUB],
        ["GET", `/v1/workspaces/${ref}/codebases/${codebase.id}`],
        ["DELETE", `/v1/workspaces/${ref}/codebases/${codebase.id}`],
      ];
      for (const [method, path, body] of requests) {
        const response = await api(method, path, { key: other.key, body });
        expect(response.status, `${method} ${path}`).toBe(404);
        expect(expectEnvelope(response.body).code).toBe("not_found");
      }
    }
    expect(await list(owner, ws.id)).toEqual([codebase]);
  });

  it("Should be 404 once the workspace is deleted", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const codebase = await addOk(account, ws.id, LOCAL);
    expect((await api("DELETE", `/v1/workspaces/${ws.id}`, { key: account.key })).status).toBe(204);
    const listed = await api("GET", `/v1/workspaces/${ws.id}/codebases`, { key: account.key });
    expect(listed.status).toBe(404);
    const got = await api("GET", `/v1/workspaces/${ws.id}/codebases/${codebase.id}`, {
      key: account.key,
    });
    expect(got.status).toBe(404);
    expect((await add(account, ws.id, LOCAL)).status).toBe(404);
  });

  it("Should be 401 without an API key", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account);
    const response = await api("GET", `/v1/workspaces/${ws.id}/codebases`);
    expect(response.status).toBe(401);
  });
});
