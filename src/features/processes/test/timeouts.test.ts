import { describe, expect, it } from "vitest";
import { api } from "../../../../test/helpers";
import {
  alarmAt,
  control,
  detailsOf,
  drive,
  elapse,
  freshWorkspaceEachTest,
  logLines,
  ms,
  ref,
  sh,
  specOf,
  startRun,
  taskOf,
} from "./process-helpers";

// The tasks the clock ends: an approval nobody decides fails when its timeout_s passes (and may
// be retried, or let dependents go on with continue_on_error); a wait fails when a shorter
// timeout_s passes; a wait's seconds may come from a template. Time passes by moving the
// tasks' times into the past and running the alarm, never by sleeping.

const ctx = freshWorkspaceEachTest();

describe("approval timeout", () => {
  it("Should fail an undecided approval when timeout_s passes, retry it as a new approval, then fail the run", async () => {
    const run = await startRun(
      ctx,
      specOf(
        [
          {
            id: "gate",
            kind: "approval",
            with: { message: "ship?" },
            timeout_s: 60,
            retry: { max: 1, backoff_s: 0 },
          },
        ],
        [sh("ship", "echo shipped", { needs: ["gate"] })],
      ),
    );
    let view = await drive(ctx, run);
    expect(view.status).toBe("awaiting_approval");
    let gate = taskOf(view, "gate");
    expect(gate).toMatchObject({
      status: "waiting_approval",
      attempt: 1,
      approval: { message: "ship?" },
    });
    const deadline = ms(gate.deadline_at);
    expect(deadline - ms(gate.started_at)).toBe(60_000);
    // The alarm is set for the deadline: nothing else wakes the engine.
    const alarm = await alarmAt(ctx);
    expect(alarm).not.toBeNull();
    expect(alarm as number).toBeLessThanOrEqual(deadline);

    // Not yet: half the time passes and the approval still waits.
    await elapse(ctx, run, 30);
    view = await drive(ctx, run);
    expect(taskOf(view, "gate")).toMatchObject({ status: "waiting_approval", attempt: 1 });

    await elapse(ctx, run, 31);
    view = await drive(ctx, run, (v) => taskOf(v, "gate").attempt === 2);
    gate = taskOf(view, "gate");
    expect(gate.status).toBe("waiting_approval");
    expect(view.status).toBe("awaiting_approval");
    const { items } = await logLines(ctx, run, "&task=gate");
    expect(items.map((line) => line.message)).toContain(
      "attempt 1 failed: approval timed out after 60 s; retry at " +
        items
          .find((line) => line.message.startsWith("attempt 1 failed"))
          ?.message.split("retry at ")[1],
    );

    await elapse(ctx, run, 61);
    view = await drive(ctx, run, (v) => v.status === "failed");
    expect(taskOf(view, "gate")).toMatchObject({
      status: "failed",
      attempt: 2,
      error: "approval timed out after 60 s",
      deadline_at: null,
    });
    expect(view.error).toBe("task 'gate' failed: approval timed out after 60 s");
    expect(taskOf(view, "ship").status).toBe("pending");
    const late = await control(ctx, run, "approve", { decision: "approve" });
    expect(late.status).toBe(409);
  });

  it("Should let dependents go on after an approval times out with continue_on_error", async () => {
    const run = await startRun(
      ctx,
      specOf(
        [{ id: "gate", kind: "approval", timeout_s: 5, continue_on_error: true }],
        [sh("after", "echo went on", { needs: ["gate"] })],
      ),
    );
    await drive(ctx, run);
    await elapse(ctx, run, 6);
    const view = await drive(ctx, run, (v) => v.status === "succeeded");
    expect(taskOf(view, "gate")).toMatchObject({
      status: "failed",
      error: "approval timed out after 5 s",
    });
    expect(taskOf(view, "after").status).toBe("succeeded");
  });

  it("Should not time out an approval decided in time", async () => {
    const run = await startRun(ctx, specOf([{ id: "gate", kind: "approval", timeout_s: 5 }]));
    await drive(ctx, run);
    const approved = await control(ctx, run, "approve", { decision: "approve" });
    expect(approved.status).toBe(200);
    expect(taskOf(approved.body, "gate").deadline_at).toBeNull();
    await elapse(ctx, run, 10);
    const view = await drive(ctx, run, (v) => v.status === "succeeded");
    expect(taskOf(view, "gate")).toMatchObject({ status: "succeeded", attempt: 1, error: null });
  });

  it("Should time out an approval while the run is paused, and fail the run on resume", async () => {
    const run = await startRun(ctx, specOf([{ id: "gate", kind: "approval", timeout_s: 5 }]));
    await drive(ctx, run);
    await control(ctx, run, "pause");
    await elapse(ctx, run, 6);
    let view = await drive(ctx, run, (v) => taskOf(v, "gate").status === "failed");
    expect(view.status).toBe("paused");
    view = (await control(ctx, run, "resume")).body;
    expect(view.status).toBe("failed");
    expect(view.error).toBe("task 'gate' failed: approval timed out after 5 s");
  });
});

describe("wait timeout", () => {
  it("Should fail a wait whose timeout_s is shorter than its seconds when the timeout passes", async () => {
    const run = await startRun(
      ctx,
      specOf([{ id: "hold", kind: "wait", with: { seconds: 3600 }, timeout_s: 60 }]),
    );
    let view = await drive(ctx, run, (v) => taskOf(v, "hold").status === "running");
    const hold = taskOf(view, "hold");
    expect(ms(hold.deadline_at) - ms(hold.started_at)).toBe(60_000);
    expect(ms(hold.due_at) - ms(hold.started_at)).toBe(3_600_000);
    expect((await alarmAt(ctx)) as number).toBeLessThanOrEqual(ms(hold.deadline_at));
    await elapse(ctx, run, 61);
    view = await drive(ctx, run);
    expect(view.status).toBe("failed");
    expect(taskOf(view, "hold")).toMatchObject({ status: "failed", error: "timed out after 60 s" });
  });

  it("Should let a wait end when its timeout_s is as long as its seconds", async () => {
    const run = await startRun(
      ctx,
      specOf([{ id: "hold", kind: "wait", with: { seconds: 30 }, timeout_s: 30 }]),
    );
    await drive(ctx, run, (v) => taskOf(v, "hold").status === "running");
    await elapse(ctx, run, 31);
    const view = await drive(ctx, run);
    expect(view.status).toBe("succeeded");
    expect(view.outputs.hold).toEqual({ waited_s: 30 });
  });
});

describe("wait seconds from templates", () => {
  const putDelayed = (name: string, seconds: unknown, type = "number") =>
    api("PUT", `/v1/workspaces/${ctx.ws}/processes/${name}`, {
      key: ctx.account.key,
      body: {
        input_schema: { properties: { delay: { type } }, required: ["delay"] },
        spec: specOf([{ id: "hold", kind: "wait", with: { seconds } }], [sh("after", "echo a")]),
      },
    });

  const runOf = async (name: string, delay: unknown) => {
    const created = await api<{ id: string }>(
      "POST",
      `/v1/workspaces/${ctx.ws}/processes/${name}/runs`,
      { key: ctx.account.key, body: { inputs: { delay } } },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await control(ctx, created.body.id, "start");
    return created.body.id;
  };

  it("Should wait the seconds an input gives", async () => {
    expect((await putDelayed("delayed", ref("inputs.delay"))).status).toBe(201);
    const run = await runOf("delayed", 120);
    let view = await drive(ctx, run, (v) => taskOf(v, "hold").status === "running");
    const hold = taskOf(view, "hold");
    expect(ms(hold.due_at) - ms(hold.started_at)).toBe(120_000);
    // Half the time: one tick, and the wait still runs.
    await elapse(ctx, run, 60);
    view = await drive(ctx, run, () => true);
    expect(taskOf(view, "hold").status).toBe("running");
    await elapse(ctx, run, 61);
    view = await drive(ctx, run);
    expect(view.status).toBe("succeeded");
    expect(view.outputs.hold).toEqual({ waited_s: 120 });
  });

  it("Should wait the seconds an earlier task printed, as a number in text", async () => {
    const run = await startRun(
      ctx,
      specOf(
        [sh("pick", "echo 45")],
        [
          {
            id: "hold",
            kind: "wait",
            with: { seconds: ` ${ref("tasks.pick.output.stdout")}` },
            needs: ["pick"],
          },
        ],
      ),
    );
    const view = await drive(ctx, run, (v) => taskOf(v, "hold").status === "running");
    const hold = taskOf(view, "hold");
    expect(ms(hold.due_at) - ms(hold.started_at)).toBe(45_000);
  });

  it("Should fail the wait when the template gives something that is not a number of seconds", async () => {
    expect((await putDelayed("wordy", ref("inputs.delay"), "string")).status).toBe(201);
    let view = await drive(ctx, await runOf("wordy", "soon"));
    expect(view.status).toBe("failed");
    expect(taskOf(view, "hold")).toMatchObject({
      status: "failed",
      attempt: 1,
      error: `a wait's seconds must be a number from 0 to 2592000, not "soon"`,
    });
    expect(taskOf(view, "after").status).toBe("pending");
    expect(view.error).toMatch(/task 'hold' failed: a wait's seconds must be a number/);

    expect((await putDelayed("negative", ref("inputs.delay"))).status).toBe(201);
    view = await drive(ctx, await runOf("negative", -5));
    expect(taskOf(view, "hold")).toMatchObject({
      status: "failed",
      error: "a wait's seconds must be a number from 0 to 2592000, not -5",
    });
  });

  it("Should refuse a literal seconds that is not a number of seconds at creation, naming the field", async () => {
    for (const seconds of ["soon", -1, 1e9, { n: 1 }]) {
      const response = await api("PUT", `/v1/workspaces/${ctx.ws}/processes/literal`, {
        key: ctx.account.key,
        body: { spec: specOf([{ id: "hold", kind: "wait", with: { seconds } }]) },
      });
      expect(response.status, JSON.stringify(seconds)).toBe(400);
      expect(detailsOf(response.body)).toEqual([
        {
          field: "phases[0].tasks[0].with.seconds",
          message: `task 'hold': a wait's seconds must be a number from 0 to 2592000, not ${JSON.stringify(seconds)}; a wait task takes \`{seconds}\` (a number from 0 to 2592000, or text or a template giving one)`,
        },
      ]);
    }
    const numeric = await api("PUT", `/v1/workspaces/${ctx.ws}/processes/literal`, {
      key: ctx.account.key,
      body: { spec: specOf([{ id: "hold", kind: "wait", with: { seconds: "90" } }]) },
    });
    expect(numeric.status).toBe(201);
  });
});
