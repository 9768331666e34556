import type { WriteConditions } from "../../http/etag";
import type { Caller } from "../../kernel/caller";
import { featureApi } from "../../kernel/feature-api";
import type { Kernel } from "../../kernel/kernel";
import type { WorkspaceModule } from "../../kernel/module";
import type { RoleTemplateInput, SpawnAgentInput } from "./agent.schemas";
import { type AgentPort, Agents } from "./agents";
import { AGENT_EVENTS } from "./events";
import { MIGRATIONS } from "./schema";

/** Roles (from files and templates) and agents, each driving one thread. */
export function agentsModule(kernel: Kernel, ports: Omit<AgentPort, "commit">) {
  const agents = new Agents(kernel.sql, {
    ...ports,
    commit: (caller, body) => kernel.commit(caller, body),
  });

  const api = featureApi({
    roles: (caller: Caller) => agents.roles(caller),
    template: (_caller: Caller, role: string) => agents.templates.get(role),
    putTemplate: (
      caller: Caller,
      role: string,
      input: RoleTemplateInput,
      conditions: WriteConditions,
    ) => agents.putTemplate(caller, role, input, conditions),
    spawn: (caller: Caller, input: SpawnAgentInput) => agents.spawn(caller, input),
    list: (_caller: Caller) => agents.list(),
    get: (_caller: Caller, id: string) => agents.get(id),
    log: (_caller: Caller, id: string, after: number, limit: number) =>
      agents.log(id, after, limit),
    close: (caller: Caller, id: string) => agents.close(caller, id),
  });

  const module: WorkspaceModule = {
    name: "agents",
    migrations: MIGRATIONS,
    events: AGENT_EVENTS,
    apis: { agents: api },
    onReset: (caller) => ({ agents_closed: agents.closeAll(caller, "workspace reset") }),
    onDelete: (caller) => {
      agents.closeAll(caller, "workspace deleted");
    },
    counts: () => ({ agents: agents.count() }),
  };
  return { module, api, agents };
}
