import { referVariables } from "../commands/shell-references";
import type { RunRow, TaskRow } from "./process-store";
import type { TaskSpec } from "./spec";

// Templates in a task's `with`: `${{ inputs.name }}` and `${{ tasks.<id>.output[.path] }}`.
// A string that is one template and nothing else takes the referenced value as is (a number
// stays a number, an object an object); inside longer text the value is written as text
// (JSON for objects). A path under `output` that is not a key of the output is looked up under
// `output.json` (what the task printed last as JSON), so `tasks.a.output.artifact` reads
// `{"artifact": …}` printed by `a`. A reference that resolves to nothing (a task with no output,
// a key neither has, an input not given) is an error naming it — the task fails rather than
// run with an empty string in its place. A key present with the value null is null ("" in text).

const TEMPLATE = /\$\{\{\s*([^}]*?)\s*\}\}/g;
const WHOLE = /^\$\{\{\s*([^}]*?)\s*\}\}$/;
const INPUT_REF = /^inputs\.([A-Za-z_][A-Za-z0-9_]*)$/;
const TASK_REF = /^tasks\.([a-z0-9][a-z0-9_-]*)\.output((?:\.[A-Za-z0-9_-]+)*)$/;

export type TemplateRef =
  | { kind: "input"; name: string; text: string }
  | { kind: "task"; task: string; path: string[]; text: string }
  | { kind: "invalid"; text: string };

export function parseRef(expression: string): TemplateRef {
  const input = expression.match(INPUT_REF);
  if (input) return { kind: "input", name: input[1] as string, text: expression };
  const task = expression.match(TASK_REF);
  if (task) {
    const path = (task[2] ?? "").split(".").filter(Boolean);
    return { kind: "task", task: task[1] as string, path, text: expression };
  }
  return { kind: "invalid", text: expression };
}

function strings(value: unknown, out: string[]): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, out);
  else if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      out.push(key);
      strings(item, out);
    }
  }
  return out;
}

/** Every template reference in a value (strings, at any depth, keys included). */
export function templateRefs(value: unknown): TemplateRef[] {
  return strings(value, []).flatMap((text) =>
    [...text.matchAll(TEMPLATE)].map((match) => parseRef(match[1] as string)),
  );
}

export interface TemplateContext {
  inputs: Record<string, unknown>;
  /** The outputs tasks may read: succeeded ones', and failed ones' with continue_on_error. */
  outputs: Record<string, unknown>;
  /** Every task's status, to say why a task has no output (skipped, failed…). */
  statuses: Record<string, string>;
}

/** Why a template could not be rendered: the task that holds it fails with this message. */
export class TemplateError extends Error {}

const ABSENT = Symbol("absent");

function walk(start: unknown, path: string[]): unknown {
  let value = start;
  for (const key of path) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return ABSENT;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function lookup(ref: TemplateRef, context: TemplateContext): unknown {
  const fail = (why: string): never => {
    throw new TemplateError(`\`\${{ ${ref.text} }}\` resolves to nothing: ${why}`);
  };
  if (ref.kind === "invalid") return fail("not a template this engine reads");
  if (ref.kind === "input") {
    if (!Object.hasOwn(context.inputs, ref.name)) {
      return fail(`input '${ref.name}' was not given and has no default`);
    }
    return context.inputs[ref.name];
  }
  if (!Object.hasOwn(context.outputs, ref.task)) {
    return fail(`task '${ref.task}' has no output (${context.statuses[ref.task] ?? "not run"})`);
  }
  const output = context.outputs[ref.task];
  const direct = walk(output, ref.path);
  if (direct !== ABSENT) return direct;
  const first = ref.path[0];
  const isKey =
    first !== undefined &&
    output !== null &&
    typeof output === "object" &&
    Object.hasOwn(output, first);
  const printed = isKey ? ABSENT : walk(walk(output, ["json"]), ref.path);
  if (printed !== ABSENT) return printed;
  const at = ref.path.join(".");
  return fail(
    isKey
      ? `the output of '${ref.task}' has no '${at}'`
      : `the output of '${ref.task}' has no '${at}', nor has the JSON it printed last (output.json)`,
  );
}

const asText = (value: unknown) =>
  value === null || value === undefined
    ? ""
    : typeof value === "string"
      ? value
      : JSON.stringify(value);

/**
 * `value` with every template replaced from the run's inputs and the outputs so far; throws a
 * TemplateError naming a reference that resolves to nothing.
 */
export function renderValue(value: unknown, context: TemplateContext): unknown {
  if (typeof value === "string") {
    const whole = value.match(WHOLE);
    if (whole) return lookup(parseRef(whole[1] as string), context);
    return value.replace(TEMPLATE, (_, expression: string) =>
      asText(lookup(parseRef(expression), context)),
    );
  }
  if (Array.isArray(value)) return value.map((item) => renderValue(item, context));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        asText(renderValue(key, context)),
        renderValue(item, context),
      ]),
    );
  }
  return value;
}

/**
 * An inline script with its templates turned into variable references (`${__tpl_0}`…, closing
 * a single quote around one: see shell-references.ts) and the values in an environment: a value is never read as script text, so `; rm -rf /` or
 * `$(…)` in an input stays a string, as a command's arguments do.
 */
export function renderScript(
  script: string,
  context: TemplateContext,
): { script: string; env: Record<string, string> } {
  const env: Record<string, string> = {};
  let count = 0;
  const rendered = referVariables(script, TEMPLATE, (_match, [expression]) => {
    const name = `__tpl_${count++}`;
    env[name] = asText(lookup(parseRef(expression as string), context));
    return name;
  });
  return { script: rendered, env };
}

/**
 * What templates read: the run's inputs and the outputs of the tasks before: a succeeded task's,
 * and a failed one's with continue_on_error when its last attempt recorded one (a command's
 * `{stdout, exit_code, json}`, an http call's `{status, body, json}`). A skipped task has none.
 */
export const contextOf = (
  run: RunRow,
  tasks: TaskRow[],
  specs: Map<string, TaskSpec>,
): TemplateContext => ({
  inputs: run.inputs,
  outputs: Object.fromEntries(
    tasks
      .filter(
        (t) =>
          t.status === "succeeded" ||
          (t.status === "failed" && t.output !== null && specs.get(t.taskId)?.continue_on_error),
      )
      .map((t) => [t.taskId, t.output]),
  ),
  statuses: Object.fromEntries(tasks.map((t) => [t.taskId, t.status])),
});

/** `render()`'s value, or the message of the TemplateError it threw (other errors go on up). */
export function rendered<T>(render: () => T): { value: T } | { error: string } {
  try {
    return { value: render() };
  } catch (error) {
    if (error instanceof TemplateError) return { error: error.message };
    throw error;
  }
}
