import { z } from "@hono/zod-openapi";

// What every event feature shares: the envelope's version and the type filters. The events
// themselves are each feature's (features/<feature>/events.ts); workspace-event.ts builds the
// one schema of them all that the OpenAPI document shows and the tests parse with.

/** Bumped when an existing event's data changes shape incompatibly; new types do not bump it. */
export const EVENT_SCHEMA_VERSION = 1;

/** Type filters are prefixes: `workspace.` matches every workspace event, `file` every file one. */
export const TypePrefixSchema = z
  .string()
  .regex(/^[a-z_.]{1,64}$/, "a type prefix is lowercase letters, '_' or '.'");

export function matchesTypes(type: string, prefixes: readonly string[] | null): boolean {
  return !prefixes || prefixes.some((prefix) => type.startsWith(prefix));
}
