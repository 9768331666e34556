// What the middleware does to every route, written into the OpenAPI document once here rather
// than into each route's declaration: any POST takes an Idempotency-Key (409 while the first
// request with the key runs, 422 for the key reused with another request); any request body
// is size-capped (413); a JSON body sent as another type is refused (415). Routes that declare
// these themselves keep their own wording.

type Operation = {
  parameters?: Array<{ name?: string; in?: string } | { $ref: string }>;
  requestBody?: { content?: Record<string, unknown> } | { $ref: string };
  responses?: Record<string, unknown>;
};
type Document = { paths?: object };

const ENVELOPE = { $ref: "#/components/schemas/Error" };
const error = (description: string) => ({
  description,
  content: { "application/json": { schema: ENVELOPE } },
});

const IDEMPOTENCY_KEY = {
  name: "idempotency-key",
  in: "header",
  required: false,
  description: "Retrying with the same key and body within 24 h returns the first response",
  schema: { type: "string" },
};

/** POST …/threads/stream answers a live stream: never stored for a replay (see app.ts). */
const takesIdempotencyKey = (method: string, path: string) =>
  method === "post" && !/^\/v1\/workspaces\/[^/]+\/threads\/stream$/.test(path);

function addResponse(operation: Operation, status: string, description: string): void {
  operation.responses ??= {};
  operation.responses[status] ??= error(description);
}

export function withConventions<T extends Document>(document: T): T {
  const paths = (document.paths ?? {}) as Record<string, Record<string, unknown>>;
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, value] of Object.entries(item)) {
      if (typeof value !== "object" || value === null || !("responses" in value)) continue;
      const operation = value as Operation;
      if (takesIdempotencyKey(method, path)) {
        operation.parameters ??= [];
        const named = operation.parameters.some(
          (parameter) => "name" in parameter && parameter.name === IDEMPOTENCY_KEY.name,
        );
        if (!named) operation.parameters.push(IDEMPOTENCY_KEY);
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
