import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ApiError } from "../http/errors";
import { cursorShape, decodeCursor, encodeCursor, isAfterCursor } from "./cursor";
import {
  cursorAfter,
  cursorKey,
  cursorPage,
  MAX_OFFSET,
  nextCursor,
  pageStart,
  splitPage,
} from "./pagination";

// One page at a time: rows are read with `LIMIT limit + 1`, the first `limit` are the page, the
// one beyond only says that more follow; the cursor is the key of the page's last item, and
// paging through with it visits every row once, in order.

const byName = (last: { name: string }) => ({ after: last.name });
const rows = (...names: string[]) => names.map((name) => ({ name }));

describe("splitPage", () => {
  it("Should keep the first `count` rows and say whether any were beyond", () => {
    expect(splitPage([1, 2, 3], 2)).toEqual({ items: [1, 2], more: true });
    expect(splitPage([1, 2], 2)).toEqual({ items: [1, 2], more: false });
    expect(splitPage([1], 2)).toEqual({ items: [1], more: false });
    expect(splitPage([], 2)).toEqual({ items: [], more: false });
  });
});

describe("nextCursor", () => {
  it("Should hold the last item's key when more follow", () => {
    const next = nextCursor({ items: rows("a", "b"), more: true }, byName);
    expect(next).toBe(encodeCursor({ after: "b" }));
  });

  it("Should be null at the end, and for an empty page", () => {
    expect(nextCursor({ items: rows("a", "b"), more: false }, byName)).toBeNull();
    expect(nextCursor({ items: [], more: true }, byName)).toBeNull();
  });
});

describe("cursorAfter", () => {
  it("Should encode the key of what it is given, and null without it", () => {
    expect(cursorAfter(7, (seq) => ({ view: "pairs", after: seq }))).toBe(
      encodeCursor({ view: "pairs", after: 7 }),
    );
    expect(cursorAfter(0, (seq) => ({ after: seq }))).toBe(encodeCursor({ after: 0 }));
    expect(cursorAfter(null, (seq: number) => ({ after: seq }))).toBeNull();
    expect(cursorAfter(undefined, (seq: number) => ({ after: seq }))).toBeNull();
  });
});

describe("cursorPage", () => {
  it("Should answer {items, next_cursor} from limit + 1 rows", () => {
    expect(cursorPage(rows("a", "b", "c"), 2, byName)).toEqual({
      items: rows("a", "b"),
      next_cursor: encodeCursor({ after: "b" }),
    });
    expect(cursorPage(rows("a", "b"), 2, byName)).toEqual({
      items: rows("a", "b"),
      next_cursor: null,
    });
    expect(cursorPage([], 20, byName)).toEqual({ items: [], next_cursor: null });
  });

  it("Should visit every row once, in order, when paged through with its cursors", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ unit: "grapheme-ascii", maxLength: 6 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 10 }),
        (names, limit) => {
          const table = [...names].sort();
          // A store: keyset paging after the cursor's key, one row beyond the page.
          const read = (after: string | null) =>
            table.filter((name) => after === null || name > after).slice(0, limit + 1);
          const seen: string[] = [];
          let cursor: string | undefined;
          let pages = 0;
          do {
            const after = cursorKey(cursor, isAfterCursor)?.after ?? null;
            const page = cursorPage(
              read(after).map((name) => ({ name })),
              limit,
              byName,
            );
            expect(page.items.length).toBeLessThanOrEqual(limit);
            if (page.next_cursor !== null) expect(page.items.length).toBe(limit);
            seen.push(...page.items.map((item) => item.name));
            cursor = page.next_cursor ?? undefined;
            pages++;
            expect(seen.length).toBeLessThanOrEqual(table.length); // no page repeats a row
          } while (cursor !== undefined);
          expect(seen).toEqual(table);
          expect(pages).toBe(Math.max(1, Math.ceil(table.length / limit)));
        },
      ),
    );
  });
});

describe("cursorKey", () => {
  const isSeq = cursorShape({ after: "position" });

  it("Should be null without a cursor", () => {
    expect(cursorKey(undefined, isAfterCursor)).toBeNull();
    expect(cursorKey("", isAfterCursor)).toBeNull();
  });

  it("Should give the key a cursor of that shape holds", () => {
    expect(cursorKey(encodeCursor({ after: 12 }), isSeq)).toEqual({ after: 12 });
    expect(cursorKey(encodeCursor({ after: "x/y" }), isAfterCursor)).toEqual({ after: "x/y" });
  });

  it("Should refuse a bad cursor as decodeCursor does: a 400 naming `cursor`", () => {
    for (const bad of ["garbage!!", encodeCursor({ after: "1" }), encodeCursor({ id: 1 })]) {
      let thrown: unknown;
      try {
        cursorKey(bad, isSeq);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ApiError);
      expect((thrown as ApiError).status).toBe(400);
      expect((thrown as ApiError).details).toEqual([
        { field: "cursor", message: "not a cursor this API returned" },
      ]);
      expect(() => decodeCursor(bad, isSeq)).toThrow("cursor is not valid");
    }
  });
});

describe("pageStart", () => {
  it("Should start after a cursor, at an offset, or at a page of `limit` rows", () => {
    expect(pageStart({ limit: 10 })).toEqual({ cursor: undefined, skip: 0 });
    expect(pageStart({ limit: 10, cursor: "abc" })).toEqual({ cursor: "abc", skip: 0 });
    expect(pageStart({ limit: 10, offset: 7 })).toEqual({ cursor: undefined, skip: 7 });
    expect(pageStart({ limit: 10, page: 1 })).toEqual({ cursor: undefined, skip: 0 });
    expect(pageStart({ limit: 10, page: 3 })).toEqual({ cursor: undefined, skip: 20 });
  });

  it("Should refuse more than one of cursor, offset and page, and a start too deep", () => {
    for (const query of [
      { limit: 10, cursor: "abc", offset: 1 },
      { limit: 10, cursor: "abc", page: 2 },
      { limit: 10, offset: 1, page: 2 },
      { limit: 100, page: MAX_OFFSET },
    ]) {
      expect(() => pageStart(query), JSON.stringify(query)).toThrow(ApiError);
    }
    expect(pageStart({ limit: 1, offset: MAX_OFFSET }).skip).toBe(MAX_OFFSET);
  });
});
