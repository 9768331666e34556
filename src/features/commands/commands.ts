import { ApiError } from "../../http/errors";
import type { Caller } from "../../kernel/caller";
import type { Emit } from "../../kernel/events";
import { namedArgs, renderTemplate, resolveArgs, textArgs } from "./args";
import type {
  Command,
  CreateCommandInput,
  ExecuteCommandInput,
  Execution,
  OutputChunk,
  PatchCommandInput,
} from "./command.schemas";
import type { CommandConfig } from "./config";
import { type PromptRun, runExecution } from "./execution-runner";
import { ExecutionStore, isFinished } from "./executions";
import { searchCommands } from "./fts";
import { type OutputFormat, openOutput } from "./output-stream";
import { type CommandListQuery, CommandRegistry } from "./registry";
import { suggest } from "./suggestions";
import type { FileHost } from "./workspace-fs";

// What the command routes do inside the workspace's Durable Object: the registry, discovery,
// and executions. An execution runs in the DO, started by the execute call but not tied to its
// request: the runner is handed to ctx.waitUntil and lives in `active` until it ends. A row
// still queued or running with no runner in this instance was left by an instance that died
// (a restart, an eviction): it is ended `failed` when found, at wake or when read.

/** What the DO lends this module: its commit(), the shell's file access, prompts, waitUntil. */
export interface CommandPort {
  commit<T>(caller: Caller | null, body: (emit: Emit) => T): T;
  fileHost(caller: Caller): FileHost;
  /** Runs a prompt command as a thread stream, acting as `caller`. */
  prompt(caller: Caller, run: PromptRun): Promise<string>;
  waitUntil(promise: Promise<unknown>): void;
}

interface ActiveRun {
  controller: AbortController;
  done: Promise<void>;
}

export const INTERRUPTED_REASON =
  "interrupted: the workspace's Durable Object restarted while the command ran";
/** How long a cancel waits for the script to reach a point where it can stop. */
const CANCEL_WAIT_MS = 2_000;

export class Commands {
  readonly registry: CommandRegistry;
  readonly executions: ExecutionStore;
  private readonly active = new Map<string, ActiveRun>();

  constructor(
    private readonly sql: SqlStorage,
    private readonly port: CommandPort,
  ) {
    this.registry = new CommandRegistry(sql);
    this.executions = new ExecutionStore(sql);
  }

  list(query: CommandListQuery) {
    return this.registry.list(query);
  }

  create(caller: Caller, input: CreateCommandInput): Command {
    return this.port.commit(caller, (emit) => this.registry.create(input, caller.actor, emit));
  }

  patch(caller: Caller, trigger: string, input: PatchCommandInput, ifMatch: string | null) {
    return this.port.commit(caller, (emit) => this.registry.patch(trigger, input, ifMatch, emit));
  }

  delete(caller: Caller, trigger: string, ifMatch: string | null): void {
    this.port.commit(caller, (emit) => this.registry.delete(trigger, ifMatch, emit));
  }

  suggestions(query: string, limit: number) {
    return suggest(this.registry.all(), query, limit).map(({ command, match, score }) => ({
      ...command,
      match,
      score,
    }));
  }

  search(query: string, limit: number) {
    const hits = searchCommands(this.sql, query, limit);
    const commands = this.registry.byTriggers(hits.map((hit) => hit.trigger));
    return hits.flatMap((hit) => {
      const command = commands.get(hit.trigger);
      return command ? [{ ...command, score: hit.score, snippet: hit.snippet }] : [];
    });
  }

  categories() {
    return this.registry.categories();
  }

  recent(limit: number) {
    return this.usage(this.executions.recentTriggers(limit));
  }

  popular(limit: number) {
    return this.usage(this.executions.popularTriggers(limit));
  }

  /** Creates the execution, starts it, and answers at once (the run goes on without us). */
  execute(
    caller: Caller,
    trigger: string,
    input: ExecuteCommandInput,
    config: CommandConfig,
  ): Execution {
    const command = this.registry.get(trigger);
    const args = resolveArgs(command.args, namedArgs(command.args, input.args));
    const execution = this.port.commit(caller, (emit) => {
      const queued = this.executions.insert({
        trigger,
        type: command.type,
        args,
        threadId: input.thread_id ?? null,
        toolCallId: input.tool_call_id ?? null,
        actor: caller.actor,
      });
      const running = this.executions.markRunning(queued.id);
      emit("command.execution.started", { execution: running });
      return running;
    });
    const controller = new AbortController();
    const done = runExecution({
      command,
      execution,
      config,
      signal: controller.signal,
      store: this.executions,
      host: () => this.port.fileHost(caller),
      prompt: (run) => this.port.prompt(caller, run),
    })
      .catch((error) => {
        console.error("a command execution failed unexpectedly", error);
        return { status: "failed" as const, exitCode: null, reason: "internal error" };
      })
      .then((ending) => {
        this.active.delete(execution.id);
        this.end(caller, execution.id, ending);
      });
    this.active.set(execution.id, { controller, done });
    this.port.waitUntil(done);
    return execution;
  }

  execution(trigger: string, id: string): Execution {
    this.reapIfOrphaned(id);
    return this.executions.of(trigger, id);
  }

  /** Cancels a running execution; 409 when it has already ended. */
  async cancel(caller: Caller, trigger: string, id: string): Promise<Execution> {
    const execution = this.execution(trigger, id);
    if (isFinished(execution.status)) {
      throw new ApiError("conflict", `the execution has already ended (${execution.status})`);
    }
    const run = this.active.get(id);
    run?.controller.abort("canceled");
    // The interpreter stops at its next yield; a script that never yields is ended by its caps.
    await Promise.race([run?.done, scheduler.wait(CANCEL_WAIT_MS)]);
    this.end(caller, id, { status: "canceled", exitCode: null, reason: "canceled by request" });
    return this.executions.get(id);
  }

  /**
   * A reset: every running execution told to stop and ended `canceled` with the reason at once
   * (the runner's own end, when the script stops, is then a no-op). Answers how many.
   */
  cancelAll(caller: Caller, reason: string): number {
    // One already told to stop (by a cancel, a reset) is ended already, even if it still winds down.
    const running = [...this.active.entries()].filter(([, run]) => !run.controller.signal.aborted);
    for (const [id, run] of running) {
      run.controller.abort("canceled");
      this.end(caller, id, { status: "canceled", exitCode: null, reason });
    }
    return running.length;
  }

  /**
   * Follows an execution to its end, for a caller that waits for it (an MCP tool call): every
   * output chunk in order — those already stored, then each as it comes — then the ended
   * execution.
   */
  follow(trigger: string, id: string, onChunk: (chunk: OutputChunk) => void): Promise<Execution> {
    const execution = this.execution(trigger, id);
    let after = 0;
    const replay = () => {
      for (;;) {
        const page = this.executions.chunks(id, after, 256);
        for (const chunk of page) {
          onChunk(chunk);
          after = chunk.seq;
        }
        if (page.length < 256) return;
      }
    };
    if (isFinished(execution.status)) {
      replay();
      return Promise.resolve(execution);
    }
    return new Promise((resolve) => {
      // Registered before the replay, in the same turn: no chunk falls between the two.
      const stop = this.executions.listen(id, {
        chunk: (chunk) => {
          if (chunk.seq <= after) return;
          onChunk(chunk);
          after = chunk.seq;
        },
        end: (ended) => {
          stop();
          resolve(ended);
        },
      });
      replay();
    });
  }

  /**
   * A prompt command's text with its arguments — given as text, as MCP prompts take them, each
   * read as its declared type — checked and filled in.
   */
  renderPrompt(trigger: string, given: Record<string, string>): { command: Command; text: string } {
    const command = this.registry.get(trigger);
    if (command.type !== "prompt") {
      throw new ApiError("conflict", `'${trigger}' is a ${command.type} command, not a prompt`);
    }
    const args = resolveArgs(command.args, textArgs(command.args, given));
    return { command, text: renderTemplate(command.body as string, args) };
  }

  openOutput(trigger: string, id: string, format: OutputFormat, after: number) {
    const execution = this.execution(trigger, id);
    return openOutput(this.executions, execution, format, after, isFinished(execution.status));
  }

  /** Ends every execution this instance has no runner for (called when the DO wakes). */
  reapInterrupted(): void {
    for (const execution of this.executions.unfinished()) this.reapIfOrphaned(execution.id);
  }

  private reapIfOrphaned(id: string): void {
    if (this.active.has(id)) return;
    const execution = this.executions.find(id);
    if (!execution || isFinished(execution.status)) return;
    this.end(null, id, { status: "failed", exitCode: null, reason: INTERRUPTED_REASON });
  }

  /** Records the end (once: a cancel and the runner may race) and tells the readers. */
  private end(
    caller: Caller | null,
    id: string,
    ending: Parameters<ExecutionStore["finish"]>[1],
  ): void {
    const finished = this.port.commit(caller, (emit) => {
      const ended = this.executions.finish(id, ending);
      if (ended) emit("command.execution.finished", { execution: ended });
      return ended;
    });
    if (!finished) return;
    this.executions.announceEnd(finished);
    this.executions.prune();
  }

  private usage(rows: { trigger: string; last: string; count: number }[]) {
    const commands = this.registry.byTriggers(rows.map((row) => row.trigger));
    return rows.flatMap((row) => {
      const command = commands.get(row.trigger);
      return command
        ? [{ ...command, last_executed_at: row.last, execution_count: row.count }]
        : [];
    });
  }
}
