import { ApiError } from "../errors";

/** The ETag header value for an etag string. */
export const quoteEtag = (etag: string) => `"${etag}"`;

/**
 * Checks an If-Match header against the current etag: absent passes, `*` passes, otherwise one
 * of the listed (quoted, possibly weak) tags must equal it, or the write is refused with 412.
 */
export function assertIfMatch(ifMatch: string | null | undefined, current: string): void {
  if (ifMatch == null || ifMatch.trim() === "*") return;
  const tags = ifMatch.split(",").map((tag) =>
    tag
      .trim()
      .replace(/^W\//, "")
      .replace(/^"(.*)"$/, "$1"),
  );
  if (tags.includes(current)) return;
  throw new ApiError("precondition_failed", "If-Match does not match the current etag", {
    details: { current_etag: current },
  });
}
