import { z } from "@hono/zod-openapi";
import { orNull, pageFields } from "../../http/openapi-helpers";

// Roles (detected from the workspace's files), role templates (stored defaults for agents of a
// role) and agents (a thread driven by the agent loop), as the routes and events show them.

export const ROLE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const EFFORTS = ["low", "medium", "high"] as const;
export type Effort = (typeof EFFORTS)[number];
/** The most model calls (tool round trips + the answer) of an agent's turn, by effort. */
export const STEPS_BY_EFFORT: Record<Effort, number> = { low: 5, medium: 10, high: 20 };
export const TASK_MAX = 32 * 1024;

export const RoleNameSchema = z
  .string()
  .regex(ROLE_NAME_PATTERN, "a role name: 1–64 of A-Z a-z 0-9 . _ -, starting alphanumeric");

export const RoleTemplateInputSchema = z
  .object({
    model: z.string().min(1).max(200).nullable().optional().openapi({
      description:
        "The default model: a provider name (echo, openai-compatible, workers-ai) picks it; any other name is recorded and the configured provider answers",
    }),
    is_orchestrator: z.boolean().optional().openapi({
      description:
        "Agents of this role are spawned as orchestrators: told the workspace's roles and given spawn_agent (so are the agents of the workspace's `orchestrator_role`)",
    }),
    can_spawn_subagents: z.boolean().optional().openapi({
      description: "Agents of this role get the spawn_agent tool",
    }),
    default_task: z.string().min(1).max(TASK_MAX).nullable().optional().openapi({
      description: "The first user message of an agent spawned without a task",
    }),
    effort: z
      .enum(EFFORTS)
      .optional()
      .openapi({
        description: `How many model calls a turn may take: ${EFFORTS.map((e) => `${e} ${STEPS_BY_EFFORT[e]}`).join(", ")}`,
      }),
  })
  .strict()
  .openapi("RoleTemplateInput");
export type RoleTemplateInput = z.infer<typeof RoleTemplateInputSchema>;

export const RoleTemplateSchema = z
  .object({
    role: z.string(),
    model: z.string().nullable(),
    is_orchestrator: z.boolean(),
    can_spawn_subagents: z.boolean(),
    default_task: z.string().nullable(),
    effort: z.enum(EFFORTS),
    saved: z.boolean().openapi({ description: "false: nothing stored, these are the defaults" }),
    etag: z.string().nullable().openapi({
      description: "Changes with every PUT (also the `ETag` header); null when nothing is stored",
    }),
    updated_at: z.string().nullable(),
  })
  .openapi("RoleTemplate");
export type RoleTemplate = z.infer<typeof RoleTemplateSchema>;

export const RoleSchema = z
  .object({
    name: z.string(),
    description: z.string().nullable(),
    model: z.string().nullable(),
    tools: z.array(z.string()).nullable().openapi({ description: "From the front matter" }),
    source: z.string().openapi({ description: "The file the role was read from" }),
    kind: z.enum(["workspace", "agent"]).openapi({
      description:
        "workspace: CLAUDE.md / AGENTS.md (the `default` role); agent: .claude/agents/*.md",
    }),
    instructions: z.string().openapi({ description: "The body: the agent's system prompt" }),
    front_matter: z.boolean(),
    front_matter_error: z.string().nullable(),
    template: orNull(RoleTemplateSchema).openapi({ description: "Its stored template, if any" }),
  })
  .openapi("Role");
export type Role = z.infer<typeof RoleSchema>;

export const RoleListSchema = z
  .object({
    roles: z.array(RoleSchema),
    available_roles: z.array(z.string()),
    orchestrator_role: z.string().nullable().openapi({
      description:
        "The workspace's `orchestrator_role` (set on the workspace: PATCH /v1/workspaces/{ws})",
    }),
  })
  .openapi("RoleList");

export const SpawnAgentSchema = z
  .object({
    role: RoleNameSchema,
    model: z.string().min(1).max(200).optional(),
    task: z.string().min(1).max(TASK_MAX).optional().openapi({
      description: "The first user message; the role template's default_task when left out",
    }),
    effort: z.enum(EFFORTS).optional(),
  })
  .strict()
  .openapi("SpawnAgent");
export type SpawnAgentInput = z.infer<typeof SpawnAgentSchema>;

export const AgentLogEntrySchema = z
  .object({
    index: z.number().int(),
    message_id: z.string(),
    role: z.enum(["system", "user", "assistant"]),
    type: z.enum(["task", "text", "reasoning", "tool_call", "error"]),
    text: z.string().nullable(),
    tool: z.string().nullable(),
    tool_call_id: z.string().nullable(),
    state: z.string().nullable(),
    input: z.unknown().optional(),
    output: z.string().nullable().openapi({ description: "The tool's output as JSON, cut" }),
    streaming: z.boolean().openapi({ description: "From the answer still streaming" }),
  })
  .openapi("AgentLogEntry");
export type AgentLogEntry = z.infer<typeof AgentLogEntrySchema>;

export const AgentStatusSchema = z.enum(["running", "idle", "closed"]);

export const AgentSchema = z
  .object({
    id: z.string(),
    role: z.string(),
    status: AgentStatusSchema.openapi({
      description: "running: its thread streams; idle: it answered; closed",
    }),
    model: z.string().nullable().openapi({ description: "The model asked for" }),
    effort: z.enum(EFFORTS),
    task: z.string(),
    thread_id: z.string(),
    parent_id: z.string().nullable().openapi({ description: "The agent that spawned it" }),
    is_orchestrator: z.boolean().openapi({
      description:
        "Spawned as an orchestrator: its role is the workspace's orchestrator_role or its template says is_orchestrator",
    }),
    stream_status: z.string().nullable().openapi({ description: "Its latest stream's status" }),
    created_by: z.string().nullable(),
    created_at: z.string(),
    closed_at: z.string().nullable(),
    close_reason: z.string().nullable(),
  })
  .openapi("Agent");
export type Agent = z.infer<typeof AgentSchema>;

export const AgentWithLogSchema = AgentSchema.extend({
  log: z.array(AgentLogEntrySchema).openapi({ description: "The last 50 entries" }),
  log_total: z.number().int(),
}).openapi("AgentWithLog");

export const AgentListSchema = z
  .object({
    agents: z.array(AgentWithLogSchema).openapi({ description: "Active ones, oldest first" }),
    closed: z.array(AgentWithLogSchema).openapi({ description: "Closed ones, newest first" }),
  })
  .openapi("AgentList");

export const AgentLogPageSchema = z
  .object({
    items: z.array(AgentLogEntrySchema),
    next_cursor: z.string().nullable().openapi({ description: "Pass as `cursor` for more" }),
    total: z.number().int().openapi({ description: "Entries in the whole log" }),
  })
  .openapi("AgentLogPage");

export const AgentLogQuerySchema = z.object({
  ...pageFields,
  after: z.coerce.number().int().min(-1).optional().openapi({
    description: "Entries after this index (-1: from the start); `cursor` wins",
  }),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
