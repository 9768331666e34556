import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../http/app-env";
import { ApiError, errorResponse } from "../../http/errors";
import { conditionsOf, jsonWithEtag, notModified, quoteEtag } from "../../http/etag";
import {
  bytesOf,
  ContentLengthHeaderSchema,
  jsonResponse,
  LimitSchema,
  noContent,
  pageFields,
  pageOf,
  rawBody,
  WorkspaceParamsSchema,
  withErrors,
} from "../../http/openapi-helpers";
import { apiRoute } from "../../http/route";
import { isAfterCursor } from "../../lib/cursor";
import { cursorPage, pageKey } from "../../lib/pagination";
import {
  ALLOWED_TYPES_TEXT,
  ATTACHMENT_TYPES,
  attachmentTypeOf,
  unsupported,
} from "./attachment-types";
import {
  type Attachment,
  AttachmentSchema,
  attachmentMaxBytes,
  checkOriginalName,
} from "./attachments";
import { peek, textGuard } from "./content-sniff";
import { putObject } from "./object-store";
import { sizedBody } from "./upload-flow";

// Attachments: uploaded once, named by the server, served forever under that name. Only the
// types in attachment-types.ts are accepted, judged by the bytes themselves; the head of the
// body is peeked to decide, and the body then streams to R2 like a file upload (prepare, put,
// commit), so a refused or interrupted upload leaves neither an index row nor an object.

const tags = ["Files"];

const NameParamsSchema = WorkspaceParamsSchema.extend({
  name: z
    .string()
    .min(1)
    .max(512)
    .openapi({
      param: { name: "name", in: "path" },
      description: "The name the upload answered",
      example: "att_01j9zq3c4x5v6b7n8m9k0h1g2f-diagram.png",
    }),
});

const uploadRoute = apiRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/attachments",
  operationId: "uploadAttachment",
  auth: "key",
  body: "upload",
  tags,
  summary: "Upload an attachment (the raw body): PNG, JPEG, GIF, WebP, PDF, TXT, Markdown or CSV",
  description: `The type is what the content proves (magic bytes; UTF-8 text for TXT, Markdown and CSV, which take their type from the name's extension or the Content-Type). A name or Content-Type the content contradicts is refused with 415, as is any other type: ${ALLOWED_TYPES_TEXT}.`,
  request: {
    params: WorkspaceParamsSchema,
    query: z.object({
      name: z
        .string()
        .min(1)
        .max(255)
        .openapi({ description: "The file's original name", example: "diagram.png" }),
    }),
    headers: ContentLengthHeaderSchema,
    body: rawBody,
  },
  responses: {
    201: jsonResponse(AttachmentSchema, "Stored; `Location` is its URL"),
    ...withErrors(),
    413: errorResponse("Larger than ATTACHMENT_MAX_BYTES, or over the workspace quota"),
    415: errorResponse("Not an accepted type, or not the type its name or Content-Type claims"),
  },
});

const listRoute = apiRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/attachments",
  operationId: "listAttachments",
  auth: "key",
  tags,
  summary: "List attachments, oldest first",
  request: {
    params: WorkspaceParamsSchema,
    query: z.object({ limit: LimitSchema, ...pageFields }),
  },
  responses: {
    200: jsonResponse(pageOf(AttachmentSchema, "AttachmentList"), "A page of attachments"),
    ...withErrors(),
  },
});

const serveRoute = apiRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/attachments/{name}",
  operationId: "getAttachment",
  auth: "key",
  tags,
  summary: "Serve an attachment: immutable, cacheable for a year, never sniffed into HTML",
  request: {
    params: NameParamsSchema,
    headers: z.object({
      "if-none-match": z
        .string()
        .optional()
        .openapi({ param: { name: "if-none-match", in: "header" } }),
    }),
  },
  responses: {
    200: {
      description: "The bytes, with the type the content proved",
      content: Object.fromEntries(
        ATTACHMENT_TYPES.map((type) => [type.contentType, { schema: bytesOf(type.contentType) }]),
      ),
    },
    304: { description: "Not modified" },
    ...withErrors(),
  },
});

const deleteRoute = apiRoute({
  method: "delete",
  path: "/v1/workspaces/{ws}/attachments/{name}",
  operationId: "deleteAttachment",
  auth: "key",
  tags,
  summary: "Delete an attachment (its bytes are removed from storage in the background)",
  request: { params: NameParamsSchema },
  responses: { 204: noContent, ...withErrors() },
});

const attachmentUrl = (c: Context<AppEnv>, name: string) =>
  `/v1/workspaces/${c.var.workspace.id}/attachments/${name}`;

/** A name means the same bytes forever, so any cache may keep them. */
const serveHeaders = (attachment: Attachment) => ({
  "content-type": attachment.content_type,
  etag: quoteEtag(attachment.etag),
  "cache-control": "public, max-age=31536000, immutable",
  "x-content-type-options": "nosniff",
  // The name is ASCII letters, digits, '.', '-' and '_' (safeName): safe in a quoted string.
  "content-disposition": `inline; filename="${attachment.name}"`,
});

/** Size cap, prepare, peek and judge the head, stream to R2, commit. */
async function upload(c: Context<AppEnv>, originalName: string, length: number | undefined) {
  const max = attachmentMaxBytes(c.env);
  const tooLarge = () =>
    new ApiError("too_large", `an attachment may be at most ${max} bytes`, {
      details: { max_bytes: max },
    });
  if (length !== undefined && length > max) throw tooLarge();
  const body = await sizedBody(c.req.raw.body, length);
  if (body.size > max) throw tooLarge();
  if (body.size === 0 || !body.stream) {
    throw new ApiError("invalid_request", "the body is empty: send the attachment's bytes");
  }
  const workspace = c.var.workspace;
  // The workspace (and the quota) first: another account's workspace is a 404 whatever the body.
  const { objectKey } = await workspace.attachments.prepare(body.size);
  const { head, ended, stream } = await peek(body.stream);
  const type = attachmentTypeOf({
    name: originalName,
    contentType: c.req.header("content-type"),
    head,
    complete: ended || head.byteLength >= body.size,
  });
  // Text has no magic number, so the rest of it is checked as it streams past.
  const guard = type.text ? textGuard() : null;
  const { sha256 } = await putObject(
    c.env.FILES,
    objectKey,
    guard ? stream.pipeThrough(guard.stream) : stream,
    body.size,
    type.contentType,
  ).catch((error: unknown) => {
    if (guard?.failed()) {
      throw unsupported(`the content is not ${type.label}: it holds bytes that are not UTF-8 text`);
    }
    throw error;
  });
  return workspace.attachments.commit({
    originalName,
    objectKey,
    size: body.size,
    sha256,
    type: { contentType: type.contentType, extensions: type.extensions },
  });
}

export function registerAttachmentRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(uploadRoute, async (c) => {
    const originalName = checkOriginalName(c.req.valid("query").name);
    const attachment = await upload(c, originalName, c.req.valid("header")["content-length"]);
    c.header("Location", attachmentUrl(c, attachment.name));
    return jsonWithEtag(c, attachment, 201);
  });

  app.openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const { key, skip } = pageKey(query, isAfterCursor);
    const items = await c.var.workspace.attachments.list(key?.after ?? null, query.limit + 1, skip);
    return c.json(
      cursorPage(items, query.limit, (last) => ({ after: last.name })),
      200,
    );
  });

  app.openapi(serveRoute, async (c) => {
    const { name } = c.req.valid("param");
    const { objectKey, ...attachment } = await c.var.workspace.attachments.stat(name);
    const headers = serveHeaders(attachment);
    if (notModified(conditionsOf(c).ifNoneMatch, attachment.etag)) {
      return new Response(null, { status: 304, headers });
    }
    const object = await c.env.FILES.get(objectKey);
    if (!object) throw new ApiError("internal", "the attachment's bytes are missing from storage");
    return new Response(object.body, {
      status: 200,
      headers: { ...headers, "content-length": String(attachment.size) },
    });
  });

  app.openapi(deleteRoute, async (c) => {
    const { name } = c.req.valid("param");
    await c.var.workspace.attachments.remove(name);
    return c.body(null, 204);
  });
}
