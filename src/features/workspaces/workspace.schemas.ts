import { z } from "@hono/zod-openapi";
import { SLUG_PATTERN } from "../../lib/ids";
import { RoleNameSchema } from "../agents/agent.schemas";

// The workspace resource: its fields, their limits (stated once, here) and the shapes the
// routes accept. Both the Worker (validation, OpenAPI) and the Durable Object (storage) use them.

export const LIMITS = {
  nameMax: 255,
  descriptionMax: 1000,
  metadataBytes: 16 * 1024,
  configBytes: 64 * 1024,
  tagsMax: 50,
  slugMax: 63,
} as const;

export const WORKSPACE_STATUSES = [
  "creating",
  "running",
  "stopping",
  "stopped",
  "error",
  "archived",
] as const;
export const WorkspaceStatusSchema = z.enum(WORKSPACE_STATUSES).openapi("WorkspaceStatus");
export type WorkspaceStatus = z.infer<typeof WorkspaceStatusSchema>;

export const SlugSchema = z
  .string()
  .regex(SLUG_PATTERN, "must be 1-63 lowercase letters, digits or hyphens")
  .openapi({ example: "my-project" });

const NameSchema = z.string().trim().min(1).max(LIMITS.nameMax).openapi({ example: "My project" });
const DescriptionSchema = z.string().max(LIMITS.descriptionMax);
const ColorSchema = z
  .string()
  .regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, "must be a hex colour like #1e90ff")
  .openapi({ example: "#1e90ff" });

export const TagSchema = z
  .object({
    scope: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[^:]+$/, "must not contain ':'"),
    value: z.string().min(1).max(256),
  })
  .openapi("Tag");
export type Tag = z.infer<typeof TagSchema>;

const byteLength = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).byteLength;

/** A JSON object whose serialized size is capped; over the cap is a 400 naming the field. */
const boundedObject = (maxBytes: number) =>
  z.record(z.string(), z.unknown()).refine((value) => byteLength(value) <= maxBytes, {
    message: `must be at most ${maxBytes} bytes when serialized`,
  });

export const MetadataSchema = boundedObject(LIMITS.metadataBytes).openapi({
  example: { team: "platform" },
});
export const ConfigSchema = boundedObject(LIMITS.configBytes);

export function checkMergedSize(field: "metadata" | "config", value: unknown): string | null {
  const max = field === "metadata" ? LIMITS.metadataBytes : LIMITS.configBytes;
  return byteLength(value) > max ? `${field} must be at most ${max} bytes when serialized` : null;
}

const TagsSchema = z.array(TagSchema).max(LIMITS.tagsMax);
const ShortText = z.string().max(1024);

/** Fields a client may set, with nothing required: the building block of create, PUT and PATCH. */
const writableFields = {
  name: NameSchema,
  slug: SlugSchema,
  description: DescriptionSchema,
  mode: z.string().min(1).max(64),
  color: ColorSchema,
  tags: TagsSchema,
  metadata: MetadataSchema,
  config: ConfigSchema,
  template_id: z.string().min(1).max(128),
  template_version: z.string().min(1).max(128),
  repo_path: ShortText,
  branch: z.string().min(1).max(255),
  cwd: ShortText,
  machine_id: z.string().min(1).max(255),
  orchestrator_role: RoleNameSchema.openapi({
    description:
      "The role designated as the workspace's orchestrator: its agents coordinate the others (they may spawn sub-agents)",
    example: "lead",
  }),
};

export const CreateWorkspaceSchema = z
  .object({
    ...writableFields,
    slug: writableFields.slug.optional(),
    description: writableFields.description.optional(),
    mode: writableFields.mode.optional(),
    color: writableFields.color.optional(),
    tags: writableFields.tags.optional(),
    metadata: writableFields.metadata.optional(),
    config: writableFields.config.optional(),
    template_id: writableFields.template_id.optional(),
    template_version: writableFields.template_version.optional(),
    repo_path: writableFields.repo_path.optional(),
    branch: writableFields.branch.optional(),
    cwd: writableFields.cwd.optional(),
    machine_id: writableFields.machine_id.optional(),
    orchestrator_role: writableFields.orchestrator_role.optional(),
  })
  .strict()
  .openapi("CreateWorkspace");
export type CreateWorkspaceInput = z.infer<typeof CreateWorkspaceSchema>;

/**
 * PUT: the whole writable state; what is omitted or `null` goes back to its default (an
 * omitted slug is kept). The read-only fields a GET returns are accepted and ignored, so a
 * client can send back the object it read with its changes.
 */
const readOnlyEcho = z.unknown().optional().openapi({ readOnly: true });
export const ReplaceWorkspaceSchema = z
  .object({
    name: writableFields.name,
    slug: writableFields.slug.optional(),
    description: writableFields.description.nullish(),
    mode: writableFields.mode.nullish(),
    color: writableFields.color.nullish(),
    tags: writableFields.tags.nullish(),
    metadata: writableFields.metadata.nullish(),
    config: writableFields.config.nullish(),
    template_id: writableFields.template_id.nullish(),
    template_version: writableFields.template_version.nullish(),
    repo_path: writableFields.repo_path.nullish(),
    branch: writableFields.branch.nullish(),
    cwd: writableFields.cwd.nullish(),
    machine_id: writableFields.machine_id.nullish(),
    orchestrator_role: writableFields.orchestrator_role.nullish(),
    ...Object.fromEntries(
      [
        "id",
        "account_id",
        "status",
        "error_reason",
        "etag",
        "created_at",
        "updated_at",
        "last_activity_at",
        "stopped_at",
        "archived_at",
        "codebases",
      ].map((field) => [field, readOnlyEcho]),
    ),
  })
  .strict()
  .openapi("ReplaceWorkspace");
export type ReplaceWorkspaceInput = z.infer<typeof ReplaceWorkspaceSchema>;

/** PATCH: any subset; `null` clears an optional field, and in metadata/config deletes a key. */
export const PatchWorkspaceSchema = z
  .object({
    name: writableFields.name.optional(),
    slug: writableFields.slug.optional(),
    description: writableFields.description.nullable().optional(),
    mode: writableFields.mode.nullable().optional(),
    color: writableFields.color.nullable().optional(),
    tags: writableFields.tags.optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    template_id: writableFields.template_id.nullable().optional(),
    template_version: writableFields.template_version.nullable().optional(),
    repo_path: writableFields.repo_path.nullable().optional(),
    branch: writableFields.branch.nullable().optional(),
    cwd: writableFields.cwd.nullable().optional(),
    machine_id: writableFields.machine_id.nullable().optional(),
    orchestrator_role: writableFields.orchestrator_role.nullable().optional(),
  })
  .strict()
  .openapi("PatchWorkspace");
export type PatchWorkspaceInput = z.infer<typeof PatchWorkspaceSchema>;

export const CodebaseSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    source_type: z.enum(["local", "github"]),
    path: z.string().nullable(),
    url: z.string().nullable(),
    branch: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("Codebase");
export type Codebase = z.infer<typeof CodebaseSchema>;

export const WorkspaceSchema = z
  .object({
    id: z.string().openapi({ example: "ws_01jd8x2k7m9q4r5s6t7v8w9x0y" }),
    account_id: z.string(),
    slug: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    mode: z.string().nullable(),
    color: z.string().nullable(),
    status: WorkspaceStatusSchema,
    error_reason: z.string().nullable(),
    tags: z.array(TagSchema),
    metadata: z.record(z.string(), z.unknown()),
    config: z.record(z.string(), z.unknown()),
    template_id: z.string().nullable(),
    template_version: z.string().nullable(),
    repo_path: z.string().nullable(),
    branch: z.string().nullable(),
    cwd: z.string().nullable(),
    machine_id: z.string().nullable(),
    orchestrator_role: z.string().nullable().openapi({
      description: "The role whose agents are spawned as orchestrators; null: none designated",
    }),
    etag: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    last_activity_at: z.string().nullable(),
    stopped_at: z.string().nullable(),
    archived_at: z.string().nullable(),
  })
  .openapi("Workspace");
export type Workspace = z.infer<typeof WorkspaceSchema>;

export const WorkspaceWithCodebasesSchema = WorkspaceSchema.extend({
  codebases: z.array(CodebaseSchema),
}).openapi("WorkspaceWithCodebases");
export type WorkspaceWithCodebases = z.infer<typeof WorkspaceWithCodebasesSchema>;
