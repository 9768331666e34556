import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/app-env";
import { ApiError, errorResponse } from "../../http/errors";
import { conditionsOf, jsonWithEtag } from "../../http/etag";
import {
  ContentLengthHeaderSchema,
  jsonBody,
  jsonResponse,
  noContent,
  rawBody,
  WorkspaceParamsSchema,
  withErrors,
} from "../../http/openapi-helpers";
import { apiRoute } from "../../http/route";
import { contentTypeFor } from "./content-types";
import { FileEntrySchema } from "./file-index";
import {
  MAX_PART_NUMBER,
  MultipartUploadSchema,
  PART_SIZE_MAX,
  putPart,
  UploadedPartSchema,
  UploadIdSchema,
} from "./multipart-uploads";
import { normalizePath } from "./paths";
import { SignedUploadQuerySchema, signedUploadAuth } from "./signed-upload-auth";
import { NonceRegex, SIGNED_UPLOAD_TTL_DEFAULT_S, SIGNED_UPLOAD_TTL_MAX_S } from "./signed-uploads";
import { sizedBody, uploadFile } from "./upload-flow";

// Large files, two ways. Multipart: the client sends a file in parts (each streamed to an R2
// multipart upload), then completes it, and the file is committed like any upload. Signed URLs:
// a key holder asks for a URL that lets someone else upload one file, without the key.

const tags = ["Files"];

const tooLarge = { 413: errorResponse("Over the size cap (`too_large`) or the quota") };

const ContentTypeSchema = z
  .string()
  .max(255)
  .regex(/^[\w!#$&^.+-]+\/[\w!#$&^.+-]+$/, "a MIME type such as `application/zip`")
  .transform((value) => value.toLowerCase())
  .openapi({ description: "Defaults to the type the path's extension implies" });

const ConditionHeadersSchema = z.object({
  "if-match": z
    .string()
    .optional()
    .openapi({
      param: { name: "if-match", in: "header" },
      description: "Commit only if the file's etag is this",
    }),
  "if-none-match": z
    .string()
    .optional()
    .openapi({
      param: { name: "if-none-match", in: "header" },
      description: "`*`: create only, never overwrite (412)",
    }),
});

// --- multipart ------------------------------------------------------------------------------

const UploadParamsSchema = WorkspaceParamsSchema.extend({
  upload_id: UploadIdSchema.openapi({ param: { name: "upload_id", in: "path" } }),
});

const CreateMultipartSchema = z
  .object({
    path: z.string().min(1).openapi({ example: "datasets/big.parquet" }),
    content_type: ContentTypeSchema.optional(),
    size: z.number().int().min(0).optional().openapi({
      description:
        "The file's size if known: checked against the quota now, and a cap on the parts",
    }),
  })
  .strict()
  .openapi("CreateMultipartUpload");

const createMultipartRoute = apiRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/uploads/multipart",
  operationId: "createMultipartUpload",
  auth: "key",
  tags,
  summary: "Start a multipart upload (for files larger than one request); expires in 24 h",
  request: { params: WorkspaceParamsSchema, body: jsonBody(CreateMultipartSchema) },
  responses: {
    201: jsonResponse(MultipartUploadSchema, "Started"),
    ...withErrors(409),
    ...tooLarge,
  },
});

const partRoute = apiRoute({
  method: "put",
  path: "/v1/workspaces/{ws}/uploads/multipart/{upload_id}/parts/{n}",
  operationId: "uploadMultipartPart",
  auth: "key",
  body: "upload",
  tags,
  summary:
    "Upload part `n` (1–10,000), the raw body streamed; every part but the last ≥ 5 MiB, all the same size",
  request: {
    params: UploadParamsSchema.extend({
      n: z.coerce
        .number()
        .int()
        .min(1)
        .max(MAX_PART_NUMBER)
        .openapi({ param: { name: "n", in: "path" }, example: 1 }),
    }),
    headers: ContentLengthHeaderSchema,
    body: rawBody,
  },
  responses: {
    200: jsonResponse(UploadedPartSchema, "Stored; send its etag back at completion"),
    ...withErrors(409),
    ...tooLarge,
  },
});

const CompleteSchema = z
  .object({
    parts: z
      .array(
        z
          .object({
            part_number: z.number().int().min(1).max(MAX_PART_NUMBER),
            etag: z.string().min(1).max(1024),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_PART_NUMBER)
      .openapi({ description: "The parts that make the file, by ascending number" }),
  })
  .strict()
  .openapi("CompleteMultipartUpload");

const completeRoute = apiRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/uploads/multipart/{upload_id}/complete",
  operationId: "completeMultipartUpload",
  auth: "key",
  tags,
  summary: "Assemble the parts and commit the file (its etag is R2's multipart etag)",
  request: {
    params: UploadParamsSchema,
    headers: ConditionHeadersSchema,
    body: jsonBody(CompleteSchema),
  },
  responses: {
    200: jsonResponse(FileEntrySchema, "Overwrote the file"),
    201: jsonResponse(FileEntrySchema, "Created the file"),
    ...withErrors(409, 412),
    ...tooLarge,
  },
});

const abortRoute = apiRoute({
  method: "delete",
  path: "/v1/workspaces/{ws}/uploads/multipart/{upload_id}",
  operationId: "abortMultipartUpload",
  auth: "key",
  tags,
  summary: "Abort a multipart upload; its parts are discarded",
  request: { params: UploadParamsSchema },
  responses: { 204: noContent, ...withErrors(409) },
});

// --- signed URLs ----------------------------------------------------------------------------

const CreateSignedSchema = z
  .object({
    path: z.string().min(1).openapi({ example: "inbox/report.pdf" }),
    max_size: z
      .number()
      .int()
      .min(0)
      .max(PART_SIZE_MAX)
      .openapi({ description: "The most bytes the upload may have" }),
    expires_in: z
      .number()
      .int()
      .min(1)
      .max(SIGNED_UPLOAD_TTL_MAX_S)
      .default(SIGNED_UPLOAD_TTL_DEFAULT_S)
      .openapi({ description: "Seconds the URL stays valid (default 900, at most 86,400)" }),
    content_type: ContentTypeSchema.optional(),
  })
  .strict()
  .openapi("CreateSignedUpload");

const SignedUploadSchema = z
  .object({
    url: z.string().openapi({ description: "Absolute; PUT the file's bytes to it, no API key" }),
    method: z.literal("PUT"),
    path: z.string(),
    max_size: z.number().int(),
    expires_at: z.string(),
  })
  .openapi("SignedUpload");

const createSignedRoute = apiRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/uploads",
  operationId: "createSignedUpload",
  auth: "key",
  tags,
  summary: "A signed, expiring URL that lets a client upload one file without an API key",
  request: { params: WorkspaceParamsSchema, body: jsonBody(CreateSignedSchema) },
  responses: { 201: jsonResponse(SignedUploadSchema, "The URL (use it once)"), ...withErrors(409) },
});

const signedPutRoute = apiRoute({
  method: "put",
  path: "/v1/workspaces/{ws}/uploads/{upload_id}",
  operationId: "putSignedUpload",
  auth: "signed-url",
  authenticate: signedUploadAuth,
  body: "upload",
  tags,
  summary:
    "Upload through a signed URL: no Authorization; the file is committed as the key that asked for the URL",
  description:
    "A missing signature is a 401; a changed field, a URL for another workspace or an expired URL a 403; a URL already used a 409; a body over `max_size` a 413.",
  request: {
    params: WorkspaceParamsSchema.extend({
      ws: z.string().openapi({
        param: { name: "ws", in: "path" },
        description: "The workspace id (`ws_…`), as the URL names it",
      }),
      upload_id: z
        .string()
        .regex(NonceRegex)
        .openapi({ param: { name: "upload_id", in: "path" }, description: "The URL's nonce" }),
    }),
    query: SignedUploadQuerySchema,
    headers: ConditionHeadersSchema.extend({
      "content-length": z
        .string({ error: "Content-Length is required: a signed upload is checked against its cap" })
        .regex(/^\d{1,16}$/, "Content-Length must be a number of bytes")
        .transform(Number)
        .openapi({ param: { name: "content-length", in: "header" } }),
    }),
    body: rawBody,
  },
  responses: {
    200: jsonResponse(FileEntrySchema, "Overwrote the file"),
    201: jsonResponse(FileEntrySchema, "Created the file"),
    ...withErrors(403, 409, 412),
    401: errorResponse("The URL's signature fields are missing or malformed"),
    ...tooLarge,
  },
});

export function registerUploadRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(createMultipartRoute, async (c) => {
    const input = c.req.valid("json");
    const path = normalizePath(input.path);
    const upload = await c.var.workspace.uploads.create({
      path,
      contentType: input.content_type ?? contentTypeFor(path),
      declaredSize: input.size ?? null,
    });
    return c.json(upload, 201);
  });

  app.openapi(partRoute, async (c) => {
    const { upload_id: uploadId, n } = c.req.valid("param");
    const workspace = c.var.workspace;
    const body = await sizedBody(c.req.raw.body, c.req.valid("header")["content-length"]);
    const target = await workspace.uploads.preparePart(uploadId, n, body.size);
    const etag = await putPart(c.env.FILES, target, n, body.stream, body.size);
    const part = await workspace.uploads.recordPart(uploadId, {
      part_number: n,
      etag,
      size: body.size,
    });
    return c.json(part, 200);
  });

  app.openapi(completeRoute, async (c) => {
    const { upload_id: uploadId } = c.req.valid("param");
    const { parts } = c.req.valid("json");
    const conditions = conditionsOf(c);
    const { entry, created } = await c.var.workspace.uploads.complete(uploadId, parts, conditions);
    return jsonWithEtag(c, entry, created ? 201 : 200, entry.etag ?? "");
  });

  app.openapi(abortRoute, async (c) => {
    const { upload_id: uploadId } = c.req.valid("param");
    await c.var.workspace.uploads.abort(uploadId);
    return c.body(null, 204);
  });

  app.openapi(createSignedRoute, async (c) => {
    const input = c.req.valid("json");
    const path = normalizePath(input.path);
    const expires = Math.ceil(Date.now() / 1000) + input.expires_in;
    const grant = await c.var.workspace.uploads.createSigned({
      path,
      maxSize: input.max_size,
      expires,
      contentType: input.content_type ?? null,
    });
    const query = new URLSearchParams({
      path: grant.path,
      max_size: String(grant.maxSize),
      expires: String(grant.expires),
      sig: grant.sig,
    });
    const origin = new URL(c.req.url).origin;
    const url = `${origin}/v1/workspaces/${grant.workspaceId}/uploads/${grant.nonce}?${query}`;
    // The URL is a credential: not cached, and not kept for an idempotent replay.
    c.header("Cache-Control", "no-store");
    return c.json(
      {
        url,
        method: "PUT" as const,
        path,
        max_size: grant.maxSize,
        expires_at: new Date(grant.expires * 1000).toISOString(),
      },
      201,
    );
  });

  // The grant is signedUploadAuth's, which verified the URL and set the caller.
  app.openapi(signedPutRoute, async (c) => {
    const grant = c.var.signedUpload;
    if (!grant) throw new ApiError("unauthorized", "this route takes a signed upload URL");
    const size = c.req.valid("header")["content-length"];
    if (size > grant.maxSize) {
      throw new ApiError(
        "too_large",
        `the body is ${size} bytes; this upload URL allows at most ${grant.maxSize}`,
      );
    }
    const path = normalizePath(grant.path);
    const conditions = conditionsOf(c);
    const workspace = c.var.workspace;
    const { entry, created } = await uploadFile(c, path, size, conditions, {
      contentType: grant.contentType ?? undefined,
      commit: (object) => workspace.uploads.commitSigned(grant.nonce, path, object, conditions),
    });
    return jsonWithEtag(c, entry, created ? 201 : 200, entry.etag ?? "");
  });
}
