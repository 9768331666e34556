// The MCP endpoint's limits, from the Worker's bindings (a deployment or a test sets them).

export interface McpConfig {
  /** A session unused this long is gone: its next request is 404 (`MCP_SESSION_IDLE_MS`). */
  sessionIdleMs: number;
  /** A tool result's text past this is cut, with a marker and a link (`MCP_RESULT_MAX_BYTES`). */
  resultMaxBytes: number;
  /** Server-to-client messages kept per session for Last-Event-ID (`MCP_MESSAGES_KEPT`). */
  messagesKept: number;
  /** The largest file resources/read answers (`MCP_RESOURCE_MAX_BYTES`); GET …/files for more. */
  resourceMaxBytes: number;
}

const positive = (value: unknown, fallback: number) => {
  const number = Number(value);
  return typeof value === "string" && Number.isInteger(number) && number > 0 ? number : fallback;
};

export function mcpConfig(env: Env): McpConfig {
  const vars = env as unknown as Record<string, unknown>;
  return {
    sessionIdleMs: positive(vars.MCP_SESSION_IDLE_MS, 60 * 60 * 1000),
    resultMaxBytes: positive(vars.MCP_RESULT_MAX_BYTES, 1024 * 1024),
    messagesKept: positive(vars.MCP_MESSAGES_KEPT, 1000),
    resourceMaxBytes: positive(vars.MCP_RESOURCE_MAX_BYTES, 16 * 1024 * 1024),
  };
}
