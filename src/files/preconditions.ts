import {
  assertWriteConditions as assertConditions,
  etagList,
  type WriteConditions,
} from "../workspace/etag";

export type { WriteConditions };

/**
 * A file write's conditions, checked before the bytes are sent and again when they are
 * committed (see workspace/etag.ts).
 */
export function assertWriteConditions(
  current: { etag: string | null } | null,
  conditions: WriteConditions,
): void {
  assertConditions(current, conditions, "file");
}

/** Whether a GET's `If-None-Match` names the current etag (answer 304). */
export function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return etagList(ifNoneMatch).some((tag) => tag === "*" || tag === etag);
}
