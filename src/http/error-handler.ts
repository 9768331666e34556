import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./app-env";
import { ApiError, ERROR_STATUS, type ErrorCode, errorEnvelope } from "./errors";

const CODE_BY_STATUS = new Map<number, ErrorCode>(
  Object.entries(ERROR_STATUS).map(([code, status]) => [status, code as ErrorCode]),
);

/**
 * D1's answer when the database has none of the tables its migrations make: a fresh local state
 * under a bare `wrangler dev` (npm start applies them first). Only D1's own errors say `D1_ERROR`,
 * so a Durable Object's SQL error never reads as this.
 */
const D1_NOT_MIGRATED = /^D1_ERROR: no such table: /;

export const NOT_MIGRATED_MESSAGE =
  "the D1 database has no tables yet: run `npx wrangler d1 migrations apply workspaces --local` " +
  "(`npm start` does it for you, and prints a development API key)";

/** Any thrown value as an ApiError; what is not ours becomes a bare 500. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof Error && D1_NOT_MIGRATED.test(error.message)) {
    return new ApiError("unavailable", NOT_MIGRATED_MESSAGE);
  }
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
        level: apiError.code === "unavailable" ? "warn" : "error",
        request_id: requestId,
        error: error instanceof Error ? error.message : String(error),
        stack: error instanceof Error && apiError.code !== "unavailable" ? error.stack : undefined,
      }),
    );
  }
  return c.json(errorEnvelope(apiError, requestId), apiError.status, apiError.headers);
}
