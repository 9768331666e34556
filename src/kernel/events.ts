import type { z } from "@hono/zod-openapi";

// The workspace's events, typed by a catalog every feature adds its own events to (its
// `events.ts`: the schemas of what it emits, merged into EventCatalog below), so the kernel and
// the features share one `Emit` without any of them knowing the others' events.

/** Each event type and its `data`; filled in by the features' `declare module` blocks. */
// biome-ignore lint/suspicious/noEmptyInterface: the features' declarations fill it in.
export interface EventCatalog {}

export type EventType = keyof EventCatalog & string;
export type EventData<T extends EventType> = EventCatalog[T];

/** Appends one event (its type and data; the log supplies id, time and actor); returns its id. */
export type Emit = <T extends EventType>(type: T, data: EventData<T>) => number;

/** A feature's events: type → the zod schema of its `data`. */
export type EventSchemas = Record<string, z.ZodType>;

/** A feature's event schemas as catalog entries. */
export type CatalogOf<M extends EventSchemas> = { [K in keyof M]: z.infer<M[K]> };
