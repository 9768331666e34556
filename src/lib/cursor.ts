import { ApiError } from "../http/errors";

// Cursors are opaque to clients: base64url of a small JSON object. A cursor that does not
// decode is a 400, never a 500.
export function encodeCursor(value: Record<string, string | number>): string {
  return btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The cursor of a list keyed by a string (a path): resume after `after`. */
export const isAfterCursor = (value: unknown): value is { after: string } =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as { after?: unknown }).after === "string";

export function decodeCursor<T extends Record<string, string | number>>(
  cursor: string,
  isValid: (value: unknown) => value is T,
): T {
  try {
    const padded = cursor.replace(/-/g, "+").replace(/_/g, "/");
    const value: unknown = JSON.parse(atob(padded));
    if (isValid(value)) return value;
  } catch {
    // fall through to the error below
  }
  throw new ApiError("invalid_request", "cursor is not valid", {
    details: [{ field: "cursor", message: "not a cursor this API returned" }],
  });
}
