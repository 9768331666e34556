import { z } from "@hono/zod-openapi";
import type { CatalogOf, EventSchemas } from "../../kernel/events";
import { LifecycleEventSchema } from "./lifecycle-events";
import { CodebaseSchema, WorkspaceSchema, WorkspaceStatusSchema } from "./workspace.schemas";
import { ResetCountsSchema } from "./workspace.types";

/** The workspace record's events: its changes, lifecycle events and codebases. */
export const WORKSPACE_EVENTS = {
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
} satisfies EventSchemas;

declare module "../../kernel/events" {
  interface EventCatalog extends CatalogOf<typeof WORKSPACE_EVENTS> {}
}
