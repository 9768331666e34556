import type { ZodError } from "zod";
import { ApiError } from "./errors";

// Hono names the request part a validator read by its parser (`json`, `form`, `param`); a client
// sent a body or a path, so that is what the answer says ("invalid json" reads as malformed JSON).
const LOCATIONS: Record<string, string> = { json: "body", form: "body", param: "path" };

/** A zod failure as a 400 whose message and details name each offending field. */
export function validationError(error: ZodError, target: string): ApiError {
  const location = LOCATIONS[target] ?? target;
  const details = error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.join(".") : location,
    location,
    message: issue.message,
  }));
  const first = details[0];
  const summary = first ? `${first.field}: ${first.message}` : "invalid input";
  const more = details.length > 1 ? ` (and ${details.length - 1} more)` : "";
  return new ApiError("invalid_request", `invalid request ${location}: ${summary}${more}`, {
    details,
  });
}
