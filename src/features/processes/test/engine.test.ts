import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { api } from "../../../../test/helpers";
import { workspaceStub } from "../../events/test/event-helpers";
import { FakeInternet } from "../../files/test/fake-internet";
import {
  control,
  detailsOf,
  drive,
  elapseBackoff,
  freshWorkspaceEachTest,
  getRun,
  logLines,
  ms,
  ref,
  sh,
  specOf,
  startRun,
  taskAction,
  taskOf,
  waitForRun,
} from "./process-helpers";

// The engine, driven by the DO's alarm: ordering by needs and phases, parallel tasks, retries
// with backoff, timeouts, continue_on_error, templates, approvals, pause/resume/cancel, and
// the per-task retry and skip.

const ctx = freshWorkspaceEachTest();

/** The order the engine started and finished tasks in, from the run's log. */
async function order(run: string) {
  const { items } = await logLines(ctx, run);
  return items
    .filter((line) => line.stream === "engine" && line.task_id)
    .map((line) => `${line.task_id} ${line.message.split(" ").at(-1)}`);
}

const index = (lines: string[], line: string) => {
  const at = lines.indexOf(line);
  expect(at, `${line} in ${lines.join(", ")}`).toBeGreaterThanOrEqual(0);
  return at;
};

describe("ordering", () => {
  it("Should run a diamond of needs in order: a, then b and c, then d", async () => {
    const run = await startRun(
      ctx,
      specOf([
        sh("d", "echo d", { needs: ["b", "c"] }),
        sh("b", "echo b", { needs: ["a"] }),
        sh("c", "echo c", { needs: ["a"] }),
        sh("a", "echo a"),
      ]),
    );
    const view = await drive(ctx, run);
    expect(view.status).toBe("succeeded");
    expect(view.tasks.map((t) => [t.id, t.status, t.attempt])).toEqual([
      ["d", "succeeded", 1],
      ["b", "succeeded", 1],
      ["c", "succeeded", 1],
      ["a", "succeeded", 1],
    ]);
    const lines = await order(run);
    const aDone = index(lines, "a succeeded");
    for (const middle of ["b", "c"]) {
      expect(index(lines, `${middle} started`)).toBeGreaterThan(aDone);
      expect(index(lines, "d started")).toBeGreaterThan(index(lines, `${middle} succeeded`));
    }
    expect(index(lines, "a started")).toBe(0);
  });

  it("Should run phases in order, a later phase only after the earlier one is done", async () => {
    const run = await startRun(
      ctx,
      specOf([sh("slow", "sleep 0.2; echo 1")], [sh("next", "echo 2")]),
    );
    const view = await drive(ctx, run);
    expect(view.status).toBe("succeeded");
    expect(ms(taskOf(view, "next").started_at)).toBeGreaterThanOrEqual(
      ms(taskOf(view, "slow").finished_at),
    );
  });

  it("Should run the tasks of a phase in parallel: both running at once", async () => {
    const run = await startRun(
      ctx,
      specOf([sh("left", "sleep 0.3; echo l"), sh("right", "sleep 0.3; echo r")]),
    );
    const view = await drive(ctx, run);
    const left = taskOf(view, "left");
    const right = taskOf(view, "right");
    expect(ms(right.started_at)).toBeLessThan(ms(left.finished_at));
    expect(ms(left.started_at)).toBeLessThan(ms(right.finished_at));
    const lines = await order(run);
    // Both started before either finished.
    expect(Math.max(index(lines, "left started"), index(lines, "right started"))).toBeLessThan(
      Math.min(index(lines, "left succeeded"), index(lines, "right succeeded")),
    );
  });

  it("Should start a run, and end its wait, while another run's long command runs", async () => {
    const slow = await startRun(ctx, specOf([sh("slow", "sleep 2; echo slow")]));
    // The tick that runs the slow command (the alarm start set; run here, not awaited).
    const ticking = runDurableObjectAlarm(workspaceStub(ctx.ws));
    await waitForRun(ctx, slow, (view) => taskOf(view, "slow").status === "running");
    const quick = await startRun(
      ctx,
      specOf([
        { id: "pause", kind: "wait", with: { seconds: 0.2 } },
        sh("after", "echo quick", { needs: ["pause"] }),
      ]),
    );
    await waitForRun(ctx, quick, (view) => view.status === "succeeded");
    // Done while the slow one still runs: neither the start nor the wait's end waited for it.
    expect(taskOf(await getRun(ctx, slow), "slow").status).toBe("running");
    await ticking;
    expect((await drive(ctx, slow)).status).toBe("succeeded");
  });

  it("Should keep to the concurrency cap", async () => {
    const tasks = ["a", "b", "c"].map((id) => sh(id, "sleep 0.2; echo x"));
    const run = await startRun(ctx, { ...specOf(tasks), concurrency: 1 });
    const view = await drive(ctx, run);
    expect(view.status).toBe("succeeded");
    const lines = await order(run);
    expect(index(lines, "b started")).toBeGreaterThan(index(lines, "a succeeded"));
    expect(index(lines, "c started")).toBeGreaterThan(index(lines, "b succeeded"));
  });
});

describe("ticks", () => {
  it("Should run 200 due waits in one alarm tick, and page the log", async () => {
    const tasks = Array.from({ length: 200 }, (_, i) => ({
      id: `w${i}`,
      kind: "wait",
      with: { seconds: 0 },
    }));
    const run = await startRun(ctx, specOf(tasks.slice(0, 100), tasks.slice(100)));
    const view = await drive(ctx, run, (v) => v.status === "succeeded");
    expect(view.tasks.every((t) => t.status === "succeeded" && t.attempt === 1)).toBe(true);
    expect((view as unknown as { ticks: number }).ticks).toBe(1);
    const first = await api<{ items: { seq: number }[]; next_cursor: string }>(
      "GET",
      `/v1/workspaces/${ctx.ws}/processes/runs/${run}/logs?limit=3`,
      { key: ctx.account.key },
    );
    expect(first.body.items.map((l) => l.seq)).toEqual([1, 2, 3]);
    const next = await api<{ items: { seq: number }[] }>(
      "GET",
      `/v1/workspaces/${ctx.ws}/processes/runs/${run}/logs?limit=3&cursor=${first.body.next_cursor}`,
      { key: ctx.account.key },
    );
    expect(next.body.items.map((l) => l.seq)).toEqual([4, 5, 6]);
  });
});

describe("outcomes", () => {
  it("Should resolve inputs and earlier outputs in templates, with the last JSON printed", async () => {
    // An input the spec uses must be declared: a run of a bare spec naming one it was not
    // given is a 400 (one it was given is declared by being given: see spec.test.ts).
    const undeclared = await api("POST", `/v1/workspaces/${ctx.ws}/processes/ship/runs`, {
      key: ctx.account.key,
      body: { spec: specOf([sh("ship", `echo ${ref("inputs.env")}`)]), inputs: { region: "eu" } },
    });
    expect(undeclared.status).toBe(400);
    const put = await api("PUT", `/v1/workspaces/${ctx.ws}/processes/ship`, {
      key: ctx.account.key,
      body: {
        input_schema: { properties: { env: { type: "string" } }, required: ["env"] },
        spec: specOf(
          [sh("build", `echo building; echo '{"version":"1.2.3","ok":true}'`)],
          [
            sh(
              "ship",
              `echo "ship ${ref("tasks.build.output.json.version")} to ${ref("inputs.env")}"`,
              {
                needs: ["build"],
              },
            ),
          ],
        ),
      },
    });
    expect(put.status).toBe(201);
    const created = await api<{ id: string }>(
      "POST",
      `/v1/workspaces/${ctx.ws}/processes/ship/runs`,
      {
        key: ctx.account.key,
        body: { inputs: { env: "prod" } },
      },
    );
    await control(ctx, created.body.id, "start");
    const view = await drive(ctx, created.body.id);
    expect(view.status).toBe("succeeded");
    expect(view.outputs.build).toEqual({
      stdout: 'building\n{"version":"1.2.3","ok":true}\n',
      exit_code: 0,
      json: { version: "1.2.3", ok: true },
    });
    expect((view.outputs.ship as { stdout: string }).stdout).toBe("ship 1.2.3 to prod\n");
    const shipLogs = await logLines(ctx, created.body.id, "&task=ship");
    expect(shipLogs.items.every((line) => line.task_id === "ship")).toBe(true);
    expect(
      shipLogs.items.some(
        (line) => line.stream === "stdout" && line.message.includes("ship 1.2.3"),
      ),
    ).toBe(true);
  });

  it("Should hand template values to an inline script as variables, never as script text", async () => {
    await api("PUT", `/v1/workspaces/${ctx.ws}/processes/echoer`, {
      key: ctx.account.key,
      body: {
        input_schema: { properties: { name: { type: "string" } }, required: ["name"] },
        spec: specOf([sh("say", `echo "hi ${ref("inputs.name")}"`)]),
      },
    });
    const created = await api<{ id: string }>(
      "POST",
      `/v1/workspaces/${ctx.ws}/processes/echoer/runs`,
      {
        key: ctx.account.key,
        body: { inputs: { name: '$(echo pwned); echo "injected' } },
      },
    );
    await control(ctx, created.body.id, "start");
    const view = await drive(ctx, created.body.id);
    expect(view.status).toBe("succeeded");
    expect((view.outputs.say as { stdout: string }).stdout).toBe(
      'hi $(echo pwned); echo "injected\n',
    );
  });

  it("Should expand a template inside single quotes too: a task prints JSON with it", async () => {
    const run = await startRun(
      ctx,
      specOf(
        [sh("a", `echo '{"k":"it'"'"'s $HOME"}'`)],
        [sh("b", `echo '{"x":"${ref("tasks.a.output.k")}","n":2}'`)],
      ),
    );
    const view = await drive(ctx, run);
    expect(view.status).toBe("succeeded");
    expect((view.outputs.b as { json: unknown }).json).toEqual({ x: "it's $HOME", n: 2 });
  });

  it("Should retry with backoff, doubling, and succeed on a later attempt", async () => {
    const script =
      "n=$(cat tries.txt 2>/dev/null || echo 0); n=$((n+1)); echo $n > tries.txt; [ $n -ge 3 ] && echo done || exit 7";
    const run = await startRun(
      ctx,
      specOf([sh("flaky", script, { retry: { max: 3, backoff_s: 30 } })]),
    );
    let view = await drive(
      ctx,
      run,
      (v) => taskOf(v, "flaky").attempt === 1 && taskOf(v, "flaky").status === "pending",
    );
    let task = taskOf(view, "flaky");
    expect(task.error).toBe("exited with 7");
    const firstDelay = ms(task.due_at) - Date.now();
    expect(firstDelay).toBeGreaterThan(25_000);
    expect(firstDelay).toBeLessThanOrEqual(30_000);
    expect(view.status).toBe("running");
    await elapseBackoff(ctx, run);
    view = await drive(
      ctx,
      run,
      (v) => taskOf(v, "flaky").attempt === 2 && taskOf(v, "flaky").status === "pending",
    );
    task = taskOf(view, "flaky");
    const secondDelay = ms(task.due_at) - Date.now();
    expect(secondDelay).toBeGreaterThan(55_000);
    expect(secondDelay).toBeLessThanOrEqual(60_000);
    await elapseBackoff(ctx, run);
    view = await drive(ctx, run);
    expect(view.status).toBe("succeeded");
    expect(taskOf(view, "flaky")).toMatchObject({ status: "succeeded", attempt: 3, error: null });
  });

  it("Should fail the run when the retries are used up, and leave dependents pending", async () => {
    const run = await startRun(
      ctx,
      specOf([
        sh("bad", "exit 2", { retry: { max: 1, backoff_s: 0 } }),
        sh("after", "echo", { needs: ["bad"] }),
      ]),
    );
    const view = await drive(ctx, run);
    expect(view.status).toBe("failed");
    expect(view.error).toBe("task 'bad' failed: exited with 2");
    expect(taskOf(view, "bad")).toMatchObject({ status: "failed", attempt: 2 });
    expect(taskOf(view, "after").status).toBe("pending");
  });

  it("Should time a task out, as a failure that may be retried", async () => {
    const run = await startRun(ctx, specOf([sh("slow", "sleep 5; echo late", { timeout_s: 0.2 })]));
    const view = await drive(ctx, run);
    expect(view.status).toBe("failed");
    expect(taskOf(view, "slow")).toMatchObject({
      status: "failed",
      error: "timed out after 0.2 s",
    });
    expect(ms(taskOf(view, "slow").finished_at) - ms(taskOf(view, "slow").started_at)).toBeLessThan(
      3000,
    );
  });

  it("Should let dependents go on after a failure with continue_on_error", async () => {
    const run = await startRun(
      ctx,
      specOf([
        sh("lint", "exit 1", { continue_on_error: true }),
        sh("test", "echo ok", { needs: ["lint"] }),
      ]),
    );
    const view = await drive(ctx, run);
    expect(view.status).toBe("succeeded");
    expect(taskOf(view, "lint").status).toBe("failed");
    expect(taskOf(view, "test").status).toBe("succeeded");
  });

  it("Should answer a prompt task in a thread, with the run's instructions as context", async () => {
    const run = await startRun(
      ctx,
      specOf([
        { id: "ask", kind: "prompt", with: { prompt: "say hello" } },
        { id: "hook", kind: "http", with: { url: "https://127.0.0.1/x" }, continue_on_error: true },
      ]),
      { instructions: "You are terse." },
    );
    const view = await drive(ctx, run);
    expect(view.status).toBe("succeeded");
    const output = view.outputs.ask as { text: string; thread_id: string; message_id: string };
    expect(output.text).toContain("say hello");
    expect(output.text).toContain("You are terse.");
    // The answer is a real message of a real thread.
    const messages = await api<{ items: { id: string; role: string }[] }>(
      "GET",
      `/v1/workspaces/${ctx.ws}/threads/${output.thread_id}/messages`,
      { key: ctx.account.key },
    );
    expect(messages.status).toBe(200);
    expect(messages.body.items.map((m) => [m.id, m.role])).toContainEqual([
      output.message_id,
      "assistant",
    ]);
    expect(taskOf(view, "hook").error).toMatch(/url refused/);
  });

  it("Should run a registered command by trigger with its arguments", async () => {
    const created = await api("POST", `/v1/workspaces/${ctx.ws}/commands`, {
      key: ctx.account.key,
      body: {
        trigger: "greet",
        type: "shell",
        body: 'echo "hello $name"',
        args: [{ name: "name", type: "string", required: true }],
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const run = await startRun(
      ctx,
      specOf([
        { id: "hi", kind: "command", with: { trigger: "greet", args: { name: "Ada" } } },
        { id: "ghost", kind: "command", with: { trigger: "nope" }, continue_on_error: true },
      ]),
    );
    const view = await drive(ctx, run);
    expect((view.outputs.hi as { stdout: string }).stdout).toBe("hello Ada\n");
    expect(taskOf(view, "ghost").error).toBe("no command 'nope'");
  });

  it("Should run a registered http command by trigger, its arguments rendered in", async () => {
    const net = new FakeInternet();
    net.install();
    try {
      const seen: { url: string; body: string }[] = [];
      net.publicHost("hooks.example.com").serve("https://hooks.example.com/h", async (request) => {
        seen.push({ url: request.url, body: await request.text() });
        return new Response("ok", { status: 201 });
      });
      const created = await api("POST", `/v1/workspaces/${ctx.ws}/commands`, {
        key: ctx.account.key,
        body: {
          trigger: "hook",
          type: "http",
          body: {
            method: "POST",
            url: "https://hooks.example.com/h?m=$" + "{args.msg}",
            body: { text: "$" + "{{ args.msg }}" },
          },
          args: { msg: { required: true } },
        },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const run = await startRun(
        ctx,
        specOf([{ id: "call", kind: "command", with: { trigger: "hook", args: { msg: "a&b" } } }]),
      );
      const view = await drive(ctx, run);
      expect(view.status).toBe("succeeded");
      expect(view.outputs.call).toMatchObject({ status: 201, body: "ok" });
      expect(new URL(seen[0]?.url ?? "").searchParams.get("m")).toBe("a&b");
      expect(JSON.parse(seen[0]?.body ?? "")).toEqual({ text: "a&b" });
    } finally {
      vi.restoreAllMocks();
    }
  });
});

describe("approval", () => {
  const gated = () =>
    specOf(
      [{ id: "gate", kind: "approval", with: { message: "ship?" } }],
      [sh("ship", "echo shipped", { needs: ["gate"] })],
    );

  it("Should wait for approval, then go on when approved", async () => {
    const run = await startRun(ctx, gated());
    let view = await drive(ctx, run);
    expect(view.status).toBe("awaiting_approval");
    expect(taskOf(view, "gate").status).toBe("waiting_approval");
    expect(view.allowed_actions).toEqual(["pause", "cancel", "approve"]);
    const approved = await control(ctx, run, "approve", { decision: "approve", comment: "go" });
    expect(approved.status).toBe(200);
    view = await drive(ctx, run, (v) => v.status === "succeeded");
    expect(taskOf(view, "gate")).toMatchObject({
      status: "succeeded",
      approval: { decision: "approve", comment: "go" },
    });
    expect(taskOf(view, "ship").status).toBe("succeeded");
    const again = await control(ctx, run, "approve", { decision: "approve" });
    expect(again.status).toBe(409);
  });

  it("Should fail the task and the run when rejected", async () => {
    const run = await startRun(ctx, gated());
    await drive(ctx, run);
    const rejected = await control(ctx, run, "approve", {
      task: "gate",
      decision: "reject",
      comment: "not today",
    });
    expect(rejected.status).toBe(200);
    const view = await drive(ctx, run, (v) => v.status === "failed");
    expect(taskOf(view, "gate")).toMatchObject({ status: "failed", error: "rejected: not today" });
    expect(taskOf(view, "ship").status).toBe("pending");
    expect(view.error).toBe("task 'gate' failed: rejected: not today");
  });

  it("Should ask which task when several wait, and refuse a task that does not", async () => {
    const run = await startRun(
      ctx,
      specOf([
        { id: "legal", kind: "approval" },
        { id: "security", kind: "approval" },
      ]),
    );
    await drive(ctx, run);
    const which = await control(ctx, run, "approve", { decision: "approve" });
    expect(which.status).toBe(400);
    expect(JSON.stringify(which.body)).toMatch(/legal, security/);
    await control(ctx, run, "approve", { task: "legal", decision: "approve" });
    const twice = await control(ctx, run, "approve", { task: "legal", decision: "approve" });
    expect(twice.status).toBe(409);
    await control(ctx, run, "approve", { decision: "approve" });
    expect((await drive(ctx, run, (v) => v.status === "succeeded")).status).toBe("succeeded");
  });
});

describe("pause, resume, cancel", () => {
  const long = () =>
    specOf(
      [{ id: "hold", kind: "wait", with: { seconds: 3600 } }, sh("quick", "echo q")],
      [sh("later", "echo l")],
    );

  it("Should cancel a created run, skipping every task", async () => {
    const run = await api<{ id: string }>("POST", `/v1/workspaces/${ctx.ws}/processes/x/runs`, {
      key: ctx.account.key,
      body: { spec: long() },
    });
    const canceled = await control(ctx, run.body.id, "cancel");
    expect(canceled.body.status).toBe("canceled");
    expect(canceled.body.tasks.every((t) => t.status === "skipped")).toBe(true);
  });

  it("Should pause a running run (no new task starts), resume it, and cancel it", async () => {
    const run = await startRun(ctx, long());
    let view = await drive(ctx, run, (v) => taskOf(v, "quick").status === "succeeded");
    expect(view.status).toBe("running");
    expect(taskOf(view, "hold").status).toBe("running");
    const paused = await control(ctx, run, "pause");
    expect(paused.body.status).toBe("paused");
    expect(paused.body.allowed_actions).toEqual(["resume", "cancel"]);
    const twice = await control(ctx, run, "pause");
    expect(twice.status).toBe(409);
    expect(detailsOf(twice.body)).toMatchObject({
      allowed_actions: ["resume", "cancel"],
    });
    // The wait comes due while paused: it ends, but nothing new starts.
    await elapseWait(run);
    view = await drive(ctx, run, (v) => taskOf(v, "hold").status === "succeeded");
    expect(view.status).toBe("paused");
    expect(taskOf(view, "later").status).toBe("pending");
    const resumed = await control(ctx, run, "resume");
    expect(resumed.body.status).toBe("running");
    view = await drive(ctx, run);
    expect(view.status).toBe("succeeded");
  });

  it("Should cancel a running run: its running task canceled, the rest skipped", async () => {
    const run = await startRun(ctx, long());
    await drive(ctx, run, (v) => taskOf(v, "hold").status === "running");
    const canceled = await control(ctx, run, "cancel");
    expect(canceled.body.status).toBe("canceled");
    expect(taskOf(canceled.body, "hold").status).toBe("canceled");
    expect(taskOf(canceled.body, "later").status).toBe("skipped");
    expect((await control(ctx, run, "resume")).status).toBe(409);
  });

  it("Should cancel a paused run, and refuse start and resume while running", async () => {
    const run = await startRun(ctx, long());
    await drive(ctx, run, (v) => taskOf(v, "hold").status === "running");
    for (const action of ["start", "resume"]) {
      const refused = await control(ctx, run, action);
      expect(refused.status).toBe(409);
      expect(detailsOf(refused.body)).toMatchObject({
        status: "running",
        allowed_actions: ["pause", "cancel"],
      });
    }
    await control(ctx, run, "pause");
    const canceled = await control(ctx, run, "cancel");
    expect(canceled.body.status).toBe("canceled");
    expect(taskOf(canceled.body, "hold").status).toBe("canceled");
    expect(taskOf(canceled.body, "later").status).toBe("skipped");
  });

  it("Should cancel a running command at once", async () => {
    const run = await startRun(ctx, specOf([sh("sleepy", "sleep 30; echo never")]));
    // Drive the tick in the background: it waits on the command.
    const ticking = drive(ctx, run, (v) => v.status === "canceled");
    await waitForRun(ctx, run, (v) => taskOf(v, "sleepy").status === "running");
    const canceled = await control(ctx, run, "cancel");
    expect(taskOf(canceled.body, "sleepy").status).toBe("canceled");
    const view = await ticking;
    expect(taskOf(view, "sleepy")).toMatchObject({ status: "canceled", attempt: 1 });
  });

  it("Should pause and cancel a run awaiting approval, and approve while paused", async () => {
    const run = await startRun(
      ctx,
      specOf([{ id: "gate", kind: "approval" }], [sh("after", "echo a")]),
    );
    await drive(ctx, run);
    const paused = await control(ctx, run, "pause");
    expect(paused.body.status).toBe("paused");
    expect(paused.body.allowed_actions).toEqual(["resume", "cancel", "approve"]);
    await control(ctx, run, "approve", { decision: "approve" });
    let view = await getRun(ctx, run);
    expect(view.status).toBe("paused");
    await control(ctx, run, "resume");
    view = await drive(ctx, run, (v) => v.status === "succeeded");
    expect(taskOf(view, "after").status).toBe("succeeded");

    const other = await startRun(ctx, specOf([{ id: "gate", kind: "approval" }]));
    await drive(ctx, other);
    const canceled = await control(ctx, other, "cancel");
    expect(canceled.body.status).toBe("canceled");
    expect(taskOf(canceled.body, "gate").status).toBe("canceled");
  });
});

describe("retry and skip", () => {
  it("Should retry a failed task and what depends on it", async () => {
    const script = "if [ -f once.txt ]; then echo fixed; else echo x > once.txt; exit 1; fi";
    const run = await startRun(
      ctx,
      specOf([sh("fix", script)], [sh("after", "echo after", { needs: ["fix"] })]),
    );
    let view = await drive(ctx, run);
    expect(view.status).toBe("failed");
    expect(taskOf(view, "fix").allowed_actions).toEqual(["retry", "skip"]);
    const retried = await taskAction(ctx, run, "p1", "fix", "retry");
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe("running");
    view = await drive(ctx, run);
    expect(view.status).toBe("succeeded");
    expect(taskOf(view, "fix")).toMatchObject({ status: "succeeded", attempt: 2 });
    expect(taskOf(view, "after")).toMatchObject({ status: "succeeded", attempt: 1 });
  });

  it("Should skip a failed task and let its dependents proceed", async () => {
    const run = await startRun(
      ctx,
      specOf([sh("broken", "exit 3")], [sh("after", "echo after", { needs: ["broken"] })]),
    );
    let view = await drive(ctx, run);
    expect(view.status).toBe("failed");
    const skipped = await taskAction(ctx, run, "p1", "broken", "skip");
    expect(skipped.status).toBe(200);
    view = await drive(ctx, run);
    expect(view.status).toBe("succeeded");
    expect(taskOf(view, "broken").status).toBe("skipped");
    expect(taskOf(view, "after").status).toBe("succeeded");
  });

  it("Should skip a pending task before it runs", async () => {
    const run = await startRun(
      ctx,
      specOf([{ id: "gate", kind: "approval" }], [sh("never", "echo n"), sh("also", "echo a")]),
    );
    await drive(ctx, run);
    const skipped = await taskAction(ctx, run, "p2", "never", "skip");
    expect(skipped.status).toBe(200);
    await control(ctx, run, "approve", { decision: "approve" });
    const view = await drive(ctx, run, (v) => v.status === "succeeded");
    expect(taskOf(view, "never")).toMatchObject({ status: "skipped", attempt: 0 });
    expect(taskOf(view, "also").status).toBe("succeeded");
  });
});

async function elapseWait(run: string) {
  const { runInDurableObject } = await import("cloudflare:test");
  const { workspaceStub } = await import("../../events/test/event-helpers");
  await runInDurableObject(workspaceStub(ctx.ws), async (_instance, state) => {
    state.storage.sql.exec(
      "UPDATE process_tasks SET due_at = ? WHERE run_id = ? AND kind = 'wait' AND status = 'running'",
      Date.now() - 1,
      run,
    );
    await state.storage.setAlarm(Date.now());
  });
}
