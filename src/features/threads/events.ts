import { z } from "@hono/zod-openapi";
import type { CatalogOf, EventSchemas } from "../../kernel/events";
import { MessageRefSchema, ThreadSchema } from "./thread.schemas";

/** Threads, their messages and their response streams. */
export const THREAD_EVENTS = {
  "thread.created": z.object({ thread: ThreadSchema }),
  "thread.updated": z.object({
    thread: ThreadSchema,
    changed: z
      .array(z.enum(["title", "summary", "metadata", "messages"]))
      .openapi({ description: "What this write changed" }),
  }),
  "thread.deleted": z.object({ thread_id: z.string() }),
  "thread.index_rebuilt": z.object({
    threads_checked: z.number().int(),
    thread_ids: z.array(z.string()).openapi({ description: "The threads whose index was wrong" }),
  }),
  // A message event names the message, never its parts (they may be megabytes): GET them.
  "thread.message.created": z.object({ thread_id: z.string(), message: MessageRefSchema }),
  "thread.message.updated": z.object({ thread_id: z.string(), message: MessageRefSchema }),
  "thread.message.deleted": z.object({ thread_id: z.string(), message_id: z.string() }),
  // A response stream began (the thread is `streaming`) or ended (`idle` again, the answer
  // saved as `message_id`). Its parts are not events: follow `…/threads/{th}/stream`.
  "thread.stream.started": z.object({
    thread: ThreadSchema,
    stream_id: z.string(),
    message_id: z.string(),
    model: z.string(),
  }),
  "thread.stream.finished": z.object({
    thread: ThreadSchema,
    stream_id: z.string(),
    message_id: z.string(),
    status: z.enum(["completed", "canceled", "error", "interrupted"]),
    error: z.string().nullable(),
  }),
} satisfies EventSchemas;

declare module "../../kernel/events" {
  interface EventCatalog extends CatalogOf<typeof THREAD_EVENTS> {}
}
