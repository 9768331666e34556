import { z } from "@hono/zod-openapi";
import type { CatalogOf, EventSchemas } from "../../kernel/events";
import { CommandSchema, ExecutionSchema } from "./command.schemas";

/** The command registry and executions. */
export const COMMAND_EVENTS = {
  "command.created": z.object({ command: CommandSchema }),
  "command.updated": z.object({ command: CommandSchema }),
  "command.deleted": z.object({ trigger: z.string() }),
  // An execution event carries the execution, never its output (GET …/output for that).
  "command.execution.started": z.object({ execution: ExecutionSchema }),
  "command.execution.finished": z.object({ execution: ExecutionSchema }),
} satisfies EventSchemas;

declare module "../../kernel/events" {
  interface EventCatalog extends CatalogOf<typeof COMMAND_EVENTS> {}
}
