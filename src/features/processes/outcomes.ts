import type { Emit } from "../../kernel/events";
import { taskEvent } from "./process-events";
import type { ProcessStore, RunRow, TaskRow } from "./process-store";
import { dependents, specTasks } from "./run-rules";
import type { TaskSpec } from "./spec";
import type { Outcome } from "./task-runners";

// How an attempt ends, as the task's row and log record it (inside the commit that appends
// its `process.task.finished`): succeeded; failed with retries left (pending again, due after
// `backoff_s × 2^(n-1)`); failed for good; or cut off by a dead instance. And a retry, which
// puts a task and what depends on it back to pending.

const INTERRUPTED = "interrupted: the workspace's Durable Object restarted while it ran";

export interface AttemptEnd {
  run: RunRow;
  taskId: string;
  attempt: number;
  outcome: Outcome;
  /** The claim the attempt ran under: this instance's. */
  instance: string;
}

type TaskFields = Parameters<ProcessStore["updateTask"]>[2];

/**
 * The one way an attempt ends: the task's row changed, an engine log line (when there is
 * one), and `process.task.finished` saying how it went (`reported` — a retry to come is still
 * reported as `failed`).
 */
function endAttempt(
  store: ProcessStore,
  run: RunRow,
  task: TaskRow,
  emit: Emit,
  now: number,
  end: {
    fields: TaskFields;
    reported: "succeeded" | "failed" | "canceled";
    error: string | null;
    log?: string;
  },
): void {
  store.updateTask(run.id, task.taskId, { claim: null, ...end.fields });
  if (end.log !== undefined) {
    store.log(
      run.id,
      { taskId: task.taskId, attempt: task.attempt, stream: "engine", message: end.log },
      now,
    );
  }
  emit(
    "process.task.finished",
    taskEvent(run, { ...task, status: end.reported, error: end.error }),
  );
}

/**
 * Only the attempt that is still the task's counts — a cancel, a retry or another instance's
 * claim may have moved the task on while the attempt ran.
 */
export function recordOutcome(store: ProcessStore, end: AttemptEnd, emit: Emit, now: number): void {
  const { run, taskId, attempt, outcome } = end;
  const current = store.task(run.id, taskId);
  // An approval ends here only when its timeout passes (a decision is `approve`'s).
  const open = current?.status === "running" || current?.status === "waiting_approval";
  if (!current || !open || current.attempt !== attempt) return;
  if (current.claim !== null && current.claim !== end.instance) return;
  if (outcome.ok) {
    endAttempt(store, run, current, emit, now, {
      fields: { status: "succeeded", output: outcome.output, deadlineAt: null, finishedAt: now },
      reported: "succeeded",
      error: null,
      log: `attempt ${attempt} succeeded`,
    });
    return;
  }
  const spec = specTasks(run.spec).get(taskId) as TaskSpec;
  const used = attempt - current.retryBase;
  const failed = { deadlineAt: null, error: outcome.error, output: outcome.output ?? null };
  if (used <= spec.retry.max) {
    const dueAt = now + spec.retry.backoff_s * 1000 * 2 ** (used - 1);
    endAttempt(store, run, current, emit, now, {
      fields: { ...failed, status: "pending", dueAt },
      reported: "failed",
      error: outcome.error,
      log: `attempt ${attempt} failed: ${outcome.error}; retry at ${new Date(dueAt).toISOString()}`,
    });
  } else {
    endAttempt(store, run, current, emit, now, {
      fields: { ...failed, status: "failed", finishedAt: now },
      reported: "failed",
      error: outcome.error,
      log: `attempt ${attempt} failed: ${outcome.error}`,
    });
  }
}

/** A task canceled (its runner, if any, is aborted by the caller after the commit). */
export function recordCanceled(
  store: ProcessStore,
  run: RunRow,
  task: TaskRow,
  emit: Emit,
  now: number,
): void {
  endAttempt(store, run, task, emit, now, {
    fields: { status: "canceled", finishedAt: now, error: "canceled" },
    reported: "canceled",
    error: "canceled",
  });
}

/** A task left running by a dead instance: pending again, to run as a new attempt. */
export function recordInterrupted(
  store: ProcessStore,
  run: RunRow,
  task: TaskRow,
  emit: Emit,
  now: number,
): void {
  endAttempt(store, run, task, emit, now, {
    // The interruption is not the task's failure: it does not use up a retry.
    fields: { status: "pending", dueAt: null, error: INTERRUPTED, retryBase: task.retryBase + 1 },
    reported: "failed",
    error: INTERRUPTED,
    log: `attempt ${task.attempt} ${INTERRUPTED}`,
  });
}

/** A retry: the task and every task depending on it back to pending, their attempts kept. */
export function reviveTasks(store: ProcessStore, run: RunRow, taskId: string): void {
  const again = new Set([taskId, ...dependents(taskId, specTasks(run.spec))]);
  for (const task of store.tasks(run.id)) {
    const revive = again.has(task.taskId)
      ? task.status !== "pending" && task.status !== "running"
      : task.status === "canceled";
    if (!revive) continue;
    store.updateTask(run.id, task.taskId, {
      status: "pending",
      claim: null,
      dueAt: null,
      deadlineAt: null,
      error: null,
      output: null,
      approval: null,
      finishedAt: null,
      retryBase: task.attempt,
    });
  }
}
