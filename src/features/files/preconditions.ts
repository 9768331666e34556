import { assertWriteConditions as assertConditions, type WriteConditions } from "../../http/etag";

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
