import { z } from "@hono/zod-openapi";
import type { LoggedEvent } from "./event-log";

/** What a subscriber asked for: where to resume, which types, and who it is. */
export interface SubscriptionRequest {
  /** Resume after this event id; null follows live from the head. */
  cursor: number | null;
  /** Type prefixes to deliver; null delivers every type. */
  types: string[] | null;
  actor: string | null;
  /** A further filter inside the DO (a process run's events among all `process.*` ones). */
  match?: (event: LoggedEvent) => boolean;
}

export const SubscriberInfoSchema = z
  .object({
    id: z.string(),
    kind: z.enum(["sse", "socket"]),
    actor: z.string().nullable(),
    types: z.array(z.string()).nullable(),
    cursor: z.number().int().openapi({ description: "The last event id delivered or skipped" }),
    live: z.boolean().openapi({ description: "false while still replaying missed events" }),
    queued_bytes: z.number().int().nullable().openapi({
      description:
        "Bytes waiting to be read by the client; null for sockets, whose send buffer the runtime does not expose",
    }),
    connected_at: z.string(),
    age_ms: z.number().int(),
  })
  .openapi("StreamSubscriber");
export type SubscriberInfo = z.infer<typeof SubscriberInfoSchema>;
