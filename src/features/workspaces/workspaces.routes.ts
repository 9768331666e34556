import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/app-env";
import { conditionsOf, jsonWithEtag } from "../../http/etag";
import {
  IfMatchHeaderSchema,
  jsonBody,
  jsonResponse,
  noContent,
  WorkspaceParamsSchema,
  withErrors,
} from "../../http/openapi-helpers";
import { apiRoute } from "../../http/route";
import { workspaceClient } from "../../kernel/workspace-client";
import { newId } from "../../lib/ids";
import {
  CreateWorkspaceSchema,
  PatchWorkspaceSchema,
  ReplaceWorkspaceSchema,
  WorkspaceSchema,
  WorkspaceWithCodebasesSchema,
} from "./workspace.schemas";
import { ListWorkspacesQuerySchema, listWorkspaces } from "./workspace-list";

const tags = ["Workspaces"];

const WorkspaceListSchema = z
  .object({
    items: z.array(WorkspaceSchema),
    next_cursor: z.string().nullable(),
    total: z.number().int(),
  })
  .openapi("WorkspaceList");

const createWorkspaceRoute = apiRoute({
  method: "post",
  path: "/v1/workspaces",
  operationId: "createWorkspace",
  auth: "key",
  tags,
  summary: "Create a workspace; it is `running` once its Durable Object is initialised",
  request: { body: jsonBody(CreateWorkspaceSchema) },
  responses: {
    201: jsonResponse(WorkspaceSchema, "The new workspace"),
    ...withErrors(403, 409, 422),
  },
});

const listWorkspacesRoute = apiRoute({
  method: "get",
  path: "/v1/workspaces",
  operationId: "listWorkspaces",
  auth: "key",
  tags,
  summary: "List the account's workspaces, newest first",
  request: { query: ListWorkspacesQuerySchema },
  responses: { 200: jsonResponse(WorkspaceListSchema, "A page of workspaces"), ...withErrors(403) },
});

const getWorkspaceRoute = apiRoute({
  method: "get",
  path: "/v1/workspaces/{ws}",
  operationId: "getWorkspace",
  auth: "key",
  etag: true,
  tags,
  summary: "Get one workspace, with its codebases",
  request: { params: WorkspaceParamsSchema },
  responses: { 200: jsonResponse(WorkspaceWithCodebasesSchema, "The workspace"), ...withErrors() },
});

const patchWorkspaceRoute = apiRoute({
  method: "patch",
  path: "/v1/workspaces/{ws}",
  operationId: "updateWorkspace",
  auth: "key",
  tags,
  summary: "Merge changes (metadata and config deep-merge; null deletes a key or clears a field)",
  request: {
    params: WorkspaceParamsSchema,
    headers: IfMatchHeaderSchema,
    body: jsonBody(PatchWorkspaceSchema),
  },
  responses: {
    200: jsonResponse(WorkspaceSchema, "The updated workspace"),
    ...withErrors(409, 412),
  },
});

const replaceWorkspaceRoute = apiRoute({
  method: "put",
  path: "/v1/workspaces/{ws}",
  operationId: "replaceWorkspace",
  auth: "key",
  tags,
  summary: "Replace the writable fields; omitted ones reset to defaults (an omitted slug is kept)",
  request: {
    params: WorkspaceParamsSchema,
    headers: IfMatchHeaderSchema,
    body: jsonBody(ReplaceWorkspaceSchema),
  },
  responses: {
    200: jsonResponse(WorkspaceSchema, "The replaced workspace"),
    ...withErrors(409, 412),
  },
});

const deleteWorkspaceRoute = apiRoute({
  method: "delete",
  path: "/v1/workspaces/{ws}",
  operationId: "deleteWorkspace",
  auth: "key",
  // A runner token works in its workspace; it may not end it.
  runnerTokens: false,
  tags,
  summary: "Delete the workspace with everything in it (storage is wiped in the background)",
  request: { params: WorkspaceParamsSchema, headers: IfMatchHeaderSchema },
  responses: { 204: noContent, ...withErrors(412) },
});

export function registerWorkspaceRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(createWorkspaceRoute, async (c) => {
    const input = c.req.valid("json");
    const id = newId("ws");
    const client = workspaceClient(c.env, id, c.get("auth"));
    const workspace = await client.workspaces.create(id, input);
    c.header("Location", `/v1/workspaces/${workspace.id}`);
    return jsonWithEtag(c, workspace, 201);
  });

  app.openapi(listWorkspacesRoute, async (c) => {
    const page = await listWorkspaces(c.env.DB, c.get("auth").accountId, c.req.valid("query"));
    return c.json(page, 200);
  });

  app.openapi(getWorkspaceRoute, async (c) => {
    const workspace = await c.var.workspace.workspaces.get();
    return jsonWithEtag(c, workspace, 200);
  });

  app.openapi(patchWorkspaceRoute, async (c) => {
    const input = c.req.valid("json");
    const { ifMatch } = conditionsOf(c);
    const workspace = await c.var.workspace.workspaces.patch(input, ifMatch);
    return jsonWithEtag(c, workspace, 200);
  });

  app.openapi(replaceWorkspaceRoute, async (c) => {
    const input = c.req.valid("json");
    const { ifMatch } = conditionsOf(c);
    const workspace = await c.var.workspace.workspaces.replace(input, ifMatch);
    return jsonWithEtag(c, workspace, 200);
  });

  app.openapi(deleteWorkspaceRoute, async (c) => {
    const { ifMatch } = conditionsOf(c);
    await c.var.workspace.workspaces.delete(ifMatch);
    return c.body(null, 204);
  });
}
