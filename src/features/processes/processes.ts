import { ApiError, notFound } from "../../http/errors";
import { assertIfMatch, assertWriteConditions, type WriteConditions } from "../../http/etag";
import type { Caller } from "../../kernel/caller";
import type { Emit } from "../../kernel/events";
import type { ProcessEngine } from "./engine";
import {
  EMPTY_INPUT_SCHEMA,
  type InputSchema,
  inferredInputSchema,
  validateInputs,
} from "./input-schema";
import { recordCanceled, reviveTasks } from "./outcomes";
import type { Definition, RunRow, TaskRow } from "./process-store";
import {
  allowedActions,
  assertRunAction,
  assertTaskAction,
  type RunAction,
  specTasks,
} from "./run-rules";
import { runSummary, taskView } from "./run-views";
import type { ProcessSpec } from "./spec";
import { assertInputsGiven, validateSpec } from "./spec-checks";

// What the process routes do inside the DO: definitions, runs and their control. State
// changes go through the engine's commit (with their `process.*` events); anything that lets
// the run go on asks the DO to wake the engine now (`wake`).

export interface DefinitionInput {
  spec: ProcessSpec;
  description?: string | null;
  input_schema?: InputSchema;
}

/** A PUT's conditional headers: `If-Match` (the etag you read), `If-None-Match: *` (create only). */
export type DefinitionConditions = WriteConditions;

export interface RunInput {
  spec?: ProcessSpec;
  inputs?: Record<string, unknown>;
  input_schema?: InputSchema;
  metadata?: Record<string, unknown>;
  instructions?: string | null;
}

export interface ApproveInput {
  task?: string;
  decision: "approve" | "reject";
  comment?: string | null;
}

export class Processes {
  constructor(
    private readonly engine: ProcessEngine,
    private readonly port: {
      commit<T>(caller: Caller, body: (emit: Emit) => T): T;
      /** Sets the alarm for now: the engine has something to start. */
      wake(): Promise<void>;
    },
  ) {}

  private commit<T>(caller: Caller, body: (emit: Emit) => T): T {
    return this.port.commit(caller, body);
  }

  private wake(): Promise<void> {
    return this.port.wake();
  }

  private get store() {
    return this.engine.store;
  }

  putDefinition(
    caller: Caller,
    name: string,
    input: DefinitionInput,
    conditions: DefinitionConditions,
  ): { definition: Definition; created: boolean } {
    const inputSchema = input.input_schema ?? EMPTY_INPUT_SCHEMA;
    validateSpec(input.spec, inputSchema);
    assertWriteConditions(this.store.definitions.find(name), conditions, "process");
    return this.commit(caller, (emit) => {
      const saved = this.store.definitions.put(
        name,
        { spec: input.spec, description: input.description ?? null, input_schema: inputSchema },
        new Date().toISOString(),
      );
      emit(saved.created ? "process.definition.created" : "process.definition.updated", {
        name,
        etag: saved.definition.etag,
      });
      return saved;
    });
  }

  /** Deletes a definition; runs already created keep the spec stored with them. */
  deleteDefinition(caller: Caller, name: string, ifMatch: string | null): void {
    const current = this.store.definitions.get(name);
    assertIfMatch(ifMatch, current.etag);
    this.commit(caller, (emit) => {
      this.store.definitions.delete(name);
      emit("process.definition.deleted", { name });
    });
  }

  createRun(caller: Caller, process: string, input: RunInput) {
    const definition = this.store.definitions.find(process);
    const spec = input.spec ?? definition?.spec;
    if (!spec) {
      throw notFound("process");
    }
    const inputSchema =
      input.input_schema ??
      definition?.input_schema ??
      (input.spec ? inferredInputSchema(input.inputs ?? {}) : EMPTY_INPUT_SCHEMA);
    validateSpec(spec, inputSchema);
    const inputs = validateInputs(inputSchema, input.inputs ?? {});
    assertInputsGiven(spec, inputs);
    const run = this.commit(caller, (emit) => {
      const created = this.store.insertRun({
        process,
        spec,
        inputs,
        metadata: input.metadata ?? {},
        instructions: input.instructions ?? null,
        accountId: caller.accountId,
        actor: caller.actor,
        createdAt: Date.now(),
      });
      const eventId = emit("process.run.created", {
        run_id: created.id,
        process,
        from_status: null,
        status: "created",
        error: null,
      });
      this.store.setCreatedEvent(created.id, eventId);
      return created;
    });
    return this.view(run.id);
  }

  /**
   * The run, as a route names it: by id alone (`…/processes/runs/{run}`), or under its process
   * (`…/processes/{process}/runs/{run}`) — a run of another process is a 404 there, as an
   * unknown one is.
   */
  runOf(runId: string, process: string | null): RunRow {
    const run = this.store.run(runId);
    if (process !== null && run.process !== process) throw notFound("run");
    return run;
  }

  view(runId: string) {
    const run = this.store.run(runId);
    const tasks = this.store.tasks(runId);
    return {
      ...runSummary(run),
      spec: run.spec,
      inputs: run.inputs,
      instructions: run.instructions,
      allowed_actions: allowedActions(run, tasks),
      ticks: this.store.ticks(runId),
      tasks: tasks.map((task) => taskView(run, task)),
      outputs: Object.fromEntries(
        tasks
          .filter((task) => task.status === "succeeded")
          .map((task) => [task.taskId, task.output]),
      ),
    };
  }

  async control(caller: Caller, runId: string, action: Exclude<RunAction, "approve">) {
    const run = this.store.run(runId);
    const tasks = this.store.tasks(runId);
    assertRunAction(run, tasks, action);
    const aborted: string[] = [];
    this.commit(caller, (emit) => {
      switch (action) {
        case "start":
        case "resume":
          this.engine.changeStatus(run, "running", null, emit);
          break;
        case "pause":
          this.engine.changeStatus(run, "paused", null, emit);
          break;
        case "cancel":
          aborted.push(...this.cancelRun(run, tasks, null, emit));
          break;
      }
    });
    for (const taskId of aborted) this.engine.abort(runId, taskId);
    if (action === "resume") this.engine.settle(runId);
    if (action === "start" || action === "resume") await this.wake();
    return this.view(runId);
  }

  /**
   * Cancels every run not finished yet, as `cancel` does, with `reason` as the runs' error
   * (a workspace reset). Returns how many.
   */
  cancelAll(caller: Caller, reason: string): number {
    const runs = this.store.unfinishedRuns();
    for (const run of runs) {
      const tasks = this.store.tasks(run.id);
      const aborted = this.commit(caller, (emit) => this.cancelRun(run, tasks, reason, emit));
      for (const taskId of aborted) this.engine.abort(run.id, taskId);
    }
    return runs.length;
  }

  /** Running tasks canceled, pending ones skipped, the run canceled; the ids to abort. */
  private cancelRun(run: RunRow, tasks: TaskRow[], reason: string | null, emit: Emit): string[] {
    const aborted: string[] = [];
    for (const task of tasks) {
      if (task.status === "running" || task.status === "waiting_approval") {
        recordCanceled(this.store, run, task, emit, Date.now());
        aborted.push(task.taskId);
      } else if (task.status === "pending") {
        this.store.updateTask(run.id, task.taskId, { status: "skipped", finishedAt: Date.now() });
      }
    }
    this.engine.changeStatus(run, "canceled", reason, emit);
    return aborted;
  }

  async approve(caller: Caller, runId: string, input: ApproveInput) {
    const run = this.store.run(runId);
    const tasks = this.store.tasks(runId);
    assertRunAction(run, tasks, "approve");
    const waiting = tasks.filter((task) => task.status === "waiting_approval");
    let task: TaskRow | undefined;
    if (input.task) {
      task = tasks.find((t) => t.taskId === input.task);
      if (!task) throw notFound("task");
      if (task.status !== "waiting_approval") {
        throw new ApiError(
          "conflict",
          `task '${task.taskId}' is ${task.status}, not waiting for approval`,
          {
            details: {
              task: task.taskId,
              task_status: task.status,
              waiting: waiting.map((t) => t.taskId),
            },
          },
        );
      }
    } else if (waiting.length === 1) {
      task = waiting[0];
    } else {
      throw new ApiError("invalid_request", "several tasks wait for approval: name one as `task`", {
        details: [{ field: "task", message: `one of ${waiting.map((t) => t.taskId).join(", ")}` }],
      });
    }
    const chosen = task as TaskRow;
    const now = Date.now();
    const approval = {
      // What the task asked (its rendered message), then what was decided.
      ...((chosen.approval as Record<string, unknown> | null) ?? {}),
      decision: input.decision,
      comment: input.comment ?? null,
      by: caller.actor,
      at: new Date(now).toISOString(),
    };
    this.commit(caller, (emit) => {
      const approved = input.decision === "approve";
      const error = approved ? null : `rejected${input.comment ? `: ${input.comment}` : ""}`;
      this.store.updateTask(run.id, chosen.taskId, {
        status: approved ? "succeeded" : "failed",
        approval,
        output: approved ? approval : null,
        error,
        deadlineAt: null,
        finishedAt: now,
      });
      this.store.log(
        run.id,
        {
          taskId: chosen.taskId,
          attempt: chosen.attempt,
          stream: "engine",
          message: `${input.decision}d by ${caller.actor ?? "unknown"}${input.comment ? `: ${input.comment}` : ""}`,
        },
        now,
      );
      emit("process.task.finished", {
        run_id: run.id,
        process: run.process,
        phase: chosen.phase,
        task_id: chosen.taskId,
        attempt: chosen.attempt,
        status: approved ? "succeeded" : "failed",
        error,
      });
      if (run.status === "awaiting_approval") this.engine.changeStatus(run, "running", null, emit);
    });
    this.engine.settle(runId);
    await this.wake();
    return this.view(runId);
  }

  async taskAction(
    caller: Caller,
    runId: string,
    phase: string,
    taskId: string,
    action: "retry" | "skip",
  ) {
    const run = this.store.run(runId);
    const task = this.store.task(runId, taskId);
    if (!task || task.phase !== phase) throw notFound("task");
    assertTaskAction(run, task, action);
    this.commit(caller, (emit) => {
      if (action === "retry") {
        reviveTasks(this.store, run, taskId);
      } else {
        this.store.updateTask(runId, taskId, {
          status: "skipped",
          claim: null,
          dueAt: null,
          finishedAt: Date.now(),
        });
        emit("process.task.finished", {
          run_id: run.id,
          process: run.process,
          phase,
          task_id: taskId,
          attempt: task.attempt,
          status: "skipped",
          error: null,
        });
      }
      this.store.log(
        runId,
        {
          taskId,
          attempt: task.attempt,
          stream: "engine",
          message: `${action} by ${caller.actor ?? "unknown"}`,
        },
        Date.now(),
      );
      // A finished run goes on: the failure it ended with is being dealt with.
      if (run.status === "failed" || run.status === "succeeded") {
        this.engine.changeStatus(run, "running", null, emit);
      }
    });
    this.engine.settle(runId);
    await this.wake();
    return this.view(runId);
  }

  listRuns(process: string, before: string | null, limit: number, skip = 0) {
    const runs = this.store.runsOf(process, before, limit + 1, skip);
    return { runs: runs.slice(0, limit).map(runSummary), more: runs.length > limit };
  }

  logs(runId: string, after: number, limit: number, task: string | null, skip = 0) {
    this.store.run(runId);
    if (task !== null && !specTasks(this.store.run(runId).spec).has(task)) throw notFound("task");
    return this.store.logs(runId, after, limit, task, skip);
  }
}
