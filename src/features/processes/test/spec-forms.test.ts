import { describe, expect, it } from "vitest";
import { api } from "../../../../test/helpers";
import {
  createRun,
  detailsOf,
  drive,
  freshWorkspaceEachTest,
  type RunView,
  ref,
  sh,
  startRun,
  taskAction,
  taskOf,
} from "./process-helpers";

// Specs as a client writes them from the text alone: no `version`, phases without ids
// (or named), the aliases clients guess for a task's main key — and each kind's `with` checked
// at creation, so a typo is a 400 naming the field rather than a failure once the run is going.

const ctx = freshWorkspaceEachTest();

const put = (name: string, spec: unknown, extra: Record<string, unknown> = {}) =>
  api<{ spec: { version: number; phases: { id: string; name?: string }[] } }>(
    "PUT",
    `/v1/workspaces/${ctx.ws}/processes/${name}`,
    { key: ctx.account.key, body: { spec, ...extra } },
  );

const postRun = (spec: unknown, inputs: Record<string, unknown> = {}) =>
  api<RunView>("POST", `/v1/workspaces/${ctx.ws}/processes/forms/runs`, {
    key: ctx.account.key,
    body: { spec, inputs },
  });

/** Refused by PUT and by POST run alike, with (at least) these details. */
async function refusedBoth(spec: unknown, details: { field: string; message: RegExp }[]) {
  for (const response of [await put("forms", spec), await postRun(spec)]) {
    expect(response.status, JSON.stringify(response.body)).toBe(400);
    const got = detailsOf(response.body) as { field: string; message: string }[];
    for (const detail of details) {
      const found = got.find((d) => d.field === detail.field && detail.message.test(d.message));
      expect(found, `${detail.field} ${detail.message} in ${JSON.stringify(got)}`).toBeDefined();
    }
  }
}

const one = (task: Record<string, unknown>) => ({ phases: [{ tasks: [task] }] });

describe("version", () => {
  it("Should default the version to 1 and still refuse another", async () => {
    const saved = await put("noversion", one({ id: "a", kind: "approval" }));
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    expect(saved.body.spec.version).toBe(1);
    const two = await put("two", { version: 2, ...one({ id: "a", kind: "approval" }) });
    expect(two.status).toBe(400);
    expect(JSON.stringify(detailsOf(two.body))).toContain('"field":"spec.version"');
  });
});

describe("the OpenAPI document", () => {
  it("Should show version and a phase's id as optional", async () => {
    const doc = await api<{ components: { schemas: Record<string, { required?: string[] }> } }>(
      "GET",
      "/v1/openapi.json",
    );
    expect(doc.body.components.schemas.ProcessSpec?.required).toEqual(["phases"]);
    expect(doc.body.components.schemas.ProcessPhaseSpec?.required).toEqual(["tasks"]);
  });
});

describe("phase ids", () => {
  it("Should take a phase's name as its id, else p1, p2… by position, and serve the task routes under it", async () => {
    const spec = {
      phases: [
        { name: "build", tasks: [sh("compile", "echo built")] },
        { tasks: [sh("flaky", "exit 1")] },
        { name: "Deploy Stage!", tasks: [sh("ship", "true")] },
        { name: "—", tasks: [sh("last", "true")] },
      ],
    };
    const saved = await put("positional", spec);
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    // A name that is no id is made one; one that leaves nothing falls back to its position.
    expect(saved.body.spec.phases.map((p) => p.id)).toEqual(["build", "p2", "deploy-stage", "p4"]);
    const run = await startRun(ctx, spec);
    const view = await drive(ctx, run);
    expect(view.status).toBe("failed");
    expect(taskOf(view, "compile").phase).toBe("build");
    expect(taskOf(view, "flaky").phase).toBe("p2");
    const skipped = await taskAction(ctx, run, "p2", "flaky", "skip");
    expect(skipped.status, JSON.stringify(skipped.body)).toBe(200);
    expect((await drive(ctx, run)).status).toBe("succeeded");
  });

  it("Should refuse a derived id that duplicates another phase's", async () => {
    await refusedBoth(
      { phases: [{ name: "p2", tasks: [sh("a", "true")] }, { tasks: [sh("b", "true")] }] },
      [{ field: "phases[1].id", message: /duplicate phase id 'p2'/ }],
    );
  });
});

describe("each kind's with, checked at creation", () => {
  it("Should refuse a prompt, command, http, wait or approval input its kind does not take, naming the field", async () => {
    await refusedBoth(one({ id: "ask", kind: "prompt", with: { msg: "hi" } }), [
      { field: "phases[0].tasks[0].with.prompt", message: /a prompt task takes `\{prompt,/ },
      { field: "phases[0].tasks[0].with.msg", message: /Unrecognized key/ },
    ]);
    await refusedBoth(one({ id: "ask", kind: "prompt" }), [
      { field: "phases[0].tasks[0].with.prompt", message: /a prompt task takes/ },
    ]);
    for (const input of [{}, { cmd: "ls" }, { run: "ls", trigger: "greet" }]) {
      const field = "cmd" in input ? "phases[0].tasks[0].with.cmd" : "phases[0].tasks[0].with";
      await refusedBoth(one({ id: "c", kind: "command", with: input }), [
        { field, message: /a command task takes `\{run\}`/ },
      ]);
    }
    await refusedBoth(one({ id: "c", kind: "command", with: { run: "ls", command: "ls" } }), [
      { field: "phases[0].tasks[0].with.command", message: /`command` is an alias of `run`/ },
    ]);
    await refusedBoth(one({ id: "h", kind: "http", with: {} }), [
      { field: "phases[0].tasks[0].with.url", message: /an http task takes `\{url,/ },
    ]);
    await refusedBoth(
      one({ id: "h", kind: "http", with: { url: "https://x.test", method: "GOT" } }),
      [{ field: "phases[0].tasks[0].with.method", message: /an http task takes/ }],
    );
    await refusedBoth(one({ id: "w", kind: "wait", with: { duration_s: 1 } }), [
      { field: "phases[0].tasks[0].with.duration_s", message: /a wait task takes `\{seconds\}`/ },
    ]);
    await refusedBoth(one({ id: "g", kind: "approval", with: { text: "ok?" } }), [
      { field: "phases[0].tasks[0].with.text", message: /an approval task takes `\{message\?\}`/ },
    ]);
  });

  it("Should let a template stand where a value of another type is expected", async () => {
    const inputSchema = {
      properties: { method: { type: "string" }, delay: { type: "number" } },
    };
    const spec = {
      phases: [
        {
          tasks: [
            { id: "w", kind: "wait", with: { seconds: ref("inputs.delay") } },
            {
              id: "h",
              kind: "http",
              with: { url: "https://x.test", method: ref("inputs.method") },
            },
          ],
        },
      ],
    };
    const saved = await put("templated", spec, { input_schema: inputSchema });
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
  });

  it("Should run `command` as an alias of `run`, and `message` as one of `prompt`", async () => {
    const spec = {
      phases: [
        {
          tasks: [
            { id: "c", kind: "command", with: { command: "echo aliased" } },
            { id: "ask", kind: "prompt", with: { message: "say hi" } },
          ],
        },
      ],
    };
    const created = await createRun(ctx, spec);
    // Stored under the kind's own key.
    const stored = (created as unknown as { spec: typeof spec }).spec.phases[0]?.tasks;
    expect(stored?.map((t) => t.with)).toEqual([{ run: "echo aliased" }, { prompt: "say hi" }]);
    const run = await startRun(ctx, spec);
    const view = await drive(ctx, run);
    expect(view.status, JSON.stringify(view.tasks)).toBe("succeeded");
    expect((view.outputs.c as { stdout: string }).stdout).toBe("aliased\n");
    expect((view.outputs.ask as { text: string }).text).toContain("say hi");
  });
});

describe("inputs fixed at creation", () => {
  it("Should refuse a run whose template names an optional input it was not given", async () => {
    const spec = one(sh("tag", `echo ${ref("inputs.tag")}`));
    const saved = await put("tagged", spec, {
      input_schema: { properties: { tag: { type: "string" } } },
    });
    expect(saved.status).toBe(201);
    const post = (inputs: Record<string, unknown>) =>
      api<RunView>("POST", `/v1/workspaces/${ctx.ws}/processes/tagged/runs`, {
        key: ctx.account.key,
        body: { inputs },
      });
    const missing = await post({});
    expect(missing.status).toBe(400);
    expect(detailsOf(missing.body)).toEqual([
      {
        field: "inputs.tag",
        message:
          "task 'tag' references input 'tag', which the run was not given and has no default",
      },
    ]);
    expect((await post({ tag: "v1" })).status).toBe(201);
  });
});
