import { ApiError } from "../errors";
import { assertIfMatch, etagList } from "../workspace/etag";

/** The conditional headers of a write: `If-Match` (the etag you read), `If-None-Match: *`. */
export interface WriteConditions {
  ifMatch: string | null;
  ifNoneMatch: string | null;
}

/**
 * `If-None-Match: *` refuses to overwrite; `If-Match` requires the file to exist with that etag
 * (`*`: to exist at all). Checked before the bytes are sent and again when they are committed.
 */
export function assertWriteConditions(
  current: { etag: string | null } | null,
  conditions: WriteConditions,
): void {
  if (conditions.ifNoneMatch?.trim() === "*" && current) {
    throw new ApiError("precondition_failed", "the file exists and If-None-Match: * was sent");
  }
  if (conditions.ifMatch != null) {
    if (!current?.etag) {
      throw new ApiError("precondition_failed", "If-Match was sent but the file does not exist");
    }
    assertIfMatch(conditions.ifMatch, current.etag);
  }
}

/** Whether a GET's `If-None-Match` names the current etag (answer 304). */
export function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return etagList(ifNoneMatch).some((tag) => tag === "*" || tag === etag);
}
