import { describe, expect, it } from "vitest";
import { api } from "../../../../test/helpers";
import { EVENT_TYPES } from "../../events/workspace-event";
import {
  control,
  createRun,
  detailsOf,
  drive,
  eventsOf,
  freshWorkspaceEachTest,
  getRun,
  type RunView,
  sh,
  specOf,
  taskAction,
  taskOf,
} from "./process-helpers";

// Every resource with a lifecycle names it `status`: a run's and a task's JSON, the `process.*`
// events (`process.run.status_changed`, `from_status`), a 409's details and the OpenAPI
// document say `status`, never `state`.

const ctx = freshWorkspaceEachTest();

/** Every key at any depth of a JSON value, as `a.b[].c` paths. */
function keyPaths(value: unknown, at = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => keyPaths(item, `${at}[]`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, item]) => {
    const path = at ? `${at}.${key}` : key;
    return [path, ...keyPaths(item, path)];
  });
}

/** The paths whose last key says `state` (`state`, `from_state`, `task_state`…). */
const stateKeys = (value: unknown) =>
  keyPaths(value).filter((path) => /(^|[._])state$/.test(path.replace(/\[\]$/, "")));

// A wait of an hour: the run stays running (its task too) while the test moves it about.
const waiting = () => specOf([{ id: "hold", kind: "wait", with: { seconds: 3600 } }]);

describe("status, not state", () => {
  it("Should name a run's status change `process.run.status_changed`, with `from_status` and `status`", async () => {
    expect(EVENT_TYPES).toContain("process.run.status_changed");
    expect(EVENT_TYPES.filter((type) => type.includes("state"))).toEqual([]);
    const run = (await createRun(ctx, waiting())).id;
    expect((await control(ctx, run, "start")).body.status).toBe("running");
    await drive(ctx, run, (v) => taskOf(v, "hold").status === "running");
    expect((await control(ctx, run, "pause")).body.status).toBe("paused");
    expect((await control(ctx, run, "resume")).body.status).toBe("running");
    expect((await control(ctx, run, "cancel")).body.status).toBe("canceled");
    const events = (await eventsOf(ctx, "process.")).filter((e) => e.data.run_id === run);
    expect(
      events
        .filter((e) => e.type.startsWith("process.run."))
        .map((e) => [e.type, e.data.from_status, e.data.status]),
    ).toEqual([
      ["process.run.created", null, "created"],
      ["process.run.started", "created", "running"],
      ["process.run.status_changed", "running", "paused"],
      ["process.run.status_changed", "paused", "running"],
      ["process.run.status_changed", "running", "canceled"],
      ["process.run.finished", "running", "canceled"],
    ]);
    const tasks = events.filter((e) => e.type.startsWith("process.task."));
    expect(tasks.length).toBeGreaterThan(0);
    for (const event of tasks) expect(event.data).toHaveProperty("status");
    expect(events.flatMap((e) => stateKeys(e.data))).toEqual([]);
  });

  it("Should answer `status` and never a `state` key in runs, tasks, lists and 409 details", async () => {
    const created = await createRun(ctx, specOf([sh("a", "echo a")], [sh("b", "exit 3")]), {
      metadata: { team: "core" },
    });
    expect(created.status).toBe("created");
    expect(created.tasks.map((t) => t.status)).toEqual(["pending", "pending"]);
    const refused = await control(ctx, created.id, "pause");
    expect(refused.status).toBe(409);
    expect(detailsOf(refused.body)).toMatchObject({ status: "created", action: "pause" });
    const started = await control(ctx, created.id, "start");
    const done = await drive(ctx, created.id);
    expect(done.status).toBe("failed");
    expect(done.tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "succeeded"],
      ["b", "failed"],
    ]);
    const skipA = await taskAction(ctx, created.id, "p1", "a", "skip");
    expect(skipA.status).toBe(409);
    expect(detailsOf(skipA.body)).toMatchObject({
      task_status: "succeeded",
      run_status: "failed",
    });
    const list = await api<{ items: RunView[] }>(
      "GET",
      `/v1/workspaces/${ctx.ws}/processes/test/runs`,
      { key: ctx.account.key },
    );
    expect(list.status).toBe(200);
    expect(list.body.items.map((r) => [r.id, r.status])).toEqual([[created.id, "failed"]]);
    const answers = [
      created,
      refused.body,
      started.body,
      done,
      await getRun(ctx, created.id),
      skipA.body,
      list.body,
    ];
    expect(answers.flatMap((answer) => stateKeys(answer))).toEqual([]);
  });

  it("Should document `status` on the run, its summary, its tasks and the process events", async () => {
    type Schema = { properties?: Record<string, unknown>; allOf?: Schema[]; $ref?: string };
    const doc = await api<{ components: { schemas: Record<string, Schema> } }>(
      "GET",
      "/v1/openapi.json",
    );
    const schemas = doc.body.components.schemas;
    // A schema's properties, its `allOf` parts' (an extended schema refers to its base) included.
    const propertiesOf = (schema: Schema | undefined): string[] => {
      if (!schema) return [];
      const base = schema.$ref ? propertiesOf(schemas[schema.$ref.split("/").at(-1) ?? ""]) : [];
      return [
        ...base,
        ...Object.keys(schema.properties ?? {}),
        ...(schema.allOf ?? []).flatMap(propertiesOf),
      ];
    };
    for (const name of ["ProcessRun", "ProcessRunSummary", "ProcessTask"]) {
      expect(propertiesOf(schemas[name]), name).toContain("status");
      expect(propertiesOf(schemas[name]), name).not.toContain("state");
    }
    const processSchemas = Object.entries(schemas).filter(([name]) => name.startsWith("Process"));
    expect(stateKeys(Object.fromEntries(processSchemas))).toEqual([]);
    // The events' data shapes, inside the WorkspaceEvent union: `from_status`, never `from_state`.
    const events = JSON.stringify(schemas.WorkspaceEvent);
    expect(events).toContain("process.run.status_changed");
    expect(events).toContain('"from_status"');
    expect(events).not.toContain("state_changed");
    expect(events).not.toContain('"from_state"');
  });
});
