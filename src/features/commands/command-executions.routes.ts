import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/app-env";
import { jsonBody, jsonResponse, withErrors } from "../../http/openapi-helpers";
import { apiRoute } from "../../http/route";
import { resumeCursor, SSE_HEADERS } from "../events/sse";
import { ExecuteCommandSchema, ExecutionSchema, OutputChunkSchema } from "./command.schemas";
import {
  ExecutionParamsSchema,
  LastEventIdHeaderSchema,
  OutputQuerySchema,
  TriggerParamsSchema,
} from "./command-route.schemas";
import { commandConfig } from "./config";

// Running a command and following its execution. The execution runs in the workspace's DO,
// not in this request: execute answers 202 at once, and a client that goes away changes nothing.

const tags = ["Commands"];
const base = "/v1/workspaces/{ws}/commands/{trigger}";

const executeRoute = apiRoute({
  method: "post",
  path: `${base}/execute`,
  operationId: "executeCommand",
  auth: "key",
  tags,
  summary: "Run a command with arguments; answers the execution at once (202)",
  description:
    "Arguments are checked against the command's declaration: an unknown one, a missing required one or a value of the wrong type is a 400 naming it. " +
    "A shell command's arguments are variables of its environment (`$name`), never spliced into the script. " +
    "A shell script runs under caps on the commands it runs, the iterations of any one loop and the milliseconds of its own work; past one it ends `failed` with the limit in `reason` and its output so far kept (past the time limit, `timed_out`). " +
    "An http command refused by the SSRF guard ends `failed` with the reason. " +
    "A prompt command is answered in a thread (its `thread_id`, else a new one) by the agent loop; the answer's text is its stdout.",
  request: {
    params: TriggerParamsSchema,
    body: jsonBody(ExecuteCommandSchema),
  },
  responses: {
    202: jsonResponse(ExecutionSchema, "The execution, already running"),
    ...withErrors(422),
  },
});

const getRoute = apiRoute({
  method: "get",
  path: `${base}/executions/{id}`,
  operationId: "getCommandExecution",
  auth: "key",
  tags,
  summary: "An execution's status, exit code and timings",
  request: { params: ExecutionParamsSchema },
  responses: { 200: jsonResponse(ExecutionSchema, "The execution"), ...withErrors() },
});

const cancelRoute = apiRoute({
  method: "delete",
  path: `${base}/executions/{id}`,
  operationId: "cancelCommandExecution",
  auth: "key",
  tags,
  summary: "Cancel a running execution (409 once it has ended)",
  description:
    "The shell stops at its next yield (I/O, `sleep`); a script that never yields is stopped by its command and loop caps. The answer waits up to 2 s for the stop.",
  request: { params: ExecutionParamsSchema },
  responses: { 200: jsonResponse(ExecutionSchema, "The canceled execution"), ...withErrors(409) },
});

const outputRoute = apiRoute({
  method: "get",
  path: `${base}/executions/{id}/output`,
  operationId: "getCommandExecutionOutput",
  auth: "key",
  stream: true,
  tags,
  summary: "stdout and stderr as NDJSON: what exists, then live until the execution ends",
  description:
    'One JSON object a line: `{"seq":1,"stream":"stdout","data":"…"}`, in the order produced; the last line is `{"end":true,"execution":{…}}`. `?cursor=<seq>` starts after that chunk.',
  request: { params: ExecutionParamsSchema, query: OutputQuerySchema },
  responses: {
    200: {
      description: "An NDJSON stream of output chunks",
      content: { "application/x-ndjson": { schema: OutputChunkSchema } },
    },
    ...withErrors(),
  },
});

const eventsRoute = apiRoute({
  method: "get",
  path: `${base}/executions/{id}/events`,
  operationId: "streamCommandExecutionEvents",
  auth: "key",
  stream: true,
  tags,
  summary: "The output as server-sent events, resumable with Last-Event-ID",
  description:
    '`event: output`, `id: <seq>`, `data: {"stream":"stdout","data":"…"}` per chunk; last `event: end` with the execution. Reconnect with `Last-Event-ID` (or `?cursor=`) to get only what came after.',
  request: {
    params: ExecutionParamsSchema,
    query: OutputQuerySchema,
    headers: LastEventIdHeaderSchema,
  },
  responses: {
    200: {
      description: "An event stream",
      content: { "text/event-stream": { schema: OutputChunkSchema } },
    },
    ...withErrors(),
  },
});

export function registerCommandExecutionRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(executeRoute, async (c) => {
    const { trigger } = c.req.valid("param");
    const input = c.req.valid("json");
    const config = commandConfig(c.env);
    const execution = await c.var.workspace.commands.execute(trigger, input, config);
    c.header(
      "Location",
      `/v1/workspaces/${c.var.workspace.id}/commands/${trigger}/executions/${execution.id}`,
    );
    return c.json(execution, 202);
  });

  app.openapi(getRoute, async (c) => {
    const { trigger, id } = c.req.valid("param");
    const execution = await c.var.workspace.commands.execution(trigger, id);
    return c.json(execution, 200);
  });

  app.openapi(cancelRoute, async (c) => {
    const { trigger, id } = c.req.valid("param");
    const execution = await c.var.workspace.commands.cancel(trigger, id);
    return c.json(execution, 200);
  });

  app.openapi(outputRoute, async (c) => {
    const { trigger, id } = c.req.valid("param");
    const after = c.req.valid("query").cursor ?? 0;
    const stream = await c.var.workspace.commands.output(trigger, id, "ndjson", after);
    // zod-openapi types `application/x-ndjson` as no response at all (to it, neither JSON nor
    // text); the document is right, so only the type is overridden.
    return new Response(stream, {
      status: 200,
      headers: {
        "content-type": "application/x-ndjson; charset=utf-8",
        "cache-control": "no-cache",
      },
    }) as never;
  });

  app.openapi(eventsRoute, async (c) => {
    const { trigger, id } = c.req.valid("param");
    const after = resumeCursor(c.req.valid("header")["last-event-id"], c.req.valid("query").cursor);
    const stream = await c.var.workspace.commands.output(trigger, id, "sse", after ?? 0);
    return new Response(stream, { status: 200, headers: SSE_HEADERS });
  });
}
