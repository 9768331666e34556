import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./app-env";

// The OpenAPI document as served at /v1/openapi.json, and the check that its operations can be
// told apart: a generated client names its methods by operationId, so a missing or repeated one
// is a client that does not compile (or silently drops a method).

/**
 * Where a client sends its requests. "/" first: the host that served this document, which is
 * what the reference page and a same-origin client need; then the local development server,
 * for a client generated from a deployed document but run against `npm start`.
 */
export const SERVERS = [
  { url: "/", description: "The host that serves this document" },
  { url: "http://127.0.0.1:8787", description: "Local development (`npm start`, wrangler dev)" },
];

type Registry = OpenAPIHono<AppEnv>["openAPIRegistry"];

/**
 * Throws unless every documented operation has an operationId no other operation has. apiRoute
 * refuses a declaration without one; this also covers a route registered another way (a HEAD
 * documented beside its GET, a run route documented at a second path).
 */
export function checkOperationIds(registry: Registry): void {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const definition of registry.definitions) {
    if (definition.type !== "route") continue;
    const { method, path, operationId } = definition.route;
    const where = `${method.toUpperCase()} ${path}`;
    if (!operationId) problems.push(`${where} has no operationId`);
    else if (seen.has(operationId)) {
      problems.push(`${where} and ${seen.get(operationId)} are both ${operationId}`);
    } else seen.set(operationId, where);
  }
  if (problems.length > 0) throw new Error(`OpenAPI operations: ${problems.join("; ")}`);
}

/** The document of every route registered on `app` (build it after the last one). */
export function openApiDocument(app: OpenAPIHono<AppEnv>) {
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Workspaces API",
      version: "1.0.0",
      description:
        "Workspaces for AI-agent platforms: lifecycle, codebases, events, files, threads and more. Errors always come as `{error:{code,message,request_id,details?}}`.",
    },
    servers: SERVERS,
    security: [{ apiKey: [] }],
  });
}
