import { type CursorKey, decodeCursor, encodeCursor } from "./cursor";

// Every list answers a page at a time: `?limit=` and an opaque `?cursor=` in,
// `{ items, next_cursor }` out. A page is read with one row more than asked for (`LIMIT limit + 1`),
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
