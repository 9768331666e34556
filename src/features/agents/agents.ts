import { ApiError, notFound } from "../../http/errors";
import type { WriteConditions } from "../../http/etag";
import type { Caller } from "../../kernel/caller";
import type { Emit } from "../../kernel/events";
import { newId } from "../../lib/ids";
import { cursorPage } from "../../lib/pagination";
import { bool, type Row, str } from "../../lib/sql-values";
import { PROVIDER_NAMES, type ProviderName } from "../../models/providers";
import { THREAD_TOOLS, type WorkspaceFiles, workspaceTools } from "../../models/workspace-tools";
import type { CommandConfig } from "../commands/config";
import type { FileHost } from "../commands/workspace-fs";
import { assembleMessage } from "../threads/assemble";
import type { ThreadStreams } from "../threads/thread-streams";
import type { Threads } from "../threads/threads";
import {
  type Agent,
  type Effort,
  type Role,
  type RoleTemplateInput,
  type SpawnAgentInput,
  STEPS_BY_EFFORT,
} from "./agent.schemas";
import { LOG_TAIL, logEntries } from "./agent-log";
import { AGENT_TOOL_NAMES, runCommandTool, spawnAgentTool } from "./agent-tools";
import { RoleTemplates } from "./role-templates";
import { detectRoles, orchestratorBrief, systemPrompt } from "./roles";

// Agents of one workspace, in its Durable Object. An agent is a thread driven by the agent
// loop (ThreadStreams.run): the role's instructions as the system prompt, its task as the first
// user message, the file tools, run_command, and spawn_agent when its role's template allows.
// An orchestrator (its role the workspace's orchestrator_role, or its template says so) is
// also told the workspace's roles and always has spawn_agent: coordinating is its job.
// Its status is derived — running while its thread streams, idle once it has answered, closed
// once closed (DELETE, or a workspace reset) — and its log is its thread, summarized.

/** What the DO lends this module. */
export interface AgentPort {
  commit<T>(caller: Caller, body: (emit: Emit) => T): T;
  streams: ThreadStreams;
  threads: Threads;
  files(caller: Caller): WorkspaceFiles;
  fileHost(caller: Caller): FileHost;
  commandConfig(): CommandConfig;
  /** The workspace record's `orchestrator_role`. */
  orchestratorRole(): string | null;
}

/** Agents open at once in a workspace: a spawn_agent loop cannot run away. */
export const MAX_ACTIVE_AGENTS = 20;
/** Closed agents the list shows (newest first). */
export const CLOSED_LISTED = 100;

const isProvider = (name: string | null): name is ProviderName =>
  name !== null && (PROVIDER_NAMES as readonly string[]).includes(name);

export class Agents {
  readonly templates: RoleTemplates;

  constructor(
    private readonly sql: SqlStorage,
    private readonly port: AgentPort,
  ) {
    this.templates = new RoleTemplates(sql);
  }

  async roles(caller: Caller) {
    const detected = await detectRoles(this.port.files(caller));
    const roles: Role[] = detected.map((role) => ({
      ...role,
      template: this.templates.find(role.name),
    }));
    return {
      roles,
      available_roles: roles.map((role) => role.name),
      orchestrator_role: this.port.orchestratorRole(),
    };
  }

  putTemplate(caller: Caller, role: string, input: RoleTemplateInput, conditions: WriteConditions) {
    return this.port.commit(caller, (emit) => this.templates.put(role, input, conditions, emit));
  }

  /** Spawns an agent: its thread made and its first turn started; answers at once. */
  async spawn(caller: Caller, input: SpawnAgentInput, parentId: string | null = null) {
    const detected = await detectRoles(this.port.files(caller));
    const role = detected.find((candidate) => candidate.name === input.role) ?? null;
    const template = this.templates.find(input.role);
    const designated = this.port.orchestratorRole() === input.role;
    if (!role && !template && !designated) {
      throw new ApiError(
        "not_found",
        `role '${input.role}' not found: no .claude/agents file names it, it has no template and it is not the orchestrator_role`,
      );
    }
    const isOrchestrator = designated || (template?.is_orchestrator ?? false);
    const task = input.task ?? template?.default_task ?? null;
    if (!task) {
      throw new ApiError("invalid_request", "a task is required: the role has no default_task", {
        details: [
          { field: "task", message: "required when the role template has no default_task" },
        ],
      });
    }
    if (this.activeCount() >= MAX_ACTIVE_AGENTS) {
      throw new ApiError("conflict", `${MAX_ACTIVE_AGENTS} agents are open; close one first`);
    }
    const effort: Effort = input.effort ?? template?.effort ?? "medium";
    const model = input.model ?? template?.model ?? role?.model ?? null;
    const id = newId("agt");
    const started = await this.port.streams.run(caller, {
      threadId: undefined,
      message: { role: "user", content: task },
      // A model name that is not a provider's is recorded; the configured provider answers.
      model: isProvider(model) ? model : undefined,
      interrupt: false,
      tools: this.toolsFor(
        caller,
        id,
        role,
        isOrchestrator || (template?.can_spawn_subagents ?? false),
      ),
      maxSteps: STEPS_BY_EFFORT[effort],
      system:
        [
          systemPrompt(role, detected),
          isOrchestrator ? orchestratorBrief(input.role, detected) : "",
        ]
          .filter(Boolean)
          .join("\n\n") || undefined,
      title: `${input.role} agent`,
    });
    const agent = this.port.commit(caller, (emit) => {
      this.sql.exec(
        `INSERT INTO agents (id, role, model, effort, task, thread_id, parent_id, is_orchestrator, actor, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        id,
        input.role,
        model,
        effort,
        task,
        started.threadId,
        parentId,
        isOrchestrator ? 1 : 0,
        caller.actor,
        new Date().toISOString(),
      );
      const spawned = this.get(id);
      emit("agent.spawned", { agent: spawned });
      return spawned;
    });
    started.done
      .then(() => this.turnEnded(caller, id))
      .catch((error) => console.error("could not record an agent's turn end", error));
    return agent;
  }

  get(id: string): Agent {
    const row = this.sql.exec("SELECT * FROM agents WHERE id = ?", id).toArray()[0];
    if (!row) throw notFound("agent");
    return this.toAgent(row);
  }

  /** Open agents oldest first, then the newest closed ones, each with its log's tail. */
  async list() {
    const open = this.sql
      .exec("SELECT * FROM agents WHERE closed_at IS NULL ORDER BY seq")
      .toArray();
    const closed = this.sql
      .exec(
        "SELECT * FROM agents WHERE closed_at IS NOT NULL ORDER BY closed_at DESC, seq DESC LIMIT ?",
        CLOSED_LISTED,
      )
      .toArray();
    const withLog = async (row: Row) => {
      const agent = this.toAgent(row);
      const entries = await this.entries(agent.thread_id);
      return { ...agent, log: entries.slice(-LOG_TAIL), log_total: entries.length };
    };
    return {
      agents: await Promise.all(open.map(withLog)),
      closed: await Promise.all(closed.map(withLog)),
    };
  }

  async log(id: string, after: number, limit: number) {
    const agent = this.get(id);
    const entries = await this.entries(agent.thread_id);
    const rows = entries.slice(after + 1, after + 2 + limit);
    return { ...cursorPage(rows, limit, (last) => ({ index: last.index })), total: entries.length };
  }

  /** DELETE …/agents/{id}: its stream cancelled (the partial answer saved), then closed. */
  async close(caller: Caller, id: string, reason = "closed by request"): Promise<Agent> {
    const agent = this.get(id);
    if (agent.status === "closed") return agent;
    const producer = this.port.streams.producerOf(agent.thread_id);
    if (producer) {
      producer.cancel("agent closed");
      await producer.whenDone();
    }
    return this.port.commit(caller, (emit) => this.markClosed(id, reason, emit) ?? this.get(id));
  }

  /** A reset: every open agent closed at once, their streams told to stop. */
  closeAll(caller: Caller, reason: string): number {
    const open = this.sql
      .exec("SELECT id, thread_id FROM agents WHERE closed_at IS NULL ORDER BY seq")
      .toArray();
    for (const row of open) this.port.streams.producerOf(String(row.thread_id))?.cancel(reason);
    if (open.length === 0) return 0;
    this.port.commit(caller, (emit) => {
      for (const row of open) this.markClosed(String(row.id), reason, emit);
    });
    return open.length;
  }

  count(): number {
    return Number(this.sql.exec("SELECT COUNT(*) AS n FROM agents").one().n);
  }

  private activeCount(): number {
    return Number(
      this.sql.exec("SELECT COUNT(*) AS n FROM agents WHERE closed_at IS NULL").one().n,
    );
  }

  private markClosed(id: string, reason: string, emit: Emit): Agent | null {
    const changed = this.sql
      .exec(
        "UPDATE agents SET closed_at = ?, close_reason = ? WHERE id = ? AND closed_at IS NULL RETURNING id",
        new Date().toISOString(),
        reason,
        id,
      )
      .toArray();
    if (changed.length === 0) return null;
    const agent = this.get(id);
    emit("agent.closed", { agent });
    return agent;
  }

  /** Its turn ended (answered, failed, cancelled): `agent.updated`, unless it was closed. */
  private turnEnded(caller: Caller, id: string): void {
    const row = this.sql.exec("SELECT * FROM agents WHERE id = ?", id).toArray()[0];
    if (!row || row.closed_at !== null) return;
    this.port.commit(caller, (emit) => emit("agent.updated", { agent: this.toAgent(row) }));
  }

  /** The file tools, run_command, spawn_agent if allowed — narrowed by the role's `tools`. */
  private toolsFor(
    caller: Caller,
    id: string,
    role: Omit<Role, "template"> | null,
    canSpawn: boolean,
  ) {
    const tools = {
      ...workspaceTools(this.port.files(caller), THREAD_TOOLS),
      run_command: runCommandTool(() => this.port.fileHost(caller), this.port.commandConfig()),
      ...(canSpawn
        ? {
            spawn_agent: spawnAgentTool(async (request) => {
              const child = await this.spawn(caller, request, id);
              return { agent_id: child.id, thread_id: child.thread_id, status: child.status };
            }),
          }
        : {}),
    };
    // Front matter names tools in its own vocabulary; only names of ours narrow the set.
    const known = new Set<string>([...THREAD_TOOLS, ...AGENT_TOOL_NAMES]);
    const named = (role?.tools ?? []).filter((name) => known.has(name));
    if (named.length === 0) return tools;
    return Object.fromEntries(Object.entries(tools).filter(([name]) => named.includes(name)));
  }

  private async entries(threadId: string) {
    const messages = this.port.threads.messages.all(threadId);
    const producer = this.port.streams.producerOf(threadId);
    if (!producer) return logEntries(messages, null);
    const partial = await assembleMessage(
      this.port.streams.store.read(producer.id, 0),
      producer.row.messageId,
    );
    const stored = messages.filter((message) => message.id !== partial.id);
    return logEntries([...stored, partial as never], partial.id);
  }

  private toAgent(row: Row): Agent {
    const threadId = String(row.thread_id);
    const closed = row.closed_at !== null;
    return {
      id: String(row.id),
      role: String(row.role),
      status: closed ? "closed" : this.port.streams.isLive(threadId) ? "running" : "idle",
      model: str(row.model),
      effort: String(row.effort) as Effort,
      task: String(row.task),
      thread_id: threadId,
      parent_id: str(row.parent_id),
      is_orchestrator: bool(row.is_orchestrator),
      stream_status: this.port.streams.store.latest(threadId)?.status ?? null,
      created_by: str(row.actor),
      created_at: String(row.created_at),
      closed_at: str(row.closed_at),
      close_reason: str(row.close_reason),
    };
  }
}
