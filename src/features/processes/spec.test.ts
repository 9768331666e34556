// biome-ignore-all lint/suspicious/noTemplateCurlyInString: specs write their templates as ${{ … }}
import { describe, expect, it } from "vitest";
import { ApiError } from "../../http/errors";
import { EMPTY_INPUT_SCHEMA, type InputSchema } from "./input-schema";
import { flattenTasks, type ProcessSpec, ProcessSpecSchema, TaskSpecSchema } from "./spec";
import { ancestors, assertInputsGiven, validateSpec } from "./spec-checks";

// A process spec on its own: what zod fills in and refuses, then what validateSpec refuses
// (duplicates, needs, cycles, each kind's `with`, templates) with every offender named by its
// path, and the helpers the engine walks a spec with.

const cmd = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  kind: "command",
  with: { run: `echo ${id}` },
  ...extra,
});

const parse = (raw: unknown): ProcessSpec => ProcessSpecSchema.parse(raw);
const phases = (...lists: unknown[][]) => parse({ phases: lists.map((tasks) => ({ tasks })) });

const INPUTS: InputSchema = {
  type: "object",
  properties: { name: { type: "string" } },
  required: [],
};

/** The 400's details, or null when the spec is valid. */
const problems = (spec: ProcessSpec, inputs: InputSchema = EMPTY_INPUT_SCHEMA) => {
  try {
    validateSpec(spec, inputs);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    expect(error.status).toBe(400);
    expect(error.code).toBe("invalid_request");
    const details = error.details as { field: string; message: string }[];
    expect(error.message).toBe(`the spec is not valid: ${details[0]?.message}`);
    return details;
  }
  return null;
};

describe("ProcessSpecSchema", () => {
  it("Should fill in the defaults of a spec and of its tasks", () => {
    const spec = phases([{ id: "a", kind: "approval" }]);
    expect(spec).toEqual({
      version: 1,
      concurrency: 4,
      phases: [
        {
          id: "p1",
          tasks: [
            {
              id: "a",
              kind: "approval",
              with: {},
              needs: [],
              retry: { max: 0, backoff_s: 0 },
              timeout_s: null,
              continue_on_error: false,
            },
          ],
        },
      ],
    });
  });

  it("Should give every phase an id: its own, its name's slug, else p1, p2… by position", () => {
    const spec = parse({
      phases: [
        { id: "build", tasks: [cmd("a")] },
        { name: "Deploy Stage", tasks: [cmd("b")] },
        { tasks: [cmd("c")] },
        { name: "!!!", tasks: [cmd("d")] },
      ],
    });
    expect(spec.phases.map((phase) => phase.id)).toEqual(["build", "deploy-stage", "p3", "p4"]);
    expect(spec.phases[1]).toMatchObject({ name: "Deploy Stage" });
    expect(spec.phases[2]).not.toHaveProperty("name");
  });

  it("Should store an alias under its key: `command` as `run`, `message` as `prompt`", () => {
    const command = TaskSpecSchema.parse({ id: "a", kind: "command", with: { command: "ls" } });
    expect(command.with).toEqual({ run: "ls" });
    const prompt = TaskSpecSchema.parse({ id: "b", kind: "prompt", with: { message: "hi" } });
    expect(prompt.with).toEqual({ prompt: "hi" });
    // Both given: left as sent, for validateSpec to refuse.
    const both = TaskSpecSchema.parse({
      id: "c",
      kind: "command",
      with: { command: "a", run: "b" },
    });
    expect(both.with).toEqual({ command: "a", run: "b" });
  });

  it.each([
    ["no phases", { phases: [] }, ["phases"]],
    ["a phase without tasks", { phases: [{ tasks: [] }] }, ["phases", 0, "tasks"]],
    ["version 2", { version: 2, phases: [{ tasks: [cmd("a")] }] }, ["version"]],
    [
      "an unknown kind",
      { phases: [{ tasks: [{ id: "a", kind: "sleep" }] }] },
      ["phases", 0, "tasks", 0, "kind"],
    ],
    ["an id with capitals", { phases: [{ tasks: [cmd("A")] }] }, ["phases", 0, "tasks", 0, "id"]],
    [
      "an unknown key",
      { phases: [{ tasks: [cmd("a", { when: "x" })] }] },
      ["phases", 0, "tasks", 0],
    ],
    ["concurrency 0", { concurrency: 0, phases: [{ tasks: [cmd("a")] }] }, ["concurrency"]],
    [
      "a retry of 21",
      { phases: [{ tasks: [cmd("a", { retry: { max: 21 } })] }] },
      ["phases", 0, "tasks", 0, "retry", "max"],
    ],
    [
      "a zero timeout",
      { phases: [{ tasks: [cmd("a", { timeout_s: 0 })] }] },
      ["phases", 0, "tasks", 0, "timeout_s"],
    ],
  ])("Should refuse %s at its path", (_name, raw, path) => {
    const result = ProcessSpecSchema.safeParse(raw);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path)).toContainEqual(path);
  });
});

describe("validateSpec", () => {
  it("Should accept a good spec: needs within a phase and across phases, templates upstream", () => {
    const spec = parse({
      phases: [
        {
          tasks: [
            cmd("build"),
            cmd("test", { needs: ["build"], with: { run: "echo ${{ tasks.build.output }}" } }),
            { id: "ask", kind: "approval", with: { message: "ok ${{ inputs.name }}?" } },
          ],
        },
        {
          tasks: [
            {
              id: "ping",
              kind: "http",
              with: { url: "https://example.com/${{ tasks.test.output.id }}" },
            },
            { id: "pause", kind: "wait", with: { seconds: 5 }, needs: ["ask"] },
            { id: "sum", kind: "prompt", with: { prompt: "Summarise ${{ tasks.build.output }}" } },
          ],
        },
      ],
    });
    expect(problems(spec, INPUTS)).toBeNull();
  });

  it("Should name every duplicate phase and task id", () => {
    const spec = parse({
      phases: [
        { id: "x", tasks: [cmd("a"), cmd("a")] },
        { id: "x", tasks: [cmd("b"), cmd("a")] },
      ],
    });
    expect(problems(spec)).toEqual([
      { field: "phases[0].tasks[1].id", message: "duplicate task id 'a'" },
      { field: "phases[1].id", message: "duplicate phase id 'x'" },
      { field: "phases[1].tasks[1].id", message: "duplicate task id 'a'" },
    ]);
  });

  it("Should refuse a need of an unknown task and of a task in a later phase", () => {
    const spec = phases([cmd("a", { needs: ["ghost", "b"] })], [cmd("b")]);
    expect(problems(spec)).toEqual([
      { field: "phases[0].tasks[0].needs", message: "task 'a' needs unknown task 'ghost'" },
      {
        field: "phases[0].tasks[0].needs",
        message: "task 'a' needs 'b', which is in a later phase",
      },
    ]);
  });

  it("Should refuse a cycle, naming the tasks along it", () => {
    const spec = phases([
      cmd("a", { needs: ["c"] }),
      cmd("b", { needs: ["a"] }),
      cmd("c", { needs: ["b"] }),
    ]);
    expect(problems(spec)).toEqual([
      { field: "phases", message: "the needs form a cycle: a → c → b → a" },
    ]);
    expect(problems(phases([cmd("a", { needs: ["a"] })]))).toEqual([
      { field: "phases", message: "the needs form a cycle: a → a" },
    ]);
  });

  it.each([
    ["a command with neither run nor trigger", "command", {}, ""],
    ["a command with both run and trigger", "command", { run: "ls", trigger: "t" }, ""],
    ["args with an inline script", "command", { run: "ls", args: { a: 1 } }, ".args"],
    ["an unknown key of a command", "command", { run: "ls", shell: "zsh" }, ".shell"],
    ["a prompt without its text", "prompt", {}, ".prompt"],
    ["an http task without a url", "http", {}, ".url"],
    ["an http method of another kind", "http", { url: "https://x", method: "FETCH" }, ".method"],
    ["a wait without seconds", "wait", {}, ".seconds"],
    ["a wait of a word", "wait", { seconds: "soon" }, ".seconds"],
    ["an approval with another key", "approval", { timeout: 5 }, ".timeout"],
  ])("Should refuse %s, naming the field under `with`", (_name, kind, input, path) => {
    const found = problems(phases([{ id: "t", kind, with: input }]));
    expect(found?.[0]?.field).toBe(`phases[0].tasks[0].with${path}`);
    expect(found?.[0]?.message).toMatch(new RegExp(`^task 't': .*; an? ${kind} task takes `));
  });

  it("Should let a template stand where a value of another type is expected", () => {
    // Seconds given by a template: known only when the task runs, checked then.
    const spec = phases([{ id: "w", kind: "wait", with: { seconds: "${{ inputs.name }}" } }]);
    expect(problems(spec, INPUTS)).toBeNull();
  });

  it("Should refuse templates naming an undeclared input, an unknown task, or none readable", () => {
    const spec = phases([
      cmd("a", { with: { run: "echo ${{ inputs.missing }}" } }),
      cmd("b", { with: { run: "echo ${{ tasks.ghost.output }}" } }),
      cmd("c", { with: { run: "echo ${{ nonsense }}" } }),
    ]);
    expect(problems(spec, INPUTS)).toEqual([
      {
        field: "phases[0].tasks[0].with",
        message: "task 'a' references input 'missing', which the input schema does not declare",
      },
      { field: "phases[0].tasks[1].with", message: "task 'b' references unknown task 'ghost'" },
      { field: "phases[0].tasks[2].with", message: "task 'c': cannot read template 'nonsense'" },
    ]);
  });

  it("Should refuse reading a task of the same phase not needed, or of a later phase", () => {
    const spec = phases(
      [cmd("a"), cmd("b", { with: { run: "echo ${{ tasks.a.output }} ${{ tasks.c.output }}" } })],
      [cmd("c")],
    );
    expect(problems(spec)).toEqual([
      {
        field: "phases[0].tasks[1].with",
        message:
          "task 'b' references the output of 'a', which it does not need (a task of the same phase is read only through `needs`)",
      },
      {
        field: "phases[0].tasks[1].with",
        message: "task 'b' references the output of 'c', which runs in a later phase",
      },
    ]);
  });

  it("Should accept reading a task needed through another, and any task of an earlier phase", () => {
    const spec = phases(
      [
        cmd("a"),
        cmd("b", { needs: ["a"] }),
        cmd("c", { needs: ["b"], with: { run: "${{ tasks.a.output }}" } }),
      ],
      [cmd("d", { with: { run: "${{ tasks.c.output.x }}" } })],
    );
    expect(problems(spec)).toBeNull();
  });

  it("Should find templates in keys and nested values too", () => {
    const spec = phases([
      {
        id: "h",
        kind: "http",
        with: { url: "https://x", body: { "${{ inputs.k }}": ["${{ inputs.v }}"] } },
      },
    ]);
    expect(problems(spec)?.map((problem) => problem.message)).toEqual([
      "task 'h' references input 'k', which the input schema does not declare",
      "task 'h' references input 'v', which the input schema does not declare",
    ]);
  });
});

describe("assertInputsGiven", () => {
  const spec = phases([cmd("a", { with: { run: "echo ${{ inputs.name }} ${{ inputs.other }}" } })]);

  it("Should pass when every input a template names was given (null counts as given)", () => {
    expect(() => assertInputsGiven(spec, { name: "x", other: null })).not.toThrow();
  });

  it("Should name each input not given", () => {
    let thrown: unknown;
    try {
      assertInputsGiven(spec, { name: "x" });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ApiError);
    expect((thrown as ApiError).status).toBe(400);
    expect((thrown as ApiError).details).toEqual([
      {
        field: "inputs.other",
        message:
          "task 'a' references input 'other', which the run was not given and has no default",
      },
    ]);
  });
});

describe("walking a spec", () => {
  const spec = phases(
    [cmd("a"), cmd("b", { needs: ["a"] }), cmd("c", { needs: ["b"] })],
    [cmd("d", { needs: ["a"] })],
  );

  it("Should give every task a task needs, directly or not", () => {
    const tasks = new Map(flattenTasks(spec).map(({ task }) => [task.id, task]));
    expect([...ancestors("c", tasks)].sort()).toEqual(["a", "b"]);
    expect([...ancestors("d", tasks)]).toEqual(["a"]);
    expect(ancestors("a", tasks).size).toBe(0);
    expect(ancestors("ghost", tasks).size).toBe(0);
  });

  it("Should flatten the tasks phase by phase, with their phase", () => {
    expect(flattenTasks(spec).map(({ phase, index, task }) => [phase, index, task.id])).toEqual([
      ["p1", 0, "a"],
      ["p1", 0, "b"],
      ["p1", 0, "c"],
      ["p2", 1, "d"],
    ]);
  });
});
