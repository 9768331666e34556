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
  const log = (message: string) =>
    store.log(run.id, { taskId, attempt, stream: "engine", message }, now);
  if (outcome.ok) {
    store.updateTask(run.id, taskId, {
      status: "succeeded",
      output: outcome.output,
      claim: null,
      deadlineAt: null,
      finishedAt: now,
    });
    log(`attempt ${attempt} succeeded`);
    emit("process.task.finished", taskEvent(run, { ...current, status: "succeeded", error: null }));
    return;
  }
  const spec = specTasks(run.spec).get(taskId) as TaskSpec;
  const used = attempt - current.retryBase;
  if (used <= spec.retry.max) {
    const dueAt = now + spec.retry.backoff_s * 1000 * 2 ** (used - 1);
    store.updateTask(run.id, taskId, {
      status: "pending",
      claim: null,
      dueAt,
      deadlineAt: null,
      error: outcome.error,
      output: outcome.output ?? null,
    });
    log(`attempt ${attempt} failed: ${outcome.error}; retry at ${new Date(dueAt).toISOString()}`);
  } else {
    store.updateTask(run.id, taskId, {
      status: "failed",
      claim: null,
      deadlineAt: null,
      error: outcome.error,
      output: outcome.output ?? null,
      finishedAt: now,
    });
    log(`attempt ${attempt} failed: ${outcome.error}`);
  }
  emit(
    "process.task.finished",
    taskEvent(run, { ...current, status: "failed", error: outcome.error }),
  );
}

/** A task canceled (its runner, if any, is aborted by the caller after the commit). */
export function recordCanceled(
  store: ProcessStore,
  run: RunRow,
  task: TaskRow,
  emit: Emit,
  now: number,
): void {
  store.updateTask(run.id, task.taskId, {
    status: "canceled",
    claim: null,
    finishedAt: now,
    error: "canceled",
  });
  emit("process.task.finished", taskEvent(run, { ...task, status: "canceled", error: "canceled" }));
}

/** A task left running by a dead instance: pending again, to run as a new attempt. */
export function recordInterrupted(
  store: ProcessStore,
  run: RunRow,
  task: TaskRow,
  emit: Emit,
  now: number,
): void {
  store.updateTask(task.runId, task.taskId, {
    status: "pending",
    claim: null,
    dueAt: null,
    error: INTERRUPTED,
    // The interruption is not the task's failure: it does not use up a retry.
    retryBase: task.retryBase + 1,
  });
  store.log(
    task.runId,
    {
      taskId: task.taskId,
      attempt: task.attempt,
      stream: "engine",
      message: `attempt ${task.attempt} ${INTERRUPTED}`,
    },
    now,
  );
  emit("process.task.finished", taskEvent(run, { ...task, status: "failed", error: INTERRUPTED }));
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
