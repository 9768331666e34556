import { z } from "@hono/zod-openapi";
import { AgentSchema, RoleTemplateSchema } from "../agents/agent.schemas";
import { CommandSchema, ExecutionSchema } from "../commands/command.schemas";
import { AttachmentSchema, FileEntrySchema } from "../files/file.schemas";
import {
  ProcessDefinitionDeletedEventSchema,
  ProcessDefinitionEventSchema,
  ProcessRunEventSchema,
  ProcessTaskEventSchema,
} from "../processes/process-events";
import { MessageRefSchema, ThreadSchema } from "../threads/thread.schemas";
import { LifecycleEventSchema } from "../workspaces/lifecycle-events";
import {
  CodebaseSchema,
  WorkspaceSchema,
  WorkspaceStatusSchema,
} from "../workspaces/workspace.schemas";
import { ResetCountsSchema } from "../workspaces/workspace.types";

// The workspace event log's one schema: every producer appends through it, the OpenAPI document
// describes it, and tests parse what they receive with it. Later features add their `file.*`,
// `directory.*`, `thread.*`, `command.*`, `process.*` and `agent.*` members to EVENT_DATA; the
// envelope and the union are built from that table, so nothing else changes.

/** Bumped when an existing event's data changes shape incompatibly; new types do not bump it. */
export const EVENT_SCHEMA_VERSION = 1;

/** What each event type carries in `data`. */
export const EVENT_DATA = {
  "workspace.created": z.object({ workspace: WorkspaceSchema }),
  "workspace.updated": z.object({ workspace: WorkspaceSchema }),
  "workspace.status_changed": z.object({
    from_status: WorkspaceStatusSchema,
    to_status: WorkspaceStatusSchema,
    error_reason: z.string().nullable(),
  }),
  "workspace.archived": z.object({
    archived: z.boolean().openapi({ description: "false when the workspace was unarchived" }),
    status: WorkspaceStatusSchema,
  }),
  "workspace.reset": ResetCountsSchema,
  "workspace.deleted": z.object({ workspace_id: z.string() }),
  "lifecycle_event.created": z.object({ lifecycle_event: LifecycleEventSchema }),
  "codebase.added": z.object({ codebase: CodebaseSchema }),
  "codebase.removed": z.object({ codebase_id: z.string() }),
  "file.created": z.object({ file: FileEntrySchema }),
  "file.updated": z.object({ file: FileEntrySchema }),
  "file.moved": z.object({ from: z.string(), to: z.string(), file: FileEntrySchema }),
  "file.deleted": z.object({ path: z.string() }),
  "directory.created": z.object({ directory: FileEntrySchema }),
  "directory.moved": z.object({
    from: z.string(),
    to: z.string(),
    entries: z
      .number()
      .int()
      .openapi({ description: "Files and directories moved, itself included" }),
  }),
  "directory.deleted": z.object({
    path: z.string(),
    entries: z
      .number()
      .int()
      .openapi({ description: "Files and directories deleted, itself included" }),
  }),
  "attachment.created": z.object({ attachment: AttachmentSchema }),
  "attachment.deleted": z.object({ name: z.string() }),
  "thread.created": z.object({ thread: ThreadSchema }),
  "thread.updated": z.object({
    thread: ThreadSchema,
    changed: z
      .array(z.enum(["title", "summary", "metadata", "messages"]))
      .openapi({ description: "What this write changed" }),
  }),
  "thread.deleted": z.object({ thread_id: z.string() }),
  "thread.index_rebuilt": z.object({
    threads_checked: z.number().int(),
    thread_ids: z.array(z.string()).openapi({ description: "The threads whose index was wrong" }),
  }),
  // A message event names the message, never its parts (they may be megabytes): GET them.
  "thread.message.created": z.object({ thread_id: z.string(), message: MessageRefSchema }),
  "thread.message.updated": z.object({ thread_id: z.string(), message: MessageRefSchema }),
  "thread.message.deleted": z.object({ thread_id: z.string(), message_id: z.string() }),
  "command.created": z.object({ command: CommandSchema }),
  "command.updated": z.object({ command: CommandSchema }),
  "command.deleted": z.object({ trigger: z.string() }),
  // An execution event carries the execution, never its output (GET …/output for that).
  "command.execution.started": z.object({ execution: ExecutionSchema }),
  "command.execution.finished": z.object({ execution: ExecutionSchema }),
  // A response stream began (the thread is `streaming`) or ended (`idle` again, the answer
  // saved as `message_id`). Its parts are not events: follow `…/threads/{th}/stream`.
  "thread.stream.started": z.object({
    thread: ThreadSchema,
    stream_id: z.string(),
    message_id: z.string(),
    model: z.string(),
  }),
  "thread.stream.finished": z.object({
    thread: ThreadSchema,
    stream_id: z.string(),
    message_id: z.string(),
    status: z.enum(["completed", "canceled", "error", "interrupted"]),
    error: z.string().nullable(),
  }),
  "role_template.updated": z.object({ template: RoleTemplateSchema }),
  "agent.spawned": z.object({ agent: AgentSchema }),
  "agent.updated": z.object({ agent: AgentSchema }),
  "agent.closed": z.object({ agent: AgentSchema }),
  // A process run's changes; GET …/processes/runs/{run} for its tasks and outputs.
  "process.definition.created": ProcessDefinitionEventSchema,
  "process.definition.updated": ProcessDefinitionEventSchema,
  "process.definition.deleted": ProcessDefinitionDeletedEventSchema,
  "process.run.created": ProcessRunEventSchema,
  "process.run.started": ProcessRunEventSchema,
  "process.run.status_changed": ProcessRunEventSchema,
  "process.run.finished": ProcessRunEventSchema,
  "process.task.started": ProcessTaskEventSchema,
  "process.task.finished": ProcessTaskEventSchema,
} as const;

export type EventType = keyof typeof EVENT_DATA;
export type EventData<T extends EventType> = z.infer<(typeof EVENT_DATA)[T]>;
export const EVENT_TYPES = Object.keys(EVENT_DATA) as EventType[];

const envelope = <T extends EventType>(type: T) =>
  z.object({
    id: z.number().int().positive().openapi({ description: "Monotonic per workspace" }),
    type: z.literal(type),
    version: z.literal(EVENT_SCHEMA_VERSION),
    workspace_id: z.string(),
    actor: z.string().nullable().openapi({ description: "The API key id that made the change" }),
    created_at: z.string().openapi({ description: "ISO 8601, millisecond precision" }),
    data: EVENT_DATA[type],
  });

type Envelope<T extends EventType> = ReturnType<typeof envelope<T>>;
type EnvelopeUnion = { [T in EventType]: Envelope<T> }[EventType];

export const WorkspaceEventSchema = z
  .discriminatedUnion(
    "type",
    EVENT_TYPES.map((type) => envelope(type)) as unknown as [EnvelopeUnion, ...EnvelopeUnion[]],
  )
  .openapi("WorkspaceEvent");
export type WorkspaceEvent = z.infer<typeof WorkspaceEventSchema>;

/** Appends one event (its type and data; the log supplies id, time and actor); returns its id. */
export type Emit = <T extends EventType>(type: T, data: EventData<T>) => number;

/** Type filters are prefixes: `workspace.` matches every workspace event, `file` every file one. */
export const TypePrefixSchema = z
  .string()
  .regex(/^[a-z_.]{1,64}$/, "a type prefix is lowercase letters, '_' or '.'");

export function matchesTypes(type: string, prefixes: readonly string[] | null): boolean {
  return !prefixes || prefixes.some((prefix) => type.startsWith(prefix));
}
