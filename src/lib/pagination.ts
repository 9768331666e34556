import { ApiError } from "../http/errors";
import { type CursorKey, decodeCursor, encodeCursor } from "./cursor";

// Every list answers a page at a time: `?limit=` and an opaque `?cursor=` in (or, as the source
// systems send it, `?offset=` or `?page=`), `{ items, next_cursor }` out. A page is read with one row more than asked for (`LIMIT limit + 1`),
// so the last page is known without another query; `next_cursor` holds the key of the page's last
// item, and the next page starts after it.

export interface CursorPage<T> {
  items: T[];
  next_cursor: string | null;
}

/** The key an optional `?cursor=` holds (null without one); a 400 when it is not one of ours. */
export function cursorKey<T extends CursorKey>(
  cursor: string | undefined,
  isValid: (value: unknown) => value is T,
): T | null {
  return cursor ? decodeCursor(cursor, isValid) : null;
}

/** The cursor of the page after `last` (its key by `keyOf`); null, the end, without one. */
export const cursorAfter = <T>(last: T | null | undefined, keyOf: (last: T) => CursorKey) =>
  last === null || last === undefined ? null : encodeCursor(keyOf(last));

/** The first `count` rows as the page, and whether rows were read beyond it. */
export function splitPage<T>(rows: readonly T[], count: number): { items: T[]; more: boolean } {
  return { items: rows.slice(0, count), more: rows.length > count };
}

/** The cursor after a page: its last item's key when more follow, else null. */
export function nextCursor<T>(
  page: { items: readonly T[]; more: boolean },
  keyOf: (last: T) => CursorKey,
): string | null {
  return cursorAfter(page.more ? page.items.at(-1) : null, keyOf);
}

/** `{ items, next_cursor }` of rows read with `LIMIT limit + 1`. */
export function cursorPage<T>(
  rows: readonly T[],
  limit: number,
  keyOf: (last: T) => CursorKey,
): CursorPage<T> {
  const page = splitPage(rows, limit);
  return { items: page.items, next_cursor: nextCursor(page, keyOf) };
}

/** The most rows `offset` (or `page`) may skip: deeper than this, page with `cursor`. */
export const MAX_OFFSET = 100_000;

/** What a list's query says about where its page starts. */
export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
  /** Rows to skip from the start of the list. */
  offset?: number | undefined;
  /** 1-based page number of `limit` rows each: `offset = (page - 1) × limit`. */
  page?: number | undefined;
}

/**
 * Where the page starts: after the cursor's key, or `skip` rows into the list (`offset`, or
 * `page` with `limit`). The three name the same thing in different ways, so at most one may be
 * given (a 400 otherwise). A page reached by offset still answers a `next_cursor`, the cheaper
 * way on.
 */
export function pageStart(query: PageRequest): { cursor: string | undefined; skip: number } {
  const given = (["cursor", "offset", "page"] as const).filter((name) => query[name] !== undefined);
  if (given.length > 1) {
    throw new ApiError(
      "invalid_request",
      `give one of cursor, offset and page, not ${given.join(" and ")}`,
      {
        details: given.map((field) => ({ field, location: "query" })),
      },
    );
  }
  const skip = query.offset ?? (query.page === undefined ? 0 : (query.page - 1) * query.limit);
  if (skip > MAX_OFFSET) {
    throw new ApiError(
      "invalid_request",
      `offset and page reach at most ${MAX_OFFSET} rows in; page on with cursor`,
      {
        details: [{ field: given[0] ?? "offset", location: "query" }],
      },
    );
  }
  return { cursor: query.cursor, skip };
}

/** `pageStart`, with the cursor decoded to its key (null without one). */
export function pageKey<T extends CursorKey>(
  query: PageRequest,
  isValid: (value: unknown) => value is T,
): { key: T | null; skip: number } {
  const { cursor, skip } = pageStart(query);
  return { key: cursorKey(cursor, isValid), skip };
}
