import { z } from "@hono/zod-openapi";

// What `process.*` events carry: enough to follow a run without reading it (ids, states,
// attempt, why it ended); outputs and logs stay behind GET …/runs/{run} and …/logs.

export const RUN_STATES = [
  "created",
  "running",
  "paused",
  "awaiting_approval",
  "succeeded",
  "failed",
  "canceled",
] as const;
export type RunState = (typeof RUN_STATES)[number];

export const TASK_STATES = [
  "pending",
  "running",
  "waiting_approval",
  "succeeded",
  "failed",
  "skipped",
  "canceled",
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const ProcessRunEventSchema = z.object({
  run_id: z.string(),
  process: z.string(),
  from_state: z.enum(RUN_STATES).nullable(),
  state: z.enum(RUN_STATES),
  error: z.string().nullable(),
});

export const ProcessTaskEventSchema = z.object({
  run_id: z.string(),
  process: z.string(),
  phase: z.string(),
  task_id: z.string(),
  attempt: z.number().int(),
  state: z.enum(TASK_STATES),
  error: z.string().nullable(),
});

// A definition's events name it (and its new etag): its spec may be large, GET it.
export const ProcessDefinitionEventSchema = z.object({ name: z.string(), etag: z.string() });
export const ProcessDefinitionDeletedEventSchema = z.object({ name: z.string() });

/** A task's event data, from its row. */
export const taskEvent = (
  run: { id: string; process: string },
  task: { taskId: string; phase: string; attempt: number; state: TaskState; error: string | null },
) => ({
  run_id: run.id,
  process: run.process,
  phase: task.phase,
  task_id: task.taskId,
  attempt: task.attempt,
  state: task.state,
  error: task.error,
});
