import type { CallToolResult, ContentBlock } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { ApiError } from "../../http/errors";
import { validationError } from "../../http/validation";
import type { Caller } from "../../kernel/caller";

// What a tool of the workspace's MCP server is — a name, a zod input schema (its JSON Schema
// is generated from it, and it validates every call), truthful annotations, and a run that
// does what the REST route does — and how its outcome becomes a CallToolResult: the value as
// JSON text (and structuredContent), a failed operation as `isError` with the API's error code
// and message (never a protocol error), a result past the size limit cut with a marker.

export interface ToolContext {
  caller: Caller;
  /** Aborted by the client's notifications/cancelled (or the session's end). */
  signal: AbortSignal;
  /** notifications/progress, when the client asked for it with a progressToken. */
  progress(message: string, progress?: number, total?: number): Promise<void>;
}

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/** A tool's answer: its value, content blocks other than the value's JSON, a full-content link. */
export interface ToolOutput {
  value: unknown;
  content?: ContentBlock[];
  /** Where the whole of a cut result can be read (a file's resource). */
  link?: { uri: string; name: string; mimeType?: string };
}

export interface ToolDefinition<S extends z.ZodType = z.ZodType> {
  name: string;
  title: string;
  description: string;
  input: S;
  annotations: ToolAnnotations;
  run(args: z.infer<S>, context: ToolContext): Promise<ToolOutput>;
}

/** A tool, typed by its schema (the list holds them as ToolDefinition). */
export const defineTool = <S extends z.ZodType>(tool: ToolDefinition<S>) =>
  tool as unknown as ToolDefinition;

export const READ_ONLY: ToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};
/** Writes that add or change without taking anything away that cannot be had again. */
export const WRITES: ToolAnnotations = { ...READ_ONLY, readOnlyHint: false, idempotentHint: false };
export const DESTRUCTIVE: ToolAnnotations = { ...WRITES, destructiveHint: true };

/** The JSON Schema of a tool's input, as tools/list announces it. */
export function inputJsonSchema(schema: z.ZodType): { type: "object"; [key: string]: unknown } {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  return { ...json, type: "object" };
}

const encoder = new TextEncoder();

/** Cuts `text` to at most `maxBytes` UTF-8 bytes (never inside a character). */
function cut(text: string, maxBytes: number): string {
  const bytes = encoder.encode(text);
  if (bytes.byteLength <= maxBytes) return text;
  return new TextDecoder().decode(bytes.subarray(0, maxBytes)).replace(/\uFFFD$/, "");
}

/** A tool's output as the result the client gets, cut to `maxBytes` of text. */
export function toolResult(output: ToolOutput, maxBytes: number): CallToolResult {
  const text = JSON.stringify(output.value, null, 2) ?? "null";
  const size = encoder.encode(text).byteLength;
  const structured =
    typeof output.value === "object" && output.value !== null && !Array.isArray(output.value)
      ? (output.value as Record<string, unknown>)
      : { value: output.value };
  if (size <= maxBytes) {
    return {
      content: [...(output.content ?? [{ type: "text", text }])],
      ...(output.content ? {} : { structuredContent: structured }),
    };
  }
  const marker = `\n…[truncated: ${maxBytes} of ${size} bytes${output.link ? `; the whole content is the resource ${output.link.uri}` : ""}]`;
  return {
    content: [
      { type: "text", text: cut(text, maxBytes) + marker },
      ...(output.link ? [{ type: "resource_link" as const, ...output.link }] : []),
    ],
  };
}

/** A failed operation as a tool error: the API's code and message (and details), no stack. */
export function toolError(error: unknown): CallToolResult {
  const failure =
    error instanceof ApiError
      ? { code: error.code, message: error.message, details: error.details }
      : { code: "internal", message: "the tool failed unexpectedly" };
  if (!(error instanceof ApiError)) console.error("an MCP tool failed", error);
  return {
    isError: true,
    content: [{ type: "text", text: `${failure.code}: ${failure.message}` }],
    structuredContent: { error: failure },
  };
}

/** Validates a call's arguments with the tool's schema: the REST routes' 400 when they fail. */
export function parseArguments<S extends z.ZodType>(schema: S, args: unknown): z.infer<S> {
  const result = schema.safeParse(args ?? {});
  if (!result.success) throw validationError(result.error, "arguments");
  return result.data;
}
