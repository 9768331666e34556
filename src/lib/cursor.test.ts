import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ApiError } from "../http/errors";
import { type CursorKey, cursorShape, decodeCursor, encodeCursor, isAfterCursor } from "./cursor";

// Cursors are opaque base64url JSON: what is encoded decodes to the same key, cursors clients
// already hold (standard base64, with padding) still decode, and anything else is the same 400.

const anyKey = (value: unknown): value is CursorKey => typeof value === "object" && value !== null;

const refusal = (cursor: string, isValid: (value: unknown) => value is CursorKey = anyKey) => {
  try {
    decodeCursor(cursor, isValid);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return {
      status: error.status,
      code: error.code,
      message: error.message,
      details: error.details,
    };
  }
  throw new Error(`${cursor} was accepted`);
};

const NOT_A_CURSOR = {
  status: 400,
  code: "invalid_request",
  message: "cursor is not valid",
  details: [{ field: "cursor", message: "not a cursor this API returned" }],
};

// What a cursor holds: names and integers (seqs, indexes) and any text (paths, ids).
const cursorKeys = fc.dictionary(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.oneof(fc.string({ unit: "binary", maxLength: 40 }), fc.integer()),
  { maxKeys: 5 },
);

describe("encodeCursor", () => {
  it("Should be base64url of the key's JSON, without padding", () => {
    expect(encodeCursor({ after: "a" })).toBe("eyJhZnRlciI6ImEifQ");
    expect(atob("eyJhZnRlciI6ImEifQ")).toBe('{"after":"a"}');
  });

  it("Should only ever use URL-safe characters", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme-ascii", maxLength: 60 }), (after) => {
        expect(encodeCursor({ after })).toMatch(/^[A-Za-z0-9_-]*$/);
      }),
    );
  });

  it("Should decode to the key it was made of, whatever text it holds", () => {
    fc.assert(
      fc.property(cursorKeys, (key) => {
        expect(decodeCursor(encodeCursor(key), anyKey)).toEqual(key);
      }),
    );
  });

  it("Should encode a key beyond Latin-1 (a path like 日本/x) as UTF-8", () => {
    const cursor = encodeCursor({ after: "日本/x" });
    expect(decodeCursor(cursor, isAfterCursor)).toEqual({ after: "日本/x" });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});

describe("decodeCursor", () => {
  it("Should read a cursor in standard base64, padded, as clients may hold it", () => {
    const standard = btoa(JSON.stringify({ after: "a?b>c" }));
    expect(standard).toBe("eyJhZnRlciI6ImE/Yj5jIn0=");
    expect(decodeCursor(standard, isAfterCursor)).toEqual({ after: "a?b>c" });
    expect(encodeCursor({ after: "a?b>c" })).toBe("eyJhZnRlciI6ImE_Yj5jIn0");
  });

  it("Should read a Latin-1 cursor made before keys were UTF-8", () => {
    // btoa of the JSON as it was: one byte per character, "é" as 0xE9.
    const old = btoa(JSON.stringify({ after: "café/ü" }));
    expect(decodeCursor(old, isAfterCursor)).toEqual({ after: "café/ü" });
    // An ASCII key encodes as it always did.
    expect(encodeCursor({ after: "docs/a.md" })).toBe(
      btoa(JSON.stringify({ after: "docs/a.md" })).replace(/=+$/, ""),
    );
  });

  it.each([
    ["garbage", "garbage!!"],
    ["base64 that is not JSON", btoa("not json")],
    ["JSON that is not an object", btoa("42")],
    ["null", btoa("null")],
    ["an empty string", ""],
  ])("Should refuse %s with a 400 naming the cursor", (_name, cursor) => {
    expect(refusal(cursor)).toEqual(NOT_A_CURSOR);
  });

  it("Should refuse a cursor of another shape the same way", () => {
    expect(refusal(encodeCursor({ after: 3 }), isAfterCursor)).toEqual(NOT_A_CURSOR);
    expect(refusal(encodeCursor({ before: "a" }), isAfterCursor)).toEqual(NOT_A_CURSOR);
  });

  it("Should never throw anything but the 400 on any text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 80 }), (text) => {
        try {
          decodeCursor(text, isAfterCursor);
        } catch (error) {
          expect(error).toBeInstanceOf(ApiError);
          expect((error as ApiError).status).toBe(400);
        }
      }),
    );
  });
});

describe("cursorShape", () => {
  const isListCursor = cursorShape({ s: ["created_at", "updated_at"], v: "string", n: "position" });

  it("Should accept a key with every field of its kind, extra fields ignored", () => {
    expect(isListCursor({ s: "created_at", v: "x", n: 0 })).toBe(true);
    expect(isListCursor({ s: "updated_at", v: "", n: 9007199254740991, extra: true })).toBe(true);
    expect(isAfterCursor({ after: "" })).toBe(true);
  });

  it.each([
    ["a missing field", { s: "created_at", v: "x" }],
    ["a value outside the list", { s: "title", v: "x", n: 1 }],
    ["a number for a string", { s: "created_at", v: 1, n: 1 }],
    ["a string for a position", { s: "created_at", v: "x", n: "1" }],
    ["a negative position", { s: "created_at", v: "x", n: -1 }],
    ["a fractional position", { s: "created_at", v: "x", n: 1.5 }],
    ["an unsafe integer", { s: "created_at", v: "x", n: 2 ** 53 }],
    ["an array", [{ s: "created_at", v: "x", n: 1 }]],
    ["null", null],
    ["a string", "created_at"],
  ])("Should refuse %s", (_name, value) => {
    expect(isListCursor(value)).toBe(false);
  });
});
