import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/app-env";
import { openapiByHand } from "../../http/by-hand-route";
import { WorkspaceParamsSchema, withErrors } from "../../http/openapi-helpers";
import { apiRoute } from "../../http/route";

// The workspace as an MCP server over Streamable HTTP (protocol revision 2025-06-18; 2025-03-26
// and 2025-11-25 clients too): the Worker authenticates as on every route and hands the request
// to the workspace's Durable Object, which holds the session and answers — JSON, or an SSE
// stream relayed here. The JSON-RPC inside is the MCP SDK's to read: no schema of ours
// validates it, and a malformed message is a JSON-RPC error, never a 500.

const tags = ["MCP"];
const SPEC = "https://modelcontextprotocol.io/specification/2025-06-18/basic/transports";

const sessionHeader = {
  "mcp-session-id": {
    schema: { type: "string" as const },
    description: "The session (issued by the answer to `initialize`; send it on every request)",
  },
};

const RequestHeadersSchema = z.object({
  "mcp-session-id": z.string().optional().openapi({
    description: "The session, from the `initialize` answer (absent only on `initialize`)",
  }),
  "mcp-protocol-version": z.string().optional().openapi({
    description: "The negotiated protocol revision, on every request after `initialize`",
    example: "2025-06-18",
  }),
});

const jsonRpc = z
  .string()
  .openapi({ description: "JSON-RPC 2.0 messages (see the MCP specification)" });

const JsonRpcMessageSchema = z
  .object({
    jsonrpc: z.literal("2.0"),
    id: z.union([z.string(), z.number().int()]).optional().openapi({
      description: "A request's id (absent on a notification)",
    }),
    method: z.string().openapi({ example: "tools/call" }),
    params: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi("McpMessage", {
    description:
      "A JSON-RPC 2.0 request or notification of the MCP specification (a batch — an array of them — is accepted too)",
    example: {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "read_file", arguments: { path: "README.md" } },
    },
  });

const postRoute = apiRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/mcp",
  operationId: "mcpPost",
  auth: "key",
  // As large as a thread's body: write_file carries a file's content.
  body: "thread",
  idempotent: false,
  stream: true,
  tags,
  summary: "MCP Streamable HTTP: send JSON-RPC messages to the workspace's MCP server",
  description: `The [MCP Streamable HTTP transport](${SPEC}). \`initialize\` (without \`Mcp-Session-Id\`) starts a session held by the workspace's Durable Object and answers its id in \`Mcp-Session-Id\`; every later request sends it and \`MCP-Protocol-Version\`. Requests are answered as an SSE stream (each message with an \`id:\` for Last-Event-ID), notifications and responses with 202. \`Accept\` must list \`application/json\` and \`text/event-stream\`. An unknown or expired session is 404 (initialise again). The tools, prompts and resources are listed in the README ("MCP").`,
  request: {
    params: WorkspaceParamsSchema,
    headers: RequestHeadersSchema,
    body: { content: { "application/json": { schema: JsonRpcMessageSchema } }, required: true },
  },
  responses: {
    200: {
      description: "The answers, as an SSE stream (`event: message`, `id:`, `data:` JSON-RPC)",
      headers: sessionHeader,
      content: { "text/event-stream": { schema: jsonRpc } },
    },
    202: { description: "Notifications or responses accepted" },
    ...withErrors(),
    406: { description: "`Accept` does not list application/json and text/event-stream" },
    413: { description: "The request body is too large" },
    415: { description: "The body is not application/json" },
  },
});

const getRoute = apiRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/mcp",
  operationId: "mcpStream",
  auth: "key",
  stream: true,
  tags,
  summary: "MCP Streamable HTTP: the server-to-client stream (notifications), resumable",
  description:
    "An SSE stream of the session's server-initiated messages (tools/list_changed, resources/updated…). With `Last-Event-ID` it first replays what the session's streams sent after that id — across the Durable Object's restarts. 409 while another GET stream of the session is open.",
  request: {
    params: WorkspaceParamsSchema,
    headers: RequestHeadersSchema.extend({
      "last-event-id": z.string().optional().openapi({ description: "The last `id:` received" }),
    }),
  },
  responses: {
    200: {
      description: "The session's stream",
      headers: sessionHeader,
      content: { "text/event-stream": { schema: jsonRpc } },
    },
    ...withErrors(409),
    406: { description: "`Accept` does not list text/event-stream" },
  },
});

const deleteRoute = apiRoute({
  method: "delete",
  path: "/v1/workspaces/{ws}/mcp",
  operationId: "mcpEndSession",
  auth: "key",
  tags,
  summary: "MCP Streamable HTTP: end the session",
  request: { params: WorkspaceParamsSchema, headers: RequestHeadersSchema },
  responses: {
    200: { description: "The session is ended" },
    ...withErrors(),
  },
});

export function registerMcpRoutes(app: OpenAPIHono<AppEnv>): void {
  for (const route of [postRoute, getRoute, deleteRoute]) {
    // A copy without the incoming request's AbortSignal (which cannot cross an RPC call); the
    // DO's Response as it is: JSON, a 202, or an SSE stream piped by the runtime.
    openapiByHand(app, route, (c) => {
      const { method, url, headers, body } = c.req.raw;
      return c.var.workspace.mcp.handle(new Request(url, { method, headers, body }));
    });
  }
}
