import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/app-env";
import { errorResponse } from "../../http/errors";
import {
  bytesOf,
  jsonResponse,
  LimitSchema,
  pageFields,
  pageOf,
  WorkspaceParamsSchema,
  withErrors,
} from "../../http/openapi-helpers";
import { apiRoute } from "../../http/route";
import { isAfterCursor } from "../../lib/cursor";
import { cursorPage, pageKey } from "../../lib/pagination";
import { contentDisposition } from "./content-disposition";
import { FileEntrySchema } from "./file-index";
import { baseName, normalizeDirectory, normalizePath } from "./paths";
import { zipLength, zipListing, zipStream } from "./zip-stream";

// Directories: rows of the file index like files. mkdir -p creates the missing ones; a listing
// is a keyset page of one directory's children, by name.

const tags = ["Files"];

const mkdirRoute = apiRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/directories",
  operationId: "createDirectory",
  auth: "key",
  tags,
  summary: "Create a directory and any missing parents (mkdir -p)",
  request: {
    params: WorkspaceParamsSchema,
    query: z.object({ path: z.string().min(1).openapi({ example: "docs/guides" }) }),
  },
  responses: {
    200: jsonResponse(FileEntrySchema, "It already existed"),
    201: jsonResponse(FileEntrySchema, "Created"),
    ...withErrors(409, 422),
  },
});

const listRoute = apiRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/directories",
  operationId: "listDirectory",
  auth: "key",
  tags,
  summary: "List a directory's children with their stats (`path` omitted: the root)",
  request: {
    params: WorkspaceParamsSchema,
    query: z.object({
      path: z.string().optional().openapi({ example: "docs" }),
      limit: LimitSchema,
      ...pageFields,
    }),
  },
  responses: {
    200: jsonResponse(pageOf(FileEntrySchema, "DirectoryListing"), "A page of children, by name"),
    ...withErrors(409),
  },
});

const zipRoute = apiRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/directories/zip",
  operationId: "downloadDirectoryZip",
  auth: "key",
  tags,
  summary:
    "Download a directory as a ZIP, streamed from storage (`path` omitted: the whole workspace)",
  description:
    "Entries are named relative to the directory, directories included (empty ones too), with the index's modification times; files are stored, not compressed, so `Content-Length` is exact. A file deleted or overwritten while the ZIP streams is still included as it was listed.",
  request: {
    params: WorkspaceParamsSchema,
    query: z.object({ path: z.string().optional().openapi({ example: "docs" }) }),
  },
  responses: {
    200: {
      description: "The ZIP",
      content: { "application/zip": { schema: bytesOf("application/zip") } },
    },
    ...withErrors(409),
    413: errorResponse("More than 100,000 entries"),
  },
});

export function registerDirectoryRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(mkdirRoute, async (c) => {
    const path = normalizePath(c.req.valid("query").path);
    const { entry, created } = await c.var.workspace.files.makeDirectory(path);
    return c.json(entry, created ? 201 : 200);
  });

  // Before anything that could read `directories/zip` as a directory named "zip": it is this.
  app.openapi(zipRoute, async (c) => {
    const path = normalizeDirectory(c.req.valid("query").path);
    const entries = await zipListing(c.var.workspace, path);
    const length = zipLength(entries);
    const name = `${path === "" ? c.req.valid("param").ws : baseName(path)}.zip`;
    return new Response(zipStream(c.env.FILES, c.var.workspace, entries, length), {
      status: 200,
      headers: {
        "content-type": "application/zip",
        "content-length": String(length),
        "content-disposition": contentDisposition("attachment", name),
      },
    });
  });

  app.openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const path = normalizeDirectory(query.path);
    const { key, skip } = pageKey(query, isAfterCursor);
    const after = key?.after ?? null;
    const items = await c.var.workspace.files.listDirectory(path, after, query.limit + 1, skip);
    return c.json(
      cursorPage(items, query.limit, (last) => ({ after: last.path })),
      200,
    );
  });
}
