import { z } from "zod";
import { SpawnAgentSchema } from "../../agents/agent.schemas";
import { followFeed } from "../follow-feed";
import type { AgentInfo, McpPorts } from "../ports";
import { defineTool, READ_ONLY, type ToolDefinition, WRITES } from "../tool-kit";

// The agent tools: spawn an agent of a role with a task and wait for its first turn to end
// (its thread's events as progress; a cancel closes it), and list the workspace's agents.

export function agentTools(ports: McpPorts): ToolDefinition[] {
  return [
    defineTool({
      name: "spawn_agent",
      title: "Spawn an agent",
      description:
        "Spawns an agent of a role of this workspace (a .claude/agents file, a role template, or the orchestrator role) with a task; answers the agent once its first turn has ended. Cancelling the call closes the agent.",
      input: SpawnAgentSchema,
      annotations: { ...WRITES, openWorldHint: true },
      run: async (input, { caller, signal, progress }) => {
        const agents = ports.agents(caller);
        let agent: AgentInfo = await agents.spawn(input);
        const id = agent.id;
        let events = 0;
        try {
          await followFeed(ports.listen, signal, {
            about: (_event, data) =>
              (data as { thread_id?: unknown }).thread_id === agent.thread_id ||
              (data as { thread?: { id?: unknown } }).thread?.id === agent.thread_id ||
              (data as { agent?: { id?: unknown } }).agent?.id === id,
            progress: (event) => {
              events++;
              void progress(event.type, events);
            },
            settled: async () => {
              agent = await agents.get(id);
              return agent.status !== "running";
            },
          });
        } catch (error) {
          if (signal.aborted) await Promise.resolve(agents.close(id)).catch(() => undefined);
          throw error;
        }
        return { value: agent };
      },
    }),
    defineTool({
      name: "list_agents",
      title: "List agents",
      description: "The workspace's open agents, then the most recently closed ones.",
      input: z.object({}),
      annotations: READ_ONLY,
      run: async (_input, { caller }) => ({ value: await ports.agents(caller).list() }),
    }),
  ];
}
