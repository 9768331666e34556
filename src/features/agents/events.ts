import { z } from "@hono/zod-openapi";
import type { CatalogOf, EventSchemas } from "../../kernel/events";
import { AgentSchema, RoleTemplateSchema } from "./agent.schemas";

/** Role templates and agents. */
export const AGENT_EVENTS = {
  "role_template.updated": z.object({ template: RoleTemplateSchema }),
  "agent.spawned": z.object({ agent: AgentSchema }),
  "agent.updated": z.object({ agent: AgentSchema }),
  "agent.closed": z.object({ agent: AgentSchema }),
} satisfies EventSchemas;

declare module "../../kernel/events" {
  interface EventCatalog extends CatalogOf<typeof AGENT_EVENTS> {}
}
