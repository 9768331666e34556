import { describe, expect, it } from "vitest";
import { ApiError } from "../../http/errors";
import { allowedActions, assertTransition, type LifecycleAction } from "./state-machine";
import { WORKSPACE_STATUSES, type WorkspaceStatus } from "./workspace.schemas";

// The lifecycle as a table: for every status, the actions it allows; every other pair is a 409
// that names the status, the action and what would be allowed.

const ACTIONS: readonly LifecycleAction[] = ["start", "stop", "archive", "unarchive"];

const EXPECTED: Record<WorkspaceStatus, LifecycleAction[]> = {
  creating: [],
  running: ["stop", "archive"],
  stopping: [],
  stopped: ["start", "archive"],
  error: ["start", "stop", "archive"],
  archived: ["unarchive"],
};

const refusal = (status: WorkspaceStatus, action: LifecycleAction) => {
  try {
    assertTransition(status, action);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return error;
  }
  return null;
};

describe("allowedActions", () => {
  it("Should cover every status", () => {
    expect([...WORKSPACE_STATUSES].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))("Should allow from %s: %j", (status, actions) => {
    expect(allowedActions(status as WorkspaceStatus)).toEqual(actions);
  });
});

describe("assertTransition", () => {
  const pairs = WORKSPACE_STATUSES.flatMap((status) =>
    ACTIONS.map((action) => [status, action] as [WorkspaceStatus, LifecycleAction]),
  );

  it.each(pairs)("Should decide %s → %s as the table says", (status, action) => {
    const error = refusal(status, action);
    if (EXPECTED[status].includes(action)) {
      expect(error).toBeNull();
      return;
    }
    expect(error?.status).toBe(409);
    expect(error?.code).toBe("conflict");
    const details = error?.details as Record<string, unknown>;
    expect(details.status).toBe(status);
    expect(details.action).toBe(action);
    expect(details.allowed_actions).toEqual(EXPECTED[status]);
    // Where the action could have come from: the statuses whose allowed list holds it.
    const from = WORKSPACE_STATUSES.filter((each) => EXPECTED[each].includes(action));
    expect([...(details.allowed_from as string[])].sort()).toEqual([...from].sort());
  });

  it("Should say in the message what is allowed, or none", () => {
    expect(refusal("running", "start")?.message).toBe(
      "cannot start a workspace that is running; allowed: stop, archive",
    );
    expect(refusal("creating", "stop")?.message).toBe(
      "cannot stop a workspace that is creating; allowed: none",
    );
    expect(refusal("archived", "archive")?.message).toBe(
      "cannot archive a workspace that is archived; allowed: unarchive",
    );
  });

  it("Should let every allowed action of a status pass, and only those", () => {
    for (const status of WORKSPACE_STATUSES) {
      const passing = ACTIONS.filter((action) => refusal(status, action) === null);
      expect(passing).toEqual(allowedActions(status));
    }
  });
});
