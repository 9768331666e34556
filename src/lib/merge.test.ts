import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isPlainObject, type JsonObject, mergePatch } from "./merge";

// PATCH bodies are JSON merge patches (RFC 7396): objects merge key by key, `null` deletes,
// anything else (arrays included) replaces. Checked against the RFC's own examples and as
// properties over random JSON.

const jsonObject = fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 3 }), {
  maxKeys: 5,
}) as fc.Arbitrary<JsonObject>;

/** RFC 7396 `MergePatch` for objects, written from the RFC's pseudocode. */
function reference(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const result: JsonObject = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = reference(result[key], value);
  }
  return result;
}

describe("isPlainObject", () => {
  it("Should be true only for non-null, non-array objects", () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject({ a: 1 })).toBe(true);
    expect(isPlainObject([])).toBe(false);
    expect(isPlainObject(null)).toBe(false);
    expect(isPlainObject("x")).toBe(false);
    expect(isPlainObject(1)).toBe(false);
    expect(isPlainObject(undefined)).toBe(false);
  });
});

describe("mergePatch", () => {
  it("Should merge objects key by key, at every depth", () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 4, e: 5 }, f: 6 })).toEqual({
      a: 1,
      b: { c: 2, d: 4, e: 5 },
      f: 6,
    });
  });

  it("Should delete a key patched with null, at every depth, and ignore a missing one", () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 } }, { a: null, b: { c: null }, x: null })).toEqual({
      b: { d: 3 },
    });
  });

  it("Should replace arrays whole, never merge them", () => {
    expect(mergePatch({ tags: ["a", "b", "c"] }, { tags: ["z"] })).toEqual({ tags: ["z"] });
    expect(mergePatch({ list: [{ a: 1 }] }, { list: [{ b: 2 }] })).toEqual({ list: [{ b: 2 }] });
    expect(mergePatch({ a: { b: 1 } }, { a: [1] })).toEqual({ a: [1] });
  });

  it("Should replace a scalar with an object and an object with a scalar", () => {
    expect(mergePatch({ a: 1 }, { a: { b: 2 } })).toEqual({ a: { b: 2 } });
    expect(mergePatch({ a: { b: 2 } }, { a: "x" })).toEqual({ a: "x" });
    // A nested null inside a new object deletes nothing and is not stored.
    expect(mergePatch({ a: 1 }, { a: { b: null, c: 1 } })).toEqual({ a: { c: 1 } });
  });

  it.each([
    // RFC 7396, appendix A (the cases whose target and patch are objects).
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])("Should follow RFC 7396: %j + %j = %j", (target, patch, expected) => {
    expect(mergePatch(target, patch)).toEqual(expected);
  });

  it("Should modify neither input", () => {
    const target = { a: { b: 1 }, c: [1] };
    const patch = { a: { b: null, d: 2 }, c: [2] };
    mergePatch(target, patch);
    expect(target).toEqual({ a: { b: 1 }, c: [1] });
    expect(patch).toEqual({ a: { b: null, d: 2 }, c: [2] });
  });

  it("Should be the identity when the patch is {}", () => {
    fc.assert(
      fc.property(jsonObject, (target) => {
        expect(mergePatch(target, {})).toEqual(target);
      }),
    );
  });

  it("Should agree with the RFC's algorithm on any JSON", () => {
    fc.assert(
      fc.property(jsonObject, jsonObject, (target, patch) => {
        expect(mergePatch(target, patch)).toEqual(reference(target, patch));
      }),
    );
  });

  it("Should be idempotent: applying a patch twice is applying it once", () => {
    fc.assert(
      fc.property(jsonObject, jsonObject, (target, patch) => {
        const once = mergePatch(target, patch);
        expect(mergePatch(once, patch)).toEqual(once);
      }),
    );
  });

  it("Should store no null of a patch: merged into {}, every null at any object depth deletes", () => {
    // Arrays are values, not merged: a null inside one is kept, so only objects are walked.
    const hasNull = (value: unknown): boolean =>
      value === null || (isPlainObject(value) && Object.values(value).some(hasNull));
    fc.assert(
      fc.property(jsonObject, (patch) => {
        expect(hasNull(mergePatch({}, patch))).toBe(false);
      }),
    );
  });
});
