import { ApiError } from "../errors";

/** The ETag header value for an etag string. */
export const quoteEtag = (etag: string) => `"${etag}"`;

/** The tags an If-Match / If-None-Match header lists, unquoted, weakness dropped. */
export const etagList = (header: string) =>
  header.split(",").map((tag) =>
    tag
      .trim()
      .replace(/^W\//, "")
      .replace(/^"(.*)"$/, "$1"),
  );

/**
 * Checks an If-Match header against the current etag: absent passes, `*` passes, otherwise one
 * of the listed (quoted, possibly weak) tags must equal it, or the write is refused with 412.
 */
export function assertIfMatch(ifMatch: string | null | undefined, current: string): void {
  if (ifMatch == null || ifMatch.trim() === "*") return;
  if (etagList(ifMatch).includes(current)) return;
  throw new ApiError("precondition_failed", "If-Match does not match the current etag", {
    details: { current_etag: current },
  });
}
