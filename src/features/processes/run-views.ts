import type { RunRow, TaskRow } from "./process-store";
import { taskActions } from "./run-rules";

// A run and its tasks as the routes answer them: times as ISO strings, durations, and what
// may be done next.

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function taskView(run: RunRow, task: TaskRow) {
  return {
    id: task.taskId,
    phase: task.phase,
    kind: task.kind,
    status: task.status,
    attempt: task.attempt,
    output: task.output ?? null,
    error: task.error,
    approval: task.approval ?? null,
    due_at: iso(task.dueAt),
    deadline_at: iso(task.deadlineAt),
    started_at: iso(task.startedAt),
    finished_at: iso(task.finishedAt),
    duration_ms:
      task.startedAt !== null && task.finishedAt !== null ? task.finishedAt - task.startedAt : null,
    allowed_actions: taskActions(run, task),
  };
}

export function runSummary(run: RunRow) {
  return {
    id: run.id,
    process: run.process,
    status: run.status,
    error: run.error,
    metadata: run.metadata,
    created_at: iso(run.createdAt) as string,
    started_at: iso(run.startedAt),
    finished_at: iso(run.finishedAt),
    duration_ms:
      run.startedAt !== null && run.finishedAt !== null ? run.finishedAt - run.startedAt : null,
  };
}
