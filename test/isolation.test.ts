import { beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  api,
  createAccount,
  createWorkspace,
  dispatch,
  expectEnvelope,
  type TestAccount,
  type WorkspaceBody,
} from "./helpers";

// Authentication and tenant isolation, generated from the OpenAPI document: every operation the
// document lists gets its own tests, so a route added later is covered without anyone
// remembering to add it here.

interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minLength?: number;
  minimum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  default?: unknown;
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: JsonSchema;
}

interface Operation {
  security?: Record<string, string[]>[];
  responses?: Record<string, unknown>;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

interface OpenApiDocument {
  security?: Record<string, string[]>[];
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

interface Op {
  method: string;
  path: string;
  name: string;
  scheme: "public" | "adminToken" | "apiKey" | "uploadSignature";
  operation: Operation;
}

const HTTP_METHODS = new Set(["get", "put", "post", "patch", "delete", "head", "options"]);

const docResponse = await api<OpenApiDocument>("GET", "/v1/openapi.json");
if (docResponse.status !== 200) {
  throw new Error(
    `GET /v1/openapi.json: ${docResponse.status} ${JSON.stringify(docResponse.body).slice(0, 500)}`,
  );
}
const doc = docResponse.body;

function schemeOf(operation: Operation): Op["scheme"] {
  const security = operation.security ?? doc.security ?? [];
  if (security.length === 0) return "public";
  const names = new Set(security.flatMap((requirement) => Object.keys(requirement)));
  if (names.size === 0) return "public";
  if (names.has("adminToken") && names.size === 1) return "adminToken";
  if (names.has("apiKey") && names.size === 1) return "apiKey";
  if (names.has("uploadSignature") && names.size === 1) return "uploadSignature";
  throw new Error(`unexpected security ${JSON.stringify(security)}`);
}

const ops: Op[] = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => HTTP_METHODS.has(method))
    .map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      name: `${method.toUpperCase()} ${path}`,
      scheme: schemeOf(operation),
      operation,
    })),
);

const publicOps = ops.filter((op) => op.scheme === "public");
const adminOps = ops.filter((op) => op.scheme === "adminToken");
const keyOps = ops.filter((op) => op.scheme === "apiKey");
/** Routes a signed URL authenticates instead of a key: tested with URLs issued for them. */
const signedOps = ops.filter((op) => op.scheme === "uploadSignature");
const wsOps = keyOps.filter((op) => op.path.includes("{ws}"));
const accountOps = keyOps.filter((op) => !op.path.includes("{ws}"));

// ---------------------------------------------------------------------------------------------
// Minimal valid values synthesized from the document's JSON schemas.

let sequence = 0;
/** Lowercase letters and digits only: fits slugs, event names and most simple patterns. */
const uniqueToken = () => `x${Date.now().toString(36)}${(sequence++).toString(36)}`;

function resolve(schema: JsonSchema): JsonSchema {
  let current = schema;
  for (let depth = 0; current.$ref && depth < 20; depth++) {
    const name = current.$ref.replace("#/components/schemas/", "");
    const target = doc.components?.schemas?.[name];
    if (!target) throw new Error(`unresolved $ref ${current.$ref}`);
    current = target;
  }
  return current;
}

function stringFor(schema: JsonSchema): string {
  const candidates = [
    uniqueToken(),
    "#1e90ff",
    "https://github.com/owner/repo",
    "/tmp",
    "scope:value",
    "a",
    "1",
  ];
  const min = schema.minLength ?? 1;
  for (const candidate of candidates) {
    const value = candidate.length >= min ? candidate : candidate.padEnd(min, "x");
    if (!schema.pattern || new RegExp(schema.pattern).test(value)) return value;
  }
  return "x".repeat(min);
}

function synthesize(raw: JsonSchema, depth = 0): unknown {
  const schema = resolve(raw);
  if (depth > 8) return null;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  const variants = schema.oneOf ?? schema.anyOf;
  if (variants && variants.length > 0) {
    const first = variants.find((v) => resolve(v).type !== "null") ?? variants[0];
    return synthesize(first as JsonSchema, depth + 1);
  }
  if (schema.allOf) {
    return Object.assign(
      {},
      ...schema.allOf.map((part) => synthesize(part, depth + 1) as Record<string, unknown>),
    );
  }
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  const type = types.find((t) => t !== "null") ?? (schema.properties ? "object" : undefined);
  switch (type) {
    case "object": {
      const body: Record<string, unknown> = {};
      for (const key of schema.required ?? []) {
        body[key] = synthesize(schema.properties?.[key] ?? {}, depth + 1);
      }
      return body;
    }
    case "array":
      return Array.from({ length: schema.minItems ?? 0 }, () =>
        synthesize(schema.items ?? {}, depth + 1),
      );
    case "string":
      return stringFor(schema);
    case "integer":
    case "number":
      return Math.max(1, Math.ceil(schema.minimum ?? schema.exclusiveMinimum ?? 1));
    case "boolean":
      return true;
    case "null":
      return null;
    default:
      return "x";
  }
}

/** The smallest process spec that is valid: each task's `with` is checked for its kind, and
 * an approval's is the one that may be empty (the synthesized task, a command, takes `run`). */
const PROCESS_SPEC = { phases: [{ tasks: [{ id: "a", kind: "approval" }] }] };

function bodyFor(op: Op): unknown {
  if (op.method === "PUT" && op.path.endsWith("/processes/{process}"))
    return { spec: PROCESS_SPEC };
  const content = op.operation.requestBody?.content;
  if (!content) return undefined;
  const schema = content["application/json"]?.schema;
  return schema ? synthesize(schema) : {};
}

/** Required query parameters, with synthesized values. */
/** A WebSocket route (it answers 101) is called as an upgrade, as a client would. */
const headersFor = (op: Op): Record<string, string> =>
  op.operation.responses?.["101"] ? { upgrade: "websocket" } : {};

/**
 * The MCP transport's requests name a session (`initialize` made it, as A's client would);
 * without one a GET or DELETE is the specification's 400, which says nothing of isolation.
 */
async function mcpSessionHeaders(
  op: Op,
  account: TestAccount,
  ws: string,
): Promise<Record<string, string>> {
  if (!op.path.endsWith("/mcp")) return {};
  const init = await dispatch(
    new Request(`https://api.test/v1/workspaces/${ws}/mcp`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${account.key}`,
        accept: "application/json, text/event-stream",
        "content-type": "application/json",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: "t", version: "0" },
        },
      }),
    }),
  );
  await init.body?.cancel();
  expect(init.status).toBe(200);
  return {
    "mcp-session-id": init.headers.get("mcp-session-id") as string,
    "mcp-protocol-version": "2025-06-18",
    accept: "application/json, text/event-stream",
  };
}

function queryFor(op: Op): string {
  const search = new URLSearchParams();
  for (const param of op.operation.parameters ?? []) {
    if (param.in === "query" && param.required) {
      search.set(param.name, String(synthesize(param.schema ?? { type: "string" })));
    }
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

function fill(path: string, values: Record<string, string>): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) =>
    encodeURIComponent(values[name] ?? `placeholder-${name}`),
  );
}

const pathParams = (path: string) => [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);

/** Path parameters that are numbers (a part number): a value their schema accepts. */
function numericParams(op: Op): Record<string, string> {
  const values: Record<string, string> = {};
  for (const param of op.operation.parameters ?? []) {
    const type = resolve(param.schema ?? {}).type;
    if (param.in === "path" && (type === "integer" || type === "number")) {
      values[param.name] = String(synthesize(param.schema ?? {}));
    }
  }
  return values;
}

/**
 * Creates, as `account`, the resources an operation's other path parameters name: for
 * `/a/{ws}/things/{id}` it POSTs to `/a/{ws}/things` (when the document has that operation) and
 * takes the new `id`. Parameters it cannot create get a placeholder.
 */
async function childParams(
  account: TestAccount,
  path: string,
  values: Record<string, string>,
): Promise<Record<string, string>> {
  const filled = { ...values };
  const segments = path.split("/");
  for (let i = 0; i < segments.length; i++) {
    const match = segments[i]?.match(/^\{([^}]+)\}$/);
    const name = match?.[1];
    if (!name || filled[name]) continue;
    const collection = segments.slice(0, i).join("/");
    const create = doc.paths[collection]?.post;
    if (!create) continue;
    const createOp: Op = {
      method: "POST",
      path: collection,
      name: `POST ${collection}`,
      scheme: "apiKey",
      operation: create,
    };
    // A raw-bytes upload (a file, an attachment) is sent a small text file declared as one.
    const raw = create.requestBody && !create.requestBody.content?.["application/json"];
    const body = raw ? null : ((bodyFor(createOp) ?? {}) as Record<string, unknown>);
    // An agent is spawned for a role that exists: its template is stored first.
    if (collection.endsWith("/agents") && typeof body?.role === "string") {
      const templates = fill(collection.replace(/\/agents$/, "/role-templates"), filled);
      const template = await api("PUT", `${templates}/${body.role}`, {
        key: account.key,
        body: { default_task: "isolation fixture" },
      });
      expect(template.status, "storing the fixture's role template").toBe(200);
    }
    // A run is created from a saved definition: one is stored first, and names the process.
    if (collection.endsWith("/processes/{process}/runs")) {
      filled.process ??= uniqueToken();
      const definition = await api("PUT", fill(collection.replace(/\/runs$/, ""), filled), {
        key: account.key,
        body: { spec: PROCESS_SPEC },
      });
      expect(definition.status, "storing the fixture's process definition").toBeLessThan(300);
    }
    const created = await api<Record<string, unknown>>(
      "POST",
      fill(collection, filled) + queryFor(createOp),
      raw
        ? {
            key: account.key,
            body: "isolation fixture\n",
            headers: { "content-type": "text/plain" },
          }
        : { key: account.key, body: body ?? {} },
    );
    expect(created.status, `creating a child at ${collection}`).toBeLessThan(300);
    // A child is named by the field the parameter is named after (`upload_id`), its id, (a
    // file) its path, or (an attachment) its given name.
    const id = created.body[name] ?? created.body.id ?? created.body.path ?? created.body.name;
    if (typeof id === "string") filled[name] = id;
  }
  return filled;
}

async function expect401(response: { status: number; headers: Headers; body: unknown }) {
  expect(response.status).toBe(401);
  // A HEAD answer has the status and headers of the GET, without its body.
  if (response.body !== "") expect(expectEnvelope(response.body).code).toBe("unauthorized");
  expect(response.headers.get("www-authenticate") ?? "").toMatch(/^Bearer\b/);
}

function expectNotFoundWithoutLeak(
  response: { status: number; body: unknown },
  workspace: WorkspaceBody,
  label: string,
) {
  expect(response.status, `${label}: ${JSON.stringify(response.body)}`).toBe(404);
  if (label.split(" ")[1] === "HEAD") return; // no body to look into
  expect(expectEnvelope(response.body).code).toBe("not_found");
  const text = JSON.stringify(response.body);
  expect(text).not.toContain(workspace.id);
  expect(text).not.toContain(workspace.name);
}

/** A's workspace as A sees it: still there, with the same etag. */
async function expectUnchanged(owner: TestAccount, before: WorkspaceBody) {
  const after = await api<WorkspaceBody>("GET", `/v1/workspaces/${before.id}`, {
    key: owner.key,
  });
  expect(after.status).toBe(200);
  expect(after.body.etag).toBe(before.etag);
  expect(after.body.name).toBe(before.name);
  expect(after.body.status).toBe(before.status);
}

const secretName = () => `Secret of A ${uniqueToken()}`;
/** Well-formed (`wsk_` + 43 base64url characters) but issued to no one. */
const unknownKey = () =>
  `wsk_${"A".repeat(20)}${crypto.randomUUID().replace(/-/g, "").slice(0, 23)}`;

// ---------------------------------------------------------------------------------------------

describe("the OpenAPI document", () => {
  it("Should list operations of every kind", () => {
    expect(adminOps.length).toBeGreaterThan(0);
    expect(wsOps.length).toBeGreaterThan(0);
    expect(accountOps.length).toBeGreaterThan(0);
  });

  it("Should make exactly GET /health public", () => {
    expect(publicOps.map((op) => op.name).sort()).toEqual(["GET /health"]);
  });

  it("Should secure everything under /v1/admin with the admin token, and nothing else", () => {
    for (const op of ops) {
      if (op.path.startsWith("/v1/admin/")) expect(op.scheme, op.name).toBe("adminToken");
      else expect(op.scheme, op.name).not.toBe("adminToken");
    }
  });

  it("Should answer GET /health without a key", async () => {
    const response = await api("GET", "/health");
    expect(response.status).toBe(200);
  });
});

describe.each(adminOps.map((op) => [op.name, op] as const))("admin %s", (_name, op) => {
  const path = fill(op.path, {}) + queryFor(op);
  const body = bodyFor(op);

  it("Should answer 401 without the admin token", async () => {
    await expect401(await api(op.method, path, { body }));
  });

  it("Should answer 401 to an account API key, a wrong token and a malformed header", async () => {
    const account = await createAccount();
    await expect401(await api(op.method, path, { key: account.key, body }));
    await expect401(await api(op.method, path, { key: `${ADMIN_TOKEN}-wrong`, body }));
    await expect401(
      await api(op.method, path, { body, headers: { authorization: `Basic ${ADMIN_TOKEN}` } }),
    );
  });
});

describe.each(keyOps.map((op) => [op.name, op] as const))("api-key %s", (_name, op) => {
  const path = fill(op.path, { ws: "ws_00000000000000000000000000" }) + queryFor(op);
  const body = bodyFor(op);

  it("Should answer 401 without Authorization", async () => {
    await expect401(await api(op.method, path, { body }));
  });

  it("Should answer 401 to a malformed key", async () => {
    await expect401(await api(op.method, path, { key: "nope", body }));
    await expect401(await api(op.method, path, { body, headers: { authorization: "Bearer" } }));
    await expect401(
      await api(op.method, path, { body, headers: { authorization: `Basic ${unknownKey()}` } }),
    );
  });

  it("Should answer 401 to a well-formed but unknown key", async () => {
    const key = unknownKey();
    expect(key).toMatch(/^wsk_[A-Za-z0-9_-]{43}$/);
    await expect401(await api(op.method, path, { key, body }));
  });

  it("Should answer 401 to the admin token", async () => {
    await expect401(await api(op.method, path, { key: ADMIN_TOKEN, body }));
  });
});

describe.each(signedOps.map((op) => [op.name, op] as const))("signed-url %s", (_name, op) => {
  // The URL is issued by the POST on the route's collection (`…/uploads` for `…/uploads/{id}`).
  const collection = op.path.slice(0, op.path.lastIndexOf("/"));
  const issue = async (account: TestAccount, ws: string) => {
    const create = doc.paths[collection]?.post;
    expect(create, `POST ${collection}`).toBeDefined();
    const createOp: Op = {
      method: "POST",
      path: collection,
      name: `POST ${collection}`,
      scheme: "apiKey",
      operation: create as Operation,
    };
    const issued = await api<{ url: string; path: string }>("POST", fill(collection, { ws }), {
      key: account.key,
      body: bodyFor(createOp),
    });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    return { url: new URL(issued.body.url), path: issued.body.path };
  };
  const send = (url: URL | string, headers: Record<string, string> = {}) =>
    dispatch(
      new Request(url, {
        method: op.method,
        headers: { "content-length": "1", ...headers },
        body: "a",
      }),
    );

  it("Should answer 401 without the signature, even to a valid API key", async () => {
    const account = await createAccount();
    const workspace = await createWorkspace(account);
    const { url, path } = await issue(account, workspace.id);
    const bare = new URL(url.pathname, url.origin);
    for (const headers of [{}, { authorization: `Bearer ${account.key}` }] as Record<
      string,
      string
    >[]) {
      const response = await send(bare, headers);
      expect(response.status).toBe(401);
      expect(expectEnvelope(await response.json()).code).toBe("unauthorized");
    }
    expect(
      (await api("GET", `/v1/workspaces/${workspace.id}/files/${path}`, { key: account.key }))
        .status,
    ).toBe(404);
  });

  it("Should answer 403 to a changed signature and to another account's workspace", async () => {
    const [a, b] = await Promise.all([createAccount("A"), createAccount("B")]);
    const mine = await createWorkspace(a);
    const theirs = await createWorkspace(b);
    const { url, path } = await issue(a, mine.id);
    const forged = new URL(url);
    const sig = forged.searchParams.get("sig") ?? "";
    forged.searchParams.set("sig", (sig[0] === "A" ? "B" : "A") + sig.slice(1));
    const elsewhere = new URL(url.toString().replace(mine.id, theirs.id));
    for (const target of [forged, elsewhere]) {
      const response = await send(target);
      expect(response.status, target.toString()).toBe(403);
      expect(expectEnvelope(await response.json()).code).toBe("forbidden");
    }
    expect(
      (await api("GET", `/v1/workspaces/${mine.id}/files/${path}`, { key: a.key })).status,
    ).toBe(404);
    expect(
      (await api("GET", `/v1/workspaces/${theirs.id}/files/${path}`, { key: b.key })).status,
    ).toBe(404);
    // Control: the URL as issued is accepted, so the refusals came from the signature.
    expect((await send(url)).status).toBeLessThan(300);
  });
});

describe("cross-account isolation", () => {
  let a: TestAccount;
  let b: TestAccount;
  beforeAll(async () => {
    [a, b] = await Promise.all([createAccount("account A"), createAccount("account B")]);
  });

  describe.each(wsOps.map((op) => [op.name, op] as const))("%s", (_name, op) => {
    it("Should answer 404 to another account, by id and by slug, and change nothing", async () => {
      const workspace = await createWorkspace(a, { name: secretName() });
      const values = await childParams(a, op.path, { ws: workspace.id, ...numericParams(op) });
      // Creating children may have changed the etag: take the state B's calls must not change.
      const before = (
        await api<WorkspaceBody>("GET", `/v1/workspaces/${workspace.id}`, { key: a.key })
      ).body;
      const body = bodyFor(op);
      const headers = { ...headersFor(op), ...(await mcpSessionHeaders(op, a, workspace.id)) };
      for (const ref of [workspace.id, workspace.slug]) {
        const path = fill(op.path, { ...values, ws: ref }) + queryFor(op);
        const response = await api(op.method, path, { key: b.key, body, headers });
        expectNotFoundWithoutLeak(response, before, `B ${op.method} ${path}`);
      }
      await expectUnchanged(a, before);
      // The children A made are still A's.
      for (const name of pathParams(op.path)) {
        if (name === "ws" || !values[name]) continue;
        const prefix = op.path.slice(0, op.path.indexOf(`{${name}}`) + name.length + 2);
        if (!doc.paths[prefix]?.get) continue;
        const child = await api("GET", fill(prefix, values), { key: a.key });
        expect(child.status, `A GET ${prefix}`).toBe(200);
        // A JSON resource names itself; a file's GET answers its bytes instead.
        if (child.headers.get("content-type")?.includes("json")) {
          expect(JSON.stringify(child.body)).toContain(values[name]);
        }
      }
      // Control: the very same request from A is accepted (or refused for its state, e.g. a
      // 409), so B's 404 came from isolation, not from a body or path that fails validation.
      const own = await api(op.method, fill(op.path, values) + queryFor(op), {
        key: a.key,
        body,
        headers,
      });
      expect(own.status, `A ${op.method}: ${JSON.stringify(own.body)}`).toBeLessThan(500);
      expect([400, 401, 403]).not.toContain(own.status);
      // A 404 is allowed only for something inside the workspace the synthesized body names
      // (e.g. a file to move that does not exist), never for the workspace itself.
      if (own.status === 404) {
        expect(expectEnvelope(own.body).message).not.toMatch(/workspace/i);
      }
    });
  });

  describe.each(accountOps.map((op) => [op.name, op] as const))("%s", (_name, op) => {
    it("Should never show B anything of A's", async () => {
      const workspace = await createWorkspace(a, { name: secretName(), tags: [] });
      const response = await api(op.method, fill(op.path, {}) + queryFor(op), {
        key: b.key,
        body: bodyFor(op),
      });
      expect(response.status).toBeLessThan(500);
      expect(JSON.stringify(response.body)).not.toContain(workspace.id);
      expect(JSON.stringify(response.body)).not.toContain(workspace.name);

      for (const query of [
        "",
        `?q=${encodeURIComponent(workspace.name)}`,
        `?q=${workspace.slug}`,
        "?status=running",
        "?limit=100",
      ]) {
        const list = await api<{ items: WorkspaceBody[]; total: number }>(
          "GET",
          `/v1/workspaces${query}`,
          { key: b.key },
        );
        expect(list.status).toBe(200);
        expect(list.body.items.map((item) => item.id)).not.toContain(workspace.id);
        for (const item of list.body.items) expect(item.account_id).toBe(b.accountId);
        if (query.startsWith("?q=")) expect(list.body.total).toBe(0);
      }
      await expectUnchanged(a, workspace);
    });
  });

  it("Should let B reuse A's slug, and resolve it to B's own workspace", async () => {
    const mine = await createWorkspace(a, { name: secretName() });
    const theirs = await createWorkspace(b, { name: "B's own", slug: mine.slug });
    expect(theirs.id).not.toBe(mine.id);
    const bySlug = await api<WorkspaceBody>("GET", `/v1/workspaces/${mine.slug}`, { key: b.key });
    expect(bySlug.status).toBe(200);
    expect(bySlug.body.id).toBe(theirs.id);
    const deleted = await api("DELETE", `/v1/workspaces/${mine.slug}`, { key: b.key });
    expect(deleted.status).toBe(204);
    await expectUnchanged(a, mine);
  });
});

describe("runner tokens", () => {
  let a: TestAccount;
  beforeAll(async () => {
    a = await createAccount("runner owner");
  });

  async function runnerToken(workspace: WorkspaceBody): Promise<string> {
    const rotated = await api<{ token: string }>(
      "POST",
      `/v1/workspaces/${workspace.id}/runner-token`,
      { key: a.key },
    );
    expect(rotated.status).toBe(201);
    expect(rotated.body.token).toMatch(/^wsr_/);
    return rotated.body.token;
  }

  describe.each(wsOps.map((op) => [op.name, op] as const))("%s", (_name, op) => {
    it("Should answer 404 to the runner token of another workspace of the same account", async () => {
      const own = await createWorkspace(a, { name: secretName() });
      const other = await createWorkspace(a, { name: secretName() });
      const token = await runnerToken(own);
      const values = await childParams(a, op.path, { ws: other.id, ...numericParams(op) });
      const before = (await api<WorkspaceBody>("GET", `/v1/workspaces/${other.id}`, { key: a.key }))
        .body;
      const body = bodyFor(op);
      for (const ref of [other.id, other.slug]) {
        const path = fill(op.path, { ...values, ws: ref }) + queryFor(op);
        const response = await api(op.method, path, { key: token, body });
        expectNotFoundWithoutLeak(response, before, `runner ${op.method} ${path}`);
      }
      await expectUnchanged(a, before);
    });
  });

  describe.each(accountOps.map((op) => [op.name, op] as const))("%s", (_name, op) => {
    it("Should answer 403 to a runner token", async () => {
      const own = await createWorkspace(a, { name: secretName() });
      const token = await runnerToken(own);
      const response = await api(op.method, fill(op.path, {}) + queryFor(op), {
        key: token,
        body: bodyFor(op),
      });
      expect(response.status).toBe(403);
      expect(expectEnvelope(response.body).code).toBe("forbidden");
    });
  });

  it("Should let a runner token read its own workspace", async () => {
    const own = await createWorkspace(a, { name: secretName() });
    const token = await runnerToken(own);
    const response = await api<WorkspaceBody>("GET", `/v1/workspaces/${own.id}`, { key: token });
    expect(response.status).toBe(200);
    expect(response.body.id).toBe(own.id);
  });
});

describe("coverage", () => {
  it("Should generate a case for every operation in the document", () => {
    const covered = new Set(
      [...publicOps, ...adminOps, ...keyOps, ...signedOps].map((op) => op.name),
    );
    expect(covered.size).toBe(ops.length);
    expect(wsOps.map((op) => op.name)).toContain("DELETE /v1/workspaces/{ws}");
  });

  it("Should synthesize a body for every operation that takes one", () => {
    for (const op of ops) {
      if (op.operation.requestBody) expect(bodyFor(op), op.name).toBeTypeOf("object");
    }
  });

  it("Should synthesize a value matching a simple pattern", () => {
    expect(stringFor({ pattern: "^[a-z0-9-]{1,63}$" })).toMatch(/^[a-z0-9-]{1,63}$/);
    expect(stringFor({ pattern: "^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$" })).toBe("#1e90ff");
  });
});
