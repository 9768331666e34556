import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { workspaceApi } from "../../../kernel/workspace-client";
import { workspaceStub } from "../../events/test/event-helpers";
import { drive, freshWorkspaceEachTest, sh, specOf, startRun } from "./process-helpers";

// A tick of tasks that never wait (no file, no timer, no fetch: `true` on the built-in shell)
// still lets the event loop run between slices of attempts (tick-turns.ts): a request to the
// workspace is answered while the run goes on, not only when the tick ends — held past
// workerd's keep-alive timeout, such a request was dropped with its connection.

const ctx = freshWorkspaceEachTest();

/**
 * Six slices of attempts (ATTEMPTS_PER_TURN). The test shares the isolate: an answer reaches it
 * at one turn, its next question the object at the next — the run must outlast both.
 */
const TASKS = 600;

/** The run's succeeded tasks, as a call to the workspace's object answers them. */
async function succeeded(run: string): Promise<number> {
  const caller = { accountId: ctx.account.accountId, actor: null };
  const view = await workspaceApi(env, ctx.ws, caller).processes.getRun(run, null);
  return view.tasks.filter((task) => task.status === "succeeded").length;
}

describe("a tick of trivial tasks", () => {
  it("Should answer a request to the workspace while the run goes on", async () => {
    const tasks = Array.from({ length: TASKS }, (_, i) => sh(`t${i}`, "true"));
    const run = await startRun(ctx, { ...specOf(tasks), concurrency: 32 });
    const ticking = runDurableObjectAlarm(workspaceStub(ctx.ws));
    // Asks until the tick has finished some tasks (the first answers may come before it
    // starts): a tick that never let the loop run answers only once it has finished them all.
    let during = 0;
    for (let asked = 0; during === 0 && asked < 1000; asked++) during = await succeeded(run);
    await ticking;
    expect(during).toBeGreaterThan(0);
    expect(during).toBeLessThan(TASKS);
    expect((await drive(ctx, run)).status).toBe("succeeded");
  });
});
