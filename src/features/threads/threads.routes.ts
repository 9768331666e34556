import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/app-env";
import { errorResponse } from "../../http/errors";
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
import { pageStart } from "../../lib/pagination";
import { ThreadSchema, ThreadWithMessagesSchema } from "./thread.schemas";
import {
  CreateThreadSchema,
  decodeListCursor,
  decodeMessagesCursor,
  encodeMessagesCursor,
  ListThreadsQuerySchema,
  MessagesPageSchema,
  MessagesQuerySchema,
  nextListCursor,
  PatchThreadMetadataSchema,
  PatchThreadSchema,
  RebuildReportSchema,
  ReplaceThreadSchema,
  ThreadPageSchema,
  ThreadParamsSchema,
  WriteHeadersSchema,
} from "./thread-route.schemas";

// Threads (chat): metadata and AI SDK UIMessages, kept in the workspace's Durable Object.
// Write answers carry the thread without its messages (they may be megabytes, and the client
// just sent them); GET of a thread embeds them.

const tags = ["Threads"];
const tooLarge = {
  413: errorResponse("A message, or the request body, is too large"),
} as const;

const listRoute = apiRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/threads",
  operationId: "listThreads",
  auth: "key",
  tags,
  summary: "List threads (metadata only), by updated_at or created_at",
  request: { params: WorkspaceParamsSchema, query: ListThreadsQuerySchema },
  responses: { 200: jsonResponse(ThreadPageSchema, "A page of threads"), ...withErrors() },
});

const createThreadRoute = apiRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/threads",
  operationId: "createThread",
  auth: "key",
  body: "thread",
  tags,
  summary: "Create a thread, optionally with its first messages",
  request: {
    params: WorkspaceParamsSchema,
    body: jsonBody(CreateThreadSchema),
  },
  responses: {
    201: jsonResponse(ThreadSchema, "The new thread (without its messages)"),
    ...withErrors(422),
    ...tooLarge,
  },
});

const getRoute = apiRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/threads/{th}",
  operationId: "getThread",
  auth: "key",
  etag: true,
  tags,
  summary: "Get a thread with its messages (the first 1,000, or 16 MiB; then see the cursor)",
  request: { params: ThreadParamsSchema },
  responses: { 200: jsonResponse(ThreadWithMessagesSchema, "The thread"), ...withErrors() },
});

const putRoute = apiRoute({
  method: "put",
  path: "/v1/workspaces/{ws}/threads/{th}",
  operationId: "replaceThread",
  auth: "key",
  body: "thread",
  tags,
  summary: "Create the thread under this id, or overwrite it (created_by and created_at are kept)",
  request: {
    params: ThreadParamsSchema,
    headers: WriteHeadersSchema,
    body: jsonBody(ReplaceThreadSchema),
  },
  responses: {
    200: jsonResponse(ThreadSchema, "Overwritten"),
    201: jsonResponse(ThreadSchema, "Created"),
    ...withErrors(409, 412),
    ...tooLarge,
  },
});

const patchRoute = apiRoute({
  method: "patch",
  path: "/v1/workspaces/{ws}/threads/{th}",
  operationId: "updateThread",
  auth: "key",
  body: "thread",
  tags,
  summary: "Change title, summary, metadata (deep-merged) and/or the message list (replaced)",
  request: {
    params: ThreadParamsSchema,
    headers: IfMatchHeaderSchema,
    body: jsonBody(PatchThreadSchema),
  },
  responses: {
    200: jsonResponse(ThreadSchema, "The updated thread"),
    ...withErrors(409, 412),
    ...tooLarge,
  },
});

const patchMetadataRoute = apiRoute({
  method: "patch",
  path: "/v1/workspaces/{ws}/threads/{th}/metadata",
  operationId: "updateThreadMetadata",
  auth: "key",
  tags,
  summary: "Deep-merge the thread's metadata (`null` deletes a key); nothing else changes",
  request: {
    params: ThreadParamsSchema,
    headers: IfMatchHeaderSchema,
    body: jsonBody(PatchThreadMetadataSchema),
  },
  responses: { 200: jsonResponse(ThreadSchema, "The updated thread"), ...withErrors(412) },
});

const deleteRoute = apiRoute({
  method: "delete",
  path: "/v1/workspaces/{ws}/threads/{th}",
  operationId: "deleteThread",
  auth: "key",
  tags,
  summary: "Delete a thread and its messages",
  request: { params: ThreadParamsSchema, headers: IfMatchHeaderSchema },
  responses: { 204: noContent, ...withErrors(412) },
});

const rebuildRoute = apiRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/threads/rebuild-metadata",
  operationId: "rebuildThreadMetadata",
  auth: "key",
  tags,
  summary: "Recompute every thread's index (message count, last message, updated_at)",
  request: { params: WorkspaceParamsSchema },
  responses: {
    200: jsonResponse(RebuildReportSchema, "What was checked and what was wrong"),
    ...withErrors(422),
  },
});

const messagesRoute = apiRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/threads/{th}/messages",
  operationId: "listThreadMessages",
  auth: "key",
  tags,
  summary: "A thread's messages, oldest first, or (`view=pairs`) its query/response pairs",
  request: { params: ThreadParamsSchema, query: MessagesQuerySchema },
  responses: { 200: jsonResponse(MessagesPageSchema, "A page"), ...withErrors() },
});

export function registerThreadRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const { cursor, skip } = pageStart(query);
    const after = cursor ? decodeListCursor(cursor, query.sort_by, query.sort_order) : null;
    const page = await c.var.workspace.threads.list({
      sortBy: query.sort_by,
      order: query.sort_order,
      after,
      limit: query.limit,
      skip,
    });
    const next = nextListCursor(query.sort_by, query.sort_order, page);
    return c.json({ items: page.items, next_cursor: next }, 200);
  });

  app.openapi(createThreadRoute, async (c) => {
    const input = c.req.valid("json");
    const thread = await c.var.workspace.threads.create(input);
    c.header("Location", `/v1/workspaces/${c.var.workspace.id}/threads/${thread.id}`);
    return jsonWithEtag(c, thread, 201);
  });

  app.openapi(getRoute, async (c) => {
    const { th } = c.req.valid("param");
    const { thread, messages, nextAfter } = await c.var.workspace.threads.get(th);
    return jsonWithEtag(
      c,
      { ...thread, messages, messages_next_cursor: encodeMessagesCursor("messages", nextAfter) },
      200,
    );
  });

  app.openapi(putRoute, async (c) => {
    const { th } = c.req.valid("param");
    const { title, summary, metadata, messages } = c.req.valid("json");
    const conditions = conditionsOf(c);
    const { thread, created } = await c.var.workspace.threads.put(
      th,
      { title, summary, metadata, messages },
      conditions,
    );
    return created ? jsonWithEtag(c, thread, 201) : jsonWithEtag(c, thread, 200);
  });

  app.openapi(patchRoute, async (c) => {
    const { th } = c.req.valid("param");
    const input = c.req.valid("json");
    const { ifMatch } = conditionsOf(c);
    const thread = await c.var.workspace.threads.patch(th, input, ifMatch);
    return jsonWithEtag(c, thread, 200);
  });

  app.openapi(patchMetadataRoute, async (c) => {
    const { th } = c.req.valid("param");
    const { metadata } = c.req.valid("json");
    const { ifMatch } = conditionsOf(c);
    const thread = await c.var.workspace.threads.patch(th, { metadata }, ifMatch);
    return jsonWithEtag(c, thread, 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const { th } = c.req.valid("param");
    const { ifMatch } = conditionsOf(c);
    await c.var.workspace.threads.delete(th, ifMatch);
    return c.body(null, 204);
  });

  app.openapi(rebuildRoute, async (c) => {
    const report = await c.var.workspace.threads.rebuildIndex();
    return c.json(report, 200);
  });

  app.openapi(messagesRoute, async (c) => {
    const { th } = c.req.valid("param");
    const query = c.req.valid("query");
    const { cursor, skip } = pageStart(query);
    const after = decodeMessagesCursor(cursor, query.view);
    const page = await c.var.workspace.threads.messages(th, {
      view: query.view,
      after,
      limit: query.limit,
      skip,
    });
    const next_cursor = encodeMessagesCursor(query.view, page.nextAfter);
    // Two shapes, one per view: answered separately so each is checked against its schema.
    if (page.view === "pairs") return c.json({ items: page.items, next_cursor }, 200);
    return c.json({ items: page.items, next_cursor }, 200);
  });
}
