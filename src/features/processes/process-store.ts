import { notFound } from "../../http/errors";
import { newId } from "../../lib/ids";
import { json, num, type Row, str } from "../../lib/sql-values";
import { DefinitionStore } from "./definition-store";
import type { RunStatus, TaskStatus } from "./process-events";
import { flattenTasks, type ProcessSpec, type TaskKind } from "./spec";

export type { Definition } from "./definition-store";

// The SQL of processes: runs, their tasks and log lines (definitions: definition-store.ts). No rules here (the
// engine decides); every function is one statement or a few, run inside the caller's
// transaction when it has one.

export interface RunRow {
  id: string;
  process: string;
  status: RunStatus;
  spec: ProcessSpec;
  inputs: Record<string, unknown>;
  metadata: Record<string, unknown>;
  instructions: string | null;
  error: string | null;
  accountId: string;
  actor: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface TaskRow {
  runId: string;
  taskId: string;
  phase: string;
  phaseIndex: number;
  position: number;
  kind: TaskKind;
  status: TaskStatus;
  attempt: number;
  /** Attempts made before the last manual retry or interruption: not counted against `retry.max`. */
  retryBase: number;
  claim: string | null;
  dueAt: number | null;
  /** When a wait's or an approval's `timeout_s` passes (then it fails), or null. */
  deadlineAt: number | null;
  output: unknown;
  error: string | null;
  approval: unknown;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface LogLine {
  seq: number;
  task_id: string | null;
  attempt: number | null;
  stream: string;
  message: string;
  created_at: string;
}

const toRun = (row: Row): RunRow => ({
  id: String(row.id),
  process: String(row.process),
  status: String(row.status) as RunStatus,
  spec: json(row.spec),
  inputs: json(row.inputs),
  metadata: json(row.metadata),
  instructions: str(row.instructions),
  error: str(row.error),
  accountId: String(row.account_id),
  actor: str(row.actor),
  createdAt: Number(row.created_at),
  startedAt: num(row.started_at),
  finishedAt: num(row.finished_at),
});

const toTask = (row: Row): TaskRow => ({
  runId: String(row.run_id),
  taskId: String(row.task_id),
  phase: String(row.phase),
  phaseIndex: Number(row.phase_index),
  position: Number(row.position),
  kind: String(row.kind) as TaskKind,
  status: String(row.status) as TaskStatus,
  attempt: Number(row.attempt),
  retryBase: Number(row.retry_base),
  claim: str(row.claim),
  dueAt: num(row.due_at),
  deadlineAt: num(row.deadline_at),
  output: json(row.output),
  error: str(row.error),
  approval: json(row.approval),
  startedAt: num(row.started_at),
  finishedAt: num(row.finished_at),
});

/** The most characters of one log line kept. */
const LOG_LINE_MAX = 16 * 1024;

export class ProcessStore {
  readonly definitions: DefinitionStore;

  constructor(private readonly sql: SqlStorage) {
    this.definitions = new DefinitionStore(sql);
  }

  insertRun(input: Omit<RunRow, "id" | "status" | "error" | "startedAt" | "finishedAt">): RunRow {
    const id = newId("run");
    this.sql.exec(
      `INSERT INTO process_runs (id, process, status, spec, inputs, metadata, instructions,
         account_id, actor, created_at) VALUES (?, ?, 'created', ?, ?, ?, ?, ?, ?, ?)`,
      id,
      input.process,
      JSON.stringify(input.spec),
      JSON.stringify(input.inputs),
      JSON.stringify(input.metadata),
      input.instructions,
      input.accountId,
      input.actor,
      input.createdAt,
    );
    flattenTasks(input.spec).forEach(({ phase, index, task }, position) => {
      this.sql.exec(
        `INSERT INTO process_tasks (run_id, task_id, phase, phase_index, position, kind, status)
         VALUES (?, ?, ?, ?, ?, ?, 'pending')`,
        id,
        task.id,
        phase,
        index,
        position,
        task.kind,
      );
    });
    return this.run(id);
  }

  findRun(id: string): RunRow | null {
    const row = this.sql.exec("SELECT * FROM process_runs WHERE id = ?", id).toArray()[0];
    return row ? toRun(row) : null;
  }

  run(id: string): RunRow {
    const found = this.findRun(id);
    if (!found) throw notFound("process run");
    return found;
  }

  runsOf(process: string, before: string | null, limit: number, skip = 0): RunRow[] {
    return this.sql
      .exec(
        "SELECT * FROM process_runs WHERE process = ? AND id < ? ORDER BY id DESC LIMIT ? OFFSET ?",
        process,
        before ?? "~",
        limit,
        skip,
      )
      .toArray()
      .map(toRun);
  }

  /** Runs not finished yet, created ones included (what a reset cancels). */
  unfinishedRuns(): RunRow[] {
    return this.sql
      .exec(
        "SELECT * FROM process_runs WHERE status IN ('created', 'running', 'awaiting_approval', 'paused') ORDER BY id",
      )
      .toArray()
      .map(toRun);
  }

  /** Runs the engine has something to do for (running or waiting; a paused run's tasks end). */
  activeRuns(): RunRow[] {
    return this.sql
      .exec(
        "SELECT * FROM process_runs WHERE status IN ('running', 'awaiting_approval', 'paused') ORDER BY id",
      )
      .toArray()
      .map(toRun);
  }

  setRunStatus(
    id: string,
    status: RunStatus,
    fields: { error?: string | null; startedAt?: number; finishedAt?: number | null } = {},
  ): void {
    this.sql.exec(
      `UPDATE process_runs SET status = ?, error = ?,
         started_at = COALESCE(started_at, ?), finished_at = ? WHERE id = ?`,
      status,
      fields.error ?? null,
      fields.startedAt ?? null,
      fields.finishedAt ?? null,
      id,
    );
  }

  tasks(runId: string): TaskRow[] {
    return this.sql
      .exec("SELECT * FROM process_tasks WHERE run_id = ? ORDER BY position", runId)
      .toArray()
      .map(toTask);
  }

  task(runId: string, taskId: string): TaskRow | null {
    const row = this.sql
      .exec("SELECT * FROM process_tasks WHERE run_id = ? AND task_id = ?", runId, taskId)
      .toArray()[0];
    return row ? toTask(row) : null;
  }

  /** Tasks marked running by an instance other than `instance` (a crashed attempt's). */
  staleClaims(instance: string): TaskRow[] {
    return this.sql
      .exec(
        "SELECT * FROM process_tasks WHERE status = 'running' AND claim IS NOT NULL AND claim != ?",
        instance,
      )
      .toArray()
      .map(toTask);
  }

  updateTask(
    runId: string,
    taskId: string,
    fields: Partial<
      Pick<
        TaskRow,
        | "status"
        | "attempt"
        | "retryBase"
        | "claim"
        | "dueAt"
        | "deadlineAt"
        | "output"
        | "error"
        | "approval"
        | "startedAt"
        | "finishedAt"
      >
    >,
  ): void {
    const columns: Record<string, string> = {
      status: "status",
      attempt: "attempt",
      retryBase: "retry_base",
      claim: "claim",
      dueAt: "due_at",
      deadlineAt: "deadline_at",
      output: "output",
      error: "error",
      approval: "approval",
      startedAt: "started_at",
      finishedAt: "finished_at",
    };
    const sets: string[] = [];
    const values: SqlStorageValue[] = [];
    for (const [key, value] of Object.entries(fields)) {
      sets.push(`${columns[key]} = ?`);
      values.push(
        key === "output" || key === "approval"
          ? value === null || value === undefined
            ? null
            : JSON.stringify(value)
          : (value as SqlStorageValue),
      );
    }
    if (sets.length === 0) return;
    this.sql.exec(
      `UPDATE process_tasks SET ${sets.join(", ")} WHERE run_id = ? AND task_id = ?`,
      ...values,
      runId,
      taskId,
    );
  }

  /**
   * The earliest time a tick has something to do, or null: a pending task's due time (a
   * retry's backoff) in a running run; a running wait's end, or a wait's or an approval's
   * deadline, in a run that is not finished (a paused run's waits end too, as running tasks do).
   */
  nextDue(): number | null {
    const row = this.sql
      .exec(
        `SELECT MIN(MIN(COALESCE(t.due_at, t.deadline_at), COALESCE(t.deadline_at, t.due_at))) AS due
         FROM process_tasks t JOIN process_runs r ON r.id = t.run_id
         WHERE (t.status = 'pending' AND t.due_at IS NOT NULL
                AND r.status IN ('running', 'awaiting_approval'))
            OR (t.status = 'running' AND t.kind = 'wait'
                AND r.status IN ('running', 'awaiting_approval', 'paused'))
            OR (t.status = 'waiting_approval' AND t.deadline_at IS NOT NULL
                AND r.status IN ('running', 'awaiting_approval', 'paused'))`,
      )
      .one();
    return row.due === null ? null : Number(row.due);
  }

  log(
    runId: string,
    line: { taskId: string | null; attempt: number | null; stream: string; message: string },
    now: number,
  ): void {
    const seq = Number(
      this.sql
        .exec("UPDATE process_runs SET log_seq = log_seq + 1 WHERE id = ? RETURNING log_seq", runId)
        .one().log_seq,
    );
    this.sql.exec(
      `INSERT INTO process_logs (run_id, seq, task_id, attempt, stream, message, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      runId,
      seq,
      line.taskId,
      line.attempt,
      line.stream,
      line.message.slice(0, LOG_LINE_MAX),
      now,
    );
  }

  logs(runId: string, after: number, limit: number, taskId: string | null, skip = 0): LogLine[] {
    return this.sql
      .exec(
        `SELECT * FROM process_logs WHERE run_id = ? AND seq > ? AND (? IS NULL OR task_id = ?)
         ORDER BY seq LIMIT ? OFFSET ?`,
        runId,
        after,
        taskId,
        taskId,
        limit,
        skip,
      )
      .toArray()
      .map((row) => ({
        seq: Number(row.seq),
        task_id: str(row.task_id),
        attempt: num(row.attempt),
        stream: String(row.stream),
        message: String(row.message),
        created_at: new Date(Number(row.created_at)).toISOString(),
      }));
  }

  countTick(runId: string): void {
    this.sql.exec("UPDATE process_runs SET ticks = ticks + 1 WHERE id = ?", runId);
  }

  /** The id of the run's `process.run.created` event: its event stream replays from there. */
  setCreatedEvent(runId: string, eventId: number): void {
    this.sql.exec("UPDATE process_runs SET created_event_id = ? WHERE id = ?", eventId, runId);
  }

  /** The cursor a replay of the run's events starts from (0 for a run from before the column). */
  eventsStart(runId: string): number {
    const row = this.sql
      .exec("SELECT created_event_id FROM process_runs WHERE id = ?", runId)
      .toArray()[0];
    const id = row ? num(row.created_event_id) : null;
    return id === null ? 0 : id - 1;
  }

  ticks(runId: string): number {
    const row = this.sql.exec("SELECT ticks FROM process_runs WHERE id = ?", runId).toArray()[0];
    return row ? Number(row.ticks) : 0;
  }

  count(): number {
    return Number(this.sql.exec("SELECT COUNT(*) AS n FROM process_runs").one().n);
  }
}
