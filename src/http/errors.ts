import { z } from "@hono/zod-openapi";

/** The closed set of error codes, each with the one HTTP status it answers with. */
export const ERROR_STATUS = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  precondition_failed: 412,
  too_large: 413,
  quota_exceeded: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  /** The service is there but cannot answer yet (a local D1 database without its tables). */
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

/** Handlers throw this; the app's error handler turns it into the one envelope. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  readonly headers?: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.details = options.details;
    this.headers = options.headers;
  }

  get status(): ErrorStatus {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what: string) => new ApiError("not_found", `${what} not found`);

export const ErrorEnvelopeSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      request_id: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi("Error");

export type ErrorEnvelope = z.infer<typeof ErrorEnvelopeSchema>;

export function errorEnvelope(error: ApiError, requestId: string): ErrorEnvelope {
  return {
    error: {
      code: error.code,
      message: error.message,
      request_id: requestId,
      ...(error.details === undefined ? {} : { details: error.details }),
    },
  };
}

/** An error response in the one envelope, for a route's OpenAPI `responses`. */
export const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorEnvelopeSchema } },
});

/** Error responses every authenticated route can give; spread into each createRoute. */
export const commonErrorResponses = {
  400: errorResponse("The request is malformed or fails validation"),
  401: errorResponse("Missing, malformed, unknown or revoked API key"),
  404: errorResponse("Not found (also for another account's resources)"),
  500: errorResponse("Internal error (no details are exposed)"),
} as const;

export const errorResponses = {
  403: errorResponse("The key may not call this route"),
  409: errorResponse("Conflict with the current state"),
  412: errorResponse("If-Match does not match the current etag"),
  422: errorResponse("Idempotency-Key reused with a different request"),
} as const;
