import type { OpenAPIHono } from "@hono/zod-openapi";
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
import { isAfterCursor } from "../../lib/cursor";
import { nextCursor, type PageRequest, pageKey } from "../../lib/pagination";
import { CommandSchema, CreateCommandSchema, PatchCommandSchema } from "./command.schemas";
import { registerCommandExecutionRoutes } from "./command-executions.routes";
import {
  CategoryListSchema,
  CategoryParamsSchema,
  CommandPageSchema,
  DiscoveryQuerySchema,
  ListCommandsQuerySchema,
  PageQuerySchema,
  SearchQuerySchema,
  SearchResultSchema,
  SuggestionListSchema,
  TriggerParamsSchema,
  UsageListSchema,
  UsageQuerySchema,
} from "./command-route.schemas";

// The command registry and its discovery routes. The fixed sub-paths (suggestions, search,
// categories, recent, popular) are registered before `{trigger}`, and are reserved triggers,
// so none of them is ever read as a command's name.

const tags = ["Commands"];
const base = "/v1/workspaces/{ws}/commands";

const listRoute = apiRoute({
  method: "get",
  path: base,
  operationId: "listCommands",
  auth: "key",
  tags,
  summary: "List commands by trigger (filter by type, or a substring of trigger/description)",
  request: { params: WorkspaceParamsSchema, query: ListCommandsQuerySchema },
  responses: { 200: jsonResponse(CommandPageSchema, "A page of commands"), ...withErrors() },
});

const createCommandRoute = apiRoute({
  method: "post",
  path: base,
  operationId: "createCommand",
  auth: "key",
  tags,
  summary: "Register a command: shell script, prompt or http webhook, with declared arguments",
  request: {
    params: WorkspaceParamsSchema,
    body: jsonBody(CreateCommandSchema),
  },
  responses: {
    201: jsonResponse(CommandSchema, "The new command"),
    ...withErrors(409, 422),
  },
});

const suggestionsRoute = apiRoute({
  method: "get",
  path: `${base}/suggestions`,
  operationId: "suggestCommands",
  auth: "key",
  tags,
  summary: "Suggest commands for what was typed: prefix matches first, then fuzzy ones",
  request: { params: WorkspaceParamsSchema, query: DiscoveryQuerySchema },
  responses: { 200: jsonResponse(SuggestionListSchema, "Best first"), ...withErrors() },
});

const searchRoute = apiRoute({
  method: "get",
  path: `${base}/search`,
  operationId: "searchCommands",
  auth: "key",
  tags,
  summary: "Full-text search (FTS5, bm25; trigger weighs more than description, then body)",
  description:
    "Every word of the query must match (as a prefix, with porter stemming); results are ranked by bm25 with column weights trigger 10, description 4, body 1.",
  request: { params: WorkspaceParamsSchema, query: SearchQuerySchema },
  responses: { 200: jsonResponse(SearchResultSchema, "Best first"), ...withErrors() },
});

const categoriesRoute = apiRoute({
  method: "get",
  path: `${base}/categories`,
  operationId: "listCommandCategories",
  auth: "key",
  tags,
  summary: "The categories in use, with how many commands each holds",
  request: { params: WorkspaceParamsSchema },
  responses: { 200: jsonResponse(CategoryListSchema, "By name"), ...withErrors() },
});

const categoryRoute = apiRoute({
  method: "get",
  path: `${base}/categories/{category}`,
  operationId: "listCategoryCommands",
  auth: "key",
  tags,
  summary: "The commands of one category, by trigger",
  request: { params: CategoryParamsSchema, query: PageQuerySchema },
  responses: { 200: jsonResponse(CommandPageSchema, "A page of commands"), ...withErrors() },
});

const usageRoute = (order: "recent" | "popular") =>
  apiRoute({
    method: "get",
    path: `${base}/${order}`,
    operationId: order === "recent" ? "listRecentCommands" : "listPopularCommands",
    auth: "key",
    tags,
    summary:
      order === "recent"
        ? "Commands by their latest execution, newest first"
        : "Commands by how many executions they have had, most first",
    request: { params: WorkspaceParamsSchema, query: UsageQuerySchema },
    responses: { 200: jsonResponse(UsageListSchema, "From recorded executions"), ...withErrors() },
  });

const getRoute = apiRoute({
  method: "get",
  path: `${base}/{trigger}`,
  operationId: "getCommand",
  auth: "key",
  etag: true,
  tags,
  summary: "Get a command",
  request: { params: TriggerParamsSchema },
  responses: { 200: jsonResponse(CommandSchema, "The command (ETag: its etag)"), ...withErrors() },
});

const patchRoute = apiRoute({
  method: "patch",
  path: `${base}/{trigger}`,
  operationId: "updateCommand",
  auth: "key",
  tags,
  summary: "Change a command (the trigger stays); If-Match guards against lost updates",
  request: {
    params: TriggerParamsSchema,
    headers: IfMatchHeaderSchema,
    body: jsonBody(PatchCommandSchema),
  },
  responses: { 200: jsonResponse(CommandSchema, "The updated command"), ...withErrors(412) },
});

const deleteRoute = apiRoute({
  method: "delete",
  path: `${base}/{trigger}`,
  operationId: "deleteCommand",
  auth: "key",
  tags,
  summary: "Delete a command (its past executions stay readable)",
  request: { params: TriggerParamsSchema, headers: IfMatchHeaderSchema },
  responses: { 204: noContent, ...withErrors(412) },
});

const page = <T extends { trigger: string }>(result: { items: T[]; more: boolean }) => ({
  items: result.items,
  next_cursor: nextCursor(result, (last) => ({ after: last.trigger })),
});

/** Where a page of commands starts: after the cursor's trigger, or `skip` commands in. */
const startOf = (query: PageRequest) => {
  const { key, skip } = pageKey(query, isAfterCursor);
  return { after: key?.after ?? null, skip };
};

export function registerCommandRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const result = await c.var.workspace.commands.list({
      type: query.type,
      search: query.search,
      category: undefined,
      ...startOf(query),
      limit: query.limit,
    });
    return c.json(page(result), 200);
  });

  app.openapi(createCommandRoute, async (c) => {
    const input = c.req.valid("json");
    const command = await c.var.workspace.commands.create(input);
    c.header("Location", `/v1/workspaces/${c.var.workspace.id}/commands/${command.trigger}`);
    return jsonWithEtag(c, command, 201);
  });

  app.openapi(suggestionsRoute, async (c) => {
    const { query, limit } = c.req.valid("query");
    const items = await c.var.workspace.commands.suggestions(query, limit);
    return c.json({ items }, 200);
  });

  app.openapi(searchRoute, async (c) => {
    const { query, limit } = c.req.valid("query");
    const items = await c.var.workspace.commands.search(query, limit);
    return c.json({ items }, 200);
  });

  app.openapi(categoriesRoute, async (c) => {
    const items = await c.var.workspace.commands.categories();
    return c.json({ items }, 200);
  });

  app.openapi(categoryRoute, async (c) => {
    const { category } = c.req.valid("param");
    const query = c.req.valid("query");
    const result = await c.var.workspace.commands.list({
      type: undefined,
      search: undefined,
      category,
      ...startOf(query),
      limit: query.limit,
    });
    return c.json(page(result), 200);
  });

  for (const order of ["recent", "popular"] as const) {
    app.openapi(usageRoute(order), async (c) => {
      const { limit } = c.req.valid("query");
      const items = await c.var.workspace.commands.usage(order, limit);
      return c.json({ items }, 200);
    });
  }

  app.openapi(getRoute, async (c) => {
    const { trigger } = c.req.valid("param");
    const command = await c.var.workspace.commands.get(trigger);
    return jsonWithEtag(c, command, 200);
  });

  app.openapi(patchRoute, async (c) => {
    const { trigger } = c.req.valid("param");
    const input = c.req.valid("json");
    const { ifMatch } = conditionsOf(c);
    const command = await c.var.workspace.commands.patch(trigger, input, ifMatch);
    return jsonWithEtag(c, command, 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const { trigger } = c.req.valid("param");
    const { ifMatch } = conditionsOf(c);
    await c.var.workspace.commands.delete(trigger, ifMatch);
    return c.body(null, 204);
  });

  registerCommandExecutionRoutes(app);
}
