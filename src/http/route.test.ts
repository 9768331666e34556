import { type RouteConfig, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { describe, expect, it } from "vitest";
import { adminAuth } from "./admin-auth";
import { apiKeyAuth } from "./api-key-auth";
import type { AppEnv } from "./app-env";
import { conditionalGet } from "./conditional-get";
import { errorResponse } from "./errors";
import { resolveWorkspace } from "./resolve-workspace";
import { apiRoute } from "./route";

const ok = { 200: { description: "ok" } };
/** What a documented route names besides its policy. */
const doc = { operationId: "doThing", tags: ["Things"] };
const json = { required: true, content: { "application/json": { schema: z.object({}) } } };
const bytes = { required: true, content: { "application/octet-stream": { schema: z.string() } } };
const headerNames = (headers: unknown) => Object.keys((headers as z.ZodObject).shape);
const check: MiddlewareHandler<AppEnv> = async (_c, next) => next();
/** What the declaration adds (headers, security) is in the operation, not in the route's type. */
const op = (route: object) => route as RouteConfig;

describe("apiRoute's OpenAPI operation", () => {
  it("Should give a POST the Idempotency-Key header with 409 and 422", () => {
    const route = apiRoute({
      method: "post",
      path: "/v1/things",
      auth: "key",
      ...doc,
      responses: ok,
    });
    expect(headerNames(op(route).request?.headers)).toEqual(["idempotency-key"]);
    expect(Object.keys(route.responses)).toEqual(expect.arrayContaining(["409", "422"]));
  });

  it("Should give a streamed POST no Idempotency-Key, and neither 409 nor 422 for it", () => {
    const route = apiRoute({
      method: "post",
      path: "/v1/workspaces/{ws}/talk",
      auth: "key",
      stream: true,
      request: { body: json },
      ...doc,
      responses: ok,
    });
    expect(op(route).request?.headers).toBeUndefined();
    expect(Object.keys(route.responses)).not.toContain("422");
  });

  it("Should keep the wording of a status the route declares itself", () => {
    const own = errorResponse("Our own conflict");
    const route = apiRoute({
      method: "post",
      path: "/v1/things",
      auth: "key",
      ...doc,
      responses: { ...ok, 409: own },
    });
    expect(route.responses[409]).toBe(own);
  });

  it("Should list 413 for a body, and 415 only for a JSON one", () => {
    const jsonRoute = apiRoute({
      method: "put",
      path: "/v1/a",
      auth: "key",
      request: { body: json },
      ...doc,
      responses: ok,
    });
    const uploadRoute = apiRoute({
      method: "put",
      path: "/v1/b",
      auth: "key",
      body: "upload",
      request: { body: bytes },
      ...doc,
      responses: ok,
    });
    expect(Object.keys(jsonRoute.responses)).toEqual(expect.arrayContaining(["413", "415"]));
    expect(Object.keys(uploadRoute.responses)).toContain("413");
    expect(Object.keys(uploadRoute.responses)).not.toContain("415");
  });

  it("Should document If-None-Match and 304 for an etag GET, after the route's own headers", () => {
    const route = apiRoute({
      method: "get",
      path: "/v1/workspaces/{ws}/thing",
      auth: "key",
      etag: true,
      request: { headers: z.object({ range: z.string().optional() }) },
      ...doc,
      responses: ok,
    });
    expect(headerNames(op(route).request?.headers)).toEqual(["range", "if-none-match"]);
    expect(Object.keys(route.responses)).toContain("304");
  });

  it("Should name the security of signed-url, admin and public routes, and leave key routes the default", () => {
    const security = (auth: "key" | "admin" | "public") =>
      op(apiRoute({ method: "get", path: "/v1/x", auth, ...doc, responses: ok })).security;
    const signed = apiRoute({
      method: "put",
      path: "/v1/workspaces/{ws}/uploads/{id}",
      auth: "signed-url",
      authenticate: check,
      body: "upload",
      ...doc,
      responses: ok,
    });
    expect(op(signed).security).toEqual([{ uploadSignature: [] }]);
    expect(security("admin")).toEqual([{ adminToken: [] }]);
    expect(security("public")).toEqual([]);
    expect(security("key")).toBeUndefined();
  });

  it("Should add nothing to a hidden route", () => {
    const route = apiRoute({
      method: "post",
      path: "/x",
      auth: "public",
      hide: true,
      responses: ok,
    });
    expect(op(route).request).toBeUndefined();
    expect(Object.keys(route.responses)).toEqual(["200"]);
  });
});

describe("apiRoute's operation name and tags", () => {
  const declared = { method: "get", path: "/v1/things", auth: "key", responses: ok } as const;

  it("Should publish the operationId and tags the route declares", () => {
    const route = op(apiRoute({ ...declared, operationId: "listThings", tags: ["Things"] }));
    expect(route.operationId).toBe("listThings");
    expect(route.tags).toEqual(["Things"]);
  });

  it("Should refuse a documented route without a camelCase operationId, or without tags", () => {
    // @ts-expect-error: a documented route must name its operation
    expect(() => apiRoute({ ...declared, tags: ["Things"] })).toThrow(/operationId/);
    expect(() => apiRoute({ ...declared, operationId: "list-things", tags: ["Things"] })).toThrow(
      /camelCase/,
    );
    // @ts-expect-error: a documented route must name its tags
    expect(() => apiRoute({ ...declared, operationId: "listThings" })).toThrow(/tags/);
    expect(() => apiRoute({ ...declared, operationId: "listThings", tags: [] })).toThrow(/tags/);
  });
});

describe("apiRoute's middleware", () => {
  it("Should authenticate, then take the conditional GET, then resolve the workspace", () => {
    const route = apiRoute({
      method: "get",
      path: "/v1/workspaces/{ws}/thing",
      auth: "key",
      etag: true,
      ...doc,
      responses: ok,
    });
    const [auth, , conditional, workspace] = route.middleware;
    expect(route.middleware).toHaveLength(4);
    expect(auth).toBe(apiKeyAuth("workspace"));
    expect(conditional).toBe(conditionalGet);
    expect(workspace).toBe(resolveWorkspace(true));
  });

  it("Should close an account-level key route to runner tokens", () => {
    const route = apiRoute({
      method: "get",
      path: "/v1/things",
      auth: "key",
      ...doc,
      responses: ok,
    });
    expect(route.middleware[0]).toBe(apiKeyAuth("account"));
  });

  it("Should read no upload body and resolve the workspace for runner tokens only when allowed", () => {
    const route = apiRoute({
      method: "delete",
      path: "/v1/workspaces/{ws}",
      auth: "key",
      body: "upload",
      runnerTokens: false,
      ...doc,
      responses: ok,
    });
    expect(route.middleware).toEqual([apiKeyAuth("workspace"), resolveWorkspace(false)]);
  });

  it("Should put the route's own middleware last, and no auth on a public route", () => {
    const route = apiRoute({
      method: "get",
      path: "/health",
      auth: "public",
      middleware: [check],
      ...doc,
      responses: ok,
    });
    expect(route.middleware.at(-1)).toBe(check);
    expect(route.middleware).not.toContain(adminAuth);
    expect(route.middleware).toHaveLength(2);
  });

  it("Should refuse a declaration its middleware could not honour", () => {
    expect(() =>
      apiRoute({ method: "post", path: "/v1/x", auth: "key", etag: true, ...doc, responses: ok }),
    ).toThrow(/etag/);
    expect(() =>
      apiRoute({
        method: "put",
        path: "/v1/x",
        auth: "key",
        idempotent: true,
        ...doc,
        responses: ok,
      }),
    ).toThrow(/POST only/);
    expect(() =>
      apiRoute({
        method: "get",
        path: "/v1/workspaces/{ws}",
        auth: "public",
        ...doc,
        responses: ok,
      }),
    ).toThrow(/\{ws\}/);
  });
});
