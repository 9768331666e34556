import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { dispatch } from "../../../../test/helpers";
import { workspaceStub } from "../../events/test/event-helpers";
import { SseReader } from "../../events/test/sse-reader";
import { WorkspaceEventSchema } from "../../events/workspace-event";
import {
  drive,
  freshWorkspaceEachTest,
  sh,
  specOf,
  startRun,
  taskOf,
  waitForRun,
} from "./process-helpers";

// What survives the Durable Object: a run cut off mid-task resumes with that task as a new
// attempt and never reruns a succeeded one; a claim left by a dead instance is taken back; the
// run's events stream over SSE with ids and resume.

const ctx = freshWorkspaceEachTest();

describe("crash recovery", () => {
  it("Should resume after the DO is aborted mid-task without running a succeeded task twice", async () => {
    const run = await startRun(
      ctx,
      specOf(
        [sh("first", "echo ran >> first.log; cat first.log")],
        [
          sh(
            "second",
            "if [ -f started.txt ]; then echo resumed; else echo x > started.txt; sleep 30; fi",
            {
              needs: ["first"],
            },
          ),
        ],
      ),
    );
    const ticking = runDurableObjectAlarm(workspaceStub(ctx.ws)).catch(() => "aborted");
    await waitForRun(ctx, run, (v) => taskOf(v, "second").status === "running");
    await runInDurableObject(workspaceStub(ctx.ws), (_instance, state) =>
      state.abort("test crash"),
    ).catch(() => undefined);
    await ticking;
    const view = await drive(ctx, run, (v) => v.status === "succeeded" || v.status === "failed");
    expect(view.status).toBe("succeeded");
    expect(taskOf(view, "first")).toMatchObject({ status: "succeeded", attempt: 1 });
    expect((view.outputs.first as { stdout: string }).stdout).toBe("ran\n");
    expect(taskOf(view, "second")).toMatchObject({ status: "succeeded", attempt: 2 });
    expect((view.outputs.second as { stdout: string }).stdout).toBe("resumed\n");
  });

  it("Should take back a claim left by a dead instance as a new attempt, and ignore a succeeded task", async () => {
    const run = await startRun(
      ctx,
      specOf([sh("done", "echo once")], [sh("cut", "echo again", { needs: ["done"] })]),
    );
    let view = await drive(ctx, run);
    expect(view.status).toBe("succeeded");
    // Rewind: `cut` as a dead instance left it (running, attempt 1, its claim), the run running.
    await runInDurableObject(workspaceStub(ctx.ws), async (_instance, state) => {
      state.storage.sql.exec(
        "UPDATE process_tasks SET status = 'running', claim = 'dead-instance', output = NULL, finished_at = NULL WHERE run_id = ? AND task_id = 'cut'",
        run,
      );
      state.storage.sql.exec(
        "UPDATE process_runs SET status = 'running', finished_at = NULL WHERE id = ?",
        run,
      );
      await state.storage.setAlarm(Date.now());
    });
    view = await drive(ctx, run, (v) => v.status === "succeeded");
    expect(taskOf(view, "done")).toMatchObject({ status: "succeeded", attempt: 1 });
    expect(taskOf(view, "cut")).toMatchObject({ status: "succeeded", attempt: 2 });
    // The succeeded task's outcome is recorded once: one "succeeded" line for it in the log.
    const logs = await dispatch(
      new Request(`https://api.test/v1/workspaces/${ctx.ws}/processes/runs/${run}/logs?task=done`, {
        headers: { authorization: `Bearer ${ctx.account.key}` },
      }),
    ).then((r) => r.json<{ items: { message: string }[] }>());
    expect(logs.items.filter((l) => l.message.includes("succeeded")).length).toBe(1);
    expect(logs.items.filter((l) => l.message.includes("started")).length).toBe(1);
  });
});

describe("run events", () => {
  const open = (run: string, headers: Record<string, string> = {}, query = "") =>
    dispatch(
      new Request(`https://api.test/v1/workspaces/${ctx.ws}/processes/runs/${run}/events${query}`, {
        headers: { authorization: `Bearer ${ctx.account.key}`, ...headers },
      }),
    );

  async function readUntilFinished(reader: SseReader) {
    const events = [];
    for (;;) {
      const frame = await reader.next(5_000);
      if (!frame) break;
      if (frame.event !== "workspace-event" || !frame.data) continue;
      const event = WorkspaceEventSchema.parse(JSON.parse(frame.data));
      expect(String(event.id)).toBe(frame.id);
      events.push(event);
      if (event.type === "process.run.finished") break;
    }
    return events;
  }

  it("Should stream only the run's process events with ids, and resume after Last-Event-ID", async () => {
    const other = await startRun(ctx, specOf([sh("x", "echo other")]));
    const run = await startRun(
      ctx,
      specOf([sh("a", "echo a")], [sh("b", "echo b", { needs: ["a"] })]),
    );
    await drive(ctx, run);
    await drive(ctx, other);
    const response = await open(run, {}, "?cursor=0");
    expect(response.status).toBe(200);
    const reader = new SseReader(response);
    const events = await readUntilFinished(reader);
    await response.body?.cancel().catch(() => undefined);
    expect(events.map((e) => e.type)).toEqual([
      "process.run.created",
      "process.run.started",
      "process.task.started",
      "process.task.finished",
      "process.task.started",
      "process.task.finished",
      "process.run.status_changed",
      "process.run.finished",
    ]);
    expect(events.every((e) => (e.data as { run_id: string }).run_id === run)).toBe(true);
    const ids = events.map((e) => e.id);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    const resumed = await open(run, { "last-event-id": String(ids[3]) });
    const rest = await readUntilFinished(new SseReader(resumed));
    await resumed.body?.cancel().catch(() => undefined);
    expect(rest.map((e) => e.id)).toEqual(ids.slice(4));
  });

  it("Should answer 404 for an unknown run's events", async () => {
    const response = await open("run_00000000000000000000000000");
    expect(response.status).toBe(404);
  });
});
