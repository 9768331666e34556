import { z } from "@hono/zod-openapi";
import { orNull } from "../../http/openapi-helpers";

// Threads and their messages: the resource shapes and their limits (stated once, here). Both the
// Worker (validation, OpenAPI) and the Durable Object (storage) use them. Messages are AI SDK
// `UIMessage`s, `{id, role, parts, metadata?}`, stored with their timestamps.

export const THREAD_LIMITS = {
  titleMax: 500,
  summaryMax: 10_000,
  metadataBytes: 16 * 1024,
  messageMetadataBytes: 64 * 1024,
  /** A message's serialized size (`{id, role, parts, metadata}`); over it is a 413. */
  messageBytes: 8 * 1024 * 1024,
  messagesPerRequest: 1000,
  partsPerMessage: 10_000,
  messageIdMax: 128,
  previewChars: 200,
  /** A page of messages (and what a thread's GET embeds) stops before this many bytes. */
  pageBytes: 16 * 1024 * 1024,
  /** The most messages a thread's GET embeds; the rest come from `…/messages?cursor=`. */
  embeddedMessages: 1000,
} as const;

/**
 * `th_` and 1-64 letters, digits, `_` or `-`. The server's ids (`th_` + 26 sortable characters)
 * fit it, and a client may mint its own for `PUT`, e.g. `th_` + the AI SDK's `generateId()`.
 */
export const THREAD_ID_PATTERN = /^th_[A-Za-z0-9_-]{1,64}$/;
export const ThreadIdSchema = z
  .string()
  .regex(THREAD_ID_PATTERN, "must be `th_` followed by 1-64 letters, digits, '_' or '-'")
  .openapi({ example: "th_01jd8x2k7m9q4r5s6t7v8w9x0y" });

export const THREAD_STATUSES = ["idle", "streaming"] as const;
export const ThreadStatusSchema = z.enum(THREAD_STATUSES).openapi("ThreadStatus");
export type ThreadStatus = z.infer<typeof ThreadStatusSchema>;

export const MESSAGE_ROLES = ["system", "user", "assistant"] as const;
export const MessageRoleSchema = z.enum(MESSAGE_ROLES);
export type MessageRole = z.infer<typeof MessageRoleSchema>;

export const byteLength = (text: string) => new TextEncoder().encode(text).byteLength;

/** A JSON object whose serialized size is capped; over the cap is a 400 naming the field. */
export const boundedObject = (maxBytes: number) =>
  z
    .record(z.string(), z.unknown())
    .refine((value) => byteLength(JSON.stringify(value)) <= maxBytes, {
      message: `must be at most ${maxBytes} bytes when serialized`,
    });

/** String fields the AI SDK's known part types must carry; other types are kept as they come. */
function requiredStrings(type: string): readonly string[] {
  if (type === "text" || type === "reasoning") return ["text"];
  if (type === "file") return ["mediaType", "url"];
  if (type === "source-url") return ["sourceId", "url"];
  if (type === "source-document") return ["sourceId", "mediaType", "title"];
  if (type === "dynamic-tool") return ["toolName", "toolCallId", "state"];
  if (type.startsWith("tool-")) return ["toolCallId", "state"];
  return [];
}

export const UIMessagePartSchema = z
  .looseObject({
    type: z
      .string()
      .min(1)
      .max(128)
      .openapi({ example: "text", description: "`text`, `reasoning`, `tool-…`, `data-…`, …" }),
  })
  .superRefine((part, context) => {
    const fields = part as Record<string, unknown>;
    for (const field of requiredStrings(part.type)) {
      if (typeof fields[field] !== "string") {
        context.addIssue({
          code: "custom",
          path: [field],
          message: `a '${part.type}' part needs a string '${field}'`,
        });
      }
    }
  })
  .openapi("UIMessagePart", {
    description:
      "An AI SDK UI message part. Known types (text, reasoning, file, source-url, source-document, tool-*, dynamic-tool) are checked for their required fields; other types (data-*, step-start, …) are stored as sent.",
  });
export type UIMessagePart = z.infer<typeof UIMessagePartSchema>;

export const MessageIdSchema = z
  .string()
  .min(1)
  .max(THREAD_LIMITS.messageIdMax)
  .regex(/^[\x21-\x7e]+$/, "must be visible ASCII characters");

const readOnlyEcho = z.unknown().optional().openapi({ readOnly: true });

/**
 * A message as a client sends it: a UIMessage (the id may be left out, then `msg_…` is made),
 * or A's `{role, content}` where `content` is the text of a single text part.
 */
export const MessageInputSchema = z
  .object({
    id: MessageIdSchema.optional(),
    role: MessageRoleSchema,
    parts: z.array(UIMessagePartSchema).max(THREAD_LIMITS.partsPerMessage).optional(),
    content: z
      .string()
      .optional()
      .openapi({ description: "Shorthand for `parts: [{type: 'text', text: content}]`" }),
    metadata: boundedObject(THREAD_LIMITS.messageMetadataBytes).optional(),
    created_at: readOnlyEcho,
    updated_at: readOnlyEcho,
  })
  .strict()
  .refine((message) => (message.parts === undefined) !== (message.content === undefined), {
    message: "a message has either `parts` or `content`",
    path: ["parts"],
  })
  .openapi("MessageInput");
export type MessageInput = z.infer<typeof MessageInputSchema>;

export const MessagesInputSchema = z
  .array(MessageInputSchema)
  .max(THREAD_LIMITS.messagesPerRequest)
  .superRefine((messages, context) => {
    const seen = new Set<string>();
    messages.forEach((message, index) => {
      if (message.id === undefined) return;
      if (seen.has(message.id)) {
        context.addIssue({
          code: "custom",
          path: [index, "id"],
          message: "message ids must be unique within a thread",
        });
      }
      seen.add(message.id);
    });
  });

export const MessageSchema = z
  .object({
    id: z.string(),
    role: MessageRoleSchema,
    parts: z.array(UIMessagePartSchema),
    metadata: z.record(z.string(), z.unknown()).optional(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Message", { description: "An AI SDK UIMessage with its timestamps" });
export type Message = z.infer<typeof MessageSchema>;

export const ThreadSchema = z
  .object({
    id: z.string().openapi({ example: "th_01jd8x2k7m9q4r5s6t7v8w9x0y" }),
    title: z.string().nullable(),
    summary: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    status: ThreadStatusSchema,
    created_by: z.string().nullable().openapi({ description: "The API key id that created it" }),
    created_at: z.string(),
    updated_at: z.string(),
    etag: z.string(),
    message_count: z.number().int(),
    last_message_at: z.string().nullable(),
    last_message_preview: z
      .string()
      .nullable()
      .openapi({ description: "The start of the last message's text" }),
  })
  .openapi("Thread");
export type Thread = z.infer<typeof ThreadSchema>;

export const ThreadWithMessagesSchema = ThreadSchema.extend({
  messages: z.array(MessageSchema),
  messages_next_cursor: z.string().nullable().openapi({
    description:
      "Set when the thread holds more messages than are embedded: continue with `…/messages?cursor=`",
  }),
}).openapi("ThreadWithMessages");

/** What a message event names: enough to fetch it, never its (possibly large) parts. */
export const MessageRefSchema = z
  .object({
    id: z.string(),
    role: MessageRoleSchema,
    seq: z.number().int().openapi({ description: "Its position in the thread, from 1" }),
    bytes: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("MessageRef");
export type MessageRef = z.infer<typeof MessageRefSchema>;

export const RESPONSE_STATUSES = [
  "completed",
  "streaming",
  "canceled",
  "error",
  "interrupted",
] as const;
export const ResponseStatusSchema = z.enum(RESPONSE_STATUSES).openapi("ResponseStatus");
export type ResponseStatus = z.infer<typeof ResponseStatusSchema>;

export const MessagePairSchema = z
  .object({
    query: orNull(MessageSchema).openapi({
      description: "The user message; null for assistant messages before any user message",
    }),
    response: orNull(MessageSchema).openapi({
      description: "The last assistant message after the query; null when none yet",
    }),
    previous_responses: z.array(MessageSchema).openapi({
      description: "Earlier assistant messages after the same query (usually none)",
    }),
    status: ResponseStatusSchema,
    execution_time: z.number().nullable().openapi({ description: "Milliseconds" }),
    errors: z.array(z.unknown()),
    warnings: z.array(z.unknown()),
  })
  .openapi("MessagePair");
export type MessagePair = z.infer<typeof MessagePairSchema>;
