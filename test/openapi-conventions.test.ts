import { beforeAll, describe, expect, it } from "vitest";
import { api, createAccount, createWorkspace, type TestAccount } from "./helpers";

// The OpenAPI document states what the middleware does to every route (idempotency on POST,
// the body limit, JSON bodies only), and the service does what it states.

interface Operation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content?: Record<string, unknown> };
  responses: Record<string, unknown>;
}
type Paths = Record<string, Record<string, Operation>>;

let paths: Paths;
let account: TestAccount;
beforeAll(async () => {
  paths = (await api<{ paths: Paths }>("GET", "/v1/openapi.json")).body.paths;
  account = await createAccount("openapi conventions");
});

const operations = () =>
  Object.entries(paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ path, method, operation })),
  );

describe("the OpenAPI document's conventions", () => {
  it("Should give every POST an Idempotency-Key, with 409 and 422", () => {
    // The MCP transport is JSON-RPC: its messages carry their own ids, and a client that lost
    // an answer resumes the stream with Last-Event-ID (the MCP specification's way) instead.
    const posts = operations().filter(
      ({ method, path }) => method === "post" && !path.endsWith("/mcp"),
    );
    expect(posts.length).toBeGreaterThan(30);
    for (const { path, operation } of posts) {
      const names = (operation.parameters ?? []).map((parameter) => parameter.name);
      expect(names, path).toContain("idempotency-key");
      expect(Object.keys(operation.responses), path).toEqual(
        expect.arrayContaining(["409", "422"]),
      );
    }
  });

  it("Should list 413 for every body, and 415 for every JSON body", () => {
    const withBody = operations().filter(({ operation }) => operation.requestBody?.content);
    expect(withBody.length).toBeGreaterThan(30);
    for (const { path, method, operation } of withBody) {
      const statuses = Object.keys(operation.responses);
      expect(statuses, `${method} ${path}`).toContain("413");
      if (operation.requestBody?.content?.["application/json"]) {
        expect(statuses, `${method} ${path}`).toContain("415");
      }
    }
  });

  it("Should answer 415 for a JSON route sent text, and 422 for a reused key, as documented", async () => {
    const ws = (await createWorkspace(account)).id;
    const asText = await api("POST", `/v1/workspaces/${ws}/commands`, {
      key: account.key,
      body: "trigger=x",
      headers: { "content-type": "text/plain" },
    });
    expect(asText.status).toBe(415);
    expect(paths["/v1/workspaces/{ws}/commands"]?.post?.responses).toHaveProperty("415");
    const first = await api("POST", `/v1/workspaces/${ws}/lifecycle-events`, {
      key: account.key,
      body: { event: "one" },
      headers: { "idempotency-key": "conventions-1" },
    });
    expect(first.status).toBe(201);
    const reused = await api("POST", `/v1/workspaces/${ws}/lifecycle-events`, {
      key: account.key,
      body: { event: "two" },
      headers: { "idempotency-key": "conventions-1" },
    });
    expect(reused.status).toBe(422);
    expect(paths["/v1/workspaces/{ws}/lifecycle-events"]?.post?.responses).toHaveProperty("422");
  });

  it("Should answer 304 to an If-None-Match naming a resource's etag, and document it", async () => {
    const ws = (await createWorkspace(account)).id;
    await api("POST", `/v1/workspaces/${ws}/commands`, {
      key: account.key,
      body: { trigger: "hi", type: "shell", body: "echo hi" },
    });
    await api("PUT", `/v1/workspaces/${ws}/processes/deploy`, {
      key: account.key,
      body: { spec: { phases: [{ tasks: [{ id: "a", kind: "wait", with: { seconds: 0 } }] }] } },
    });
    await api("PUT", `/v1/workspaces/${ws}/role-templates/lead`, { key: account.key, body: {} });
    const resources = [
      ["/v1/workspaces/{ws}", `/v1/workspaces/${ws}`],
      ["/v1/workspaces/{ws}/commands/{trigger}", `/v1/workspaces/${ws}/commands/hi`],
      ["/v1/workspaces/{ws}/processes/{process}", `/v1/workspaces/${ws}/processes/deploy`],
      ["/v1/workspaces/{ws}/role-templates/{role}", `/v1/workspaces/${ws}/role-templates/lead`],
    ];
    for (const [template, path] of resources as [string, string][]) {
      const first = await api("GET", path, { key: account.key });
      const etag = first.headers.get("etag");
      expect(etag, path).toMatch(/^"/);
      const again = await api("GET", path, {
        key: account.key,
        headers: { "if-none-match": etag as string },
      });
      expect(again.status, path).toBe(304);
      expect(again.body, path).toBe("");
      expect(again.headers.get("etag")).toBe(etag);
      const other = await api("GET", path, {
        key: account.key,
        headers: { "if-none-match": '"something-else"' },
      });
      expect(other.status, path).toBe(200);
      const operation = paths[template]?.get;
      expect(Object.keys(operation?.responses ?? {}), template).toContain("304");
      expect(
        (operation?.parameters ?? []).map((p) => p.name),
        template,
      ).toContain("if-none-match");
    }
  });
});
