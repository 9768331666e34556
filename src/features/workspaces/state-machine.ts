import { ApiError } from "../../http/errors";
import type { WorkspaceStatus } from "./workspace.schemas";

// creating → running ⇄ (stopping → stopped); error with a reason; archived.
// `stopping` is passed through inside one stop call: the embedded runtime has nothing to
// wait for, so the response already shows `stopped` (both steps are recorded as lifecycle events).

export type LifecycleAction = "start" | "stop" | "archive" | "unarchive";

const ALLOWED_FROM: Record<LifecycleAction, readonly WorkspaceStatus[]> = {
  start: ["stopped", "error"],
  stop: ["running", "error"],
  archive: ["running", "stopped", "error"],
  unarchive: ["archived"],
};

export function allowedActions(status: WorkspaceStatus): LifecycleAction[] {
  return (Object.keys(ALLOWED_FROM) as LifecycleAction[]).filter((action) =>
    ALLOWED_FROM[action].includes(status),
  );
}

/** Throws a 409 that names what is allowed, when `action` is not legal from `status`. */
export function assertTransition(status: WorkspaceStatus, action: LifecycleAction): void {
  if (ALLOWED_FROM[action].includes(status)) return;
  const allowed = allowedActions(status);
  throw new ApiError(
    "conflict",
    `cannot ${action} a workspace that is ${status}; allowed: ${allowed.length ? allowed.join(", ") : "none"}`,
    {
      details: {
        status,
        action,
        allowed_actions: allowed,
        allowed_from: ALLOWED_FROM[action],
      },
    },
  );
}
