import { z } from "@hono/zod-openapi";
import { PROVIDER_NAMES } from "../models/providers";
import { THREAD_TOOLS } from "../models/workspace-tools";
import { MessageInputSchema, THREAD_ID_PATTERN, THREAD_LIMITS } from "./thread.schemas";

// The body of `POST …/threads/stream`: what the AI SDK's DefaultChatTransport sends
// (`id` = the thread, `messages`, `trigger`, `messageId`), or the short form
// `{thread_id?, message}`, plus the stream's options.

export const MAX_STEPS_LIMIT = 20;
export const DEFAULT_MAX_STEPS = 5;

const ThreadIdSchema = z
  .string()
  .regex(THREAD_ID_PATTERN, "a thread id: `th_` and 1–64 of A-Z a-z 0-9 _ -");

export const StreamRequestSchema = z
  .object({
    id: ThreadIdSchema.optional().openapi({
      description: "The thread (DefaultChatTransport's chat id); created when it does not exist",
    }),
    messages: z
      .array(MessageInputSchema)
      .min(1)
      .max(THREAD_LIMITS.messagesPerRequest)
      .optional()
      .openapi({
        description:
          "The chat as the client has it; only its last message (a user message) is taken: appended, or — when its id is already in the thread — the turn is redone from it",
      }),
    trigger: z.enum(["submit-message", "regenerate-message"]).optional(),
    messageId: z.string().max(THREAD_LIMITS.messageIdMax).optional(),
    thread_id: ThreadIdSchema.optional().openapi({
      description: "The thread (short form); a new thread when left out",
    }),
    message: MessageInputSchema.optional().openapi({
      description: "The user message (short form)",
    }),
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
  })
  .refine((body) => (body.messages === undefined) !== (body.message === undefined), {
    message: "send either `messages` (DefaultChatTransport) or `message`",
    path: ["messages"],
  })
  .refine(
    (body) => body.id === undefined || body.thread_id === undefined || body.id === body.thread_id,
    {
      message: "`id` and `thread_id` name different threads",
      path: ["thread_id"],
    },
  )
  .openapi("StreamRequest");
export type StreamRequest = z.infer<typeof StreamRequestSchema>;

export const StreamQuerySchema = z.object({
  interrupt: z
    .enum(["true", "false"])
    .optional()
    .openapi({ description: "`true` cancels a stream already running on the thread first" }),
});

export const ReattachQuerySchema = z.object({
  cursor: z.coerce.number().int().min(0).optional().openapi({
    description:
      "Replay the parts after this one (`Last-Event-ID` wins when both are sent). With a cursor, a stream that has just finished is replayed too",
  }),
  stream_id: z.string().max(64).optional().openapi({
    description: "Which stream (the `X-Thread-Stream-Id` header); default the thread's newest",
  }),
});
