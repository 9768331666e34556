import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/app-env";
import {
  jsonBody,
  jsonResponse,
  MAX_OFFSET,
  pageFields,
  WorkspaceParamsSchema,
  withErrors,
} from "../../http/openapi-helpers";
import { apiRoute } from "../../http/route";
import { isAfterCursor } from "../../lib/cursor";
import { nextCursor, pageKey } from "../../lib/pagination";
import { PathGlobFields } from "./file.schemas";
import { FileEntrySchema } from "./file-index";

const SearchPathsSchema = z
  .object({
    ...PathGlobFields,
    stats: z
      .boolean()
      .default(false)
      .openapi({ description: "Include size, etag, content type and times" }),
    limit: z.number().int().min(1).max(1000).default(100),
    cursor: pageFields.cursor,
    offset: z
      .number()
      .int()
      .min(0)
      .max(MAX_OFFSET)
      .optional()
      .openapi({ description: "Matches to skip (instead of `cursor`)" }),
    page: z
      .number()
      .int()
      .min(1)
      .max(MAX_OFFSET)
      .optional()
      .openapi({ description: "1-based page of `limit` matches (instead of `cursor`)" }),
  })
  .strict()
  .openapi("SearchPathsRequest");

const SearchHitSchema = FileEntrySchema.partial()
  .required({ path: true, kind: true })
  .openapi("PathSearchHit");

const searchRoute = apiRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/search/paths",
  operationId: "searchPaths",
  auth: "key",
  tags: ["Files"],
  summary: "Find files and directories by glob (picomatch), by path, a page at a time",
  request: {
    params: WorkspaceParamsSchema,
    body: jsonBody(SearchPathsSchema),
  },
  responses: {
    200: jsonResponse(
      z
        .object({ items: z.array(SearchHitSchema), next_cursor: z.string().nullable() })
        .openapi("PathSearchPage"),
      "Matches, by path",
    ),
    ...withErrors(422),
  },
});

export function registerSearchRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(searchRoute, async (c) => {
    const input = c.req.valid("json");
    const { key, skip } = pageKey(input, isAfterCursor);
    const after = key?.after ?? null;
    const { items, more } = await c.var.workspace.files.searchPaths({
      glob: input.glob,
      maxDepth: input.max_depth ?? null,
      after,
      limit: input.limit,
      skip,
    });
    return c.json(
      {
        items: input.stats ? items : items.map(({ path, kind }) => ({ path, kind })),
        next_cursor: nextCursor({ items, more }, (last) => ({ after: last.path })),
      },
      200,
    );
  });
}
