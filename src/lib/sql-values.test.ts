import { describe, expect, it } from "vitest";
import { bool, json, num, str } from "./sql-values";

// SQLite values as the stores read them back: NULL (or a column the row lacks) stays null,
// never "null", 0 or NaN.

describe("sql-values", () => {
  it("Should read strings, keeping NULL null", () => {
    expect(str("abc")).toBe("abc");
    expect(str("")).toBe("");
    expect(str(12)).toBe("12");
    expect(str(null)).toBeNull();
    expect(str(undefined)).toBeNull();
  });

  it("Should read numbers, keeping NULL null and 0 as 0", () => {
    expect(num(42)).toBe(42);
    expect(num(0)).toBe(0);
    expect(num("7")).toBe(7);
    expect(num(null)).toBeNull();
    expect(num(undefined)).toBeNull();
  });

  it("Should parse JSON columns, keeping NULL null", () => {
    expect(json('{"a":[1,null]}')).toEqual({ a: [1, null] });
    expect(json("null")).toBeNull();
    expect(json("0")).toBe(0);
    expect(json(null)).toBeNull();
    expect(json(undefined)).toBeNull();
    expect(() => json("{not json")).toThrow(SyntaxError);
  });

  it("Should read 1 as true and anything else as false", () => {
    expect(bool(1)).toBe(true);
    expect(bool(0)).toBe(false);
    expect(bool(null)).toBe(false);
    expect(bool(undefined)).toBe(false);
    expect(bool("1")).toBe(false);
  });
});
