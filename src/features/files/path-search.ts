import picomatch from "picomatch";
import type { FileEntry } from "./file-index";

// Glob search over the file index, with picomatch's semantics (its defaults: `*` does not match
// a leading dot or cross '/', `**` crosses directories). Runs in the Durable Object next to the
// index, scanning paths in order after the cursor, so a page costs one pass and no bytes are read.

export interface PathSearch {
  glob: string;
  /** Only paths with at most this many segments (`a/b` has 2). */
  maxDepth: number | null;
  after: string | null;
  limit: number;
  /** Matches to pass over before the page starts (`offset` / `page`). */
  skip?: number;
}

export function searchPaths(
  entries: Iterable<FileEntry>,
  search: PathSearch,
): { items: FileEntry[]; more: boolean } {
  const matches = picomatch(search.glob);
  const items: FileEntry[] = [];
  let skip = search.skip ?? 0;
  for (const entry of entries) {
    if (search.after !== null && entry.path <= search.after) continue;
    if (search.maxDepth !== null && entry.path.split("/").length > search.maxDepth) continue;
    if (!matches(entry.path)) continue;
    if (skip > 0) {
      skip--;
      continue;
    }
    if (items.length === search.limit) return { items, more: true };
    items.push(entry);
  }
  return { items, more: false };
}
