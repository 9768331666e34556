import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/app-env";
import {
  jsonBody,
  jsonResponse,
  noContent,
  WorkspaceParamsSchema,
  withErrors,
} from "../../http/openapi-helpers";
import { apiRoute } from "../../http/route";
import { CreateCodebaseSchema } from "./codebases";
import { CodebaseSchema } from "./workspace.schemas";

const tags = ["Codebases"];

const CodebaseParamsSchema = WorkspaceParamsSchema.extend({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
});

const listRoute = apiRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/codebases",
  operationId: "listCodebases",
  auth: "key",
  tags,
  summary: "List the workspace's codebases",
  request: { params: WorkspaceParamsSchema },
  responses: {
    200: jsonResponse(
      z.object({ items: z.array(CodebaseSchema) }).openapi("CodebaseList"),
      "The codebases",
    ),
    ...withErrors(),
  },
});

const createCodebaseRoute = apiRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/codebases",
  operationId: "createCodebase",
  auth: "key",
  tags,
  summary: "Add a codebase: `local` with a path, or `github` with a URL (and a branch)",
  request: {
    params: WorkspaceParamsSchema,
    body: jsonBody(CreateCodebaseSchema),
  },
  responses: { 201: jsonResponse(CodebaseSchema, "The new codebase"), ...withErrors(409, 422) },
});

const getRoute = apiRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/codebases/{id}",
  operationId: "getCodebase",
  auth: "key",
  tags,
  summary: "Get one codebase",
  request: { params: CodebaseParamsSchema },
  responses: { 200: jsonResponse(CodebaseSchema, "The codebase"), ...withErrors() },
});

const deleteRoute = apiRoute({
  method: "delete",
  path: "/v1/workspaces/{ws}/codebases/{id}",
  operationId: "deleteCodebase",
  auth: "key",
  tags,
  summary: "Remove a codebase",
  request: { params: CodebaseParamsSchema },
  responses: { 204: noContent, ...withErrors() },
});

export function registerCodebaseRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(listRoute, async (c) => {
    const items = await c.var.workspace.workspaces.listCodebases();
    return c.json({ items }, 200);
  });

  app.openapi(createCodebaseRoute, async (c) => {
    const input = c.req.valid("json");
    const codebase = await c.var.workspace.workspaces.addCodebase(input);
    return c.json(codebase, 201);
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await c.var.workspace.workspaces.getCodebase(id), 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid("param");
    await c.var.workspace.workspaces.removeCodebase(id);
    return c.body(null, 204);
  });
}
