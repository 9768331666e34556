import { createRoute, type OpenAPIHono, type RouteConfig, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env";
import { errorResponse } from "./errors";
import { IdempotencyHeaderSchema } from "./openapi-helpers";
import { type AuthKind, type BodyKind, type Policy, policyMiddleware } from "./route-policy";

// One route factory: a createRoute declaration that also says what the route needs — who may
// call it, what body it takes, whether a POST is idempotent, whether a GET answers 304, whether
// the answer is a live stream. The route then carries exactly the middleware that asks for
// (hono's route `middleware`, installed by `app.openapi(route, handler)` before the validators),
// and its OpenAPI operation says what that middleware does, so the document is right as
// generated: the Idempotency-Key header with its 409 and 422, 413 for a body, 415 for a JSON
// body, If-None-Match with its 304, and the security scheme of the auth kind.

type AuthDeclaration =
  | { auth: "key" | "admin" | "public"; authenticate?: undefined }
  | {
      auth: "ticket" | "signed-url";
      /** The feature's check: `?ticket=` (ticket) or the signed URL (signed-url). */
      authenticate: MiddlewareHandler<AppEnv>;
    };

/**
 * A documented route names its operation (a generated client's method name: camelCase, unique
 * in the document — createApp checks that) and its tags (the client's and the reference page's
 * grouping). A hidden route is in no document, so it names neither.
 */
type DocumentDeclaration =
  | { hide: true; operationId?: undefined; tags?: undefined }
  | { hide?: false; operationId: string; tags: string[] };

/** What every declaration says, documented or hidden. */
type PolicyDeclaration = Omit<RouteConfig, "middleware" | "hide" | "operationId" | "tags"> &
  AuthDeclaration & {
    /** What the request body is (default `json`): how much is read, how a replay is keyed. */
    body?: BodyKind;
    /**
     * An Idempotency-Key replays the first answer; default: every POST but a stream. A stream
     * route that sets it gets its first answer's headers as `c.var.idempotentReplay` on a retry.
     */
    idempotent?: boolean;
    /** GET: 304 when If-None-Match names the answer's ETag (jsonWithEtag sets it). */
    etag?: boolean;
    /** The answer is a live stream: never stored for an idempotent replay. */
    stream?: boolean;
    /** On a `{ws}` route: false refuses runner tokens, even for their own workspace (403). */
    runnerTokens?: boolean;
    /** The route's own middleware, after the policy's. */
    middleware?: MiddlewareHandler<AppEnv>[];
  };

export type RouteDeclaration = PolicyDeclaration & DocumentDeclaration;

type PolicyKey =
  | "auth"
  | "authenticate"
  | "body"
  | "idempotent"
  | "etag"
  | "stream"
  | "runnerTokens"
  | "middleware";

export type DeclaredRoute<D> = Omit<D, PolicyKey> & { middleware: MiddlewareHandler<AppEnv>[] };

/** A generated client's method name: `listWorkspaces`, `createThreadStream`. */
const OPERATION_ID = /^[a-z][A-Za-z0-9]*$/;

/** The document's security requirement per auth kind; `key` and `ticket` take its default. */
const SECURITY: Partial<Record<AuthKind, Record<string, string[]>[]>> = {
  public: [],
  admin: [{ adminToken: [] }],
  "signed-url": [{ uploadSignature: [] }],
};

/** The schemes SECURITY names, and the document's default (`apiKey`). */
export function registerSecuritySchemes(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "An account API key (`wsk_…`) or a workspace runner token (`wsr_…`)",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "uploadSignature", {
    type: "apiKey",
    in: "query",
    name: "sig",
    description: "A signed upload URL from `POST /v1/workspaces/{ws}/uploads`, used as given",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description: "The ADMIN_TOKEN secret",
  });
}

const IfNoneMatchHeaderSchema = z.object({
  "if-none-match": z
    .string()
    .optional()
    .openapi({
      param: { name: "if-none-match", in: "header" },
      description: "The etag you hold: 304, with no body, while it is still the current one",
    }),
});

type Request = NonNullable<RouteConfig["request"]>;

/** The route's header schema with `extra`'s headers it does not declare itself. */
function withHeaders(headers: Request["headers"], extra: z.ZodObject): Request["headers"] {
  if (headers === undefined) return extra;
  if (!(headers instanceof z.ZodObject)) throw new Error("route headers must be a z.object");
  const missing = Object.entries(extra.shape).filter(([name]) => !(name in headers.shape));
  return missing.length === 0 ? headers : headers.extend(Object.fromEntries(missing));
}

/** The operation as the policy's middleware makes it; what a route declares itself stays. */
function documented(config: RouteConfig, policy: Policy): RouteConfig {
  const responses: RouteConfig["responses"] = { ...config.responses };
  let request = config.request;
  if (policy.etag) {
    request = { ...request, headers: withHeaders(request?.headers, IfNoneMatchHeaderSchema) };
    responses[304] ??= { description: "Not modified: If-None-Match names the current etag" };
  }
  if (policy.idempotent) {
    request = { ...request, headers: withHeaders(request?.headers, IdempotencyHeaderSchema) };
    responses[409] ??= errorResponse(
      "Conflict (or a request with this Idempotency-Key is still running)",
    );
    responses[422] ??= errorResponse("Idempotency-Key reused with a different request");
  }
  const content = config.request?.body?.content;
  if (content) {
    responses[413] ??= errorResponse("The request body is over the size limit");
    if ("application/json" in content) {
      responses[415] ??= errorResponse("The body is not sent as application/json");
    }
  }
  const security = SECURITY[policy.auth];
  return { ...config, ...(request && { request }), responses, ...(security && { security }) };
}

/**
 * A route with its policy declared: `app.openapi(route, handler)` registers it with exactly the
 * middleware the declaration asks for. A path that names `{ws}` resolves it to
 * `c.var.workspace` (a runner token: its own workspace only); a key route without `{ws}` is
 * account-level, closed to runner tokens.
 */
export function apiRoute<
  P extends string,
  D extends Omit<PolicyDeclaration, "path"> & { path: P } & DocumentDeclaration,
>(declaration: D): DeclaredRoute<D> {
  const {
    auth,
    authenticate,
    body = "json",
    idempotent,
    etag = false,
    stream = false,
    runnerTokens = true,
    middleware = [],
    ...config
  } = declaration as D & RouteDeclaration;
  const where = `${config.method.toUpperCase()} ${config.path}`;
  const policy: Policy = {
    auth,
    authenticate,
    body,
    idempotent: idempotent ?? (config.method === "post" && !stream),
    stream,
    etag,
    workspace: config.path.includes("{ws}"),
    runnerTokens,
  };
  if (!config.hide) {
    if (!OPERATION_ID.test(config.operationId ?? "")) {
      throw new Error(`${where}: operationId must be camelCase (a client's method name)`);
    }
    if (!config.tags?.length) throw new Error(`${where}: a documented route needs its tags`);
  }
  if (etag && (config.method !== "get" || stream)) {
    throw new Error(`${where}: etag is for a GET answering one resource`);
  }
  if (policy.idempotent && config.method !== "post") {
    throw new Error(`${where}: an Idempotency-Key is taken on POST only`);
  }
  if (!runnerTokens && !policy.workspace) {
    throw new Error(`${where}: runnerTokens is for {ws} routes (others refuse them anyway)`);
  }
  if (policy.workspace && (auth === "public" || auth === "admin")) {
    throw new Error(`${where}: {ws} names a workspace of the caller; ${auth} routes have none`);
  }
  const route = config.hide ? config : documented(config, policy);
  return createRoute({
    ...route,
    middleware: [...policyMiddleware(policy), ...middleware],
  }) as unknown as DeclaredRoute<D>;
}

/** The route as the document describes it, without its middleware. */
export function operationOf({ middleware: _, hide: __, ...route }: RouteConfig): RouteConfig {
  return route;
}

/** The route's middleware (for the routes served by hand, see by-hand-route.ts). */
export const middlewareOf = (route: RouteConfig): MiddlewareHandler<AppEnv>[] =>
  route.middleware === undefined
    ? []
    : ((Array.isArray(route.middleware)
        ? route.middleware
        : [route.middleware]) as MiddlewareHandler<AppEnv>[]);
