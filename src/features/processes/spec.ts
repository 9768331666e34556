import { z } from "@hono/zod-openapi";
import { ApiError } from "../../http/errors";
import { slugOf } from "../../lib/slug";
import { type InputSchema, isDeclaredInput } from "./input-schema";
import { withAliases, withProblems } from "./task-inputs";
import { templateRefs } from "./templates";

// A process spec, version 1 (the default): phases run in order; a phase's tasks run in parallel
// as their `needs` allow. Everything a run needs is in the spec stored with it, so a definition changed
// later does not change a run already created.

const IdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "lowercase letters, digits, '_' or '-', at most 64");

export const TASK_KINDS = ["command", "prompt", "approval", "http", "wait"] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export const TaskSpecSchema = z
  .object({
    id: IdSchema,
    kind: z.enum(TASK_KINDS),
    with: z
      .record(z.string(), z.unknown())
      .default({})
      .openapi({
        description:
          "Checked for the kind at creation (400 naming `phases[i].tasks[j].with…`). command: `{run}` (alias `command`) or `{trigger, args?}`; prompt: `{prompt, model?, thread_id?, tools?, max_steps?}` (alias of `prompt`: `message`); http: `{url, method?, headers?, body?}`; wait: `{seconds}` (a number or a template giving one); approval: `{message?}`. " +
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the template syntax, documented
          "Strings may hold `${{ inputs.x }}` and `${{ tasks.<id>.output.y }}` (a key the output lacks is read from `output.json`, the JSON the task printed last); a template may stand for any value. A reference that resolves to nothing when the task runs fails it",
      }),
    needs: z.array(IdSchema).max(64).default([]),
    retry: z
      .object({
        max: z.number().int().min(0).max(20).default(0),
        backoff_s: z.number().min(0).max(86_400).default(0),
      })
      .strict()
      .default({ max: 0, backoff_s: 0 })
      .openapi({ description: "Attempts after the first, each `backoff_s × 2^(n-1)` later" }),
    timeout_s: z.number().positive().max(86_400).nullable().default(null).openapi({
      description:
        "A command, http or prompt attempt is stopped when it passes; a wait or an approval still open then fails (`timed out after N s`, `approval timed out after N s`). Either failure may be retried per `retry`",
    }),
    continue_on_error: z.boolean().default(false),
  })
  .strict()
  // `command` → `run` for a command, `message` → `prompt` for a prompt: stored under the key.
  .transform((task) => ({ ...task, with: withAliases(task.kind, task.with) }))
  .openapi("ProcessTaskSpec");
export type TaskSpec = z.infer<typeof TaskSpecSchema>;

export const PhaseSpecSchema = z
  .object({
    id: IdSchema.optional().openapi({
      description:
        "The phase's id (the `{phase}` of `…/tasks/{phase}/{task}`); left out: made from its `name`, else `p1`, `p2`… by position",
    }),
    name: z.string().trim().min(1).max(200).optional().openapi({
      description:
        "A label; when `id` is left out, the id is made from it (`Deploy Stage` → `deploy-stage`)",
    }),
    tasks: z.array(TaskSpecSchema).min(1).max(1000),
  })
  .strict()
  .openapi("ProcessPhaseSpec");

export const ProcessSpecSchema = z
  .object({
    version: z.literal(1).default(1).openapi({ description: "The spec's format; only 1 so far" }),
    concurrency: z.number().int().min(1).max(32).default(4).openapi({
      description: "The most tasks of the run running at once",
    }),
    phases: z.array(PhaseSpecSchema).min(1).max(100),
  })
  .strict()
  // Every phase stored with its id, so runs, views and routes only ever read `id`.
  .transform((spec) => ({
    ...spec,
    phases: spec.phases.map(({ id, name, tasks }, p) => ({
      id: id ?? ((name === undefined ? "" : slugOf(name, 64)) || `p${p + 1}`),
      ...(name === undefined ? {} : { name }),
      tasks,
    })),
  }))
  .openapi("ProcessSpec");
export type ProcessSpec = z.infer<typeof ProcessSpecSchema>;

interface Problem {
  field: string;
  message: string;
}

const invalid = (problems: Problem[]) =>
  new ApiError("invalid_request", `the spec is not valid: ${problems[0]?.message}`, {
    details: problems,
  });

/**
 * What zod cannot check: ids unique across the run, `needs` naming a task of the same or an
 * earlier phase, no cycle, each task's `with` what its kind takes, and every template naming a
 * declared input or a task before the referencing one: in an earlier phase (phases run in
 * order), or one it needs (directly or through others). Throws a 400 naming each offender.
 */
export function validateSpec(spec: ProcessSpec, inputs: InputSchema): void {
  const problems: Problem[] = [];
  const phaseOf = new Map<string, number>();
  const tasks = new Map<string, TaskSpec>();
  const phaseIds = new Set<string>();
  spec.phases.forEach((phase, p) => {
    if (phaseIds.has(phase.id)) {
      problems.push({ field: `phases[${p}].id`, message: `duplicate phase id '${phase.id}'` });
    }
    phaseIds.add(phase.id);
    phase.tasks.forEach((task, t) => {
      if (tasks.has(task.id)) {
        problems.push({
          field: `phases[${p}].tasks[${t}].id`,
          message: `duplicate task id '${task.id}'`,
        });
      }
      tasks.set(task.id, task);
      phaseOf.set(task.id, p);
    });
  });
  spec.phases.forEach((phase, p) => {
    phase.tasks.forEach((task, t) => {
      const at = `phases[${p}].tasks[${t}]`;
      for (const problem of withProblems(task.kind, task.with)) {
        problems.push({
          field: `${at}.with${problem.path}`,
          message: `task '${task.id}': ${problem.message}`,
        });
      }
      for (const need of task.needs) {
        const needPhase = phaseOf.get(need);
        if (needPhase === undefined) {
          problems.push({
            field: `${at}.needs`,
            message: `task '${task.id}' needs unknown task '${need}'`,
          });
        } else if (needPhase > p) {
          problems.push({
            field: `${at}.needs`,
            message: `task '${task.id}' needs '${need}', which is in a later phase`,
          });
        }
      }
    });
  });
  if (problems.length > 0) throw invalid(problems);
  const cycle = findCycle(tasks);
  if (cycle) {
    throw invalid([{ field: "phases", message: `the needs form a cycle: ${cycle.join(" → ")}` }]);
  }
  spec.phases.forEach((phase, p) => {
    phase.tasks.forEach((task, t) => {
      const upstream = ancestors(task.id, tasks);
      for (const [id, phaseIndex] of phaseOf) if (phaseIndex < p) upstream.add(id);
      for (const ref of templateRefs(task.with)) {
        const field = `phases[${p}].tasks[${t}].with`;
        if (ref.kind === "invalid") {
          problems.push({
            field,
            message: `task '${task.id}': cannot read template '${ref.text}'`,
          });
        } else if (ref.kind === "input" && !isDeclaredInput(inputs, ref.name)) {
          problems.push({
            field,
            message: `task '${task.id}' references input '${ref.name}', which the input schema does not declare`,
          });
        } else if (ref.kind === "task" && !upstream.has(ref.task)) {
          problems.push({
            field,
            message: !tasks.has(ref.task)
              ? `task '${task.id}' references unknown task '${ref.task}'`
              : (phaseOf.get(ref.task) as number) > p
                ? `task '${task.id}' references the output of '${ref.task}', which runs in a later phase`
                : `task '${task.id}' references the output of '${ref.task}', which it does not need (a task of the same phase is read only through \`needs\`)`,
          });
        }
      }
    });
  });
  if (problems.length > 0) throw invalid(problems);
}

/**
 * Inputs are fixed when a run is created: a template naming one the run was not given (an
 * optional input with no default) would resolve to nothing when its task runs — a 400 now.
 */
export function assertInputsGiven(spec: ProcessSpec, inputs: Record<string, unknown>): void {
  const problems: Problem[] = [];
  for (const phase of spec.phases) {
    for (const task of phase.tasks) {
      for (const ref of templateRefs(task.with)) {
        if (ref.kind !== "input" || Object.hasOwn(inputs, ref.name)) continue;
        problems.push({
          field: `inputs.${ref.name}`,
          message: `task '${task.id}' references input '${ref.name}', which the run was not given and has no default`,
        });
      }
    }
  }
  if (problems.length > 0) {
    throw new ApiError("invalid_request", problems[0]?.message as string, { details: problems });
  }
}

/** Every task `id` needs, directly or through the tasks it needs. */
export function ancestors(id: string, tasks: Map<string, TaskSpec>): Set<string> {
  const seen = new Set<string>();
  const stack = [...(tasks.get(id)?.needs ?? [])];
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(tasks.get(next)?.needs ?? []));
  }
  return seen;
}

/** A cycle of needs as the ids along it (first repeated at the end), or null. */
function findCycle(tasks: Map<string, TaskSpec>): string[] | null {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === "done") return null;
    if (state.get(id) === "open") return [...path.slice(path.indexOf(id)), id];
    state.set(id, "open");
    path.push(id);
    for (const need of tasks.get(id)?.needs ?? []) {
      const found = visit(need);
      if (found) return found;
    }
    path.pop();
    state.set(id, "done");
    return null;
  };
  for (const id of tasks.keys()) {
    const found = visit(id);
    if (found) return found;
  }
  return null;
}

/** The tasks in order (phase by phase) with their phase id. */
export function flattenTasks(
  spec: ProcessSpec,
): { phase: string; index: number; task: TaskSpec }[] {
  return spec.phases.flatMap((phase, p) =>
    phase.tasks.map((task) => ({ phase: phase.id, index: p, task })),
  );
}
