import { z } from "@hono/zod-openapi";
import { MAX_OFFSET } from "../lib/pagination";
import { commonErrorResponses, errorResponses } from "./errors";

/** A required JSON request body. */
export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return {
    required: true,
    description,
    content: { "application/json": { schema } },
  } as const;
}

/**
 * Raw bytes of `mediaType` as a body. No `type: "string"`: a generated client would then take
 * and give only a string (openapi-typescript types every string schema `string`, whatever its
 * format), where a Blob, a Uint8Array or a stream is what goes over the wire; a schema without a
 * type is `unknown` to it. `format: binary` (OpenAPI 3.0's word) and `contentMediaType` (3.1's)
 * say that it is bytes.
 */
export const bytesOf = (mediaType: string) =>
  // The metadata's type knows OpenAPI 3.0's keywords only; the 3.1 document takes this one.
  z.unknown().openapi({ format: "binary", contentMediaType: mediaType } as { format: string });

/** A required request body of raw bytes (an upload: its Content-Type is the file's). */
export const rawBody = {
  required: true,
  content: { "application/octet-stream": { schema: bytesOf("application/octet-stream") } },
} as const;

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}

/**
 * `schema` or null. Not `schema.nullable()`, which for a named schema (`.openapi("Name")`) is
 * published as `allOf: [{$ref}, {type: [object, null]}]` — null never passes it, since every part
 * of an allOf must hold — or, where the name is first met through it, makes `Name` itself
 * nullable everywhere. A union is published as `anyOf: [{$ref}, {type: "null"}]`.
 */
export const orNull = <T extends z.ZodType>(schema: T) => z.union([schema, z.null()]);

export const noContent = { description: "Done; no body" } as const;

/** The error responses of an authenticated route, plus any of 403/409/412/422 it names. */
export function withErrors<K extends keyof typeof errorResponses>(...extra: K[]) {
  const picked = Object.fromEntries(extra.map((status) => [status, errorResponses[status]]));
  return { ...commonErrorResponses, ...(picked as Pick<typeof errorResponses, K>) };
}

export const WorkspaceParamsSchema = z.object({
  ws: z
    .string()
    .min(1)
    .max(128)
    .openapi({
      param: { name: "ws", in: "path" },
      description: "The workspace id (`ws_…`) or its slug",
      example: "my-project",
    }),
});

export const IfMatchHeaderSchema = z.object({
  "if-match": z
    .string()
    .optional()
    .openapi({ param: { name: "if-match", in: "header" }, description: "The etag you last read" }),
});

/** A PUT's `If-Match` (the etag you read) and `If-None-Match: *` (create only), for `noun`. */
export const conditionalWriteHeaders = (noun: string) =>
  z.object({
    "if-match": z
      .string()
      .optional()
      .openapi({
        param: { name: "if-match", in: "header" },
        description: `Replace only if the ${noun}'s etag is this (412 otherwise, or if there is none)`,
      }),
    "if-none-match": z
      .string()
      .optional()
      .openapi({
        param: { name: "if-none-match", in: "header" },
        description: `\`*\`: create only (412 if the ${noun} exists)`,
      }),
  });

export const IDEMPOTENCY_KEY_DESCRIPTION =
  "Retrying with the same key and body within 24 h returns the first response";

export const IdempotencyHeaderSchema = z.object({
  "idempotency-key": z
    .string()
    .optional()
    .openapi({
      param: { name: "idempotency-key", in: "header" },
      description: IDEMPOTENCY_KEY_DESCRIPTION,
    }),
});

/** An upload's optional Content-Length: with it the body streams to storage as it arrives. */
export const ContentLengthHeaderSchema = z.object({
  "content-length": z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .openapi({
      param: { name: "content-length", in: "header" },
      description:
        "Lets the body stream straight to storage; without it the body is read first, up to 1 MiB",
    }),
});

/** `Last-Event-ID` of an SSE route: what the id of the last frame received names. */
export const lastEventIdHeader = (description: string) =>
  z.object({
    "last-event-id": z
      .string()
      .optional()
      .openapi({ param: { name: "last-event-id", in: "header" }, description }),
  });

export const LimitSchema = z.coerce.number().int().min(1).max(100).default(20);
/** Opaque; long enough for the cursor of a page that ends on a 1,024-byte path. */
export const CursorSchema = z.string().min(1).max(2048).optional();

export { MAX_OFFSET };

/**
 * The paging fields every list takes besides its `limit`: `cursor` (a page's `next_cursor`), or
 * `offset`, or `page` (1-based, of `limit` rows) — one of the three.
 */
export const pageFields = {
  cursor: CursorSchema.openapi({
    description: "The `next_cursor` of the page before (or give `offset` or `page`)",
  }),
  offset: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_OFFSET)
    .optional()
    .openapi({ description: "Rows to skip from the start (instead of `cursor`)" }),
  page: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_OFFSET)
    .optional()
    .openapi({ description: "1-based page of `limit` rows (instead of `cursor`)" }),
};

export const pageOf = <T extends z.ZodType>(item: T, name: string) =>
  z.object({ items: z.array(item), next_cursor: z.string().nullable() }).openapi(name);
