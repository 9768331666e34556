import { z } from "@hono/zod-openapi";
import { EVENT_SCHEMAS } from "../../kernel/modules";
import { EVENT_SCHEMA_VERSION } from "./event-schema";

// The workspace event log's one schema, built from every feature's events (the module list's
// EVENT_SCHEMAS): the OpenAPI document describes it, and tests parse what they receive with it.

type Schemas = typeof EVENT_SCHEMAS;
type EventType = keyof Schemas & string;
export const EVENT_TYPES = Object.keys(EVENT_SCHEMAS) as EventType[];

const envelope = <T extends EventType>(type: T) =>
  z.object({
    id: z.number().int().positive().openapi({ description: "Monotonic per workspace" }),
    type: z.literal(type),
    version: z.literal(EVENT_SCHEMA_VERSION),
    workspace_id: z.string(),
    actor: z.string().nullable().openapi({ description: "The API key id that made the change" }),
    created_at: z.string().openapi({ description: "ISO 8601, millisecond precision" }),
    data: EVENT_SCHEMAS[type] as Schemas[T],
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
