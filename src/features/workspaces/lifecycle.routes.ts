import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../http/app-env";
import { jsonWithEtag } from "../../http/etag";
import {
  jsonBody,
  jsonResponse,
  LimitSchema,
  pageFields,
  pageOf,
  WorkspaceParamsSchema,
  withErrors,
} from "../../http/openapi-helpers";
import { apiRoute } from "../../http/route";
import { cursorShape } from "../../lib/cursor";
import { cursorKey, pageStart } from "../../lib/pagination";
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
  apiRoute({
    method: "post",
    path: `/v1/workspaces/{ws}/${action}`,
    operationId: `${action}Workspace`,
    auth: "key",
    tags,
    summary,
    request: { params: WorkspaceParamsSchema },
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

const archiveRoute = apiRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/archive",
  operationId: "archiveWorkspace",
  auth: "key",
  tags,
  summary: "Archive (`archive: true`) or unarchive (`archive: false`) the workspace",
  request: {
    params: WorkspaceParamsSchema,
    body: jsonBody(ArchiveBodySchema),
  },
  responses: {
    200: jsonResponse(WorkspaceSchema, "The workspace in its new state"),
    ...withErrors(409, 422),
  },
});

const resetRoute = apiRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/reset",
  operationId: "resetWorkspace",
  auth: "key",
  tags,
  summary: "Reset: close every agent, cancel active streams, broadcast `workspace_reset`",
  description:
    'Appends a `workspace.reset` event and sends every socket `{"type":"workspace_reset"}`. ' +
    "The workspace record, its files and threads are kept.",
  request: { params: WorkspaceParamsSchema },
  responses: { 200: jsonResponse(ResetResultSchema, "What was reset"), ...withErrors(422) },
});

const recordEventRoute = apiRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/lifecycle-events",
  operationId: "createLifecycleEvent",
  auth: "key",
  tags,
  summary: "Record a lifecycle event `{event, notes}`",
  request: {
    params: WorkspaceParamsSchema,
    body: jsonBody(CreateLifecycleEventSchema),
  },
  responses: {
    201: jsonResponse(LifecycleEventSchema, "The recorded event"),
    ...withErrors(422),
  },
});

const listEventsRoute = apiRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/lifecycle-events",
  operationId: "listLifecycleEvents",
  auth: "key",
  tags,
  summary: "List lifecycle events (every state change records one)",
  request: {
    params: WorkspaceParamsSchema,
    query: z.object({
      limit: LimitSchema,
      ...pageFields,
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
    return jsonWithEtag(c, workspace, 200);
  };

  app.openapi(startRoute, async (c) => transitioned(c, "start"));
  app.openapi(stopRoute, async (c) => transitioned(c, "stop"));
  app.openapi(archiveRoute, async (c) => {
    const action = c.req.valid("json").archive ? "archive" : "unarchive";
    return transitioned(c, action);
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
    const query = c.req.valid("query");
    const { cursor, skip } = pageStart(query);
    const after = cursorKey(cursor, isSeqCursor)?.after ?? null;
    const { limit, order } = query;
    const page = await c.var.workspace.workspaces.listLifecycleEvents({
      limit,
      after,
      skip,
      order,
    });
    return c.json(page, 200);
  });
}
