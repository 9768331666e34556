import { z } from "@hono/zod-openapi";
import { ApiError } from "../../http/errors";
import {
  conditionalWriteHeaders,
  LimitSchema,
  pageFields,
  WorkspaceParamsSchema,
} from "../../http/openapi-helpers";
import { cursorShape, decodeCursor } from "../../lib/cursor";
import { cursorAfter, cursorKey, nextCursor } from "../../lib/pagination";
import {
  boundedObject,
  MessagePairSchema,
  MessageSchema,
  MessagesInputSchema,
  THREAD_LIMITS,
  type Thread,
  ThreadIdSchema,
  ThreadSchema,
} from "./thread.schemas";
import type { SortField, SortOrder } from "./thread-store";

// The thread routes' requests and pages: path, query and body shapes, and their cursors.

export const ThreadParamsSchema = WorkspaceParamsSchema.extend({
  th: ThreadIdSchema.openapi({
    param: { name: "th", in: "path" },
    description: "The thread id: `th_` and 1-64 letters, digits, `_` or `-`",
  }),
});

const TitleSchema = z.string().max(THREAD_LIMITS.titleMax).openapi({ example: "Refactor plan" });
const SummarySchema = z.string().max(THREAD_LIMITS.summaryMax);
const ThreadMetadataSchema = boundedObject(THREAD_LIMITS.metadataBytes).openapi({
  example: { topic: "billing" },
});
const messagesField = MessagesInputSchema.openapi({
  description: `AI SDK UIMessages, at most ${THREAD_LIMITS.messagesPerRequest}; each at most ${THREAD_LIMITS.messageBytes} bytes (413)`,
});

export const CreateThreadSchema = z
  .object({
    title: TitleSchema.optional(),
    summary: SummarySchema.optional(),
    metadata: ThreadMetadataSchema.optional(),
    messages: messagesField.optional(),
  })
  .strict()
  .openapi("CreateThread");

/** PUT: the whole writable state; what is omitted goes back to its default. */
const readOnlyEcho = z.unknown().optional().openapi({ readOnly: true });
export const ReplaceThreadSchema = z
  .object({
    title: TitleSchema.nullish(),
    summary: SummarySchema.nullish(),
    metadata: ThreadMetadataSchema.nullish(),
    messages: messagesField.nullish(),
    // What a GET returns may be sent back as is; these fields are the server's and ignored.
    ...Object.fromEntries(
      [
        "id",
        "status",
        "created_by",
        "created_at",
        "updated_at",
        "etag",
        "message_count",
        "last_message_at",
        "last_message_preview",
        "messages_next_cursor",
      ].map((field) => [field, readOnlyEcho]),
    ),
  })
  .strict()
  .openapi("ReplaceThread");

export const PatchThreadSchema = z
  .object({
    title: TitleSchema.nullable().optional(),
    summary: SummarySchema.nullable().optional(),
    metadata: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: "Deep-merged; `null` deletes a key" }),
    messages: messagesField.optional().openapi({ description: "Replaces the message list" }),
  })
  .strict()
  .openapi("PatchThread");

export const PatchThreadMetadataSchema = z
  .object({
    metadata: z
      .record(z.string(), z.unknown())
      .openapi({ description: "Deep-merged; `null` deletes a key", example: { pinned: true } }),
  })
  .strict()
  .openapi("PatchThreadMetadata");

export const ListThreadsQuerySchema = z.object({
  sort_by: z.enum(["created_at", "updated_at"]).default("updated_at"),
  sort_order: z.enum(["asc", "desc"]).default("desc"),
  limit: LimitSchema,
  ...pageFields,
});

export const MessagesQuerySchema = z.object({
  view: z
    .enum(["messages", "pairs"])
    .default("messages")
    .openapi({ description: "`pairs`: query/response pairs with status, timing and errors" }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  ...pageFields,
});

export const WriteHeadersSchema = conditionalWriteHeaders("thread");

export const ThreadPageSchema = z
  .object({ items: z.array(ThreadSchema), next_cursor: z.string().nullable() })
  .openapi("ThreadPage");

export const MessagesPageSchema = z
  .union([
    z.object({ items: z.array(MessageSchema), next_cursor: z.string().nullable() }),
    z.object({ items: z.array(MessagePairSchema), next_cursor: z.string().nullable() }),
  ])
  .openapi("MessagesPage", {
    description: "Messages oldest first, or (`view=pairs`) query/response pairs",
  });

export const RebuildReportSchema = z
  .object({
    threads_checked: z.number().int(),
    threads_changed: z.number().int(),
    changes: z.array(
      z.object({
        thread_id: z.string(),
        fields: z
          .record(z.string(), z.object({ from: z.unknown(), to: z.unknown() }))
          .openapi({ description: "Each index field that was wrong: what it held, what it is" }),
      }),
    ),
  })
  .openapi("ThreadIndexRebuild");

// Cursors. A list cursor carries its sort, so it cannot be used with another one.

const isListCursor = cursorShape({
  s: ["created_at", "updated_at"],
  o: ["asc", "desc"],
  v: "string",
  id: "string",
});

export function decodeListCursor(cursor: string, sortBy: SortField, order: SortOrder) {
  const decoded = decodeCursor(cursor, isListCursor);
  if (decoded.s !== sortBy || decoded.o !== order) {
    throw new ApiError("invalid_request", "cursor belongs to another sort_by or sort_order", {
      details: [{ field: "cursor", message: "use it with the sort it came from" }],
    });
  }
  return { value: decoded.v, id: decoded.id };
}

/** The cursor after a page of threads: its sort, and the last thread's sort value and id. */
export const nextListCursor = (
  sortBy: SortField,
  order: SortOrder,
  page: { items: readonly Thread[]; more: boolean },
) => nextCursor(page, (last) => ({ s: sortBy, o: order, v: last[sortBy], id: last.id }));

type MessagesView = "messages" | "pairs";
const isSeqCursor = cursorShape({ view: ["messages", "pairs"], after: "position" });

/** Where a messages page resumes; a cursor from the other view is refused. */
export function decodeMessagesCursor(cursor: string | undefined, view: MessagesView): number {
  const decoded = cursorKey(cursor, isSeqCursor);
  if (decoded === null) return 0;
  if (decoded.view !== view) {
    throw new ApiError("invalid_request", `cursor belongs to view=${decoded.view}`, {
      details: [{ field: "cursor", message: "use it with the view it came from" }],
    });
  }
  return decoded.after;
}

export const encodeMessagesCursor = (view: MessagesView, after: number | null) =>
  cursorAfter(after, (seq) => ({ view, after: seq }));
