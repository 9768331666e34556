import type { ZodError } from "zod";
import { ApiError } from "./errors";

/** A zod failure as a 400 whose message and details name each offending field. */
export function validationError(error: ZodError, location: string): ApiError {
  const details = error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.join(".") : location,
    location,
    message: issue.message,
  }));
  const first = details[0];
  const summary = first ? `${first.field}: ${first.message}` : "invalid input";
  const more = details.length > 1 ? ` (and ${details.length - 1} more)` : "";
  return new ApiError("invalid_request", `invalid ${location}: ${summary}${more}`, { details });
}
