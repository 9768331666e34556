import { ErrorCode, type GetPromptResult, McpError } from "@modelcontextprotocol/sdk/types.js";
import { ApiError } from "../../http/errors";
import type { Caller } from "../../kernel/caller";
import type { McpPorts } from "./ports";

// prompts/get: a prompt command of the registry with the client's arguments (text, as MCP
// prompts take them; the commands feature reads each as its declared type), rendered as the
// user message the command would send.

export async function renderPrompt(
  ports: McpPorts,
  caller: Caller,
  params: { name: string; arguments?: Record<string, string> },
): Promise<GetPromptResult> {
  const rendered = await ports.commands(caller).renderPrompt(params.name, params.arguments ?? {});
  return {
    description: rendered.command.description,
    messages: [{ role: "user", content: { type: "text", text: rendered.text } }],
  };
}

/** A failed prompts/get as the protocol error the specification names. */
export function promptError(error: unknown): McpError {
  if (error instanceof McpError) return error;
  if (error instanceof ApiError) {
    return new McpError(ErrorCode.InvalidParams, `${error.code}: ${error.message}`, {
      code: error.code,
      details: error.details,
    });
  }
  console.error("an MCP prompt failed", error);
  return new McpError(ErrorCode.InternalError, "the prompt could not be rendered");
}
