import { z } from "@hono/zod-openapi";

// The files feature's shapes as the API shows them (and its events carry them).

export const FileEntrySchema = z
  .object({
    path: z.string().openapi({ example: "src/index.ts" }),
    name: z.string(),
    kind: z.enum(["file", "directory"]),
    size: z.number().int().openapi({ description: "Bytes; 0 for a directory" }),
    etag: z.string().nullable().openapi({
      description:
        "The SHA-256 of the content (hex); for a file uploaded in parts, R2's multipart etag (`<hex>-<parts>`); null for a directory",
    }),
    content_type: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    author: z.string().nullable().openapi({ description: "The API key id of the last writer" }),
  })
  .openapi("FileEntry");
export type FileEntry = z.infer<typeof FileEntrySchema>;

export const AttachmentSchema = z
  .object({
    name: z.string().openapi({
      description: "The server-given name, unique and immutable: the attachment's URL segment",
      example: "att_01j9zq3c4x5v6b7n8m9k0h1g2f-diagram.png",
    }),
    original_name: z.string().openapi({ description: "The name the uploader sent" }),
    content_type: z
      .string()
      .openapi({ description: "What the content proved to be", example: "image/png" }),
    size: z.number().int(),
    etag: z.string().openapi({ description: "The SHA-256 of the content" }),
    created_at: z.string(),
    author: z.string().nullable().openapi({ description: "The API key id that uploaded it" }),
  })
  .openapi("Attachment");
export type Attachment = z.infer<typeof AttachmentSchema>;

/** A move or rename, as `POST …/files/move` takes it (and the MCP tool move_path). */
export const MoveSchema = z
  .object({
    from: z.string().min(1).openapi({ example: "drafts/plan.md" }),
    to: z.string().min(1).openapi({ example: "docs/plan.md" }),
    overwrite: z.boolean().default(false).openapi({ description: "Replace an existing `to`" }),
  })
  .strict()
  .openapi("MoveRequest");

/** A path search's pattern and depth, as `POST …/search/paths` (and MCP's search_paths) take them. */
export const PathGlobFields = {
  glob: z
    .string()
    .min(1)
    .max(1000)
    .openapi({ example: "src/**/*.ts", description: "A picomatch glob" }),
  max_depth: z
    .number()
    .int()
    .min(1)
    .max(256)
    .optional()
    .openapi({ description: "At most this many path segments" }),
};
