import { z } from "@hono/zod-openapi";
import type { CatalogOf, EventSchemas } from "../../kernel/events";
import { AttachmentSchema, FileEntrySchema } from "./file.schemas";

/** The files' events: files, directories and attachments. */
export const FILE_EVENTS = {
  "file.created": z.object({ file: FileEntrySchema }),
  "file.updated": z.object({ file: FileEntrySchema }),
  "file.moved": z.object({ from: z.string(), to: z.string(), file: FileEntrySchema }),
  "file.deleted": z.object({ path: z.string() }),
  "directory.created": z.object({ directory: FileEntrySchema }),
  "directory.moved": z.object({
    from: z.string(),
    to: z.string(),
    entries: z
      .number()
      .int()
      .openapi({ description: "Files and directories moved, itself included" }),
  }),
  "directory.deleted": z.object({
    path: z.string(),
    entries: z
      .number()
      .int()
      .openapi({ description: "Files and directories deleted, itself included" }),
  }),
  "attachment.created": z.object({ attachment: AttachmentSchema }),
  "attachment.deleted": z.object({ name: z.string() }),
} satisfies EventSchemas;

declare module "../../kernel/events" {
  interface EventCatalog extends CatalogOf<typeof FILE_EVENTS> {}
}
