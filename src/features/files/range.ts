// The `Range` request header (RFC 9110 §14): one byte range, `bytes=a-b`, `bytes=a-` or
// `bytes=-n`. A header we do not understand (another unit, several ranges, bad syntax) is
// ignored and the whole file is sent, as the RFC allows; a range outside the file is 416.

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | "unsatisfiable" | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return null;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return "unsatisfiable";
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return null;
  return { start, end };
}
