import { notFound } from "../../http/errors";
import { newId } from "../../lib/ids";
import { bool, json, num, type Row, str } from "../../lib/sql-values";
import {
  type ArgValue,
  type CommandType,
  type Execution,
  type ExecutionStatus,
  FINISHED_STATUSES,
  type OutputChunk,
} from "./command.schemas";

// Executions and their output in the DO's SQLite. Output is stored chunk by chunk as it is
// produced, each with the next sequence number of its execution, so a reader can replay what
// exists and then follow: listeners registered here are told of every chunk and of the end.

/** The most of one chunk's text in a row (rows must stay well under SQLite's 2 MB). */
const CHUNK_CHARS = 64 * 1024;
/** Finished executions kept per workspace (with their output); older ones are pruned. */
export const EXECUTIONS_KEPT = 500;

const toExecution = (row: Row): Execution => ({
  id: String(row.id),
  trigger: String(row.trigger),
  type: String(row.type) as CommandType,
  status: String(row.status) as ExecutionStatus,
  args: json(row.args) as Record<string, ArgValue>,
  thread_id: str(row.thread_id),
  message_id: str(row.message_id),
  tool_call_id: str(row.tool_call_id),
  rendered: str(row.rendered),
  exit_code: num(row.exit_code),
  http_status: num(row.http_status),
  reason: str(row.reason),
  output_bytes: Number(row.output_bytes),
  output_truncated: bool(row.output_truncated),
  created_at: String(row.created_at),
  started_at: str(row.started_at),
  finished_at: str(row.finished_at),
  duration_ms: num(row.duration_ms),
});

export interface OutputListener {
  chunk(chunk: OutputChunk): void;
  end(execution: Execution): void;
}

export interface Ending {
  status: Exclude<ExecutionStatus, "queued" | "running">;
  exitCode: number | null;
  reason: string | null;
  httpStatus?: number | null;
}

export const isFinished = (status: ExecutionStatus) => FINISHED_STATUSES.includes(status);

export class ExecutionStore {
  private readonly listeners = new Map<string, Set<OutputListener>>();

  constructor(private readonly sql: SqlStorage) {}

  insert(input: {
    trigger: string;
    type: CommandType;
    args: Record<string, ArgValue>;
    threadId: string | null;
    toolCallId: string | null;
    actor: string | null;
  }): Execution {
    const id = newId("exe");
    this.sql.exec(
      `INSERT INTO command_executions (id, trigger, type, status, args, thread_id, tool_call_id,
         actor, created_at) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?)`,
      id,
      input.trigger,
      input.type,
      JSON.stringify(input.args),
      input.threadId,
      input.toolCallId,
      input.actor,
      new Date().toISOString(),
    );
    return this.get(id);
  }

  find(id: string): Execution | null {
    const row = this.sql.exec("SELECT * FROM command_executions WHERE id = ?", id).toArray()[0];
    return row ? toExecution(row) : null;
  }

  get(id: string): Execution {
    const execution = this.find(id);
    if (!execution) throw notFound("execution");
    return execution;
  }

  /** The execution of `trigger` with this id (another command's execution is not found). */
  of(trigger: string, id: string): Execution {
    const execution = this.find(id);
    if (!execution || execution.trigger !== trigger) throw notFound("execution");
    return execution;
  }

  markRunning(id: string): Execution {
    this.sql.exec(
      "UPDATE command_executions SET status = 'running', started_at = ? WHERE id = ?",
      new Date().toISOString(),
      id,
    );
    return this.get(id);
  }

  /** What the execution actually ran: a prompt's text, an http request's method and URL. */
  setRendered(id: string, rendered: string): void {
    this.sql.exec("UPDATE command_executions SET rendered = ? WHERE id = ?", rendered, id);
  }

  /** A prompt's thread and answer message, once its stream has started. */
  setThread(id: string, threadId: string, messageId: string): void {
    this.sql.exec(
      "UPDATE command_executions SET thread_id = ?, message_id = ? WHERE id = ?",
      threadId,
      messageId,
      id,
    );
  }

  /** Appends output, split into rows of at most CHUNK_CHARS; tells the listeners. */
  append(id: string, stream: "stdout" | "stderr", data: string, bytes: number): void {
    if (data === "") return;
    const listeners = this.listeners.get(id);
    for (let offset = 0; offset < data.length; offset += CHUNK_CHARS) {
      const piece = data.slice(offset, offset + CHUNK_CHARS);
      const seq = Number(
        this.sql
          .exec(
            "UPDATE command_executions SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq",
            id,
          )
          .one().last_seq,
      );
      this.sql.exec(
        "INSERT INTO command_output (execution_id, seq, stream, data) VALUES (?, ?, ?, ?)",
        id,
        seq,
        stream,
        piece,
      );
      for (const listener of listeners ?? []) listener.chunk({ seq, stream, data: piece });
    }
    this.sql.exec(
      "UPDATE command_executions SET output_bytes = output_bytes + ? WHERE id = ?",
      bytes,
      id,
    );
  }

  markTruncated(id: string): void {
    this.sql.exec("UPDATE command_executions SET output_truncated = 1 WHERE id = ?", id);
  }

  /** Ends an execution that has not ended yet; null when it had (a cancel racing the end). */
  finish(id: string, ending: Ending): Execution | null {
    const current = this.get(id);
    if (isFinished(current.status)) return null;
    const now = new Date();
    const started = current.started_at ? Date.parse(current.started_at) : now.getTime();
    this.sql.exec(
      `UPDATE command_executions SET status = ?, exit_code = ?, reason = ?, http_status = ?,
         finished_at = ?, duration_ms = ? WHERE id = ?`,
      ending.status,
      ending.exitCode,
      ending.reason,
      ending.httpStatus ?? null,
      now.toISOString(),
      Math.max(0, now.getTime() - started),
      id,
    );
    return this.get(id);
  }

  /** Tells the listeners of an ended execution, and forgets them. */
  announceEnd(execution: Execution): void {
    const listeners = this.listeners.get(execution.id);
    this.listeners.delete(execution.id);
    for (const listener of listeners ?? []) listener.end(execution);
  }

  /** Chunks after `after`, in order, at most `limit`. */
  chunks(id: string, after: number, limit: number): OutputChunk[] {
    return this.sql
      .exec(
        `SELECT seq, stream, data FROM command_output WHERE execution_id = ? AND seq > ?
         ORDER BY seq LIMIT ?`,
        id,
        after,
        limit,
      )
      .toArray()
      .map((row) => ({
        seq: Number(row.seq),
        stream: row.stream === "stderr" ? "stderr" : "stdout",
        data: String(row.data),
      }));
  }

  listen(id: string, listener: OutputListener): () => void {
    let set = this.listeners.get(id);
    if (!set) {
      set = new Set();
      this.listeners.set(id, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Executions still queued or running: after a restart, none of them has a runner. */
  unfinished(): Execution[] {
    return this.sql
      .exec("SELECT * FROM command_executions WHERE status IN ('queued', 'running')")
      .toArray()
      .map(toExecution);
  }

  /** Triggers by their latest execution, newest first. */
  recentTriggers(limit: number): { trigger: string; last: string; count: number }[] {
    return this.usage("last_id DESC", limit);
  }

  /** Triggers by how often they ran, most first. */
  popularTriggers(limit: number): { trigger: string; last: string; count: number }[] {
    return this.usage("count DESC, last_id DESC", limit);
  }

  /** Deletes the oldest finished executions beyond EXECUTIONS_KEPT, with their output. */
  prune(): void {
    const old = this.sql
      .exec(
        `SELECT id FROM command_executions WHERE status NOT IN ('queued', 'running')
         ORDER BY id DESC LIMIT -1 OFFSET ?`,
        EXECUTIONS_KEPT,
      )
      .toArray()
      .map((row) => String(row.id));
    for (const id of old) {
      this.sql.exec("DELETE FROM command_output WHERE execution_id = ?", id);
      this.sql.exec("DELETE FROM command_executions WHERE id = ?", id);
    }
  }

  private usage(order: string, limit: number) {
    // Only triggers that name a command now: a deleted command is neither recent nor popular.
    return this.sql
      .exec(
        `SELECT e.trigger, max(e.created_at) AS last, max(e.id) AS last_id, count(*) AS count
         FROM command_executions e JOIN commands c ON c.trigger = e.trigger
         GROUP BY e.trigger ORDER BY ${order}, e.trigger LIMIT ?`,
        limit,
      )
      .toArray()
      .map((row) => ({
        trigger: String(row.trigger),
        last: String(row.last),
        count: Number(row.count),
      }));
  }
}
