import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { expect } from "vitest";
import { dispatch } from "../../../../test/helpers";

// The official SDK's Client and StreamableHTTPClientTransport against the Worker's own fetch
// handler (the real route, auth, DO and storage), and raw JSON-RPC for what a client library
// would not send.

export const mcpPath = (ws: string) => `/v1/workspaces/${ws}/mcp`;
export const mcpUrl = (ws: string) => new URL(`https://api.test${mcpPath(ws)}`);

export const ACCEPT_BOTH = "application/json, text/event-stream";

export async function connectClient(key: string, ws: string, name = "vitest-client") {
  const client = new Client({ name, version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(mcpUrl(ws), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
    fetch: (url, init) => dispatch(new Request(url, init)),
  });
  await client.connect(transport);
  return { client, transport };
}

/** A tool's result text (its first content block). */
export function textOf(result: unknown): string {
  const content = (result as CallToolResult).content[0];
  expect(content?.type).toBe("text");
  return (content as { text: string }).text;
}

/** A successful tool call's value (its structured content). */
export async function callOk<T = Record<string, unknown>>(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<T> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  if (result.isError) throw new Error(`${name} failed: ${textOf(result)}`);
  return result.structuredContent as T;
}

/** A POST of raw JSON-RPC (a string is sent as it is). */
export function rawPost(
  key: string,
  ws: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return dispatch(
    new Request(mcpUrl(ws), {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        accept: ACCEPT_BOTH,
        "content-type": "application/json",
        ...headers,
      },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
}

export interface SseMessage {
  id: string | null;
  data: unknown;
}

/** Reads SSE messages from a response until `until` says stop (or the stream ends). */
export async function readSse(
  response: Response,
  until: (messages: SseMessage[]) => boolean = () => false,
): Promise<SseMessage[]> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const messages: SseMessage[] = [];
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return messages;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end !== -1) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
        const id = /^id: (.*)$/m.exec(frame)?.[1] ?? null;
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (data === undefined || data === "") continue;
        messages.push({ id, data: JSON.parse(data) });
        if (until(messages)) return messages;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** initialize + notifications/initialized by hand: the session id and negotiated version. */
export async function rawInitialize(key: string, ws: string, protocolVersion = "2025-06-18") {
  const response = await rawPost(key, ws, {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion, capabilities: {}, clientInfo: { name: "raw", version: "0" } },
  });
  expect(response.status).toBe(200);
  const sessionId = response.headers.get("mcp-session-id") as string;
  const [answer] = await readSse(response, (messages) => messages.length > 0);
  const result = (answer?.data as { result: { protocolVersion: string } }).result;
  const headers = { "mcp-session-id": sessionId, "mcp-protocol-version": result.protocolVersion };
  const initialized = await rawPost(
    key,
    ws,
    { jsonrpc: "2.0", method: "notifications/initialized" },
    headers,
  );
  expect(initialized.status).toBe(202);
  return { sessionId, protocolVersion: result.protocolVersion, headers };
}
