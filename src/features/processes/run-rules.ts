import { ApiError } from "../../http/errors";
import type { RunStatus, TaskStatus } from "./process-events";
import type { RunRow, TaskRow } from "./process-store";
import type { ProcessSpec, TaskSpec } from "./spec";
import { templateRefs } from "./templates";

// The run's state machine (its status and the actions allowed from it) and what a task's
// status means for the tasks after it. Pure functions of the rows: the engine and the control
// routes both ask these.

export type RunAction = "start" | "pause" | "resume" | "cancel" | "approve";
export type TaskAction = "retry" | "skip";

const ALLOWED_FROM: Record<RunAction, readonly RunStatus[]> = {
  start: ["created"],
  pause: ["running", "awaiting_approval"],
  resume: ["paused"],
  cancel: ["created", "running", "paused", "awaiting_approval"],
  approve: ["running", "paused", "awaiting_approval"],
};

const TASK_ALLOWED_FROM: Record<TaskAction, readonly TaskStatus[]> = {
  retry: ["failed", "canceled"],
  skip: ["pending", "failed", "waiting_approval", "canceled"],
};

export const isTerminal = (status: RunStatus) =>
  status === "succeeded" || status === "failed" || status === "canceled";

export function allowedActions(run: RunRow, tasks: TaskRow[]): RunAction[] {
  const waiting = tasks.some((task) => task.status === "waiting_approval");
  return (Object.keys(ALLOWED_FROM) as RunAction[]).filter(
    (action) => ALLOWED_FROM[action].includes(run.status) && (action !== "approve" || waiting),
  );
}

export function assertRunAction(run: RunRow, tasks: TaskRow[], action: RunAction): void {
  const allowed = allowedActions(run, tasks);
  if (allowed.includes(action)) return;
  throw new ApiError(
    "conflict",
    action === "approve" && ALLOWED_FROM.approve.includes(run.status)
      ? "no task of the run is waiting for approval"
      : `cannot ${action} a run that is ${run.status}; allowed: ${allowed.join(", ") || "none"}`,
    { details: { status: run.status, action, allowed_actions: allowed } },
  );
}

export function taskActions(run: RunRow, task: TaskRow): TaskAction[] {
  if (run.status === "canceled" || run.status === "created") return [];
  return (Object.keys(TASK_ALLOWED_FROM) as TaskAction[]).filter((action) =>
    TASK_ALLOWED_FROM[action].includes(task.status),
  );
}

export function assertTaskAction(run: RunRow, task: TaskRow, action: TaskAction): void {
  const allowed = taskActions(run, task);
  if (allowed.includes(action)) return;
  throw new ApiError(
    "conflict",
    `cannot ${action} task '${task.taskId}', which is ${task.status} in a run that is ${run.status}; allowed: ${allowed.join(", ") || "none"}`,
    {
      details: {
        task: task.taskId,
        task_status: task.status,
        run_status: run.status,
        action,
        allowed_actions: allowed,
      },
    },
  );
}

export const specTasks = (spec: ProcessSpec) =>
  new Map(spec.phases.flatMap((phase) => phase.tasks.map((task) => [task.id, task] as const)));

/** Whether a task lets the tasks that need it (and later phases) go on. */
export const isSatisfied = (task: TaskRow, spec: TaskSpec | undefined) =>
  task.status === "succeeded" ||
  task.status === "skipped" ||
  (task.status === "failed" && spec?.continue_on_error === true);

/** A failed task that fails the run (no retry left, not continue_on_error). */
export const isFatal = (task: TaskRow, spec: TaskSpec | undefined) =>
  task.status === "failed" && spec?.continue_on_error !== true;

/** Pending tasks whose phase has come and whose needs are met (due or not). */
export function readyTasks(tasks: TaskRow[], specs: Map<string, TaskSpec>): TaskRow[] {
  const byId = new Map(tasks.map((task) => [task.taskId, task]));
  let openPhase = Number.POSITIVE_INFINITY;
  for (const task of tasks) {
    if (!isSatisfied(task, specs.get(task.taskId)))
      openPhase = Math.min(openPhase, task.phaseIndex);
  }
  return tasks.filter(
    (task) =>
      task.status === "pending" &&
      task.phaseIndex <= openPhase &&
      (specs.get(task.taskId)?.needs ?? []).every((need) => {
        const needed = byId.get(need);
        return needed !== undefined && isSatisfied(needed, specs.get(need));
      }),
  );
}

/**
 * Every task that needs `id` or reads its output (a task of a later phase may read it without
 * needing it), directly or through others: what a retry of `id` runs again.
 */
export function dependents(id: string, specs: Map<string, TaskSpec>): Set<string> {
  const found = new Set<string>();
  const upstream = new Map(
    [...specs].map(([taskId, spec]) => [
      taskId,
      [
        ...spec.needs,
        ...templateRefs(spec.with).flatMap((ref) => (ref.kind === "task" ? [ref.task] : [])),
      ],
    ]),
  );
  let grew = true;
  while (grew) {
    grew = false;
    for (const [taskId, before] of upstream) {
      if (found.has(taskId)) continue;
      if (before.some((need) => need === id || found.has(need))) {
        found.add(taskId);
        grew = true;
      }
    }
  }
  return found;
}

/** Where a running (or awaiting) run stands after a change to its tasks. */
export function derivedStatus(
  tasks: TaskRow[],
  specs: Map<string, TaskSpec>,
): { status: RunStatus; error: string | null } {
  const fatal = tasks.find((task) => isFatal(task, specs.get(task.taskId)));
  if (fatal) return { status: "failed", error: `task '${fatal.taskId}' failed: ${fatal.error}` };
  if (tasks.every((task) => isSatisfied(task, specs.get(task.taskId)))) {
    return { status: "succeeded", error: null };
  }
  const busy = tasks.some((task) => task.status === "running");
  const waiting = tasks.some((task) => task.status === "waiting_approval");
  if (!busy && waiting && readyTasks(tasks, specs).length === 0) {
    return { status: "awaiting_approval", error: null };
  }
  return { status: "running", error: null };
}
