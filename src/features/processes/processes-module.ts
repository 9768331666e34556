import type { Caller } from "../../kernel/caller";
import type { Emit } from "../../kernel/events";
import { featureApi } from "../../kernel/feature-api";
import type { Kernel } from "../../kernel/kernel";
import type { WorkspaceModule } from "../../kernel/module";
import type { SubscriptionRequest } from "../events/subscriber";
import { type EnginePort, ProcessEngine } from "./engine";
import { PROCESS_EVENTS } from "./events";
import {
  type ApproveInput,
  type DefinitionConditions,
  type DefinitionInput,
  Processes,
  type RunInput,
} from "./processes";
import type { RunAction } from "./run-rules";
import { MIGRATIONS } from "./schema";

/** What processes need of the others: commands, prompt turns, and an SSE tail of events. */
export interface ProcessesPorts extends Omit<EnginePort, "commit" | "now"> {
  openEvents(request: SubscriptionRequest): { tailId: string; stream: ReadableStream<Uint8Array> };
}

/** Process definitions and runs, driven by the alarm (the engine), with approvals and logs. */
export function processesModule(kernel: Kernel, ports: ProcessesPorts) {
  const commit = <T>(caller: Caller, body: (emit: Emit) => T): T => kernel.commit(caller, body);
  const engine = new ProcessEngine(kernel.sql, {
    commit,
    fileHost: ports.fileHost,
    registry: ports.registry,
    config: ports.config,
    prompt: ports.prompt,
    now: () => Date.now(),
  });
  const processes = new Processes(engine, {
    commit,
    wake: () => {
      engine.poke();
      return kernel.wakeAt(Date.now());
    },
  });

  /** One tick of the engine, then the alarm for its next due task (if any). */
  async function tick(): Promise<void> {
    let next: number | null = null;
    try {
      next = await engine.tick();
    } catch (error) {
      console.error("the process engine's tick failed; will retry", error);
      next = Date.now() + 1000;
    }
    if (next !== null) await kernel.wakeAt(Math.max(next, Date.now()));
  }

  // A run is named by id, and by the route under its process when it has one (`process`):
  // `runOf` answers 404 for a run of another process before anything is read or changed.
  const api = featureApi({
    putDefinition: (
      caller: Caller,
      name: string,
      input: DefinitionInput,
      conditions: DefinitionConditions,
    ) => processes.putDefinition(caller, name, input, conditions),
    deleteDefinition: (caller: Caller, name: string, ifMatch: string | null) =>
      processes.deleteDefinition(caller, name, ifMatch),
    getDefinition: (_caller: Caller, name: string) => engine.store.definitions.get(name),
    listDefinitions: (_caller: Caller, after: string | null, limit: number, skip: number) =>
      engine.store.definitions.page(after, limit, skip),
    createRun: (caller: Caller, process: string, input: RunInput) =>
      processes.createRun(caller, process, input),
    listRuns: (
      _caller: Caller,
      process: string,
      before: string | null,
      limit: number,
      skip: number,
    ) => processes.listRuns(process, before, limit, skip),
    getRun(_caller: Caller, runId: string, process: string | null) {
      processes.runOf(runId, process);
      return processes.view(runId);
    },
    controlRun(
      caller: Caller,
      runId: string,
      action: Exclude<RunAction, "approve">,
      process: string | null,
    ) {
      processes.runOf(runId, process);
      return processes.control(caller, runId, action);
    },
    approveRun(caller: Caller, runId: string, input: ApproveInput, process: string | null) {
      processes.runOf(runId, process);
      return processes.approve(caller, runId, input);
    },
    taskAction(
      caller: Caller,
      runId: string,
      phase: string,
      task: string,
      action: "retry" | "skip",
      process: string | null,
    ) {
      processes.runOf(runId, process);
      return processes.taskAction(caller, runId, phase, task, action);
    },
    runLogs(
      _caller: Caller,
      runId: string,
      query: { after: number; limit: number; task: string | null; skip: number },
      process: string | null,
    ) {
      processes.runOf(runId, process);
      return processes.logs(runId, query.after, query.limit, query.task, query.skip);
    },
    /**
     * The run's `process.*` events as SSE: replay from the cursor — with none, from the run's
     * start (its events are what a client of one run wants, not only those still to come) —
     * then live.
     */
    runEvents(caller: Caller, runId: string, cursor: number | null, process: string | null) {
      processes.runOf(runId, process);
      const needle = `"run_id":"${runId}"`;
      return ports.openEvents({
        cursor: cursor ?? engine.store.eventsStart(runId),
        types: ["process."],
        actor: caller.actor,
        match: (event) => event.json.includes(needle),
      });
    },
  });

  const module: WorkspaceModule = {
    name: "processes",
    migrations: MIGRATIONS,
    events: PROCESS_EVENTS,
    apis: { processes: api },
    // A task left running by the previous instance is a crashed attempt: wake to rerun it.
    async onWake() {
      if (engine.hasStaleClaims()) await kernel.wakeAt(Date.now());
    },
    // Last in the list: a tick runs the tasks it starts to their end, which may take a while.
    onAlarm: () => tick(),
    onReset: (caller) => ({
      process_runs_canceled: processes.cancelAll(caller, "workspace reset"),
    }),
    onDelete: () => engine.abortAll(),
    counts: () => ({ runs: kernel.initialized ? engine.store.count() : 0 }),
  };
  return { module, api, engine, processes };
}
