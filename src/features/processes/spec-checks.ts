import { ApiError } from "../../http/errors";
import { type InputSchema, isDeclaredInput } from "./input-schema";
import type { ProcessSpec, TaskSpec } from "./spec";
import { withProblems } from "./task-inputs";
import { templateRefs } from "./templates";

// What zod cannot check in a spec (spec.ts holds its shape): ids unique across the run, `needs`
// that can be met, no cycle, each task's `with` what its kind takes, templates naming what a
// task may read; and, as a run is created, that every input a template names was given.

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
