import { z } from "@hono/zod-openapi";
import { ApiError } from "../errors";
import { type InputSchema, isDeclaredInput } from "./input-schema";
import { templateRefs } from "./templates";
import { literalSecondsProblem } from "./timed-tasks";

// A process spec, version 1: phases run in order; a phase's tasks run in parallel as their
// `needs` allow. Everything a run needs is in the spec stored with it, so a definition changed
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
          "command: `{trigger, args}` or `{run}`; prompt: `{prompt, model?}`; http: `{url, method?, headers?, body?}`; wait: `{seconds}` (a number or a template giving one); approval: `{message?}`. " +
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the template syntax, documented
          "Strings may hold `${{ inputs.x }}` and `${{ tasks.<id>.output.y }}`",
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
  .openapi("ProcessTaskSpec");
export type TaskSpec = z.infer<typeof TaskSpecSchema>;

export const PhaseSpecSchema = z
  .object({ id: IdSchema, tasks: z.array(TaskSpecSchema).min(1).max(1000) })
  .strict()
  .openapi("ProcessPhaseSpec");

export const ProcessSpecSchema = z
  .object({
    version: z.literal(1),
    concurrency: z.number().int().min(1).max(32).default(4).openapi({
      description: "The most tasks of the run running at once",
    }),
    phases: z.array(PhaseSpecSchema).min(1).max(100),
  })
  .strict()
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
 * earlier phase, no cycle, a wait's literal seconds a number of seconds, and every template
 * naming a declared input or a task the referencing task needs (directly or through others).
 * Throws a 400 naming each offender.
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
      // A template's value is checked when the wait starts; a literal one can be now.
      const seconds = literalSecondsProblem(task);
      if (seconds) {
        problems.push({ field: `${at}.with.seconds`, message: `task '${task.id}': ${seconds}` });
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
            message: tasks.has(ref.task)
              ? `task '${task.id}' references the output of '${ref.task}', which it does not need`
              : `task '${task.id}' references unknown task '${ref.task}'`,
          });
        }
      }
    });
  });
  if (problems.length > 0) throw invalid(problems);
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
