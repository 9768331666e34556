import { describe, expect, it } from "vitest";
import { api } from "../../../../test/helpers";
import {
  drive,
  freshWorkspaceEachTest,
  type RunView,
  ref,
  sh,
  specOf,
  startRun,
  taskAction,
  taskOf,
} from "./process-helpers";

// `${{ tasks.<id>.output… }}` as a client writes it: a task of an earlier phase is read without
// `needs` (phases run in order); a key the output lacks is read from the JSON the task printed
// last; and a reference that resolves to nothing fails the task, naming it, instead of
// rendering an empty string into a command.

const ctx = freshWorkspaceEachTest();

const stdoutOf = (view: RunView, id: string) => (view.outputs[id] as { stdout: string }).stdout;

describe("earlier phases", () => {
  it("Should let a task read an earlier phase's output without needing it", async () => {
    const run = await startRun(
      ctx,
      specOf(
        [sh("build", `echo '{"version":"1.2.3"}'`)],
        [sh("ship", `echo "ship ${ref("tasks.build.output.json.version")}"`)],
      ),
    );
    const view = await drive(ctx, run);
    expect(view.status, JSON.stringify(view.tasks)).toBe("succeeded");
    expect(stdoutOf(view, "ship")).toBe("ship 1.2.3\n");
  });

  it("Should still refuse a same-phase reference without needs, and one to a later phase", async () => {
    for (const [spec, needle] of [
      [
        specOf([sh("a", "echo 1"), sh("b", `echo ${ref("tasks.a.output.stdout")}`)]),
        "'b' references the output of 'a', which it does not need",
      ],
      [
        specOf([sh("b", `echo ${ref("tasks.a.output.stdout")}`)], [sh("a", "echo 1")]),
        "'b' references the output of 'a', which runs in a later phase",
      ],
    ] as const) {
      const response = await api("PUT", `/v1/workspaces/${ctx.ws}/processes/refs`, {
        key: ctx.account.key,
        body: { spec },
      });
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body)).toContain(needle);
    }
  });

  it("Should read a failed task's output after continue_on_error, and re-run its readers on retry", async () => {
    const run = await startRun(
      ctx,
      specOf(
        [sh("lint", "echo warned; exit 3", { continue_on_error: true })],
        [sh("report", `echo "lint exited ${ref("tasks.lint.output.exit_code")}"`)],
      ),
    );
    let view = await drive(ctx, run);
    expect(view.status, JSON.stringify(view.tasks)).toBe("succeeded");
    expect(taskOf(view, "lint").status).toBe("failed");
    expect(stdoutOf(view, "report")).toBe("lint exited 3\n");
    // A retry of lint runs again what read its output, though it does not `need` it.
    const retried = await taskAction(ctx, run, "p1", "lint", "retry");
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(taskOf(retried.body, "report").status).toBe("pending");
    view = await drive(ctx, run);
    expect(taskOf(view, "lint").attempt).toBe(2);
    expect(taskOf(view, "report").attempt).toBe(2);
  });

  it("Should fail a task reading a skipped task's output, naming the reference", async () => {
    const run = await startRun(
      ctx,
      specOf(
        [{ id: "gate", kind: "approval" }],
        [sh("after", `echo ${ref("tasks.gate.output.decision")}`)],
      ),
    );
    await drive(ctx, run);
    const skipped = await taskAction(ctx, run, "p1", "gate", "skip");
    expect(skipped.status).toBe(200);
    const view = await drive(ctx, run);
    expect(view.status).toBe("failed");
    expect(taskOf(view, "after")).toMatchObject({
      status: "failed",
      error: `\`${ref("tasks.gate.output.decision")}\` resolves to nothing: task 'gate' has no output (skipped)`,
    });
  });
});

describe("output paths", () => {
  it("Should read a key the output lacks from the JSON the task printed last", async () => {
    const run = await startRun(
      ctx,
      specOf([
        sh("pack", `echo packing; echo '{"artifact":"app.tgz","size":{"kb":12}}'`),
        sh(
          "upload",
          `echo "up ${ref("tasks.pack.output.artifact")} ${ref("tasks.pack.output.size.kb")}"`,
          {
            needs: ["pack"],
          },
        ),
      ]),
    );
    const view = await drive(ctx, run);
    expect(view.status, JSON.stringify(view.tasks)).toBe("succeeded");
    expect(stdoutOf(view, "upload")).toBe("up app.tgz 12\n");
  });

  it("Should fail the task, naming the reference, when neither the output nor its JSON has the key", async () => {
    const run = await startRun(
      ctx,
      specOf([
        sh("pack", `echo '{"artifact":"app.tgz"}'`),
        sh("typo", `echo ${ref("tasks.pack.output.artefact")}`, {
          needs: ["pack"],
          continue_on_error: true,
        }),
        sh("deep", `echo ${ref("tasks.pack.output.stdout.x")}`, {
          needs: ["pack"],
          continue_on_error: true,
        }),
      ]),
    );
    const view = await drive(ctx, run);
    expect(view.status).toBe("succeeded");
    expect(taskOf(view, "typo").error).toBe(
      `\`${ref("tasks.pack.output.artefact")}\` resolves to nothing: the output of 'pack' has no 'artefact', nor has the JSON it printed last (output.json)`,
    );
    expect(taskOf(view, "deep").error).toBe(
      `\`${ref("tasks.pack.output.stdout.x")}\` resolves to nothing: the output of 'pack' has no 'stdout.x'`,
    );
  });

  it("Should fail a wait and an approval whose templates resolve to nothing", async () => {
    const run = await startRun(
      ctx,
      specOf(
        [sh("pack", "echo plain")],
        [
          {
            id: "w",
            kind: "wait",
            with: { seconds: ref("tasks.pack.output.delay") },
            continue_on_error: true,
          },
          {
            id: "g",
            kind: "approval",
            with: { message: `ship ${ref("tasks.pack.output.name")}?` },
          },
        ],
      ),
    );
    const view = await drive(ctx, run);
    expect(view.status).toBe("failed");
    expect(taskOf(view, "w").error).toMatch(
      /^`\$\{\{ tasks\.pack\.output\.delay \}\}` resolves to nothing/,
    );
    expect(taskOf(view, "g").error).toMatch(
      /^`\$\{\{ tasks\.pack\.output\.name \}\}` resolves to nothing/,
    );
  });
});
