import { type Caller, SYSTEM } from "../../kernel/caller";
import { featureApi } from "../../kernel/feature-api";
import type { Kernel } from "../../kernel/kernel";
import type { WorkspaceModule } from "../../kernel/module";
import type {
  CreateCommandInput,
  ExecuteCommandInput,
  OutputChunk,
  PatchCommandInput,
} from "./command.schemas";
import { Commands } from "./commands";
import type { CommandConfig } from "./config";
import { COMMAND_EVENTS } from "./events";
import type { PromptRun } from "./execution-runner";
import { type ShellFiles, shellFileHost } from "./file-host";
import type { OutputFormat } from "./output-stream";
import type { CommandListQuery } from "./registry";
import { MIGRATIONS } from "./schema";

/** What commands need of the others: the files a shell works on, and prompt turns. */
export interface CommandsPorts {
  files: ShellFiles;
  prompt(caller: Caller, run: PromptRun): Promise<string>;
}

/** The command registry, discovery, and executions (shell, prompt, http) with their output. */
export function commandsModule(kernel: Kernel, ports: CommandsPorts) {
  const commands = new Commands(kernel.sql, {
    commit: (caller, body) => kernel.commit(caller ?? SYSTEM, body),
    fileHost: (caller) => shellFileHost(ports.files, caller),
    prompt: ports.prompt,
    waitUntil: (promise) => kernel.ctx.waitUntil(promise),
  });

  const api = featureApi({
    list: (_caller: Caller, query: CommandListQuery) => commands.list(query),
    create: (caller: Caller, input: CreateCommandInput) => commands.create(caller, input),
    get: (_caller: Caller, trigger: string) => commands.registry.get(trigger),
    patch: (caller: Caller, trigger: string, input: PatchCommandInput, ifMatch: string | null) =>
      commands.patch(caller, trigger, input, ifMatch),
    delete: (caller: Caller, trigger: string, ifMatch: string | null) =>
      commands.delete(caller, trigger, ifMatch),
    suggestions: (_caller: Caller, query: string, limit: number) =>
      commands.suggestions(query, limit),
    search: (_caller: Caller, query: string, limit: number) => commands.search(query, limit),
    categories: (_caller: Caller) => commands.categories(),
    usage: (_caller: Caller, order: "recent" | "popular", limit: number) => commands[order](limit),
    execute: (caller: Caller, trigger: string, input: ExecuteCommandInput, config: CommandConfig) =>
      commands.execute(caller, trigger, input, config),
    execution: (_caller: Caller, trigger: string, id: string) => commands.execution(trigger, id),
    cancel: (caller: Caller, trigger: string, id: string) => commands.cancel(caller, trigger, id),
    follow: (_caller: Caller, trigger: string, id: string, onChunk: (chunk: OutputChunk) => void) =>
      commands.follow(trigger, id, onChunk),
    renderPrompt: (_caller: Caller, trigger: string, args: Record<string, string>) =>
      commands.renderPrompt(trigger, args),
    output: (_caller: Caller, trigger: string, id: string, format: OutputFormat, after: number) =>
      commands.openOutput(trigger, id, format, after),
  });

  const module: WorkspaceModule = {
    name: "commands",
    migrations: MIGRATIONS,
    events: COMMAND_EVENTS,
    apis: { commands: api },
    // A new instance runs nothing yet: executions left running were cut off by a restart.
    onWake: () => commands.reapInterrupted(),
    onReset: (caller) => ({ executions_canceled: commands.cancelAll(caller, "workspace reset") }),
    // Each running execution ends `canceled`; its output followers get the end line.
    onDelete: (caller) => {
      commands.cancelAll(caller, "workspace deleted");
    },
    counts: () => ({ commands: commands.registry.count() }),
  };
  return { module, api, commands };
}
