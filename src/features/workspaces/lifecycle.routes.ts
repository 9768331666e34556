import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../http/app-env";
import { quoteEtag } from "../../http/etag";
import {
  CursorSchema,
  IdempotencyHeaderSchema,
  jsonBody,
  jsonResponse,
  LimitSchema,
  pageOf,
  WorkspaceParamsSchema,
  withErrors,
} from "../../http/openapi-helpers";
import { cursorShape } from "../../lib/cursor";
import { cursorKey } from "../../lib/pagination";
import { CreateLifecycleEventSchema, LifecycleEventSchema } from "./lifecycle-events";
import type { LifecycleAction } from "./state-machine";
import { WorkspaceSchema } from "./workspace.schemas";
import { ResetResultSchema } from "./workspace.types";

const tags = ["Lifecycle"];

const ArchiveBodySchema = z
  .object({ archive: z.boolean().openapi({ description: "true archives, false unarchives" }) })
  .strict()
  .openapi("ArchiveRequest");

const transitionRoute = (action: "start" | "stop", summary: string) =>
  createRoute({
    method: "post",
    path: `/v1/workspaces/{ws}/${action}`,
    tags,
    summary,
    request: { params: WorkspaceParamsSchema, headers: IdempotencyHeaderSchema },
    responses: {
      200: jsonResponse(WorkspaceSchema, "The workspace in its new state"),
      ...withErrors(409, 422),
    },
  });

const startRoute = transitionRoute("start", "Start a stopped (or failed) workspace");
const stopRoute = transitionRoute(
  "stop",
  "Stop a running workspace (running → stopping → stopped)",
);

const archiveRoute = createRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/archive",
  tags,
  summary: "Archive (`archive: true`) or unarchive (`archive: false`) the workspace",
  request: {
    params: WorkspaceParamsSchema,
    headers: IdempotencyHeaderSchema,
    body: jsonBody(ArchiveBodySchema),
  },
  responses: {
    200: jsonResponse(WorkspaceSchema, "The workspace in its new state"),
    ...withErrors(409, 422),
  },
});

const resetRoute = createRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/reset",
  tags,
  summary: "Reset: close every agent, cancel active streams, broadcast `workspace_reset`",
  description:
    'Appends a `workspace.reset` event and sends every socket `{"type":"workspace_reset"}`. ' +
    "The workspace record, its files and threads are kept.",
  request: { params: WorkspaceParamsSchema, headers: IdempotencyHeaderSchema },
  responses: { 200: jsonResponse(ResetResultSchema, "What was reset"), ...withErrors(422) },
});

const recordEventRoute = createRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/lifecycle-events",
  tags,
  summary: "Record a lifecycle event `{event, notes}`",
  request: {
    params: WorkspaceParamsSchema,
    headers: IdempotencyHeaderSchema,
    body: jsonBody(CreateLifecycleEventSchema),
  },
  responses: {
    201: jsonResponse(LifecycleEventSchema, "The recorded event"),
    ...withErrors(422),
  },
});

const listEventsRoute = createRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/lifecycle-events",
  tags,
  summary: "List lifecycle events (every state change records one)",
  request: {
    params: WorkspaceParamsSchema,
    query: z.object({
      limit: LimitSchema,
      cursor: CursorSchema,
      order: z.enum(["asc", "desc"]).default("desc"),
    }),
  },
  responses: {
    200: jsonResponse(pageOf(LifecycleEventSchema, "LifecycleEventList"), "A page of events"),
    ...withErrors(),
  },
});

const isSeqCursor = cursorShape({ after: "position" });

export function registerLifecycleRoutes(app: OpenAPIHono<AppEnv>) {
  /** Applies a state-machine action and answers with the workspace and its new etag. */
  const transitioned = async (c: Context<AppEnv>, action: LifecycleAction) => {
    const workspace = await c.var.workspace.workspaces.transition(action);
    c.header("ETag", quoteEtag(workspace.etag));
    return workspace;
  };

  app.openapi(startRoute, async (c) => c.json(await transitioned(c, "start"), 200));
  app.openapi(stopRoute, async (c) => c.json(await transitioned(c, "stop"), 200));
  app.openapi(archiveRoute, async (c) => {
    const action = c.req.valid("json").archive ? "archive" : "unarchive";
    return c.json(await transitioned(c, action), 200);
  });

  app.openapi(resetRoute, async (c) => {
    const result = await c.var.workspace.workspaces.reset();
    return c.json(result, 200);
  });

  app.openapi(recordEventRoute, async (c) => {
    const input = c.req.valid("json");
    const event = await c.var.workspace.workspaces.addLifecycleEvent(input);
    return c.json(event, 201);
  });

  app.openapi(listEventsRoute, async (c) => {
    const { limit, cursor, order } = c.req.valid("query");
    const after = cursorKey(cursor, isSeqCursor)?.after ?? null;
    const page = await c.var.workspace.workspaces.listLifecycleEvents({ limit, after, order });
    return c.json(page, 200);
  });
}
