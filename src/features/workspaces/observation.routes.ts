import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/app-env";
import { toApiError } from "../../http/error-handler";
import { ApiError } from "../../http/errors";
import { jsonResponse, WorkspaceParamsSchema, withErrors } from "../../http/openapi-helpers";
import { apiRoute } from "../../http/route";
import { workspacePrefix } from "../../lib/r2-prefix";
import { WorkspaceStatusSchema } from "./workspace.schemas";
import { WorkspaceSummarySchema } from "./workspace.types";

const tags = ["Status"];

const StatusSchema = z
  .object({
    id: z.string(),
    status: WorkspaceStatusSchema,
    error_reason: z.string().nullable(),
    pending_operation: z.string().nullable(),
    last_activity_at: z.string().nullable(),
    updated_at: z.string(),
  })
  .openapi("WorkspaceStatusReport");

const ComponentSchema = z
  .object({
    status: z.enum(["up", "down"]),
    latency_ms: z.number(),
    error: z.string().optional(),
  })
  .openapi("HealthComponent");

const HealthSchema = z
  .object({
    workspace_id: z.string(),
    status: z.enum(["healthy", "degraded", "unhealthy"]),
    workspace_status: WorkspaceStatusSchema,
    checked_at: z.string(),
    components: z
      .object({ index: ComponentSchema, durable_object: ComponentSchema, storage: ComponentSchema })
      .optional(),
    metrics: WorkspaceSummarySchema.optional(),
  })
  .openapi("WorkspaceHealth");

const flag = z
  .enum(["true", "false", "1", "0"])
  .optional()
  .transform((value) => value === "true" || value === "1");

const statusRoute = apiRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/status",
  operationId: "getWorkspaceStatus",
  auth: "key",
  tags,
  summary: "Status, pending operation and last activity",
  request: { params: WorkspaceParamsSchema },
  responses: { 200: jsonResponse(StatusSchema, "The workspace's status"), ...withErrors() },
});

const healthRoute = apiRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/health",
  operationId: "getWorkspaceHealth",
  auth: "key",
  tags,
  summary: "Health of each part (index, durable object, storage) with latencies and metrics",
  request: {
    params: WorkspaceParamsSchema,
    query: z.object({ include_details: flag, include_metrics: flag }),
  },
  responses: { 200: jsonResponse(HealthSchema, "The workspace's health"), ...withErrors() },
});

const metadataRoute = apiRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/metadata",
  operationId: "getWorkspaceMetadata",
  auth: "key",
  tags,
  summary: "Counts for a UI: threads, files, bytes, runs, agents and more",
  request: { params: WorkspaceParamsSchema },
  responses: { 200: jsonResponse(WorkspaceSummarySchema, "The summary"), ...withErrors() },
});

async function timed<T>(probe: () => Promise<T>) {
  const started = performance.now();
  try {
    const value = await probe();
    return { ok: true as const, value, latency_ms: performance.now() - started };
  } catch (error) {
    return { ok: false as const, error, latency_ms: performance.now() - started };
  }
}

const component = (probe: { ok: boolean; latency_ms: number; error?: unknown }) => ({
  status: probe.ok ? ("up" as const) : ("down" as const),
  latency_ms: Math.round(probe.latency_ms * 100) / 100,
  ...(probe.ok ? {} : { error: "unreachable" }),
});

export function registerObservationRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(statusRoute, async (c) => {
    return c.json(await c.var.workspace.workspaces.status(), 200);
  });

  app.openapi(metadataRoute, async (c) => {
    return c.json(await c.var.workspace.workspaces.summary(), 200);
  });

  app.openapi(healthRoute, async (c) => {
    const { include_details, include_metrics } = c.req.valid("query");
    const workspace = c.var.workspace;
    const [durableObject, index, storage] = await Promise.all([
      timed(() => workspace.workspaces.health()),
      timed(() => c.env.DB.prepare("SELECT 1 AS ok").first()),
      timed(() => c.env.FILES.head(`${workspacePrefix(workspace.id)}.health`)),
    ]);
    if (!durableObject.ok) {
      const error = toApiError(durableObject.error);
      // "Not found" is the answer for a workspace that is not the caller's: never a health report.
      if (error.code === "not_found") throw error;
      throw new ApiError("internal", "the workspace's durable object is unreachable");
    }
    const { status, summary } = durableObject.value;
    return c.json(
      {
        workspace_id: workspace.id,
        status: index.ok && storage.ok ? ("healthy" as const) : ("degraded" as const),
        workspace_status: status.status,
        checked_at: new Date().toISOString(),
        ...(include_details
          ? {
              components: {
                index: component(index),
                durable_object: component(durableObject),
                storage: component(storage),
              },
            }
          : {}),
        ...(include_metrics ? { metrics: summary } : {}),
      },
      200,
    );
  });
}
