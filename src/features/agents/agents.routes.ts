import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/app-env";
import { conditionsOf, jsonWithEtag } from "../../http/etag";
import {
  conditionalWriteHeaders,
  jsonBody,
  jsonResponse,
  WorkspaceParamsSchema,
  withErrors,
} from "../../http/openapi-helpers";
import { apiRoute } from "../../http/route";
import { cursorShape } from "../../lib/cursor";
import { pageKey } from "../../lib/pagination";
import {
  AgentListSchema,
  AgentLogPageSchema,
  AgentLogQuerySchema,
  AgentSchema,
  RoleListSchema,
  RoleNameSchema,
  RoleTemplateInputSchema,
  RoleTemplateSchema,
  SpawnAgentSchema,
} from "./agent.schemas";

// Roles (detected from the workspace's files), role templates, and agents: threads driven by
// the agent loop in the workspace's DO, which go on without the request that spawned them.

const tags = ["Agents"];

const RoleParamsSchema = WorkspaceParamsSchema.extend({
  role: RoleNameSchema.openapi({ param: { name: "role", in: "path" }, example: "reviewer" }),
});

const AgentParamsSchema = WorkspaceParamsSchema.extend({
  id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "id", in: "path" }, example: "agt_01J0000000000000000000" }),
});
const ws = "/v1/workspaces/{ws}";

const rolesRoute = apiRoute({
  method: "get",
  path: `${ws}/roles`,
  operationId: "listRoles",
  auth: "key",
  tags,
  summary: "Roles detected from CLAUDE.md / AGENTS.md and .claude/agents/*.md",
  description:
    "`CLAUDE.md` at the root (else `AGENTS.md`) is the `default` role. Each `.claude/agents/*.md` is a role named by its YAML front matter's `name` (else the file name), with `description`, `model` and `tools`; the body is its instructions. Read from the files on every call.",
  request: { params: WorkspaceParamsSchema },
  responses: { 200: jsonResponse(RoleListSchema, "The roles"), ...withErrors() },
});

const getTemplateRoute = apiRoute({
  method: "get",
  path: `${ws}/role-templates/{role}`,
  operationId: "getRoleTemplate",
  auth: "key",
  etag: true,
  tags,
  summary: "A role's template (the defaults, `saved: false`, when none is stored)",
  request: { params: RoleParamsSchema },
  responses: {
    200: jsonResponse(RoleTemplateSchema, "The template (ETag: its etag, when stored)"),
    ...withErrors(),
  },
});

const putTemplateRoute = apiRoute({
  method: "put",
  path: `${ws}/role-templates/{role}`,
  operationId: "putRoleTemplate",
  auth: "key",
  tags,
  summary: "Store a role's template (fields left out take their defaults)",
  description:
    "Appends `role_template.updated`. `is_orchestrator: true` spawns the role's agents as orchestrators (the workspace's own `orchestrator_role` is a field of the workspace, set with PATCH /v1/workspaces/{ws}). `If-Match` / `If-None-Match: *` make the write conditional (412).",
  request: {
    params: RoleParamsSchema,
    headers: conditionalWriteHeaders("role template"),
    body: jsonBody(RoleTemplateInputSchema),
  },
  responses: {
    200: jsonResponse(RoleTemplateSchema, "The stored template (ETag: its new etag)"),
    ...withErrors(412),
  },
});

const spawnRoute = apiRoute({
  method: "post",
  path: `${ws}/agents`,
  operationId: "spawnAgent",
  auth: "key",
  tags,
  summary: "Spawn an agent of a role: a thread driven by the agent loop; answers at once (201)",
  description:
    "The role must be detected from the files, have a template or be the workspace's `orchestrator_role` (404 otherwise). The task (or the template's `default_task`, 400 when neither) is the thread's first user message; the role's instructions (with the workspace's CLAUDE.md as context) the system prompt. Tools: list_files, read_file, write_file, search_files, run_command (a script on the built-in shell), and spawn_agent when the template has `can_spawn_subagents` or the agent is an orchestrator (its role the workspace's `orchestrator_role`, or its template's `is_orchestrator`: it is also told the other roles); a front matter `tools` list naming some of these narrows them. `effort` sets the model calls per turn (low 5, medium 10, high 20). `model` (or the template's, or the front matter's) picks the provider when it names one; otherwise it is recorded and the configured provider answers. Appends `agent.spawned`, and `agent.updated` when its turn ends.",
  request: {
    params: WorkspaceParamsSchema,
    body: jsonBody(SpawnAgentSchema),
  },
  responses: {
    201: jsonResponse(AgentSchema, "The agent, already running"),
    ...withErrors(409, 422),
  },
});

const listRoute = apiRoute({
  method: "get",
  path: `${ws}/agents`,
  operationId: "listAgents",
  auth: "key",
  tags,
  summary: "Open agents (oldest first) and the newest 100 closed ones, logs cut to 50 entries",
  request: { params: WorkspaceParamsSchema },
  responses: { 200: jsonResponse(AgentListSchema, "The agents"), ...withErrors() },
});

const getRoute = apiRoute({
  method: "get",
  path: `${ws}/agents/{id}`,
  operationId: "getAgent",
  auth: "key",
  tags,
  summary: "An agent",
  request: { params: AgentParamsSchema },
  responses: { 200: jsonResponse(AgentSchema, "The agent"), ...withErrors() },
});

const logRoute = apiRoute({
  method: "get",
  path: `${ws}/agents/{id}/log`,
  operationId: "getAgentLog",
  auth: "key",
  tags,
  summary: "An agent's full log, paged: its thread's messages (and live answer) part by part",
  request: { params: AgentParamsSchema, query: AgentLogQuerySchema },
  responses: { 200: jsonResponse(AgentLogPageSchema, "A page of entries"), ...withErrors() },
});

const closeRoute = apiRoute({
  method: "delete",
  path: `${ws}/agents/{id}`,
  operationId: "closeAgent",
  auth: "key",
  tags,
  summary: "Close an agent: its stream cancelled (the partial answer kept), status closed",
  description: "Appends `agent.closed`. Closing a closed agent answers it unchanged.",
  request: { params: AgentParamsSchema },
  responses: { 200: jsonResponse(AgentSchema, "The closed agent"), ...withErrors() },
});

const isIndexCursor = cursorShape({ index: "position" });

export function registerAgentRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(rolesRoute, async (c) => {
    const roles = await c.var.workspace.agents.roles();
    return c.json(roles, 200);
  });

  app.openapi(getTemplateRoute, async (c) => {
    const { role } = c.req.valid("param");
    const template = await c.var.workspace.agents.template(role);
    return jsonWithEtag(c, template, 200);
  });

  app.openapi(putTemplateRoute, async (c) => {
    const { role } = c.req.valid("param");
    const input = c.req.valid("json");
    const conditions = conditionsOf(c);
    const template = await c.var.workspace.agents.putTemplate(role, input, conditions);
    return jsonWithEtag(c, template, 200);
  });

  app.openapi(spawnRoute, async (c) => {
    const input = c.req.valid("json");
    const agent = await c.var.workspace.agents.spawn(input);
    c.header("Location", `/v1/workspaces/${c.var.workspace.id}/agents/${agent.id}`);
    return c.json(agent, 201);
  });

  app.openapi(listRoute, async (c) => {
    const list = await c.var.workspace.agents.list();
    return c.json(list, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const agent = await c.var.workspace.agents.get(id);
    return c.json(agent, 200);
  });

  app.openapi(logRoute, async (c) => {
    const { id } = c.req.valid("param");
    const query = c.req.valid("query");
    // The log is addressed by entry index: `offset` n starts at entry n (after n - 1).
    const { key, skip } = pageKey(query, isIndexCursor);
    const given = query.offset !== undefined || query.page !== undefined;
    const after = key?.index ?? (given ? skip - 1 : (query.after ?? -1));
    const page = await c.var.workspace.agents.log(id, after, query.limit);
    return c.json(page, 200);
  });

  app.openapi(closeRoute, async (c) => {
    const { id } = c.req.valid("param");
    const agent = await c.var.workspace.agents.close(id);
    return c.json(agent, 200);
  });
}
