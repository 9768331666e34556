import { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import { registerAdminRoutes } from "./features/admin/admin.routes";
import { registerAgentRoutes } from "./features/agents/agents.routes";
import { registerBenchRoutes } from "./features/bench/bench.routes";
import { registerCommandRoutes } from "./features/commands/commands.routes";
import { registerEventRoutes } from "./features/events/events.routes";
import { registerAttachmentRoutes } from "./features/files/attachments.routes";
import { registerDirectoryRoutes } from "./features/files/directories.routes";
import { registerFileRoutes } from "./features/files/files.routes";
import { registerSearchRoutes } from "./features/files/search.routes";
import { registerUploadRoutes } from "./features/files/uploads.routes";
import { registerHealthRoutes } from "./features/health/health.routes";
import { registerMcpRoutes } from "./features/mcp/mcp.routes";
import { registerProcessRoutes } from "./features/processes/processes.routes";
import { registerThreadStreamRoutes } from "./features/threads/thread-stream.routes";
import { registerThreadRoutes } from "./features/threads/threads.routes";
import { registerCodebaseRoutes } from "./features/workspaces/codebases.routes";
import { registerLifecycleRoutes } from "./features/workspaces/lifecycle.routes";
import { registerObservationRoutes } from "./features/workspaces/observation.routes";
import { registerRunnerTokenRoutes } from "./features/workspaces/runner-token.routes";
import { registerWorkspaceRoutes } from "./features/workspaces/workspaces.routes";
import type { AppEnv } from "./http/app-env";
import { handleError } from "./http/error-handler";
import { checkOperationIds, openApiDocument } from "./http/openapi-document";
import { requestContext } from "./http/request-context";
import { apiRoute, registerSecuritySchemes } from "./http/route";
import { type AuthKind, policyMiddleware } from "./http/route-policy";
import { unmatchedRoute } from "./http/unmatched-route";
import { validationError } from "./http/validation";
import { workspaceOpener } from "./workspace-opener";

export const OPENAPI_PATH = "/v1/openapi.json";

const documentRoute = apiRoute({
  method: "get",
  path: OPENAPI_PATH,
  auth: "public",
  hide: true,
  responses: { 200: { description: "This document" } },
});

const referenceRoute = apiRoute({
  method: "get",
  path: "/docs",
  auth: "public",
  hide: true,
  responses: { 200: { description: "The interactive API reference" } },
});

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target);
    },
  });

  const unmatched = unmatchedRoute(() => app.routes);
  app.onError(handleError);
  app.notFound(unmatched);

  app.use("*", requestContext);
  app.use("*", workspaceOpener);

  registerHealthRoutes(app);
  registerAdminRoutes(app);
  registerWorkspaceRoutes(app);
  registerLifecycleRoutes(app);
  registerObservationRoutes(app);
  registerCodebaseRoutes(app);
  registerRunnerTokenRoutes(app);
  registerEventRoutes(app);
  registerFileRoutes(app);
  registerDirectoryRoutes(app);
  registerSearchRoutes(app);
  registerAttachmentRoutes(app);
  registerUploadRoutes(app);
  registerCommandRoutes(app);
  registerAgentRoutes(app);
  registerProcessRoutes(app);
  registerMcpRoutes(app);
  // Before the thread routes: `…/threads/stream` is not a thread id.
  registerThreadStreamRoutes(app);
  registerThreadRoutes(app);
  registerBenchRoutes(app);

  registerSecuritySchemes(app);
  // Here, not on the first request for the document: a route that a client could not name
  // keeps the Worker from starting, so no test run misses it.
  checkOperationIds(app.openAPIRegistry);
  // Built once, on the first request: the routes are all registered by then.
  let document: ReturnType<typeof openApiDocument> | null = null;
  app.openapi(documentRoute, (c) => {
    document ??= openApiDocument(app);
    return c.json(document, 200);
  });
  // Self-contained: the page asks no host but this one, so it works without internet access
  // (and tells no third party who reads it). Scalar's script is served from public/ (by
  // scripts/copy-assets.mjs); the page uses the system fonts, not Scalar's font host; the test
  // client sends requests straight to this origin (the document's server "/"), never through
  // Scalar's public proxy; telemetry, its AI agent and its developer toolbar (sharing the
  // document with Scalar's registry) are off.
  const reference = Scalar<AppEnv>({
    url: OPENAPI_PATH,
    pageTitle: "Workspaces API reference",
    cdn: "/static/scalar/standalone.js",
    withDefaultFonts: false,
    proxyUrl: "",
    telemetry: false,
    agent: { disabled: true },
    showDeveloperTools: "never",
  });
  // Scalar's middleware always answers (the HTML page); it never passes the request on.
  app.openapi(referenceRoute, async (c, next) => (await reference(c, next)) as Response);

  // A path under /v1 that no route matches answers as a route there would, its auth first: a
  // caller without a key gets a 401 before learning whether the path exists (404, 405).
  const fallback = (path: string, auth: AuthKind) =>
    app.on(
      "ALL",
      [path],
      ...policyMiddleware({
        auth,
        body: "json",
        idempotent: true,
        etag: false,
        workspace: path.startsWith("/v1/workspaces/:ws"),
        runnerTokens: true,
      }),
      unmatched,
    );
  fallback("/v1/admin/*", "admin");
  fallback("/v1/workspaces/:ws", "key");
  fallback("/v1/workspaces/:ws/*", "key");
  fallback("/v1/*", "key");

  return app;
}

export type App = ReturnType<typeof createApp>;
