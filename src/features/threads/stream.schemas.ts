import { z } from "@hono/zod-openapi";
import { WorkspaceParamsSchema } from "../../http/openapi-helpers";
import { PROVIDER_NAMES } from "../../models/providers";
import { THREAD_TOOLS } from "../../models/workspace-tools";
import {
  type MessageInput,
  MessageInputSchema,
  THREAD_ID_PATTERN,
  THREAD_LIMITS,
} from "./thread.schemas";

// The body of `POST …/threads/stream`: what the AI SDK's DefaultChatTransport sends
// (`id` = the thread, `messages`, `trigger`, `messageId`), or the short form
// `{thread_id?, message}`, plus the stream's options.

export const MAX_STEPS_LIMIT = 20;
export const DEFAULT_MAX_STEPS = 5;

const ThreadIdSchema = z
  .string()
  .regex(THREAD_ID_PATTERN, "a thread id: `th_` and 1–64 of A-Z a-z 0-9 _ -");

/**
 * useChat names a chat with the AI SDK's `generateId()` (16 letters and digits, no prefix) unless
 * told otherwise; the stream routes take that id as it is and answer thread `th_<id>` — the id a
 * client would mint for PUT — so DefaultChatTransport works unchanged. A thread id names itself.
 */
const CHAT_ID_PATTERN = /^(?:th_[A-Za-z0-9_-]{1,64}|[A-Za-z0-9_-]{1,64})$/;
export const threadIdOfChat = (id: string) => (THREAD_ID_PATTERN.test(id) ? id : `th_${id}`);

const ChatIdSchema = z
  .string()
  .regex(
    CHAT_ID_PATTERN,
    "a chat id (1–64 of A-Z a-z 0-9 _ -, the thread `th_<id>`) or a thread id (`th_` and 1–64 of them)",
  );

/** `{ws}` and `{th}` of the stream routes: `th` a thread id or a chat id (see threadIdOfChat). */
export const StreamThreadParamsSchema = WorkspaceParamsSchema.extend({
  th: ChatIdSchema.openapi({
    param: { name: "th", in: "path" },
    description:
      "The thread id, or the AI SDK chat id it was started with (a chat id without `th_` names thread `th_<id>`)",
  }),
});

const streamOptions = {
  model: z.enum(PROVIDER_NAMES).optional().openapi({
    description: "The model provider; the configured MODEL_PROVIDER when left out",
  }),
  tools: z.array(z.enum(THREAD_TOOLS)).max(THREAD_TOOLS.length).optional().openapi({
    description: "The workspace tools the model may call (default: all; [] for none)",
  }),
  max_steps: z
    .number()
    .int()
    .min(1)
    .max(MAX_STEPS_LIMIT)
    .optional()
    .openapi({
      description: `Model calls at most (tool round trips + the answer); default ${DEFAULT_MAX_STEPS}`,
    }),
};

export const ShortStreamRequestSchema = z
  .object({
    thread_id: ThreadIdSchema.optional().openapi({
      description: "The thread; created when it does not exist, a new one when left out",
    }),
    message: z
      .union([z.string().min(1).max(THREAD_LIMITS.messageBytes), MessageInputSchema])
      .openapi({ description: "The user message: its text, or a whole UIMessage" }),
    ...streamOptions,
  })
  .openapi("StreamRequestShort");

export const ChatStreamRequestSchema = z
  .object({
    id: ChatIdSchema.optional().openapi({
      description:
        "The thread (DefaultChatTransport's chat id); created when it does not exist. A chat id without the `th_` prefix (useChat's default `generateId()`) names thread `th_<id>`",
    }),
    messages: z.array(MessageInputSchema).min(1).max(THREAD_LIMITS.messagesPerRequest).openapi({
      description:
        "The chat as the client has it; only its last message (a user message) is taken: appended, or — when its id is already in the thread — the turn is redone from it",
    }),
    trigger: z.enum(["submit-message", "regenerate-message"]).optional(),
    messageId: z.string().max(THREAD_LIMITS.messageIdMax).optional(),
    ...streamOptions,
  })
  .openapi("StreamRequestChat");

export const StreamRequestSchema = z
  .union([ShortStreamRequestSchema, ChatStreamRequestSchema])
  .openapi("StreamRequest", {
    description:
      "`{thread_id?, message}`, or DefaultChatTransport's `{id, messages, trigger, messageId}`",
  });
export type StreamRequest = z.infer<typeof StreamRequestSchema>;

/** The thread a request names (or null for a new one) and the user message to answer. */
export function requestTurn(request: StreamRequest): {
  threadId: string | null;
  message: MessageInput;
} {
  if ("messages" in request) {
    const threadId = request.id === undefined ? null : threadIdOfChat(request.id);
    return { threadId, message: request.messages.at(-1) as MessageInput };
  }
  const message =
    typeof request.message === "string"
      ? { role: "user" as const, content: request.message }
      : request.message;
  return { threadId: request.thread_id ?? null, message };
}

export const StreamQuerySchema = z.object({
  interrupt: z
    .enum(["true", "false"])
    .optional()
    .openapi({ description: "`true` cancels a stream already running on the thread first" }),
});

export const ReattachQuerySchema = z.object({
  cursor: z.coerce.number().int().min(0).optional().openapi({
    description:
      "Replay the parts after this part id (`Last-Event-ID` wins when both are sent; `0`: from the start; an id not of this stream: a reset, then the whole stream). With a cursor, a stream that has just finished is replayed too",
  }),
  stream_id: z.string().max(64).optional().openapi({
    description: "Which stream (the `X-Thread-Stream-Id` header); default the thread's newest",
  }),
});

export const StreamTailInfoSchema = z
  .object({
    id: z.string(),
    actor: z.string().nullable(),
    cursor: z.number().int().openapi({ description: "The last part sent to it" }),
    live: z.boolean().openapi({ description: "false while still replaying stored parts" }),
    queued_bytes: z.number().int(),
    connected_at: z.string(),
    age_ms: z.number().int(),
  })
  .openapi("ThreadStreamSubscriber");

export const ThreadStreamInfoSchema = z
  .object({
    thread_id: z.string(),
    stream_id: z.string(),
    message_id: z.string(),
    model: z.string(),
    started_at: z.string(),
    parts: z.number().int().openapi({ description: "Parts stored so far" }),
    subscribers: z.array(StreamTailInfoSchema),
  })
  .openapi("ThreadStreamInfo");

export const ThreadStreamReplaySchema = StreamTailInfoSchema.extend({
  thread_id: z.string(),
  stream_id: z.string(),
}).openapi("ThreadStreamReplay");
