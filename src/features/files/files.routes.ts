import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../http/app-env";
import { documentOnly, openapiByHand, parsePart } from "../../http/by-hand-route";
import { ApiError, errorResponse } from "../../http/errors";
import { conditionsOf, jsonWithEtag, notModified, quoteEtag } from "../../http/etag";
import {
  bytesOf,
  ContentLengthHeaderSchema,
  jsonBody,
  jsonResponse,
  noContent,
  rawBody,
  WorkspaceParamsSchema,
  withErrors,
} from "../../http/openapi-helpers";
import { apiRoute } from "../../http/route";
import { isJsonRequest } from "../../http/route-policy";
import { contentTypeFor } from "./content-types";
import { MoveSchema } from "./file.schemas";
import { CreateFileJsonSchema, importFile, parseImportRequest } from "./file-import";
import { type FileEntry, FileEntrySchema } from "./file-index";
import { normalizePath } from "./paths";
import { pdfResponse } from "./pdf-format";
import { parseRange } from "./range";
import { uploadFile } from "./upload-flow";

// Files: bytes stream between the client and R2; the workspace's DO keeps the path index and
// decides every change. An upload is prepared (conditions, quota, object name), streamed to R2,
// then committed; the DO never sees the bytes.

const tags = ["Files"];

const FilePathParamsSchema = WorkspaceParamsSchema.extend({
  path: z
    .string()
    .min(1)
    .openapi({
      param: { name: "path", in: "path" },
      description: "The file's path in the workspace, '/'-separated (e.g. `src/index.ts`)",
      example: "notes/todo.md",
    }),
});

const UploadHeadersSchema = ContentLengthHeaderSchema.extend({
  "if-match": z
    .string()
    .optional()
    .openapi({
      param: { name: "if-match", in: "header" },
      description: "Overwrite only if the file's etag is this",
    }),
  "if-none-match": z
    .string()
    .optional()
    .openapi({
      param: { name: "if-none-match", in: "header" },
      description: "`*`: create only, never overwrite (412)",
    }),
});

const putRoute = apiRoute({
  method: "put",
  path: "/v1/workspaces/{ws}/files/{path}",
  operationId: "writeFile",
  auth: "key",
  body: "upload",
  tags,
  summary: "Upload a file (the raw body, streamed); creates parent directories",
  request: { params: FilePathParamsSchema, headers: UploadHeadersSchema, body: rawBody },
  responses: {
    200: jsonResponse(FileEntrySchema, "Overwritten"),
    201: jsonResponse(FileEntrySchema, "Created"),
    ...withErrors(409, 412),
  },
});

const getRoute = apiRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/files/{path}",
  operationId: "getFile",
  auth: "key",
  tags,
  summary: "Download a file: `ETag`, `If-None-Match` (304), `Range` (206, 416); `?format=pdf`",
  request: {
    params: FilePathParamsSchema,
    query: z.object({
      format: z.enum(["pdf"]).optional().openapi({
        description:
          "`pdf`: a PDF as it is, a DOCX converted to PDF (415 for .doc and other types, 413 over 20 MiB)",
      }),
    }),
    headers: z.object({
      range: z
        .string()
        .optional()
        .openapi({ param: { name: "range", in: "header" }, example: "bytes=0-99" }),
      "if-none-match": z
        .string()
        .optional()
        .openapi({ param: { name: "if-none-match", in: "header" } }),
    }),
  },
  responses: {
    200: {
      description: "The bytes (with `format=pdf`, a PDF)",
      content: {
        "application/octet-stream": { schema: bytesOf("application/octet-stream") },
        "application/pdf": { schema: bytesOf("application/pdf") },
      },
    },
    206: { description: "The requested range" },
    304: { description: "Not modified" },
    416: { description: "Range not satisfiable" },
    ...withErrors(409),
    413: errorResponse("`format=pdf`: a DOCX too large to convert"),
    415: errorResponse("`format=pdf`: a legacy .doc, or neither a PDF nor a DOCX"),
    422: errorResponse("`format=pdf`: a corrupt DOCX, or a .pdf whose content is not a PDF"),
  },
});

const headRoute = {
  ...getRoute,
  method: "head" as const,
  operationId: "headFile",
  summary: "A file's headers (`ETag`, `Content-Length`, `Content-Type`) without its bytes",
};

const deleteRoute = apiRoute({
  method: "delete",
  path: "/v1/workspaces/{ws}/files/{path}",
  operationId: "deleteFile",
  auth: "key",
  tags,
  summary: "Delete a file; a directory only with `recursive=true`",
  request: {
    params: FilePathParamsSchema,
    query: z.object({
      recursive: z
        .enum(["true", "false"])
        .optional()
        .openapi({ description: "Required to delete a directory" }),
    }),
  },
  responses: { 204: noContent, ...withErrors(409) },
});

const importErrors = {
  413: errorResponse(
    "Over the workspace's quota (`quota_exceeded`), or a URL import over `URL_IMPORT_MAX_BYTES` (`too_large`)",
  ),
  422: errorResponse(
    "A URL import the remote could not satisfy: an error status, a body that is not `size` bytes, the time limit (`details.reason`: `remote_status`, `size_mismatch`, `timeout`, …)",
  ),
} as const;

const createFileRoute = apiRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/files",
  operationId: "createFile",
  auth: "key",
  body: "upload-or-json",
  tags,
  summary: "Create a file at `?path=` (409 if it exists): the raw body, or JSON to import a URL",
  description:
    "Any Content-Type but `application/json`: the body is the file's bytes. `application/json`: `{url, size?, mime_type?}` imports the bytes at `url` (https only; refused with 400 `details.reason` when the URL or any address it resolves to, or a redirect's, is not public: `private_address`, `forbidden_host`, `scheme_not_allowed`, `credentials_not_allowed`, `too_many_redirects`, …), or `{size: 0}` creates an empty file. `mime_type` sets the content type.",
  request: {
    params: WorkspaceParamsSchema,
    query: z.object({ path: z.string().min(1).openapi({ example: "notes/todo.md" }) }),
    headers: UploadHeadersSchema.pick({ "content-length": true }),
    body: {
      required: true,
      content: {
        ...rawBody.content,
        "application/json": { schema: CreateFileJsonSchema },
      },
    },
  },
  responses: {
    201: jsonResponse(FileEntrySchema, "Created"),
    ...withErrors(409),
    ...importErrors,
  },
});

const moveRoute = apiRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/files/move",
  operationId: "moveFile",
  auth: "key",
  tags,
  summary: "Move or rename a file or a whole directory (no bytes are copied)",
  request: {
    params: WorkspaceParamsSchema,
    body: jsonBody(MoveSchema),
  },
  responses: {
    200: jsonResponse(FileEntrySchema, "The entry at its new path"),
    ...withErrors(409, 422),
  },
});

async function jsonOf(c: Context<AppEnv>): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new ApiError("invalid_request", "the body is not valid JSON");
  }
}

const fileHeaders = (entry: FileEntry) => ({
  etag: quoteEtag(entry.etag ?? ""),
  "content-type": entry.content_type ?? contentTypeFor(entry.path),
  "last-modified": new Date(entry.updated_at).toUTCString(),
  "accept-ranges": "bytes",
});

export function registerFileRoutes(app: OpenAPIHono<AppEnv>) {
  // Before the wildcard routes: `files/move` is this route, not a file named "move".
  app.openapi(moveRoute, async (c) => {
    const input = c.req.valid("json");
    const from = normalizePath(input.from, "from");
    const to = normalizePath(input.to, "to");
    const entry = await c.var.workspace.files.move({ from, to, overwrite: input.overwrite });
    return c.json(entry, 200);
  });

  // Documented as one route, served by hand: @hono/zod-openapi would refuse (415) every raw
  // body that is not application/octet-stream, and a raw upload may have any content type.
  openapiByHand(app, createFileRoute, async (c) => {
    const { path: raw } = parsePart(createFileRoute.request.query, c.req.query(), "query");
    const path = normalizePath(raw);
    // The JSON form imports a URL or makes an empty file; any other content type is the bytes.
    const created = isJsonRequest(c)
      ? importFile(c, path, parseImportRequest(await jsonOf(c)))
      : uploadFile(
          c,
          path,
          parsePart(
            createFileRoute.request.headers,
            { "content-length": c.req.header("content-length") },
            "header",
          )["content-length"],
          { ifMatch: null, ifNoneMatch: "*" },
        );
    const { entry } = await created.catch((error: unknown) => {
      // Create means create: an existing file is a conflict, not a failed precondition.
      if (error instanceof ApiError && error.code === "precondition_failed") {
        throw new ApiError("conflict", `'${path}' exists; PUT it to overwrite`);
      }
      throw error;
    });
    return jsonWithEtag(c, entry, 201, entry.etag ?? "");
  });

  openapiByHand(
    app,
    putRoute,
    async (c) => {
      const { path: raw } = parsePart(FilePathParamsSchema, c.req.param(), "path");
      const path = normalizePath(raw);
      const headers = parsePart(
        UploadHeadersSchema,
        {
          "content-length": c.req.header("content-length"),
          "if-match": c.req.header("if-match"),
          "if-none-match": c.req.header("if-none-match"),
        },
        "header",
      );
      const { entry, created } = await uploadFile(
        c,
        path,
        headers["content-length"],
        conditionsOf(c),
      );
      return jsonWithEtag(c, entry, created ? 201 : 200, entry.etag ?? "");
    },
    "path",
  );

  const download = async (c: Context<AppEnv>) => {
    const { path: raw } = parsePart(FilePathParamsSchema, c.req.param(), "path");
    const path = normalizePath(raw);
    const { format } = parsePart(getRoute.request.query, c.req.query(), "query");
    const entry = await c.var.workspace.files.stat(path);
    if (entry.kind === "directory" || !entry.objectKey) {
      throw new ApiError(
        "conflict",
        `'${path}' is a directory; list it with GET …/directories?path=`,
      );
    }
    const headers = fileHeaders(entry);
    const { ifNoneMatch } = conditionsOf(c);
    if (format === "pdf") {
      const file = { ...entry, objectKey: entry.objectKey };
      const converted = await pdfResponse(c.env.FILES, file, ifNoneMatch);
      if (converted) return converted;
      headers["content-type"] = "application/pdf"; // a PDF by its content, whatever its name
    }
    if (notModified(ifNoneMatch, entry.etag ?? "")) {
      return new Response(null, { status: 304, headers });
    }
    const range = parseRange(c.req.header("range"), entry.size);
    if (range === "unsatisfiable") {
      return new Response(null, {
        status: 416,
        headers: { ...headers, "content-range": `bytes */${entry.size}` },
      });
    }
    const object = await c.env.FILES.get(
      entry.objectKey,
      range ? { range: { offset: range.start, length: range.end - range.start + 1 } } : {},
    );
    if (!object) throw new ApiError("internal", "the file's bytes are missing from storage");
    if (!range) {
      return new Response(object.body, {
        status: 200,
        headers: { ...headers, "content-length": String(entry.size) },
      });
    }
    return new Response(object.body, {
      status: 206,
      headers: {
        ...headers,
        "content-length": String(range.end - range.start + 1),
        "content-range": `bytes ${range.start}-${range.end}/${entry.size}`,
      },
    });
  };
  openapiByHand(app, getRoute, download, "path");
  documentOnly(app, headRoute);

  openapiByHand(
    app,
    deleteRoute,
    async (c) => {
      const { path: raw } = parsePart(FilePathParamsSchema, c.req.param(), "path");
      const path = normalizePath(raw);
      const { recursive } = parsePart(deleteRoute.request.query, c.req.query(), "query");
      await c.var.workspace.files.remove(path, recursive === "true");
      return c.body(null, 204);
    },
    "path",
  );
}
