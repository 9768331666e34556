import { describe, expect, it } from "vitest";
import { api } from "../../../../test/helpers";
import {
  control,
  createRun,
  drive,
  eventsOf,
  freshWorkspaceEachTest,
  getRun,
  sh,
  specOf,
  startRun,
  taskOf,
  waitForRun,
} from "./process-helpers";

// A workspace reset cancels every process run not finished yet (created, running, paused,
// awaiting approval) as `cancel` does, with "workspace reset" as the runs' error, and says how
// many; a finished run is left as it was.

const ctx = freshWorkspaceEachTest();

describe("workspace reset", () => {
  it("Should cancel every unfinished run with reason 'workspace reset' and report how many", async () => {
    const long = specOf(
      [{ id: "hold", kind: "wait", with: { seconds: 3600 } }],
      [sh("later", "echo l")],
    );
    const done = await startRun(ctx, specOf([sh("quick", "echo q")]));
    expect((await drive(ctx, done)).status).toBe("succeeded");
    const created = (await createRun(ctx, long)).id;
    const running = await startRun(ctx, long);
    await drive(ctx, running, (v) => taskOf(v, "hold").status === "running");
    const awaiting = await startRun(ctx, specOf([{ id: "gate", kind: "approval" }]));
    await drive(ctx, awaiting);
    const paused = await startRun(ctx, long);
    await drive(ctx, paused, (v) => taskOf(v, "hold").status === "running");
    await control(ctx, paused, "pause");
    // A command in the middle of its tick: the reset aborts it.
    const busy = await startRun(ctx, specOf([sh("sleepy", "sleep 30; echo never")]));
    const ticking = drive(ctx, busy, (v) => v.status === "canceled");
    await waitForRun(ctx, busy, (v) => taskOf(v, "sleepy").status === "running");

    const reset = await api<{ process_runs_canceled: number; event_id: number }>(
      "POST",
      `/v1/workspaces/${ctx.ws}/reset`,
      { key: ctx.account.key },
    );
    expect(reset.status, JSON.stringify(reset.body)).toBe(200);
    expect(reset.body.process_runs_canceled).toBe(5);

    const statuses = async (run: string) => {
      const view = await getRun(ctx, run);
      return [view.status, view.error, view.tasks.map((t) => [t.id, t.status])];
    };
    expect(await statuses(created)).toEqual([
      "canceled",
      "workspace reset",
      [
        ["hold", "skipped"],
        ["later", "skipped"],
      ],
    ]);
    for (const run of [running, paused]) {
      expect(await statuses(run)).toEqual([
        "canceled",
        "workspace reset",
        [
          ["hold", "canceled"],
          ["later", "skipped"],
        ],
      ]);
    }
    expect(await statuses(awaiting)).toEqual([
      "canceled",
      "workspace reset",
      [["gate", "canceled"]],
    ]);
    const stopped = await ticking;
    expect(taskOf(stopped, "sleepy")).toMatchObject({ status: "canceled", attempt: 1 });
    expect(stopped.error).toBe("workspace reset");
    expect((await getRun(ctx, done)).status).toBe("succeeded");

    const finished = await eventsOf(ctx, "process.run.finished");
    expect(
      finished
        .filter((e) => e.data.error === "workspace reset")
        .map((e) => e.data.run_id)
        .sort(),
    ).toEqual([created, running, awaiting, paused, busy].sort());
    const [resetEvent] = await eventsOf(ctx, "workspace.reset");
    expect(resetEvent?.data).toMatchObject({ process_runs_canceled: 5 });
    // Nothing is left to cancel: a second reset counts none.
    const again = await api<{ process_runs_canceled: number }>(
      "POST",
      `/v1/workspaces/${ctx.ws}/reset`,
      { key: ctx.account.key },
    );
    expect(again.body.process_runs_canceled).toBe(0);
  });
});
