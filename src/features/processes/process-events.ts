import { z } from "@hono/zod-openapi";

// What `process.*` events carry: enough to follow a run without reading it (ids, statuses,
// attempt, why it ended); outputs and logs stay behind GET …/runs/{run} and …/logs.

export const RUN_STATUSES = [
  "created",
  "running",
  "paused",
  "awaiting_approval",
  "succeeded",
  "failed",
  "canceled",
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const TASK_STATUSES = [
  "pending",
  "running",
  "waiting_approval",
  "succeeded",
  "failed",
  "skipped",
  "canceled",
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const ProcessRunEventSchema = z.object({
  run_id: z.string(),
  process: z.string(),
  from_status: z
    .enum(RUN_STATUSES)
    .nullable()
    .openapi({ description: "The run's status before the change; null when it was created" }),
  status: z.enum(RUN_STATUSES).openapi({ description: "The run's status now" }),
  error: z.string().nullable(),
});

export const ProcessTaskEventSchema = z.object({
  run_id: z.string(),
  process: z.string(),
  phase: z.string(),
  task_id: z.string(),
  attempt: z.number().int(),
  status: z.enum(TASK_STATUSES).openapi({ description: "The task's status now" }),
  error: z.string().nullable(),
});

// A definition's events name it (and its new etag): its spec may be large, GET it.
export const ProcessDefinitionEventSchema = z.object({ name: z.string(), etag: z.string() });
export const ProcessDefinitionDeletedEventSchema = z.object({ name: z.string() });

/** A task's event data, from its row. */
export const taskEvent = (
  run: { id: string; process: string },
  task: {
    taskId: string;
    phase: string;
    attempt: number;
    status: TaskStatus;
    error: string | null;
  },
) => ({
  run_id: run.id,
  process: run.process,
  phase: task.phase,
  task_id: task.taskId,
  attempt: task.attempt,
  status: task.status,
  error: task.error,
});
