import type { Caller } from "../../kernel/caller";
import type { Emit } from "../../kernel/events";
import type { CommandConfig } from "../commands/config";
import type { CommandRegistry } from "../commands/registry";
import type { FileHost } from "../commands/workspace-fs";
import { recordCanceled, recordInterrupted, recordOutcome } from "./outcomes";
import { type RunStatus, type TaskStatus, taskEvent } from "./process-events";
import { ProcessStore, type RunRow, type TaskRow } from "./process-store";
import { type PromptHost, runPromptTask } from "./prompt-task";
import { derivedStatus, isTerminal, readyTasks, specTasks } from "./run-rules";
import type { TaskSpec } from "./spec";
import { type Outcome, runTask } from "./task-runners";
import {
  contextOf,
  renderScript,
  renderValue,
  type TemplateContext,
  TemplateError,
} from "./templates";
import { TickTurns } from "./tick-turns";
import { clockOf, dueOutcome, timedStart } from "./timed-tasks";

// The process engine: every tick (the DO's alarm) loads the runs with work, claims the tasks
// that may start (phase order, needs met, due, under the run's concurrency cap), runs them and
// records each outcome as it comes, starting what it unblocks, until nothing more can start
// now; then it answers when it must wake next. A claim is written (status running, attempt + 1,
// this instance's id) in the same transaction as its `process.task.started` event before the
// task runs; an outcome is recorded only for the claim it belongs to. A task still `running`
// under another instance's claim was cut off by a crash or eviction: it goes back to pending,
// to run again as a new attempt — a succeeded task is never run twice.

export interface EnginePort {
  commit<T>(caller: Caller, body: (emit: Emit) => T): T;
  fileHost(caller: Caller): FileHost;
  registry: CommandRegistry;
  config(): CommandConfig;
  prompt: PromptHost;
  now(): number;
}

export class ProcessEngine {
  readonly store: ProcessStore;
  /** Identifies this instance's claims; a claim by any other id is from a dead instance. */
  readonly instance = crypto.randomUUID();
  private readonly active = new Map<string, AbortController>();
  private ticking: Promise<number | null> | null = null;
  /** Ends the wait of the running tick for a change (see `poke`). */
  private lookAgain: (() => void) | null = null;
  /** When the tick lets the event loop run (see tick-turns.ts). */
  private readonly turns = new TickTurns();

  constructor(
    sql: SqlStorage,
    private readonly port: EnginePort,
  ) {
    this.store = new ProcessStore(sql);
  }

  /** Runs a tick, or joins the one already running (the alarm and a test may overlap). */
  tick(): Promise<number | null> {
    this.ticking ??= this.runTick().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  /**
   * Something changed outside the tick (a run started or resumed, an approval, a retry): a tick
   * that is running looks again now, not only when one of its running tasks ends — a run started
   * while another's long command runs must not wait for it. With no tick running, the alarm the
   * caller sets starts one.
   */
  poke(): void {
    this.lookAgain?.();
  }

  /** Whether some task is marked running by an instance other than this one. */
  hasStaleClaims(): boolean {
    return this.store.staleClaims(this.instance).length > 0;
  }

  /** The earliest time a tick has something to do, or null. */
  nextDue(): number | null {
    return this.store.nextDue();
  }

  private async runTick(): Promise<number | null> {
    this.reapStale();
    const inflight = new Map<string, Promise<void>>();
    const ticked = new Set<string>();
    for (;;) {
      await this.turns.take();
      let changed = false;
      for (const run of this.store.activeRuns()) {
        changed = this.advance(run, inflight, ticked) || changed;
      }
      if (changed) continue;
      if (inflight.size === 0) break;
      await this.nextChange(inflight);
    }
    // Counted per run (the benchmark's alarms per task); a tick that found nothing to do is not.
    for (const runId of ticked) this.store.countTick(runId);
    return this.store.nextDue();
  }

  /**
   * While tasks run, what the tick waits for before it looks again: one of them ends, a poke,
   * or the next due time (a wait's end, a retry's backoff, a deadline) — so a due time is kept
   * while a long task runs. A due time already past is what the pass just could not start (the
   * cap is full): that waits for a task to end, not for a timer that would spin.
   */
  private async nextChange(inflight: Map<string, Promise<void>>): Promise<void> {
    const now = this.port.now();
    const due = this.store.nextDue();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const signals: Promise<unknown>[] = [
      ...inflight.values(),
      new Promise<void>((resolve) => {
        this.lookAgain = resolve;
      }),
    ];
    if (due !== null && due > now) {
      signals.push(new Promise((resolve) => (timer = setTimeout(resolve, due - now))));
    }
    try {
      await Promise.race(signals);
    } finally {
      this.lookAgain = null;
      clearTimeout(timer);
    }
  }

  /** Claims what may start in one run (none while paused) and settles its status. */
  private advance(run: RunRow, inflight: Map<string, Promise<void>>, ticked: Set<string>): boolean {
    const now = this.port.now();
    let changed = false;
    const specs = specTasks(run.spec);
    // One read of the tasks per pass (a 1,000-task run is read once per outcome, not per
    // claim): the claims below update this snapshot as they write.
    let tasks = this.store.tasks(run.id);
    let timedEnded = false;
    for (const task of tasks) {
      // Waits and approvals end by the clock: a wait's seconds, a timeout_s (see timed-tasks).
      const outcome = dueOutcome(task, specs.get(task.taskId), now);
      if (outcome) {
        this.finish(run, task, task.attempt, outcome, false);
        timedEnded = true;
      }
    }
    if (timedEnded) {
      changed = true;
      tasks = this.store.tasks(run.id);
    }
    const current = this.store.run(run.id);
    if (current.status === "running" || current.status === "awaiting_approval") {
      ticked.add(run.id);
      const busy = () =>
        tasks.filter((task) => task.status === "running" && task.claim !== null).length;
      let slots = run.spec.concurrency - busy();
      // Read once per pass: claiming finishes no task, so the outputs stay as they are.
      let templates: TemplateContext | null = null;
      const context = () => {
        templates ??= contextOf(run, tasks, specs);
        return templates;
      };
      for (const task of readyTasks(tasks, specs)) {
        if (task.dueAt !== null && task.dueAt > now) continue;
        const spec = specs.get(task.taskId) as TaskSpec;
        const runsCode = spec.kind === "command" || spec.kind === "http" || spec.kind === "prompt";
        if (runsCode && slots <= 0) continue;
        // A wait's seconds and an approval's message may be templates: rendered as they start.
        const start = timedStart(spec, context);
        const claimed = this.claim(run, task, spec, start);
        if (claimed === null) continue;
        Object.assign(task, claimed);
        const attempt = claimed.attempt;
        if (start.failure !== null) {
          this.finish(run, task, attempt, { ok: false, error: start.failure }, false);
          Object.assign(task, this.store.task(run.id, task.taskId));
          changed = true;
          continue;
        }
        // A wait that is already due ends on the next pass of the same tick.
        // (The claim reads the clock after `now`: compare with the clock again.)
        if (spec.kind === "wait" && (claimed.dueAt ?? 0) <= this.port.now()) changed = true;
        if (runsCode) {
          slots--;
          const key = `${run.id}/${task.taskId}`;
          const done = this.execute(run, task, spec, attempt, tasks).finally(() =>
            inflight.delete(key),
          );
          inflight.set(key, done);
        }
      }
    }
    this.settle(run.id, tasks);
    return changed;
  }

  /** Marks the task started (attempt + 1) in one transaction with its event; null if it moved. */
  private claim(
    run: RunRow,
    task: TaskRow,
    spec: TaskSpec,
    start: { seconds: number; approval: unknown },
  ): Pick<TaskRow, "status" | "attempt" | "claim" | "dueAt" | "deadlineAt"> | null {
    const now = this.port.now();
    const claimed = this.port.commit(this.system(run), (emit) => {
      const current = this.store.task(run.id, task.taskId);
      if (current?.status !== "pending") return null;
      const attempt = current.attempt + 1;
      // Waits and approvals run no code: no claim (nothing to lose in a crash), only times.
      const timed = spec.kind === "wait" || spec.kind === "approval";
      const status: TaskStatus = spec.kind === "approval" ? "waiting_approval" : "running";
      const claim: string | null = timed ? null : this.instance;
      const { dueAt, deadlineAt } = clockOf(spec, start.seconds, now);
      this.store.updateTask(run.id, task.taskId, {
        status,
        attempt,
        claim,
        dueAt,
        deadlineAt,
        ...(spec.kind === "approval" ? { approval: start.approval } : {}),
        error: null,
        startedAt: now,
        finishedAt: null,
      });
      this.store.log(
        run.id,
        { taskId: task.taskId, attempt, stream: "engine", message: `attempt ${attempt} started` },
        now,
      );
      emit("process.task.started", taskEvent(run, { ...task, attempt, status, error: null }));
      return { status, attempt, claim, dueAt, deadlineAt };
    });
    if (claimed) this.turns.started();
    return claimed;
  }

  private async execute(
    run: RunRow,
    task: TaskRow,
    spec: TaskSpec,
    attempt: number,
    tasks: TaskRow[],
  ): Promise<void> {
    const controller = new AbortController();
    const key = `${run.id}/${task.taskId}`;
    this.active.set(key, controller);
    const timer =
      spec.timeout_s === null
        ? null
        : setTimeout(() => controller.abort("timeout"), spec.timeout_s * 1000);
    const caller = { accountId: run.accountId, actor: run.actor };
    let outcome: Outcome;
    try {
      // A reference that resolves to nothing throws a TemplateError: the attempt fails with it.
      const context = contextOf(run, tasks, specTasks(run.spec));
      const inline = spec.kind === "command" && typeof spec.with.run === "string";
      const given = (inline ? { ...spec.with } : renderValue(spec.with, context)) as Record<
        string,
        unknown
      >;
      const script = inline ? renderScript(spec.with.run as string, context) : null;
      if (script) given.run = script.script;
      outcome = await runTask({
        kind: spec.kind,
        with: given,
        signal: controller.signal,
        env: script?.env ?? {},
        config: this.port.config(),
        registry: this.port.registry,
        host: () => this.port.fileHost(caller),
        prompt: (input, signal) =>
          runPromptTask(this.port.prompt, caller, input, run.instructions, signal),
        log: (stream, text) =>
          this.store.log(
            run.id,
            { taskId: task.taskId, attempt, stream, message: text },
            this.port.now(),
          ),
      });
    } catch (error) {
      outcome = {
        ok: false,
        error:
          error instanceof TemplateError
            ? error.message
            : controller.signal.aborted
              ? "stopped"
              : `internal error: ${(error as Error).message}`,
      };
    } finally {
      if (timer) clearTimeout(timer);
      this.active.delete(key);
    }
    if (controller.signal.reason === "timeout") {
      outcome = { ok: false, error: `timed out after ${spec.timeout_s} s` };
    }
    // The next pass settles the run (one read of its tasks per outcome). The claim's run row: what
    // an outcome reads (ids, account, spec) never changes; a new read parsed the spec, 2 ms a task.
    this.finish(run, task, attempt, outcome, false);
  }

  /** Records an attempt's outcome, if the task is still that attempt's (a cancel may have won). */
  private finish(
    run: RunRow,
    task: TaskRow,
    attempt: number,
    outcome: Outcome,
    settle = true,
  ): void {
    const now = this.port.now();
    this.port.commit(this.system(run), (emit) =>
      recordOutcome(
        this.store,
        { run, taskId: task.taskId, attempt, outcome, instance: this.instance },
        emit,
        now,
      ),
    );
    if (settle) this.settle(run.id);
  }

  /** Moves a running or awaiting run to what its tasks say (failed, succeeded…). */
  settle(runId: string, snapshot?: TaskRow[]): void {
    const run = this.store.run(runId);
    if (run.status !== "running" && run.status !== "awaiting_approval") return;
    const tasks = snapshot ?? this.store.tasks(runId);
    const specs = specTasks(run.spec);
    const next = derivedStatus(tasks, specs);
    if (next.status === run.status) return;
    const abort: string[] = [];
    this.port.commit(this.system(run), (emit) => {
      if (next.status === "failed") {
        // The rest stops: running tasks are canceled, approvals withdrawn; retry revives them.
        for (const task of tasks) {
          if (task.status === "running" || task.status === "waiting_approval") {
            recordCanceled(this.store, run, task, emit, this.port.now());
            abort.push(task.taskId);
          }
        }
      }
      this.changeStatus(run, next.status, next.error, emit);
    });
    for (const taskId of abort) this.abort(runId, taskId);
  }

  changeStatus(run: RunRow, status: RunStatus, error: string | null, emit: Emit): void {
    const now = this.port.now();
    this.store.setRunStatus(run.id, status, {
      error,
      startedAt: status === "running" ? now : undefined,
      finishedAt: isTerminal(status) ? now : null,
    });
    const data = { run_id: run.id, process: run.process, from_status: run.status, status, error };
    emit(
      run.status === "created" && status === "running"
        ? "process.run.started"
        : "process.run.status_changed",
      data,
    );
    if (isTerminal(status)) emit("process.run.finished", data);
    this.store.log(
      run.id,
      {
        taskId: null,
        attempt: null,
        stream: "engine",
        message: `run ${status}${error ? `: ${error}` : ""}`,
      },
      now,
    );
  }

  /** Stops every task this instance runs (the workspace is being deleted). */
  abortAll(): void {
    for (const controller of this.active.values()) controller.abort("canceled");
  }

  abort(runId: string, taskId: string): void {
    this.active.get(`${runId}/${taskId}`)?.abort("canceled");
  }

  /** Tasks left running by a dead instance go back to pending, to run as a new attempt. */
  private reapStale(): void {
    for (const task of this.store.staleClaims(this.instance)) {
      const run = this.store.run(task.runId);
      this.port.commit(this.system(run), (emit) =>
        recordInterrupted(this.store, run, task, emit, this.port.now()),
      );
    }
  }

  /** The caller of what the engine does by itself: the run's account, no actor. */
  system(run: RunRow): Caller {
    return { accountId: run.accountId, actor: null };
  }
}
