import { agentsModule } from "../features/agents/agents-module";
import { AGENT_EVENTS } from "../features/agents/events";
import { commandsModule } from "../features/commands/commands-module";
import { commandConfig } from "../features/commands/config";
import { COMMAND_EVENTS } from "../features/commands/events";
import { shellFileHost } from "../features/commands/file-host";
import { runScript } from "../features/commands/run-script";
import { eventsModule } from "../features/events/events-module";
import { agentFiles } from "../features/files/agent-files";
import { FILE_EVENTS } from "../features/files/events";
import { filesModule } from "../features/files/files-module";
import { toolFiles } from "../features/files/tool-files";
import { mcpModule } from "../features/mcp/mcp-module";
import { PROCESS_EVENTS } from "../features/processes/events";
import { processesModule } from "../features/processes/processes-module";
import { THREAD_EVENTS } from "../features/threads/events";
import { threadsModule } from "../features/threads/threads-module";
import { WORKSPACE_EVENTS } from "../features/workspaces/events";
import { workspacesModule } from "../features/workspaces/workspaces-module";
import { bindFacade } from "./feature-api";
import type { Kernel } from "./kernel";
import { MIGRATIONS as KERNEL_MIGRATIONS } from "./kernel-schema";
import type { WorkspaceModule } from "./module";

// The module list: the one place that knows every feature. Each feature is built from the
// kernel and what it needs of the others (its ports), wired here; the DO walks `modules` for
// migrations, wake, alarm, reset and delete, and serves `apis` by name. A new feature is its own
// folder plus one entry below.

export function composeModules(kernel: Kernel, hooks: { walk: WorkspaceWalks }) {
  const files = filesModule(kernel);
  const agentFilesOf = (caller: Parameters<typeof agentFiles>[1]) =>
    agentFiles(files.service, caller);
  const events = eventsModule(kernel, { debug: () => threads.debug() });
  const threads = threadsModule(kernel, { files: agentFilesOf, eventConfig: events.config });
  const commands = commandsModule(kernel, { files: files.service, prompt: threads.runPrompt });
  const fileHost = (caller: Parameters<typeof shellFileHost>[1]) =>
    shellFileHost(files.service, caller);
  const workspaces = workspacesModule(kernel, {
    ...hooks.walk,
    broadcast: (message) => events.hub.sockets.broadcast(message),
  });
  const agents = agentsModule(kernel, {
    streams: threads.streams,
    threads: threads.threads,
    files: agentFilesOf,
    fileHost,
    commandConfig: () => commandConfig(kernel.env),
    orchestratorRole: () => workspaces.store.stored().orchestrator_role,
  });
  const processes = processesModule(kernel, {
    fileHost,
    registry: commands.commands.registry,
    config: () => commandConfig(kernel.env),
    prompt: threads.promptTasks,
    openEvents: (request) => events.hub.openSse(request),
  });

  const mcp = mcpModule(kernel, {
    workspace: (caller) => workspaces.api.methods.get(caller),
    files: (caller) => toolFiles(files.service, caller),
    runScript: (caller, run) =>
      runScript({ ...run, host: fileHost(caller), config: commandConfig(kernel.env) }),
    commands: (caller) => {
      const bound = bindFacade(commands.api, caller);
      return {
        ...bound,
        execute: (trigger, input) => bound.execute(trigger, input, commandConfig(kernel.env)),
      };
    },
    threads: (caller) => bindFacade(threads.api, caller),
    answer: threads.runPrompt,
    processes: (caller) => bindFacade(processes.api, caller),
    agents: (caller) => bindFacade(agents.api, caller),
    listen: (listener) => events.hub.listen(listener),
  });

  const kernelTables: WorkspaceModule = { name: "kernel", migrations: KERNEL_MIGRATIONS };
  // In this order: migrations, wake, alarm (processes last: a tick may run long), reset, delete.
  const modules: readonly WorkspaceModule[] = [
    kernelTables,
    workspaces.module,
    events.module,
    files.module,
    threads.module,
    commands.module,
    agents.module,
    processes.module,
    mcp.module,
  ];
  const apis = {
    workspaces: workspaces.api,
    events: events.api,
    ...files.apis,
    threads: threads.api,
    commands: commands.api,
    agents: agents.api,
    processes: processes.api,
    mcp: mcp.api,
  };
  return { modules, apis, events, threads };
}

/** Every feature's events (type → the schema of its data), for the one WorkspaceEvent schema. */
export const EVENT_SCHEMAS = {
  ...WORKSPACE_EVENTS,
  ...FILE_EVENTS,
  ...THREAD_EVENTS,
  ...COMMAND_EVENTS,
  ...AGENT_EVENTS,
  ...PROCESS_EVENTS,
};

/** The walks over every module that the workspace record's create, reset and delete make. */
export interface WorkspaceWalks {
  migrate(): void;
  counts(): Record<string, number>;
  reset(caller: Parameters<NonNullable<WorkspaceModule["onReset"]>>[0]): Record<string, number>;
  stopAll(caller: Parameters<NonNullable<WorkspaceModule["onDelete"]>>[0]): Promise<void>;
  deleted(): Promise<void>;
}

export type WorkspaceApis = ReturnType<typeof composeModules>["apis"];
