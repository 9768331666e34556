import { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { registerAdminRoutes } from "./features/admin/admin.routes";
import { registerAgentRoutes } from "./features/agents/agents.routes";
import { registerBenchRoutes } from "./features/bench/bench.routes";
import { registerCommandRoutes } from "./features/commands/commands.routes";
import { registerEventRoutes } from "./features/events/events.routes";
import { registerAttachmentRoutes } from "./features/files/attachments.routes";
import { registerDirectoryRoutes } from "./features/files/directories.routes";
import { isJsonBody, registerFileRoutes } from "./features/files/files.routes";
import { registerSearchRoutes } from "./features/files/search.routes";
import { isSignedUpload, signedUploadAuth } from "./features/files/signed-upload-auth";
import { registerUploadRoutes } from "./features/files/uploads.routes";
import { registerHealthRoutes } from "./features/health/health.routes";
import { registerProcessRoutes } from "./features/processes/processes.routes";
import { registerThreadStreamRoutes } from "./features/threads/thread-stream.routes";
import { registerThreadRoutes } from "./features/threads/threads.routes";
import { registerCodebaseRoutes } from "./features/workspaces/codebases.routes";
import { registerLifecycleRoutes } from "./features/workspaces/lifecycle.routes";
import { registerObservationRoutes } from "./features/workspaces/observation.routes";
import { registerRunnerTokenRoutes } from "./features/workspaces/runner-token.routes";
import { registerWorkspaceRoutes } from "./features/workspaces/workspaces.routes";
import { adminAuth } from "./http/admin-auth";
import { apiKeyAuth } from "./http/api-key-auth";
import type { AppEnv } from "./http/app-env";
import { conditionalGet } from "./http/conditional-get";
import { handleError } from "./http/error-handler";
import { ApiError } from "./http/errors";
import { idempotency, isThreadStream } from "./http/idempotency";
import { withConventions } from "./http/openapi-conventions";
import { requestContext } from "./http/request-context";
import { resolveWorkspace } from "./http/resolve-workspace";
import { unmatchedRoute } from "./http/unmatched-route";
import { validationError } from "./http/validation";

export const OPENAPI_PATH = "/v1/openapi.json";
/** JSON bodies are small (metadata is capped at 16 KiB); anything larger is refused unread. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;
/** Thread writes carry whole messages (each up to 8 MiB), so their bodies may be larger. */
export const MAX_THREAD_BODY_BYTES = 16 * 1024 * 1024;
/** Routes under /v1 that need no API key. */
const PUBLIC_V1_PATHS = new Set([OPENAPI_PATH]);

/** POST …/threads (and …/threads/stream), PUT or PATCH …/threads/{th}: bodies with messages. */
const isThreadWrite = (method: string, path: string) =>
  (method === "POST" && /^\/v1\/workspaces\/[^/]+\/threads\/?$/.test(path)) ||
  isThreadStream(method, path) ||
  ((method === "PUT" || method === "PATCH") &&
    /^\/v1\/workspaces\/[^/]+\/threads\/[^/]+\/?$/.test(path));

/**
 * A request whose body is a file's bytes: `PUT …/files/{path}`, `POST …/attachments?name=`,
 * `POST …/files?path=` — unless the POST is JSON (a URL import or an empty file), which is an
 * ordinary small JSON request — a multipart part `PUT …/uploads/multipart/{id}/parts/{n}`, and a
 * signed `PUT …/uploads/{nonce}`.
 */
const isFileUpload = (c: Context<AppEnv>) => {
  const { method, path } = c.req;
  if (method === "PUT") {
    return (
      /^\/v1\/workspaces\/[^/]+\/files\/.+$/.test(path) ||
      /^\/v1\/workspaces\/[^/]+\/uploads\/(?:multipart\/[^/]+\/parts\/[^/]+|[^/]+)$/.test(path)
    );
  }
  if (method !== "POST") return false;
  if (/^\/v1\/workspaces\/[^/]+\/attachments\/?$/.test(path)) return true;
  return /^\/v1\/workspaces\/[^/]+\/files\/?$/.test(path) && !isJsonBody(c);
};

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target);
    },
  });

  app.onError(handleError);
  app.notFound(unmatchedRoute(() => app.routes));

  app.use("*", requestContext);
  app.use("/v1/admin/*", adminAuth);
  app.use("/v1/*", async (c, next) => {
    if (PUBLIC_V1_PATHS.has(c.req.path) || c.req.path.startsWith("/v1/admin/")) return next();
    // A signed upload URL is its own credential, on that one route and method.
    if (isSignedUpload(c.req.method, c.req.path)) return signedUploadAuth(c, next);
    return apiKeyAuth(c, next);
  });
  const limitTo = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError("too_large", `request bodies are limited to ${maxSize} bytes`);
      },
    });
  const jsonBodyLimit = limitTo(MAX_JSON_BODY_BYTES);
  const threadBodyLimit = limitTo(MAX_THREAD_BODY_BYTES);
  // File uploads stream to R2 unread: the JSON size limit does not apply to them, and their
  // idempotency fingerprint is taken without reading the body.
  const readBodyIdempotency = idempotency("read");
  const streamedIdempotency = idempotency("streamed");
  app.use("/v1/*", (c, next) => {
    if (isFileUpload(c)) return next();
    return isThreadWrite(c.req.method, c.req.path)
      ? threadBodyLimit(c, next)
      : jsonBodyLimit(c, next);
  });
  app.use("/v1/*", (c, next) => {
    if (isThreadStream(c.req.method, c.req.path)) return next();
    return isFileUpload(c) ? streamedIdempotency(c, next) : readBodyIdempotency(c, next);
  });
  app.use("/v1/*", conditionalGet);
  app.use("/v1/workspaces/:ws", resolveWorkspace);
  app.use("/v1/workspaces/:ws/*", resolveWorkspace);

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
  // Before the thread routes: `…/threads/stream` is not a thread id.
  registerThreadStreamRoutes(app);
  registerThreadRoutes(app);
  registerBenchRoutes(app);

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
  // Built once, on the first request: the routes are all registered by then.
  let document: ReturnType<typeof app.getOpenAPI31Document> | null = null;
  app.get(OPENAPI_PATH, (c) => {
    document ??= withConventions(
      app.getOpenAPI31Document({
        openapi: "3.1.0",
        info: {
          title: "Workspaces API",
          version: "1.0.0",
          description:
            "Workspaces for AI-agent platforms: lifecycle, codebases, events, files, threads and more. Errors always come as `{error:{code,message,request_id,details?}}`.",
        },
        security: [{ apiKey: [] }],
      }),
    );
    return c.json(document);
  });
  app.get(
    "/docs",
    Scalar({
      url: OPENAPI_PATH,
      pageTitle: "Workspaces API reference",
      // Served by this Worker (public/), so the page works without internet access.
      cdn: "/static/scalar/standalone.js",
    }),
  );
  return app;
}

export type App = ReturnType<typeof createApp>;
