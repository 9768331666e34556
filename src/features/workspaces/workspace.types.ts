import { z } from "@hono/zod-openapi";
import { randomToken } from "../../lib/crypto";
import { slugOf } from "../../lib/slug";
import type { CreateWorkspaceInput } from "./workspace.schemas";

export const WorkspaceSummarySchema = z
  .object({
    workspace_id: z.string(),
    threads: z.number().int(),
    messages: z.number().int(),
    files: z.number().int(),
    bytes: z.number().int(),
    attachments: z.number().int(),
    attachment_bytes: z.number().int(),
    runs: z.number().int(),
    agents: z.number().int(),
    commands: z.number().int(),
    codebases: z.number().int(),
    lifecycle_events: z.number().int(),
    last_activity_at: z.string().nullable(),
  })
  .openapi("WorkspaceSummary");
export type WorkspaceSummary = z.infer<typeof WorkspaceSummarySchema>;

/** What a reset stopped: the `workspace.reset` event's data, and part of the reset's answer. */
export const ResetCountsSchema = z.object({
  agents_closed: z.number().int(),
  executions_canceled: z.number().int().openapi({ description: "Command executions canceled" }),
  streams_canceled: z.number().int(),
  process_runs_canceled: z
    .number()
    .int()
    .openapi({ description: "Process runs not finished yet, canceled as `cancel` does" }),
});

export const ResetResultSchema = ResetCountsSchema.extend({
  ok: z.literal(true),
  workspace_id: z.string(),
  event_id: z.number().int().openapi({ description: "The `workspace.reset` event's id" }),
  reset_at: z.string(),
}).openapi("ResetResult");
export type ResetResult = z.infer<typeof ResetResultSchema>;

export function slugify(name: string): string {
  return slugOf(name, 50) || "workspace";
}

/**
 * The slugs to try, in order: an explicit slug is the only candidate (a clash is a 409); a slug
 * derived from the name gets a random suffix when the plain one is taken.
 */
export function slugCandidates(input: CreateWorkspaceInput): string[] {
  if (input.slug) return [input.slug];
  const base = slugify(input.name);
  const suffix = () =>
    randomToken(6)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, "")
      .slice(0, 6);
  return [base, `${base}-${suffix()}`, `${base}-${suffix()}`, `${base}-${suffix()}`];
}
