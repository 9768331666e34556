import type { RoleTemplateInput, SpawnAgentInput } from "../../features/agents/agent.schemas";
import type {
  CreateCommandInput,
  ExecuteCommandInput,
  PatchCommandInput,
} from "../../features/commands/command.schemas";
import type { CommandConfig } from "../../features/commands/config";
import type { OutputFormat } from "../../features/commands/output-stream";
import type { CommandListQuery } from "../../features/commands/registry";
import type {
  ApproveInput,
  DefinitionConditions,
  DefinitionInput,
  RunInput,
} from "../../features/processes/processes";
import type { RunAction } from "../../features/processes/run-rules";
import type { Caller } from "../../features/workspaces/workspace.types";
import type { WriteConditions } from "../../http/etag";
import { rpcBoundary } from "../rpc-errors";
import { WorkspaceThreadRpc } from "./thread-rpc";

/** Processes, commands, roles and agents: the logic is in their modules; these check the caller. */
export abstract class WorkspaceActivityRpc extends WorkspaceThreadRpc {
  // Processes (issue 7): the logic is in src/processes; these only check the caller.
  processPut(
    caller: Caller,
    name: string,
    input: DefinitionInput,
    conditions: DefinitionConditions,
  ) {
    return this.withProcesses(caller, (p) => p.putDefinition(caller, name, input, conditions));
  }

  processDelete(caller: Caller, name: string, ifMatch: string | null) {
    return this.withProcesses(caller, (p) => p.deleteDefinition(caller, name, ifMatch));
  }

  processGet(caller: Caller, name: string) {
    return this.withProcesses(caller, () => this.engine.store.definitions.get(name));
  }

  processList(caller: Caller, after: string | null, limit: number) {
    return this.withProcesses(caller, () => this.engine.store.definitions.page(after, limit));
  }

  processRunCreate(caller: Caller, process: string, input: RunInput) {
    return this.withProcesses(caller, (p) => p.createRun(caller, process, input));
  }

  processRunList(caller: Caller, process: string, before: string | null, limit: number) {
    return this.withProcesses(caller, (p) => p.listRuns(process, before, limit));
  }

  // A run is named by id, and by the route under its process when it has one (`process`):
  // `runOf` answers 404 for a run of another process before anything is read or changed.
  processRunGet(caller: Caller, runId: string, process: string | null) {
    return this.withProcesses(caller, (p) => {
      p.runOf(runId, process);
      return p.view(runId);
    });
  }

  processRunControl(
    caller: Caller,
    runId: string,
    action: Exclude<RunAction, "approve">,
    process: string | null,
  ) {
    return this.withProcesses(caller, (p) => {
      p.runOf(runId, process);
      return p.control(caller, runId, action);
    });
  }

  processRunApprove(caller: Caller, runId: string, input: ApproveInput, process: string | null) {
    return this.withProcesses(caller, (p) => {
      p.runOf(runId, process);
      return p.approve(caller, runId, input);
    });
  }

  processTaskAction(
    caller: Caller,
    runId: string,
    phase: string,
    task: string,
    action: "retry" | "skip",
    process: string | null,
  ) {
    return this.withProcesses(caller, (p) => {
      p.runOf(runId, process);
      return p.taskAction(caller, runId, phase, task, action);
    });
  }

  processRunLogs(
    caller: Caller,
    runId: string,
    query: { after: number; limit: number; task: string | null },
    process: string | null,
  ) {
    return this.withProcesses(caller, (p) => {
      p.runOf(runId, process);
      return p.logs(runId, query.after, query.limit, query.task);
    });
  }

  /**
   * The run's `process.*` events as SSE: replay from the cursor — with none, from the run's
   * start (its events are what a client of one run wants, not only those still to come) —
   * then live.
   */
  processRunEvents(caller: Caller, runId: string, cursor: number | null, process: string | null) {
    return rpcBoundary(() => {
      this.load(caller);
      this.processes.runOf(runId, process);
      const needle = `"run_id":"${runId}"`;
      return this.hub.openSse({
        cursor: cursor ?? this.engine.store.eventsStart(runId),
        types: ["process."],
        actor: caller.actor,
        match: (event) => event.json.includes(needle),
      });
    });
  }

  // Commands (issue 6): the logic is in src/commands; these only check the caller.
  commandList(caller: Caller, query: CommandListQuery) {
    return this.withCommands(caller, (commands) => commands.list(query));
  }

  commandCreate(caller: Caller, input: CreateCommandInput) {
    return this.withCommands(caller, (commands) => commands.create(caller, input));
  }

  commandGet(caller: Caller, trigger: string) {
    return this.withCommands(caller, (commands) => commands.registry.get(trigger));
  }

  commandPatch(caller: Caller, trigger: string, input: PatchCommandInput, ifMatch: string | null) {
    return this.withCommands(caller, (c) => c.patch(caller, trigger, input, ifMatch));
  }

  commandDelete(caller: Caller, trigger: string, ifMatch: string | null) {
    return this.withCommands(caller, (commands) => commands.delete(caller, trigger, ifMatch));
  }

  commandSuggestions(caller: Caller, query: string, limit: number) {
    return this.withCommands(caller, (commands) => commands.suggestions(query, limit));
  }

  commandSearch(caller: Caller, query: string, limit: number) {
    return this.withCommands(caller, (commands) => commands.search(query, limit));
  }

  commandCategories(caller: Caller) {
    return this.withCommands(caller, (commands) => commands.categories());
  }

  commandUsage(caller: Caller, order: "recent" | "popular", limit: number) {
    return this.withCommands(caller, (commands) => commands[order](limit));
  }

  commandExecute(
    caller: Caller,
    trigger: string,
    input: ExecuteCommandInput,
    config: CommandConfig,
  ) {
    return this.withCommands(caller, (c) => c.execute(caller, trigger, input, config));
  }

  commandExecution(caller: Caller, trigger: string, id: string) {
    return this.withCommands(caller, (commands) => commands.execution(trigger, id));
  }

  commandCancel(caller: Caller, trigger: string, id: string) {
    return this.withCommands(caller, (commands) => commands.cancel(caller, trigger, id));
  }

  commandOutput(caller: Caller, trigger: string, id: string, format: OutputFormat, after: number) {
    return this.withCommands(caller, (c) => c.openOutput(trigger, id, format, after));
  }

  // Roles and agents (issue 6): the logic is in src/agents; these only check the caller.
  roleList(caller: Caller) {
    return this.withAgents(caller, (agents) => agents.roles(caller));
  }

  roleTemplateGet(caller: Caller, role: string) {
    return this.withAgents(caller, (agents) => agents.templates.get(role));
  }

  roleTemplatePut(
    caller: Caller,
    role: string,
    input: RoleTemplateInput,
    conditions: WriteConditions,
  ) {
    return this.withAgents(caller, (agents) => agents.putTemplate(caller, role, input, conditions));
  }

  agentSpawn(caller: Caller, input: SpawnAgentInput) {
    return this.withAgents(caller, (agents) => agents.spawn(caller, input));
  }

  agentList(caller: Caller) {
    return this.withAgents(caller, (agents) => agents.list());
  }

  agentGet(caller: Caller, id: string) {
    return this.withAgents(caller, (agents) => agents.get(id));
  }

  agentLog(caller: Caller, id: string, after: number, limit: number) {
    return this.withAgents(caller, (agents) => agents.log(id, after, limit));
  }

  agentClose(caller: Caller, id: string) {
    return this.withAgents(caller, (agents) => agents.close(caller, id));
  }
}
