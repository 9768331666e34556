import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./app-env";
import { ApiError, ERROR_STATUS, type ErrorCode, errorEnvelope } from "./errors";

const CODE_BY_STATUS = new Map<number, ErrorCode>(
  Object.entries(ERROR_STATUS).map(([code, status]) => [status, code as ErrorCode]),
);

/** Any thrown value as an ApiError; what is not ours becomes a bare 500. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) {
    const code =
      CODE_BY_STATUS.get(error.status) ?? (error.status < 500 ? "invalid_request" : "internal");
    const message = code === "internal" ? "internal error" : error.message || code;
    return new ApiError(code, message);
  }
  return new ApiError("internal", "internal error");
}

/** The app's one error exit: the envelope, its status and headers; a 500 says nothing more. */
export function handleError(error: unknown, c: Context<AppEnv>): Response {
  const apiError = toApiError(error);
  const requestId = c.get("requestId") ?? "unknown";
  if (apiError.status >= 500) {
    // The detail goes to the log, never to the client.
    console.error(
      JSON.stringify({
        level: "error",
        request_id: requestId,
        error: error instanceof Error ? error.message : String(error),
        stack: error instanceof Error ? error.stack : undefined,
      }),
    );
  }
  return c.json(errorEnvelope(apiError, requestId), apiError.status, apiError.headers);
}
