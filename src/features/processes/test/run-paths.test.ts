import { describe, expect, it } from "vitest";
import { api, dispatch } from "../../../../test/helpers";
import { SseReader } from "../../events/test/sse-reader";
import { WorkspaceEventSchema } from "../../events/workspace-event";
import {
  control,
  createRun,
  drive,
  freshWorkspaceEachTest,
  type RunView,
  sh,
  specOf,
} from "./process-helpers";

// A run is named under its process as well as by id alone: `…/processes/{process}/runs/{run}…`
// serves what `…/processes/runs/{run}…` does (one declaration each, both in the OpenAPI
// document), and is a 404 for a run of another process. A run's event stream replays the
// run from its start when no cursor is given.

const ctx = freshWorkspaceEachTest();

const nested = (process: string, run: string, rest = "") =>
  `/v1/workspaces/${ctx.ws}/processes/${process}/runs/${run}${rest}`;
const call = (method: string, path: string, body?: unknown) =>
  api<RunView & { items?: { message: string }[] }>(method, path, { key: ctx.account.key, body });

const gated = () =>
  specOf(
    [sh("build", "echo built"), { id: "gate", kind: "approval" }],
    [sh("flaky", "exit 1", { continue_on_error: true })],
  );

describe("nested run paths", () => {
  it("Should serve a run, its logs and its controls under its process", async () => {
    const run = (await createRun(ctx, gated(), {}, "deploy")).id;
    const got = await call("GET", nested("deploy", run));
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: run, process: "deploy", status: "created" });
    const started = await call("POST", nested("deploy", run, "/start"));
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect(started.body.status).toBe("running");
    await drive(ctx, run);
    const paused = await call("POST", nested("deploy", run, "/pause"));
    expect(paused.body.status).toBe("paused");
    expect((await call("POST", nested("deploy", run, "/resume"))).body.status).not.toBe("paused");
    const approved = await call("POST", nested("deploy", run, "/approve"), { decision: "approve" });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    let view = await drive(ctx, run);
    expect(view.status).toBe("succeeded");
    const retried = await call("POST", nested("deploy", run, "/tasks/p2/flaky/retry"));
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    view = await drive(ctx, run);
    expect(view.tasks.find((t) => t.id === "flaky")?.attempt).toBe(2);
    const skipped = await call("POST", nested("deploy", run, "/tasks/p2/flaky/skip"));
    expect(skipped.status).toBe(200);
    const logs = await call("GET", nested("deploy", run, "/logs?task=build"));
    expect(logs.status).toBe(200);
    expect(logs.body.items?.map((l) => l.message)).toContain("built\n");
  });

  it("Should answer 404 on every nested path for a run of another process, changing nothing", async () => {
    const run = (await createRun(ctx, gated(), {}, "deploy")).id;
    for (const [method, rest, body] of [
      ["GET", "", undefined],
      ["GET", "/logs", undefined],
      ["GET", "/events", undefined],
      ["POST", "/start", undefined],
      ["POST", "/cancel", undefined],
      ["POST", "/approve", { decision: "approve" }],
      ["POST", "/tasks/p1/build/skip", undefined],
    ] as const) {
      const response = await call(method, nested("audit", run, rest), body);
      expect(response.status, `${method} ${rest}`).toBe(404);
    }
    const view = await call("GET", nested("deploy", run));
    expect(view.body.status).toBe("created");
    expect(view.body.tasks.every((t) => t.status === "pending")).toBe(true);
  });

  it("Should document both forms of every run route", async () => {
    const doc = await api<{ paths: Record<string, Record<string, unknown>> }>(
      "GET",
      "/v1/openapi.json",
    );
    const flat = Object.keys(doc.body.paths).filter((p) => p.includes("/processes/runs/{run}"));
    expect(flat.length).toBe(10);
    for (const path of flat) {
      const twin = path.replace("/processes/runs/{run}", "/processes/{process}/runs/{run}");
      expect(Object.keys(doc.body.paths[twin] ?? {}), twin).toEqual(
        Object.keys(doc.body.paths[path] ?? {}),
      );
    }
  });
});

describe("run events from the start", () => {
  it("Should replay a run's events from its start without a cursor, on both paths", async () => {
    const run = (await createRun(ctx, specOf([sh("a", "echo a")]), {}, "deploy")).id;
    await control(ctx, run, "start");
    await drive(ctx, run);
    for (const path of [
      `/v1/workspaces/${ctx.ws}/processes/runs/${run}/events`,
      nested("deploy", run, "/events"),
    ]) {
      const response = await dispatch(
        new Request(`https://api.test${path}`, {
          headers: { authorization: `Bearer ${ctx.account.key}` },
        }),
      );
      expect(response.status).toBe(200);
      const reader = new SseReader(response);
      const types: string[] = [];
      for (;;) {
        const frame = await reader.next(5_000);
        if (!frame) break;
        if (frame.event !== "workspace-event" || !frame.data) continue;
        const event = WorkspaceEventSchema.parse(JSON.parse(frame.data));
        types.push(event.type);
        if (event.type === "process.run.finished") break;
      }
      await response.body?.cancel().catch(() => undefined);
      expect(types[0]).toBe("process.run.created");
      expect(types.at(-1)).toBe("process.run.finished");
    }
  });
});
