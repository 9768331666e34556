import type { CatalogOf, EventSchemas } from "../../kernel/events";
import {
  ProcessDefinitionDeletedEventSchema,
  ProcessDefinitionEventSchema,
  ProcessRunEventSchema,
  ProcessTaskEventSchema,
} from "./process-events";

/** Process definitions, runs and tasks. */
export const PROCESS_EVENTS = {
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
} satisfies EventSchemas;

declare module "../../kernel/events" {
  interface EventCatalog extends CatalogOf<typeof PROCESS_EVENTS> {}
}
