import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/app-env";
import { quoteEtag } from "../../http/etag";
import {
  IdempotencyHeaderSchema,
  IfMatchHeaderSchema,
  jsonBody,
  jsonResponse,
  noContent,
  WorkspaceParamsSchema,
  withErrors,
} from "../../http/openapi-helpers";
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

const createWorkspaceRoute = createRoute({
  method: "post",
  path: "/v1/workspaces",
  tags,
  summary: "Create a workspace; it is `running` once its Durable Object is initialised",
  request: { headers: IdempotencyHeaderSchema, body: jsonBody(CreateWorkspaceSchema) },
  responses: {
    201: jsonResponse(WorkspaceSchema, "The new workspace"),
    ...withErrors(403, 409, 422),
  },
});

const listWorkspacesRoute = createRoute({
  method: "get",
  path: "/v1/workspaces",
  tags,
  summary: "List the account's workspaces, newest first",
  request: { query: ListWorkspacesQuerySchema },
  responses: { 200: jsonResponse(WorkspaceListSchema, "A page of workspaces"), ...withErrors(403) },
});

const getWorkspaceRoute = createRoute({
  method: "get",
  path: "/v1/workspaces/{ws}",
  tags,
  summary: "Get one workspace, with its codebases",
  request: { params: WorkspaceParamsSchema },
  responses: { 200: jsonResponse(WorkspaceWithCodebasesSchema, "The workspace"), ...withErrors() },
});

const patchWorkspaceRoute = createRoute({
  method: "patch",
  path: "/v1/workspaces/{ws}",
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

const replaceWorkspaceRoute = createRoute({
  method: "put",
  path: "/v1/workspaces/{ws}",
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

const deleteWorkspaceRoute = createRoute({
  method: "delete",
  path: "/v1/workspaces/{ws}",
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
    c.header("ETag", quoteEtag(workspace.etag));
    c.header("Location", `/v1/workspaces/${workspace.id}`);
    return c.json(workspace, 201);
  });

  app.openapi(listWorkspacesRoute, async (c) => {
    const page = await listWorkspaces(c.env.DB, c.get("auth").accountId, c.req.valid("query"));
    return c.json(page, 200);
  });

  app.openapi(getWorkspaceRoute, async (c) => {
    const workspace = await c.var.workspace.workspaces.get();
    c.header("ETag", quoteEtag(workspace.etag));
    return c.json(workspace, 200);
  });

  app.openapi(patchWorkspaceRoute, async (c) => {
    const input = c.req.valid("json");
    const ifMatch = c.req.header("if-match") ?? null;
    const workspace = await c.var.workspace.workspaces.patch(input, ifMatch);
    c.header("ETag", quoteEtag(workspace.etag));
    return c.json(workspace, 200);
  });

  app.openapi(replaceWorkspaceRoute, async (c) => {
    const input = c.req.valid("json");
    const ifMatch = c.req.header("if-match") ?? null;
    const workspace = await c.var.workspace.workspaces.replace(input, ifMatch);
    c.header("ETag", quoteEtag(workspace.etag));
    return c.json(workspace, 200);
  });

  app.openapi(deleteWorkspaceRoute, async (c) => {
    const ifMatch = c.req.header("if-match") ?? null;
    await c.var.workspace.workspaces.delete(ifMatch);
    return c.body(null, 204);
  });
}
