import { ApiError } from "../http/errors";
import { isPlainObject } from "./merge";

// Cursors are opaque to clients: base64url of a small JSON object, the key a page resumes
// after. A cursor that does not decode, or decodes to another shape, is a 400, never a 500.

/** What a cursor holds: a few named strings and numbers. */
export type CursorKey = Record<string, string | number>;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export function encodeCursor(value: CursorKey): string {
  // UTF-8 first: btoa takes only Latin-1, and a key may be any path (`日本/x`).
  const binary = String.fromCharCode(...new TextEncoder().encode(JSON.stringify(value)));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeCursor<T extends CursorKey>(
  cursor: string,
  isValid: (value: unknown) => value is T,
): T {
  try {
    // Standard base64 (with `+`, `/`, `=`) decodes too: cursors from before base64url do.
    const binary = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      text = binary; // a cursor from before UTF-8: Latin-1, one byte a character
    }
    const value: unknown = JSON.parse(text);
    if (isValid(value)) return value;
  } catch {
    // fall through to the error below
  }
  throw new ApiError("invalid_request", "cursor is not valid", {
    details: [{ field: "cursor", message: "not a cursor this API returned" }],
  });
}

/** A field of a cursor: any string, a position (an integer ≥ 0: a seq, an index) or one of a list. */
type CursorField = "string" | "position" | readonly string[];
type FieldValue<F> = F extends "position" ? number : F extends readonly (infer E)[] ? E : string;
export type KeyOf<S extends Record<string, CursorField>> = { [K in keyof S]: FieldValue<S[K]> };

const fits = (value: unknown, field: CursorField) =>
  field === "string"
    ? typeof value === "string"
    : field === "position"
      ? Number.isSafeInteger(value) && (value as number) >= 0
      : field.includes(value as string);

/** The check `decodeCursor` takes for a cursor with these fields (others are ignored). */
export function cursorShape<const S extends Record<string, CursorField>>(shape: S) {
  return (value: unknown): value is KeyOf<S> =>
    isPlainObject(value) &&
    Object.entries(shape).every(([name, field]) => fits(value[name], field));
}

/** The cursor of a list keyed by a string (a path, a name): resume after `after`. */
export const isAfterCursor = cursorShape({ after: "string" });
