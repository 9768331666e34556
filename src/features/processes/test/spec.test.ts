import { describe, expect, it } from "vitest";
import { api, expectEnvelope } from "../../../../test/helpers";
import {
  control,
  createRun,
  detailsOf,
  drive,
  freshWorkspaceEachTest,
  ref,
  sh,
  specOf,
} from "./process-helpers";

// Specs and definitions: what is refused at creation (400 naming the offender), saved
// definitions and runs made from them, inputs checked against the input schema, and the run
// state machine's 409s naming the allowed actions.

const ctx = freshWorkspaceEachTest();

const put = (name: string, body: unknown) =>
  api<Record<string, unknown>>("PUT", `/v1/workspaces/${ctx.ws}/processes/${name}`, {
    key: ctx.account.key,
    body,
  });

const refused = async (spec: unknown, needle: RegExp, inputSchema?: unknown) => {
  const response = await put("bad", {
    spec,
    ...(inputSchema ? { input_schema: inputSchema } : {}),
  });
  expect(response.status, JSON.stringify(response.body)).toBe(400);
  const error = expectEnvelope(response.body);
  expect(JSON.stringify(detailsOf(response.body))).toMatch(needle);
  // The same spec given to a run is refused the same way.
  const run = await api("POST", `/v1/workspaces/${ctx.ws}/processes/bad/runs`, {
    key: ctx.account.key,
    body: { spec },
  });
  expect(run.status).toBe(400);
  return error;
};

describe("spec validation", () => {
  it("Should refuse duplicate task ids, naming the id", async () => {
    await refused(specOf([sh("a", "true")], [sh("a", "true")]), /duplicate task id 'a'/);
  });

  it("Should refuse a need of an unknown task", async () => {
    await refused(specOf([sh("a", "true", { needs: ["ghost"] })]), /needs unknown task 'ghost'/);
  });

  it("Should refuse a need of a task in a later phase", async () => {
    await refused(
      specOf([sh("a", "true", { needs: ["b"] })], [sh("b", "true")]),
      /'a' needs 'b', which is in a later phase/,
    );
  });

  it("Should refuse a cycle, naming the tasks along it", async () => {
    const error = await refused(
      specOf([
        sh("a", "true", { needs: ["c"] }),
        sh("b", "true", { needs: ["a"] }),
        sh("c", "true", { needs: ["b"] }),
      ]),
      /cycle/,
    );
    expect(error.message).toMatch(/a → c → b → a|c → b → a → c|b → a → c → b/);
  });

  it("Should refuse a template naming an undeclared input", async () => {
    await refused(
      specOf([sh("a", `echo ${ref("inputs.target")}`)]),
      /references input 'target', which the input schema does not declare/,
    );
  });

  it("Should refuse a template naming a task that is not needed, or none", async () => {
    await refused(
      specOf([sh("a", "echo 1"), sh("b", `echo ${ref("tasks.a.output.stdout")}`)]),
      /'b' references the output of 'a', which it does not need/,
    );
    await refused(
      specOf([sh("b", `echo ${ref("tasks.zz.output")}`)]),
      /'b' references unknown task 'zz'/,
    );
    await refused(
      specOf([sh("b", `echo ${ref("secrets.x")}`)]),
      /cannot read template 'secrets.x'/,
    );
  });

  it("Should accept a reference to a task needed through another", async () => {
    const response = await put("chain", {
      spec: specOf(
        [sh("a", "echo 1")],
        [
          sh("b", "echo 2", { needs: ["a"] }),
          sh("c", `echo ${ref("tasks.a.output.stdout")}`, { needs: ["b"] }),
        ],
      ),
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
  });

  it("Should refuse an unknown kind, a spec without version 1, and an input schema requiring an undeclared property", async () => {
    expect((await put("x", { spec: specOf([{ id: "a", kind: "teleport" }]) })).status).toBe(400);
    expect((await put("x", { spec: { version: 2, phases: [] } })).status).toBe(400);
    const response = await put("x", {
      spec: specOf([sh("a", "true")]),
      input_schema: { properties: {}, required: ["ghost"] },
    });
    expect(response.status).toBe(400);
  });

  it("Should refuse the reserved name 'runs'", async () => {
    expect((await put("runs", { spec: specOf([sh("a", "true")]) })).status).toBe(400);
  });
});

describe("definitions", () => {
  const inputSchema = {
    properties: {
      env: { type: "string" },
      count: { type: "number", default: 3 },
      dry: { type: "boolean" },
    },
    required: ["env"],
  };

  it("Should save, replace, get and list definitions", async () => {
    const spec = specOf([sh("a", `echo ${ref("inputs.env")}`)]);
    const first = await put("deploy", { spec, description: "Ship it", input_schema: inputSchema });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ name: "deploy", description: "Ship it" });
    const again = await put("deploy", {
      spec,
      description: "Ship it again",
      input_schema: inputSchema,
    });
    expect(again.status).toBe(200);
    await put("audit", { spec: specOf([sh("a", "true")]) });
    const got = await api<Record<string, unknown>>(
      "GET",
      `/v1/workspaces/${ctx.ws}/processes/deploy`,
      {
        key: ctx.account.key,
      },
    );
    expect(got.body).toMatchObject({ name: "deploy", description: "Ship it again" });
    const page = await api<{ items: { name: string }[]; next_cursor: string | null }>(
      "GET",
      `/v1/workspaces/${ctx.ws}/processes?limit=1`,
      { key: ctx.account.key },
    );
    expect(page.body.items.map((d) => d.name)).toEqual(["audit"]);
    const next = await api<{ items: { name: string }[]; next_cursor: string | null }>(
      "GET",
      `/v1/workspaces/${ctx.ws}/processes?limit=1&cursor=${page.body.next_cursor}`,
      { key: ctx.account.key },
    );
    expect(next.body.items.map((d) => d.name)).toEqual(["deploy"]);
    const missing = await api("GET", `/v1/workspaces/${ctx.ws}/processes/nope`, {
      key: ctx.account.key,
    });
    expect(missing.status).toBe(404);
  });

  it("Should create a run from the saved definition with inputs checked and defaults applied", async () => {
    await put("deploy", {
      spec: specOf([sh("a", `echo ${ref("inputs.env")}`)]),
      input_schema: inputSchema,
    });
    const post = (inputs: unknown) =>
      api<{ id: string; status: string; inputs: Record<string, unknown>; error?: unknown }>(
        "POST",
        `/v1/workspaces/${ctx.ws}/processes/deploy/runs`,
        { key: ctx.account.key, body: { inputs, metadata: { ticket: "T-1" } } },
      );
    const missing = await post({});
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toMatch(/input 'env' is required/);
    const mistyped = await post({ env: "prod", dry: "yes" });
    expect(mistyped.status).toBe(400);
    expect(JSON.stringify(mistyped.body)).toMatch(/inputs\.dry/);
    const unknown = await post({ env: "prod", region: "eu" });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toMatch(/unknown input 'region'/);
    const created = await post({ env: "prod" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: "created", inputs: { env: "prod", count: 3 } });
    const view = await drive(
      ctx,
      await control(ctx, created.body.id, "start").then(() => created.body.id),
    );
    expect(view.status).toBe("succeeded");
    expect((view.outputs.a as { stdout: string }).stdout).toBe("prod\n");
  });

  it("Should take inputs for a run given its own spec: the given ones, or its own input_schema", async () => {
    const spec = specOf([sh("a", `echo ${ref("inputs.env")}`)]);
    const post = (body: Record<string, unknown>) =>
      api<{ id: string; inputs: Record<string, unknown> }>(
        "POST",
        `/v1/workspaces/${ctx.ws}/processes/adhoc/runs`,
        { key: ctx.account.key, body: { spec, ...body } },
      );
    // No definition saved: the inputs given are what the spec may name.
    const given = await post({ inputs: { env: "dev" } });
    expect(given.status, JSON.stringify(given.body)).toBe(201);
    const view = await drive(
      ctx,
      await control(ctx, given.body.id, "start").then(() => given.body.id),
    );
    expect((view.outputs.a as { stdout: string }).stdout).toBe("dev\n");
    // Naming an input not given is refused at creation, naming it.
    const missing = await post({ inputs: {} });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toContain("references input 'env'");
    // A schema given with the run: checked, and its defaults applied.
    const schema = { properties: { env: { type: "string", default: "qa" } } };
    const defaulted = await post({ input_schema: schema });
    expect(defaulted.status).toBe(201);
    expect(defaulted.body.inputs).toEqual({ env: "qa" });
    const mistyped = await post({ input_schema: schema, inputs: { env: 3 } });
    expect(mistyped.status).toBe(400);
    expect(JSON.stringify(mistyped.body)).toMatch(/inputs\.env/);
  });

  it("Should answer 404 for a run of an unknown process without a spec, and list runs newest first with a cursor", async () => {
    const none = await api("POST", `/v1/workspaces/${ctx.ws}/processes/ghost/runs`, {
      key: ctx.account.key,
      body: {},
    });
    expect(none.status).toBe(404);
    const spec = specOf([sh("a", "true")]);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await createRun(ctx, spec, {}, "listed")).id);
    const page = await api<{ items: { id: string }[]; next_cursor: string }>(
      "GET",
      `/v1/workspaces/${ctx.ws}/processes/listed/runs?limit=2`,
      { key: ctx.account.key },
    );
    expect(page.body.items.map((r) => r.id)).toEqual([ids[2], ids[1]]);
    const rest = await api<{ items: { id: string }[]; next_cursor: string | null }>(
      "GET",
      `/v1/workspaces/${ctx.ws}/processes/listed/runs?limit=2&cursor=${page.body.next_cursor}`,
      { key: ctx.account.key },
    );
    expect(rest.body.items.map((r) => r.id)).toEqual([ids[0]]);
    expect(rest.body.next_cursor).toBeNull();
  });
});

describe("illegal transitions", () => {
  it("Should answer 409 naming the allowed actions, from created and from a finished run", async () => {
    const run = await createRun(ctx, specOf([sh("a", "true")]));
    for (const action of ["pause", "resume"]) {
      const response = await control(ctx, run.id, action);
      expect(response.status).toBe(409);
      expect(expectEnvelope(response.body).code).toBe("conflict");
      expect(detailsOf(response.body)).toMatchObject({
        status: "created",
        action,
        allowed_actions: ["start", "cancel"],
      });
    }
    const approve = await control(ctx, run.id, "approve", { decision: "approve" });
    expect(approve.status).toBe(409);
    await control(ctx, run.id, "start");
    expect((await control(ctx, run.id, "start")).status).toBe(409);
    const done = await drive(ctx, run.id);
    expect(done.status).toBe("succeeded");
    expect(done.allowed_actions).toEqual([]);
    for (const action of ["start", "pause", "resume", "cancel"]) {
      const response = await control(ctx, run.id, action);
      expect(response.status).toBe(409);
      expect(detailsOf(response.body)).toMatchObject({ allowed_actions: [] });
    }
    const retry = await api(
      "POST",
      `/v1/workspaces/${ctx.ws}/processes/runs/${run.id}/tasks/p1/a/retry`,
      {
        key: ctx.account.key,
      },
    );
    expect(retry.status).toBe(409);
    expect(detailsOf(retry.body)).toMatchObject({
      task_status: "succeeded",
      allowed_actions: [],
    });
    const wrongPhase = await api(
      "POST",
      `/v1/workspaces/${ctx.ws}/processes/runs/${run.id}/tasks/p9/a/skip`,
      {
        key: ctx.account.key,
      },
    );
    expect(wrongPhase.status).toBe(404);
  });

  it("Should answer 404 for an unknown run", async () => {
    const response = await api(
      "GET",
      `/v1/workspaces/${ctx.ws}/processes/runs/run_00000000000000000000000000`,
      {
        key: ctx.account.key,
      },
    );
    expect(response.status).toBe(404);
  });
});
