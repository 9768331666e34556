import { z } from "@hono/zod-openapi";
import {
  LimitSchema,
  lastEventIdHeader,
  pageFields,
  pageOf,
  WorkspaceParamsSchema,
} from "../../http/openapi-helpers";
import {
  CommandSchema,
  CommandTypeSchema,
  ExecutionSchema,
  TRIGGER_PATTERN,
} from "./command.schemas";

// The command routes' path, query and response shapes (the registry's own are in
// src/features/commands/command.schemas.ts).

export const TriggerParamsSchema = WorkspaceParamsSchema.extend({
  trigger: z
    .string()
    .regex(TRIGGER_PATTERN)
    .openapi({ param: { name: "trigger", in: "path" }, example: "test:unit" }),
});

export const ExecutionParamsSchema = TriggerParamsSchema.extend({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "exe_01j9z3k4m5n6p7q8r9s0t1v2w3" }),
});

export const CategoryParamsSchema = WorkspaceParamsSchema.extend({
  category: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "category", in: "path" }, example: "testing" }),
});

export const ListCommandsQuerySchema = z.object({
  type: CommandTypeSchema.optional(),
  search: z.string().min(1).max(200).optional().openapi({
    description: "A case-insensitive substring of the trigger or the description",
  }),
  limit: LimitSchema,
  ...pageFields,
});

export const PageQuerySchema = z.object({ limit: LimitSchema, ...pageFields });

export const DiscoveryQuerySchema = z.object({
  query: z.string().max(200).default("").openapi({ example: "test" }),
  limit: z.coerce.number().int().min(1).max(50).default(10),
});

export const SearchQuerySchema = z.object({
  query: z.string().min(1).max(200).openapi({ example: "deploy staging" }),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

export const UsageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(50).default(10),
});

export const OutputQuerySchema = z.object({
  cursor: z.coerce.number().int().min(0).optional().openapi({
    description: "Only chunks after this seq (`Last-Event-ID` wins when both are sent)",
  }),
});

export const LastEventIdHeaderSchema = lastEventIdHeader("A chunk's seq");

export const CommandPageSchema = pageOf(CommandSchema, "CommandPage");

export const SuggestionListSchema = z
  .object({
    items: z.array(
      CommandSchema.extend({
        match: z.enum(["prefix", "word_prefix", "fuzzy"]),
        score: z.number(),
      }),
    ),
  })
  .openapi("CommandSuggestions");

export const SearchResultSchema = z
  .object({
    items: z.array(
      CommandSchema.extend({
        score: z.number().openapi({ description: "bm25 relevance, higher is better" }),
        snippet: z.string().openapi({ description: "The best match, `[`marked`]`" }),
      }),
    ),
  })
  .openapi("CommandSearchResults");

export const CategoryListSchema = z
  .object({ items: z.array(z.object({ category: z.string(), count: z.number().int() })) })
  .openapi("CommandCategories");

export const UsageListSchema = z
  .object({
    items: z.array(
      CommandSchema.extend({
        last_executed_at: z.string(),
        execution_count: z.number().int(),
      }),
    ),
  })
  .openapi("CommandUsage");

export { ExecutionSchema };
