// What the middleware does to every route, written into the OpenAPI document once here rather
// than into each route's declaration: any POST takes an Idempotency-Key (409 while the first
// request with the key runs, 422 for the key reused with another request); any request body
// is size-capped (413); a JSON body sent as another type is refused (415); a GET of a resource
// with an etag answers 304 to an If-None-Match naming it. Routes that declare
// these themselves keep their own wording.

import { isThreadStream } from "./idempotency";
import { IDEMPOTENCY_KEY_DESCRIPTION } from "./openapi-helpers";

type Operation = {
  parameters?: Array<{ name?: string; in?: string } | { $ref: string }>;
  requestBody?: { content?: Record<string, unknown> } | { $ref: string };
  responses?: Record<string, unknown>;
};
type Document = { paths?: object; components?: { schemas?: object } };
type SchemaObject = {
  $ref?: string;
  properties?: Record<string, unknown>;
  allOf?: SchemaObject[];
};

const ENVELOPE = { $ref: "#/components/schemas/Error" };
const error = (description: string) => ({
  description,
  content: { "application/json": { schema: ENVELOPE } },
});

const IF_NONE_MATCH = {
  name: "if-none-match",
  in: "header",
  required: false,
  description: "The etag you hold: 304, with no body, while it is still the current one",
  schema: { type: "string" },
};

const IDEMPOTENCY_KEY = {
  name: "idempotency-key",
  in: "header",
  required: false,
  description: IDEMPOTENCY_KEY_DESCRIPTION,
  schema: { type: "string" },
};

const takesIdempotencyKey = (method: string, path: string) =>
  method === "post" && !isThreadStream(method, path);

function addParameter(operation: Operation, parameter: { name: string }): void {
  operation.parameters ??= [];
  const named = operation.parameters.some((p) => "name" in p && p.name === parameter.name);
  if (!named) operation.parameters.push(parameter);
}

/** Whether a GET's 200 answers a resource with an `etag` (it carries the ETag header too). */
function answersEtag(operation: Operation, schemas: Record<string, SchemaObject>): boolean {
  const ok = operation.responses?.["200"] as
    | { content?: Record<string, { schema?: SchemaObject }> }
    | undefined;
  return hasEtag(ok?.content?.["application/json"]?.schema, schemas, 0);
}

function hasEtag(
  schema: SchemaObject | undefined,
  schemas: Record<string, SchemaObject>,
  depth: number,
): boolean {
  if (!schema || depth > 4) return false;
  if (schema.$ref) {
    return hasEtag(schemas[schema.$ref.replace("#/components/schemas/", "")], schemas, depth + 1);
  }
  if (schema.properties && "etag" in schema.properties) return true;
  return (schema.allOf ?? []).some((part) => hasEtag(part, schemas, depth + 1));
}

function addResponse(operation: Operation, status: string, description: string): void {
  operation.responses ??= {};
  operation.responses[status] ??= error(description);
}

export function withConventions<T extends Document>(document: T): T {
  const paths = (document.paths ?? {}) as Record<string, Record<string, unknown>>;
  const schemas = (document.components?.schemas ?? {}) as Record<string, SchemaObject>;
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, value] of Object.entries(item)) {
      if (typeof value !== "object" || value === null || !("responses" in value)) continue;
      const operation = value as Operation;
      if (method === "get" && answersEtag(operation, schemas)) {
        // The conditional-GET middleware answers these (src/http/conditional-get.ts).
        addParameter(operation, IF_NONE_MATCH);
        operation.responses ??= {};
        operation.responses["304"] ??= {
          description: "Not modified: If-None-Match names the current etag",
        };
      }
      if (takesIdempotencyKey(method, path)) {
        addParameter(operation, IDEMPOTENCY_KEY);
        addResponse(
          operation,
          "409",
          "Conflict (or a request with this Idempotency-Key is still running)",
        );
        addResponse(operation, "422", "Idempotency-Key reused with a different request");
      }
      const body = operation.requestBody;
      if (body && "content" in body && body.content) {
        addResponse(operation, "413", "The request body is over the size limit");
        if ("application/json" in body.content) {
          addResponse(operation, "415", "The body is not sent as application/json");
        }
      }
    }
  }
  return document;
}
