import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  createAccount,
  createWorkspace,
  dispatch,
  type TestAccount,
  type WorkspaceBody,
} from "./helpers";

// Property tests for the workspace routes: whatever a client sends (random JSON, near-valid
// workspace bodies, non-JSON bodies, random query strings and workspace refs) the API never
// answers with a 5xx, and every 4xx is the error envelope with the code its status implies.

const CODE_BY_STATUS: Record<number, string> = {
  400: "invalid_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  412: "precondition_failed",
  413: "too_large",
  415: "unsupported_media_type",
  422: "unprocessable",
};

const RUNS = 70;
const TIMEOUT = 60_000;
const BASE = "https://api.test";

interface Sent {
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

/** Sends a request as-is (no content-type is added) and parses a JSON answer. */
async function send(request: Sent): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await dispatch(
    new Request(`${BASE}${request.path}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    }),
  );
  const text = await response.text();
  let body: unknown = text;
  if (response.headers.get("content-type")?.includes("json") && text) {
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`${describeSent(request)} → ${response.status} with broken JSON: ${text}`);
    }
  }
  return { status: response.status, headers: response.headers, body };
}

function describeSent(request: Sent): string {
  const body = request.body === undefined ? "" : ` body=${request.body.slice(0, 300)}`;
  return `${request.method} ${request.path.slice(0, 300)}${body}`;
}

/** The property: no 5xx, and a 4xx is `{error:{code,message,request_id}}` matching its status. */
function checkAnswer(request: Sent, response: { status: number; headers: Headers; body: unknown }) {
  const where = `${describeSent(request)} → ${response.status} ${JSON.stringify(response.body).slice(0, 300)}`;
  if (response.status >= 500) throw new Error(`5xx: ${where}`);
  if (response.status >= 400) {
    const expected = CODE_BY_STATUS[response.status];
    if (!expected) throw new Error(`unexpected status: ${where}`);
    const error = (response.body as { error?: Record<string, unknown> } | null)?.error;
    if (
      !error ||
      typeof error.code !== "string" ||
      typeof error.message !== "string" ||
      typeof error.request_id !== "string"
    ) {
      throw new Error(`not an error envelope: ${where}`);
    }
    if (error.code !== expected) throw new Error(`code ${error.code} for status: ${where}`);
    if (!response.headers.get("content-type")?.includes("application/json")) {
      throw new Error(`error without a JSON content-type: ${where}`);
    }
    if (response.status === 405 && !response.headers.get("allow")) {
      throw new Error(`405 without Allow: ${where}`);
    }
  } else if (response.status >= 300) {
    throw new Error(`unexpected redirect: ${where}`);
  }
}

/** GET as `key`, through the same direct dispatch (so it does not slow the file down). */
async function get<T>(key: string, path: string): Promise<{ status: number; body: T }> {
  const response = await send({ method: "GET", path, headers: { authorization: `Bearer ${key}` } });
  return { status: response.status, body: response.body as T };
}

async function roundTrip(request: Sent) {
  const response = await send(request);
  checkAnswer(request, response);
  return response;
}

const json = (key: string, method: string, path: string, body: unknown, extra = {}): Sent => ({
  method,
  path,
  body: JSON.stringify(body),
  headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...extra },
});

// ---------------------------------------------------------------------------------------------
// Arbitraries

const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }), // includes lone surrogates
  fc.string({ minLength: 250, maxLength: 300 }),
  fc.string({ minLength: 990, maxLength: 1100 }),
  fc.constantFrom("", " ", "   ", "\u0000", "'; DROP TABLE workspaces; --", "%", "_", "\\", "null"),
);

const anyScalar = fc.oneof(
  anyString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -1, 0, 1e308),
);

/** Any field value: mostly scalars, sometimes arrays and objects. */
const anyValue = fc.oneof(
  { weight: 4, arbitrary: anyScalar },
  { weight: 1, arbitrary: fc.array(anyScalar, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

const validSlug = fc.stringMatching(/^[a-z0-9-]{1,63}$/);
const slugish = fc.oneof(
  validSlug,
  fc.stringMatching(/^[a-z0-9-]{64,200}$/),
  fc.stringMatching(/^[A-Za-z0-9_ -]{1,40}$/),
  anyString,
);

const color = fc.oneof(
  fc.stringMatching(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/),
  fc.constantFrom("red", "#12345", "#ggg", "1e90ff", "#1e90ff ", ""),
  anyString,
);

const tag = fc.oneof(
  fc.record({
    scope: fc.stringMatching(/^[^:]{1,64}$/),
    value: fc.string({ minLength: 1, maxLength: 256 }),
  }),
  fc.record({ scope: anyValue, value: anyValue }, { requiredKeys: [] }),
  fc.constantFrom("team:platform", { scope: "a:b", value: "c" }, { scope: "", value: "" }),
  anyValue,
);

const nested = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    anyScalar,
    fc.dictionary(fc.string({ maxLength: 10 }), tie("node"), { maxKeys: 4 }),
    fc.array(tie("node"), { maxLength: 4 }),
  ),
})).node;

const metadata = fc.oneof(
  fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 8 }),
  fc.dictionary(fc.string({ maxLength: 10 }), nested, { maxKeys: 5 }),
  fc.integer({ min: 15_000, max: 70_000 }).map((size) => ({ big: "x".repeat(size) })),
  fc.constant({ ["k".repeat(20_000)]: 1 }),
  anyValue,
);

const workspaceFields = {
  name: fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), anyValue),
  slug: fc.oneof(slugish, anyValue),
  description: fc.oneof(anyString, anyValue),
  mode: anyValue,
  color: fc.oneof(color, anyValue),
  tags: fc.oneof(
    fc.array(tag, { maxLength: 8 }),
    fc.array(tag, { minLength: 49, maxLength: 60 }),
    anyValue,
  ),
  metadata,
  config: metadata,
  template_id: anyValue,
  template_version: anyValue,
  repo_path: anyValue,
  branch: anyValue,
  cwd: anyValue,
  machine_id: anyValue,
  status: fc.constantFrom("running", "archived", "deleted"),
  id: fc.constantFrom("ws_00000000000000000000000000", "x"),
  account_id: fc.string(),
};

const nearValidWorkspace = fc.record(workspaceFields, { requiredKeys: [] });
/** Every value valid: these bodies should mostly be accepted. */
const validWorkspace = fc.record(
  {
    name: fc.string({ minLength: 1, maxLength: 60 }).filter((s) => s.trim().length > 0),
    slug: validSlug,
    description: fc.string({ maxLength: 100 }),
    color: fc.stringMatching(/^#[0-9a-f]{6}$/),
    tags: fc.array(
      fc.record({
        scope: fc.stringMatching(/^[a-z]{1,8}$/),
        value: fc.string({ minLength: 1, maxLength: 20 }),
      }),
      { maxLength: 3 },
    ),
    metadata: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), {
      maxKeys: 4,
    }),
  },
  { requiredKeys: ["name"] },
);

const anyBody = fc.oneof(
  { weight: 2, arbitrary: fc.jsonValue() },
  { weight: 2, arbitrary: fc.object() },
  { weight: 4, arbitrary: nearValidWorkspace },
  { weight: 3, arbitrary: validWorkspace },
);

/** Workspace refs for the path: random text, id-shaped and slug-shaped strings. */
const wsRef = fc.oneof(
  anyString.filter((s) => s.length > 0),
  fc.stringMatching(/^ws_[0-9a-z]{26}$/),
  fc.stringMatching(/^ws_[0-9A-Za-z_]{0,40}$/),
  slugish,
  fc.constantFrom("..", ".", "%2F", "a%2Fb", "%", "%zz", "%E0%A4%A", "x".repeat(5000)),
);
/** Some refs are used raw (possibly malformed %-escapes), most are encoded. */
const wsPathRef = fc.oneof(
  wsRef.map((ref) => encodeURIComponent(ref)),
  fc.constantFrom("%", "%zz", "%E0%A4%A", "%00", "a%2Fb", "..%2F..", "%ff%fe"),
);

const queryKey = fc.oneof(
  fc.constantFrom("status", "tag", "q", "limit", "cursor", "order", "include_details"),
  fc.string({ maxLength: 10 }),
);
const b64 = (text: string) =>
  btoa(unescape(encodeURIComponent(text)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
const queryValue = fc.oneof(
  anyString,
  fc.constantFrom("running", "archived", "stopped", "bogus", "asc", "desc", "true", "1", "yes"),
  fc.constantFrom(
    "0",
    "-1",
    "100",
    "101",
    "1e309",
    "99999999999999999999999",
    "NaN",
    "1.5",
    "0x10",
  ),
  fc.integer().map(String),
  fc.stringMatching(/^[a-z]{1,8}:[a-z]{1,8}$/),
  fc.jsonValue().map((value) => b64(JSON.stringify(value))),
  fc
    .oneof(fc.string(), fc.integer(), fc.constant(null))
    .map((id) => b64(JSON.stringify({ id, after: id }))),
  fc.string({ maxLength: 600 }),
);
/** A query string: encoded pairs, or (sometimes) raw text with malformed escapes. */
const queryString = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.array(fc.tuple(queryKey, queryValue), { maxLength: 12 }).map(toQuery),
  },
  {
    weight: 1,
    arbitrary: fc
      .string({ unit: fc.constantFrom(..."abc=&%zZ09+;:?#[]".split("")), maxLength: 40 })
      .map((raw) => `?${raw.replace(/#/g, "")}`),
  },
);

function toQuery(pairs: [string, string][]): string {
  const search = new URLSearchParams();
  for (const [key, value] of pairs) search.append(key, value);
  const text = search.toString();
  return text ? `?${text}` : "";
}

const nonJsonContentType = fc.constantFrom(
  undefined,
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data",
  "multipart/form-data; boundary=xyz",
  "application/xml",
  "application/octet-stream",
  "application/json; charset=utf-8",
  "application/json",
  "application/vnd.api+json",
  "garbage",
  "",
);
const nonJsonBody = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.constantFrom("{", "[1,", '{"name":', "null", "true", "1", '"x"', "name=x&slug=y", "<xml/>"),
  fc.jsonValue().map((value) => `${JSON.stringify(value)}garbage`),
  // Over the 1 MiB body cap: valid JSON and garbage.
  fc.constantFrom(
    JSON.stringify({ name: "big", metadata: { big: "x".repeat(1_100_000) } }),
    "y".repeat(1_100_000),
  ),
);

// ---------------------------------------------------------------------------------------------

describe("fuzzing the workspace routes", () => {
  let account: TestAccount;
  /** Reused across runs; properties that could delete or archive it use their own. */
  let shared: WorkspaceBody;
  /**
   * An account whose only workspace has a known slug, for random refs: the POST property may
   * create short random slugs in `account`, which a random ref could then hit.
   */
  let other: TestAccount;
  let victim: WorkspaceBody;

  beforeAll(async () => {
    [account, other] = await Promise.all([createAccount("fuzz"), createAccount("fuzz refs")]);
    [shared, victim] = await Promise.all([
      createWorkspace(account, { name: "Fuzz target" }),
      createWorkspace(other, { name: "Fuzz victim", slug: `victim-${Date.now().toString(36)}` }),
    ]);
  });

  const auth = () => ({ authorization: `Bearer ${account.key}` });

  it(
    "POST /v1/workspaces: random bodies are accepted or refused with the envelope",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          anyBody,
          fc.option(fc.string({ unit: "grapheme-ascii", maxLength: 300 })),
          async (body, idempotencyKey) => {
            const extra = idempotencyKey === null ? {} : { "idempotency-key": idempotencyKey };
            const response = await roundTrip(
              json(account.key, "POST", "/v1/workspaces", body, extra),
            );
            if (response.status < 300) expect(response.status).toBe(201);
          },
        ),
        { numRuns: 100 },
      );
    },
    TIMEOUT,
  );

  it(
    "GET /v1/workspaces: random query strings never break listing",
    async () => {
      await fc.assert(
        fc.asyncProperty(queryString, async (query) => {
          const response = await roundTrip({
            method: "GET",
            path: `/v1/workspaces${query}`,
            headers: auth(),
          });
          if (response.status === 200) {
            const page = response.body as { items: WorkspaceBody[]; total: number };
            expect(Array.isArray(page.items)).toBe(true);
            expect(page.items.length).toBeLessThanOrEqual(100);
            for (const item of page.items) expect(item.account_id).toBe(account.accountId);
          }
        }),
        { numRuns: 100 },
      );
    },
    TIMEOUT,
  );

  it(
    "PATCH and PUT /v1/workspaces/{ws}: random bodies and If-Match on a real workspace",
    async () => {
      const target = await createWorkspace(account, { name: "Fuzz patch target" });
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("PATCH", "PUT"),
          fc.oneof(anyBody, validWorkspace, validWorkspace),
          fc.oneof(
            fc.constantFrom(null, null, "current", "current", "*", '"stale"', 'W/"x", "y"'),
            fc.string({ unit: "grapheme-ascii" }),
          ),
          async (method, body, ifMatch) => {
            let extra = {};
            if (ifMatch === "current") {
              const current = await get<WorkspaceBody>(account.key, `/v1/workspaces/${target.id}`);
              extra = { "if-match": `"${current.body.etag}"` };
            } else if (ifMatch !== null) {
              extra = { "if-match": ifMatch };
            }
            const response = await roundTrip(
              json(account.key, method, `/v1/workspaces/${target.id}`, body, extra),
            );
            if (response.status === 200) {
              expect((response.body as WorkspaceBody).id).toBe(target.id);
            }
          },
        ),
        { numRuns: RUNS },
      );
      const after = await get<WorkspaceBody>(account.key, `/v1/workspaces/${target.id}`);
      expect(after.status).toBe(200);
    },
    TIMEOUT,
  );

  it(
    "GET/PATCH/PUT/DELETE /v1/workspaces/{ws}: random refs are 404s (or other 4xx), never 5xx",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("GET", "PATCH", "PUT", "DELETE"),
          wsPathRef,
          fc.oneof(validWorkspace, nearValidWorkspace),
          async (method, ref, body) => {
            const request: Sent =
              method === "GET" || method === "DELETE"
                ? {
                    method,
                    path: `/v1/workspaces/${ref}`,
                    headers: { authorization: `Bearer ${other.key}` },
                  }
                : json(other.key, method, `/v1/workspaces/${ref}`, body);
            const response = await roundTrip(request);
            // The account's only workspace has a slug and id no random ref hits.
            expect(response.status).toBeGreaterThanOrEqual(400);
          },
        ),
        { numRuns: 100 },
      );
      const still = await get(other.key, `/v1/workspaces/${victim.id}`);
      expect(still.status).toBe(200);
    },
    TIMEOUT,
  );

  it(
    "DELETE /v1/workspaces/{ws} with a wrong If-Match is a 412 and deletes nothing",
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: "grapheme-ascii", maxLength: 80 }), async (ifMatch) => {
          const current = await get<WorkspaceBody>(account.key, `/v1/workspaces/${shared.id}`);
          const trimmed = ifMatch.trim();
          fc.pre(trimmed !== "" && trimmed !== "*" && !ifMatch.includes(current.body.etag));
          const response = await roundTrip({
            method: "DELETE",
            path: `/v1/workspaces/${shared.id}`,
            headers: { ...auth(), "if-match": ifMatch },
          });
          expect(response.status).toBe(412);
        }),
        { numRuns: 40 },
      );
      const still = await get(account.key, `/v1/workspaces/${shared.id}`);
      expect(still.status).toBe(200);
    },
    TIMEOUT,
  );

  it(
    "POST …/archive, …/lifecycle-events, …/codebases: random bodies",
    async () => {
      const target = await createWorkspace(account, { name: "Fuzz sub-resources" });
      const eventBody = fc.oneof(
        fc.record(
          {
            event: fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,63}$/),
            notes: fc.string({ unit: "grapheme", maxLength: 200 }),
          },
          { requiredKeys: ["event"] },
        ),
        fc.record(
          {
            event: fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,70}$/), anyValue),
            notes: fc.oneof(anyString, fc.string({ minLength: 3990, maxLength: 4100 }), anyValue),
            extra: anyValue,
          },
          { requiredKeys: [] },
        ),
        fc.jsonValue(),
      );
      const nonBlank = fc.string({ minLength: 1, maxLength: 60 }).filter((s) => s.trim() !== "");
      const codebaseBody = fc.oneof(
        fc.record(
          {
            source_type: fc.constant("local"),
            name: nonBlank,
            path: fc.string({ minLength: 1, maxLength: 200 }),
            branch: fc.string({ minLength: 1, maxLength: 40 }),
          },
          { requiredKeys: ["source_type", "name", "path"] },
        ),
        fc.record(
          {
            source_type: fc.constant("github"),
            name: nonBlank,
            url: fc
              .tuple(
                fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/),
                fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/),
                fc.constantFrom("", ".git", "/"),
              )
              .map(([owner, repo, suffix]) => `https://github.com/${owner}/${repo}${suffix}`),
            branch: fc.string({ minLength: 1, maxLength: 40 }),
          },
          { requiredKeys: ["source_type", "name", "url"] },
        ),
        fc.record(
          {
            source_type: fc.oneof(fc.constantFrom("local", "github", "svn"), anyValue),
            name: fc.oneof(fc.string({ maxLength: 300 }), anyValue),
            path: fc.oneof(fc.string({ maxLength: 1100 }), anyValue),
            url: fc.oneof(
              fc.constantFrom(
                "https://github.com/owner/repo",
                "https://github.com/owner/repo.git",
                "http://github.com/o/r",
                "https://gitlab.com/o/r",
              ),
              fc.webUrl(),
              anyValue,
            ),
            branch: fc.oneof(fc.string({ maxLength: 300 }), anyValue),
          },
          { requiredKeys: [] },
        ),
        fc.jsonValue(),
      );
      const archiveBody = fc.oneof(
        fc.record({ archive: fc.oneof(fc.boolean(), anyValue) }, { requiredKeys: [] }),
        fc.record({ archive: fc.boolean(), other: anyValue }),
        fc.jsonValue(),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            archiveBody.map((body) => ["archive", body] as const),
            eventBody.map((body) => ["lifecycle-events", body] as const),
            codebaseBody.map((body) => ["codebases", body] as const),
          ),
          fc.boolean(),
          async ([route, body], bySlug) => {
            const ref = bySlug ? target.slug : target.id;
            await roundTrip(json(account.key, "POST", `/v1/workspaces/${ref}/${route}`, body));
          },
        ),
        { numRuns: 100 },
      );
    },
    TIMEOUT,
  );

  it(
    "sub-resource routes with random workspace refs",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("archive", "lifecycle-events", "codebases", "health", "status"),
          wsPathRef,
          async (route, ref) => {
            const path = `/v1/workspaces/${ref}/${route}`;
            const request: Sent =
              route === "health" || route === "status"
                ? { method: "GET", path, headers: { authorization: `Bearer ${other.key}` } }
                : json(other.key, "POST", path, { archive: true, event: "x", name: "x" });
            const response = await roundTrip(request);
            expect(response.status).toBeGreaterThanOrEqual(400);
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    "GET …/health and …/lifecycle-events with random query strings",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("health", "lifecycle-events"),
          fc.oneof(
            queryString,
            fc
              .tuple(
                fc.constantFrom("include_details", "include_metrics"),
                fc.oneof(queryValue, fc.constantFrom("true", "false", "1", "0", "TRUE", "")),
              )
              .map(([key, value]) => `?${key}=${encodeURIComponent(value)}`),
          ),
          async (route, query) => {
            const response = await roundTrip({
              method: "GET",
              path: `/v1/workspaces/${shared.id}/${route}${query}`,
              headers: auth(),
            });
            if (response.status === 200 && route === "health") {
              expect((response.body as { workspace_id: string }).workspace_id).toBe(shared.id);
            }
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    "POST/PATCH/PUT with non-JSON bodies and wrong content types",
    async () => {
      const target = await createWorkspace(account, { name: "Fuzz content types" });
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(
            ["POST", "/v1/workspaces"],
            ["PATCH", `/v1/workspaces/${target.id}`],
            ["PUT", `/v1/workspaces/${target.id}`],
            ["POST", `/v1/workspaces/${target.id}/lifecycle-events`],
            ["POST", `/v1/workspaces/${target.id}/codebases`],
            ["POST", `/v1/workspaces/${target.id}/archive`],
          ),
          nonJsonContentType,
          fc.option(nonJsonBody, { nil: undefined }),
          async ([method, path], contentType, body) => {
            const headers: Record<string, string> = auth();
            if (contentType !== undefined) headers["content-type"] = contentType;
            await roundTrip({ method, path, headers, body });
          },
        ),
        { numRuns: 100 },
      );
    },
    TIMEOUT,
  );

  it(
    "random methods and auth headers on the workspace routes",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PURGE"),
          fc.constantFrom(
            "/v1/workspaces",
            `/v1/workspaces/${shared.id}/health`,
            `/v1/workspaces/${shared.id}/codebases/cb_nope`,
            `/v1/workspaces/${shared.id}/unknown`,
            "/v1/nothing",
          ),
          fc.oneof(
            fc.constant(`Bearer ${account.key}`),
            fc.string({ unit: "grapheme-ascii", maxLength: 80 }),
            fc.stringMatching(/^Bearer ws[kr]_[A-Za-z0-9_-]{43}$/),
          ),
          async (method, path, authorization) => {
            // Deleting the shared workspace is not on this list: every path here is a sub-path.
            fc.pre(!(method === "DELETE" && path === `/v1/workspaces/${shared.id}`));
            await roundTrip({ method, path, headers: { authorization } });
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});
