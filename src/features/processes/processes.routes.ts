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
import { decodeCursor, encodeCursor, isAfterCursor } from "../../lib/cursor";
import { type PageRequest, pageStart } from "../../lib/pagination";
import { relayUntilCancelled } from "../../lib/relay-stream";
import { resumeCursor, SSE_HEADERS } from "../events/sse";
import { WorkspaceEventSchema } from "../events/workspace-event";
import {
  ApproveSchema,
  CreateRunSchema,
  DefinitionInputSchema,
  DefinitionPageSchema,
  DefinitionSchema,
  DefinitionWriteHeadersSchema,
  EventsQuerySchema,
  LastEventIdSchema,
  LogPageSchema,
  LogQuerySchema,
  PageQuerySchema,
  ProcessParamsSchema,
  RunPageSchema,
  RunParamsSchema,
  RunSchema,
  TaskParamsSchema,
} from "./process-route.schemas";
import { openapiRunRoute, RUN_BASE } from "./processes.run-paths";

// Processes: definitions by name, runs of them, and the run's control. The engine runs in the
// workspace's DO, driven by its alarm: these routes change runs and wake it, never wait for
// tasks. `/processes/runs/…` is registered before `/processes/{process}` ('runs' is reserved).

const tags = ["Processes"];
const base = "/v1/workspaces/{ws}/processes";
// Every route under a run is served at `…/processes/{process}/runs/{run}…` too (run-paths.ts).
const runBase = RUN_BASE;

const putRoute = apiRoute({
  method: "put",
  path: `${base}/{process}`,
  operationId: "putProcess",
  auth: "key",
  tags,
  summary: "Save a process definition: spec, description, input schema",
  description:
    "The spec is checked as a run's would be: duplicate ids, unknown or later-phase `needs`, cycles, a task's `with` its kind does not take, and templates naming an undeclared input, a task of a later phase or one of the same phase not needed are a 400 naming the offender in `details`. `If-Match` guards against lost updates, `If-None-Match: *` creates only (412 otherwise).",
  request: {
    params: ProcessParamsSchema,
    headers: DefinitionWriteHeadersSchema,
    body: jsonBody(DefinitionInputSchema),
  },
  responses: {
    200: jsonResponse(DefinitionSchema, "The definition, replaced (ETag: its etag)"),
    201: jsonResponse(DefinitionSchema, "The definition, new (ETag: its etag)"),
    ...withErrors(412),
  },
});

const deleteRoute = apiRoute({
  method: "delete",
  path: `${base}/{process}`,
  operationId: "deleteProcess",
  auth: "key",
  tags,
  summary: "Delete a process definition (runs already created keep their spec)",
  request: { params: ProcessParamsSchema, headers: IfMatchHeaderSchema },
  responses: { 204: noContent, ...withErrors(412) },
});

const listRoute = apiRoute({
  method: "get",
  path: base,
  operationId: "listProcesses",
  auth: "key",
  tags,
  summary: "List process definitions by name",
  request: { params: WorkspaceParamsSchema, query: PageQuerySchema },
  responses: { 200: jsonResponse(DefinitionPageSchema, "A page of definitions"), ...withErrors() },
});

const getRoute = apiRoute({
  method: "get",
  path: `${base}/{process}`,
  operationId: "getProcess",
  auth: "key",
  etag: true,
  tags,
  summary: "A process definition",
  request: { params: ProcessParamsSchema },
  responses: {
    200: jsonResponse(DefinitionSchema, "The definition (ETag: its etag)"),
    ...withErrors(),
  },
});

const createRunRoute = apiRoute({
  method: "post",
  path: `${base}/{process}/runs`,
  operationId: "createProcessRun",
  auth: "key",
  tags,
  summary: "Create a run (status `created`) from the given spec or the saved definition",
  description:
    "Inputs are checked against the definition's input schema (400 naming the input). `…/runs/{run}/start` sets it going.",
  request: {
    params: ProcessParamsSchema,
    body: jsonBody(CreateRunSchema),
  },
  // 409/422: an Idempotency-Key still in flight / reused with another body.
  responses: { 201: jsonResponse(RunSchema, "The run"), ...withErrors(409, 422) },
});

const listRunsRoute = apiRoute({
  method: "get",
  path: `${base}/{process}/runs`,
  operationId: "listProcessRuns",
  auth: "key",
  tags,
  summary: "List a process's runs, newest first",
  request: { params: ProcessParamsSchema, query: PageQuerySchema },
  responses: { 200: jsonResponse(RunPageSchema, "A page of runs"), ...withErrors() },
});

const getRunRoute = apiRoute({
  method: "get",
  path: runBase,
  operationId: "getRun",
  auth: "key",
  tags,
  summary: "A run: status, tasks with attempts, outputs and timings, allowed actions",
  request: { params: RunParamsSchema },
  responses: { 200: jsonResponse(RunSchema, "The run"), ...withErrors() },
});

const controlRoute = (action: "start" | "pause" | "resume" | "cancel", summary: string) =>
  apiRoute({
    method: "post",
    path: `${runBase}/${action}`,
    operationId: `${action}Run`,
    auth: "key",
    tags,
    summary,
    description: "An illegal transition is a 409 whose details name `allowed_actions`.",
    request: { params: RunParamsSchema },
    // 409: an illegal transition (or an Idempotency-Key in flight); 422: the key reused.
    responses: { 200: jsonResponse(RunSchema, "The run"), ...withErrors(409, 422) },
  });

const controls = [
  ["start", controlRoute("start", "Start a created run")],
  ["pause", controlRoute("pause", "Pause: no new task starts; running ones finish")],
  ["resume", controlRoute("resume", "Resume a paused run")],
  ["cancel", controlRoute("cancel", "Cancel: running tasks are canceled, the rest skipped")],
] as const;

const approveRoute = apiRoute({
  method: "post",
  path: `${runBase}/approve`,
  operationId: "approveRun",
  auth: "key",
  tags,
  summary: "Resolve an approval task: approve lets it succeed, reject fails it",
  request: {
    params: RunParamsSchema,
    body: jsonBody(ApproveSchema),
  },
  // 409: an illegal transition (or an Idempotency-Key in flight); 422: the key reused.
  responses: { 200: jsonResponse(RunSchema, "The run"), ...withErrors(409, 422) },
});

const taskRoute = (action: "retry" | "skip", summary: string) =>
  apiRoute({
    method: "post",
    path: `${runBase}/tasks/{phase}/{task}/${action}`,
    operationId: `${action}Task`,
    auth: "key",
    tags,
    summary,
    request: { params: TaskParamsSchema },
    // 409: an illegal transition (or an Idempotency-Key in flight); 422: the key reused.
    responses: { 200: jsonResponse(RunSchema, "The run"), ...withErrors(409, 422) },
  });

const retryRoute = taskRoute("retry", "Re-run a failed (or canceled) task and what depends on it");
const skipRoute = taskRoute("skip", "Mark a task skipped; the tasks that need it go on");

const logsRoute = apiRoute({
  method: "get",
  path: `${runBase}/logs`,
  operationId: "getRunLogs",
  auth: "key",
  tags,
  summary: "The run's log in order: what its tasks printed and what the engine did",
  request: { params: RunParamsSchema, query: LogQuerySchema },
  responses: { 200: jsonResponse(LogPageSchema, "A page of log lines"), ...withErrors() },
});

const eventsRoute = apiRoute({
  method: "get",
  path: `${runBase}/events`,
  operationId: "streamRunEvents",
  auth: "key",
  stream: true,
  tags,
  summary: "The run's `process.*` events as SSE, from its start, resumable with Last-Event-ID",
  description:
    "Frames as on the workspace's event stream (`event: workspace-event`, `id:` the event id), only this run's. Without a cursor the run's events replay from its `process.run.created`, then follow live; reconnect with `Last-Event-ID` or `?cursor=` to resume after an event.",
  request: { params: RunParamsSchema, query: EventsQuerySchema, headers: LastEventIdSchema },
  responses: {
    200: {
      description: "An event stream",
      content: { "text/event-stream": { schema: WorkspaceEventSchema } },
    },
    ...withErrors(),
  },
});

const afterOf = (cursor: string | undefined) =>
  cursor === undefined ? null : decodeCursor(cursor, isAfterCursor).after;

/** A list's start: the key its cursor holds (null without one), or the rows to skip. */
const startOf = (query: PageRequest) => {
  const { cursor, skip } = pageStart(query);
  return { after: afterOf(cursor), skip };
};

export function registerProcessRoutes(app: OpenAPIHono<AppEnv>) {
  openapiRunRoute(app, getRunRoute, async (c, process) => {
    const { run } = c.req.valid("param");
    const view = await c.var.workspace.processes.getRun(run, process);
    return c.json(view, 200);
  });

  for (const [action, route] of controls) {
    openapiRunRoute(app, route, async (c, process) => {
      const { run } = c.req.valid("param");
      const view = await c.var.workspace.processes.controlRun(run, action, process);
      return c.json(view, 200);
    });
  }

  openapiRunRoute(app, approveRoute, async (c, process) => {
    const { run } = c.req.valid("param");
    const input = c.req.valid("json");
    const view = await c.var.workspace.processes.approveRun(run, input, process);
    return c.json(view, 200);
  });

  for (const [route, action] of [
    [retryRoute, "retry"],
    [skipRoute, "skip"],
  ] as const) {
    openapiRunRoute(app, route, async (c, process) => {
      const { run, phase, task } = c.req.valid("param");
      const view = await c.var.workspace.processes.taskAction(run, phase, task, action, process);
      return c.json(view, 200);
    });
  }

  openapiRunRoute(app, logsRoute, async (c, process) => {
    const { run } = c.req.valid("param");
    const query = c.req.valid("query");
    const { limit, task } = query;
    const start = startOf(query);
    const after = Number(start.after ?? 0);
    const lines = await c.var.workspace.processes.runLogs(
      run,
      { after, limit: limit + 1, task: task ?? null, skip: start.skip },
      process,
    );
    const items = lines.slice(0, limit);
    const last = items.at(-1);
    const next = lines.length > limit && last ? encodeCursor({ after: String(last.seq) }) : null;
    return c.json({ items, next_cursor: next }, 200);
  });

  openapiRunRoute(app, eventsRoute, async (c, process) => {
    const { run } = c.req.valid("param");
    const cursor = resumeCursor(
      c.req.valid("header")["last-event-id"],
      c.req.valid("query").cursor,
    );
    const workspace = c.var.workspace;
    const { tailId, stream } = await workspace.processes.runEvents(run, cursor, process);
    const body = relayUntilCancelled(
      stream,
      () => workspace.events.close(tailId),
      (promise) => c.executionCtx.waitUntil(promise),
    );
    return new Response(body, { status: 200, headers: SSE_HEADERS }) as never;
  });

  app.openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const { limit } = query;
    const { after, skip } = startOf(query);
    const found = await c.var.workspace.processes.listDefinitions(after, limit + 1, skip);
    const items = found.slice(0, limit);
    const last = items.at(-1);
    const next = found.length > limit && last ? encodeCursor({ after: last.name }) : null;
    return c.json({ items, next_cursor: next }, 200);
  });

  app.openapi(putRoute, async (c) => {
    const { process } = c.req.valid("param");
    const input = c.req.valid("json");
    const conditions = conditionsOf(c);
    const { definition, created } = await c.var.workspace.processes.putDefinition(
      process,
      input,
      conditions,
    );
    return created ? jsonWithEtag(c, definition, 201) : jsonWithEtag(c, definition, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { process } = c.req.valid("param");
    const definition = await c.var.workspace.processes.getDefinition(process);
    return jsonWithEtag(c, definition, 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const { process } = c.req.valid("param");
    const { ifMatch } = conditionsOf(c);
    await c.var.workspace.processes.deleteDefinition(process, ifMatch);
    return c.body(null, 204);
  });

  app.openapi(createRunRoute, async (c) => {
    const { process } = c.req.valid("param");
    const input = c.req.valid("json");
    const view = await c.var.workspace.processes.createRun(process, input);
    c.header("Location", `/v1/workspaces/${c.var.workspace.id}/processes/runs/${view.id}`);
    return c.json(view, 201);
  });

  app.openapi(listRunsRoute, async (c) => {
    const { process } = c.req.valid("param");
    const query = c.req.valid("query");
    const { after, skip } = startOf(query);
    const { runs, more } = await c.var.workspace.processes.listRuns(
      process,
      after,
      query.limit,
      skip,
    );
    const last = runs.at(-1);
    return c.json(
      { items: runs, next_cursor: more && last ? encodeCursor({ after: last.id }) : null },
      200,
    );
  });
}
