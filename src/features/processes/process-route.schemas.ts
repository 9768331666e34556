import { z } from "@hono/zod-openapi";
import {
  conditionalWriteHeaders,
  LimitSchema,
  pageFields,
  pageOf,
  WorkspaceParamsSchema,
} from "../../http/openapi-helpers";
import { InputSchemaSchema } from "./input-schema";
import { RUN_STATUSES, TASK_STATUSES } from "./process-events";
import { ProcessSpecSchema } from "./spec";

// Request and response shapes of the process routes.

export const ProcessNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "lowercase letters, digits, '_' or '-', at most 64")
  .refine((name) => name !== "runs", "'runs' is reserved")
  .openapi({ param: { name: "process", in: "path" }, example: "deploy" });

export const ProcessParamsSchema = WorkspaceParamsSchema.extend({ process: ProcessNameSchema });

export const RunParamsSchema = WorkspaceParamsSchema.extend({
  run: z
    .string()
    .min(1)
    .max(64)
    // Checked by the DO (an id that is no run of the workspace is a 404, like another
    // account's workspace), so a malformed id says as little as an unknown one.
    .openapi({ param: { name: "run", in: "path" }, example: "run_01hx3k2v7n8p9q0r1s2t3u4v5w" }),
});

export const TaskParamsSchema = RunParamsSchema.extend({
  phase: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "phase", in: "path" } }),
  task: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "task", in: "path" } }),
});

export const DefinitionInputSchema = z
  .object({
    spec: ProcessSpecSchema,
    description: z.string().max(2000).nullable().optional(),
    input_schema: InputSchemaSchema.optional(),
  })
  .strict()
  .openapi("ProcessDefinitionInput");

export const DefinitionSchema = z
  .object({
    name: z.string(),
    description: z.string().nullable(),
    spec: ProcessSpecSchema,
    input_schema: InputSchemaSchema,
    etag: z.string().openapi({ description: "Changes with every save; the ETag header's value" }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("ProcessDefinition");

export const DefinitionWriteHeadersSchema = conditionalWriteHeaders("process");

export const DefinitionPageSchema = pageOf(DefinitionSchema, "ProcessDefinitionPage");

export const CreateRunSchema = z
  .object({
    spec: ProcessSpecSchema.optional().openapi({
      description: "The run's spec; without it, the saved definition's",
    }),
    inputs: z.record(z.string(), z.unknown()).default({}),
    input_schema: InputSchemaSchema.optional().openapi({
      description:
        "What the inputs must be; without it, the saved definition's — or, for a spec given here with no definition saved, the inputs given (each declared with its type)",
    }),
    metadata: z.record(z.string(), z.unknown()).default({}),
    instructions: z.string().max(100_000).nullable().optional().openapi({
      description: "Context handed to every prompt task",
    }),
  })
  .strict()
  .openapi("CreateProcessRun");

const RUN_ACTIONS = ["start", "pause", "resume", "cancel", "approve"] as const;

export const RunSummarySchema = z
  .object({
    id: z.string(),
    process: z.string(),
    status: z.enum(RUN_STATUSES).openapi({
      description:
        "The run's lifecycle: created → running ⇄ paused, awaiting_approval (an approval task waits and nothing else can run) → succeeded, failed or canceled; a retry or skip moves a finished run back to running",
    }),
    error: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    duration_ms: z.number().int().nullable(),
  })
  .openapi("ProcessRunSummary");

export const TaskViewSchema = z
  .object({
    id: z.string(),
    phase: z.string(),
    kind: z.enum(["command", "prompt", "approval", "http", "wait"]),
    status: z.enum(TASK_STATUSES).openapi({
      description:
        "The task's lifecycle: pending → running (an approval: waiting_approval) → succeeded, failed, skipped or canceled; a failed attempt with retries left, or a retry, makes it pending again",
    }),
    attempt: z.number().int().openapi({ description: "Attempts made so far (claims)" }),
    output: z.unknown(),
    error: z.string().nullable(),
    approval: z.unknown().openapi({
      description:
        "`{message}` (rendered) while it waits; `{message?, decision, comment, by, at}` once resolved",
    }),
    due_at: z.string().nullable().openapi({ description: "A retry's or a wait's due time" }),
    deadline_at: z.string().nullable().openapi({
      description: "When a running wait's or a waiting approval's `timeout_s` passes",
    }),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    duration_ms: z.number().int().nullable(),
    allowed_actions: z.array(z.enum(["retry", "skip"])),
  })
  .openapi("ProcessTask");

export const RunSchema = RunSummarySchema.extend({
  spec: ProcessSpecSchema,
  inputs: z.record(z.string(), z.unknown()),
  instructions: z.string().nullable(),
  allowed_actions: z.array(z.enum(RUN_ACTIONS)),
  ticks: z.number().int().openapi({ description: "Alarm ticks that advanced the run" }),
  tasks: z.array(TaskViewSchema),
  outputs: z.record(z.string(), z.unknown()).openapi({ description: "Succeeded tasks' outputs" }),
}).openapi("ProcessRun");

export const RunPageSchema = pageOf(RunSummarySchema, "ProcessRunPage");

export const ApproveSchema = z
  .object({
    task: z.string().min(1).max(64).optional().openapi({
      description: "The approval task; may be left out when only one waits",
    }),
    decision: z.enum(["approve", "reject"]),
    comment: z.string().max(10_000).nullable().optional(),
  })
  .strict()
  .openapi("ProcessApproval");

export const LogLineSchema = z
  .object({
    seq: z.number().int(),
    task_id: z.string().nullable(),
    attempt: z.number().int().nullable(),
    stream: z.string().openapi({ description: "stdout, stderr, or engine (what the engine did)" }),
    message: z.string(),
    created_at: z.string(),
  })
  .openapi("ProcessLogLine");

export const LogPageSchema = z
  .object({ items: z.array(LogLineSchema), next_cursor: z.string().nullable() })
  .openapi("ProcessLogPage");

export const PageQuerySchema = z.object({ limit: LimitSchema, ...pageFields });

export const LogQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  ...pageFields,
  task: z.string().min(1).max(64).optional().openapi({ description: "Only this task's lines" }),
});

export const EventsQuerySchema = z.object({
  cursor: z.coerce.number().int().min(0).optional().openapi({
    description: "Resume after this event id (Last-Event-ID wins when both are sent)",
  }),
});

export const LastEventIdSchema = z.object({
  "last-event-id": z
    .string()
    .optional()
    .openapi({ param: { name: "last-event-id", in: "header" }, description: "An event id" }),
});
