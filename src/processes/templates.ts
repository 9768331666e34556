// Templates in a task's `with`: `${{ inputs.name }}` and `${{ tasks.<id>.output[.path] }}`.
// A string that is one template and nothing else takes the referenced value as is (a number
// stays a number, an object an object); inside longer text the value is written as text
// (JSON for objects). A reference to something absent renders as an empty string / null.

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
  outputs: Record<string, unknown>;
}

function lookup(ref: TemplateRef, context: TemplateContext): unknown {
  if (ref.kind === "input") return context.inputs[ref.name] ?? null;
  if (ref.kind === "invalid") return null;
  let value: unknown = context.outputs[ref.task] ?? null;
  for (const key of ref.path) {
    value =
      value && typeof value === "object" ? ((value as Record<string, unknown>)[key] ?? null) : null;
  }
  return value;
}

const asText = (value: unknown) =>
  value === null || value === undefined
    ? ""
    : typeof value === "string"
      ? value
      : JSON.stringify(value);

/** `value` with every template replaced from the run's inputs and the outputs so far. */
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
 * An inline script with its templates turned into variable references (`${__tpl_0}`…) and
 * the values in an environment: a value is never read as script text, so `; rm -rf /` or
 * `$(…)` in an input stays a string, as a command's arguments do.
 */
export function renderScript(
  script: string,
  context: TemplateContext,
): { script: string; env: Record<string, string> } {
  const env: Record<string, string> = {};
  let count = 0;
  const rendered = script.replace(TEMPLATE, (_, expression: string) => {
    const name = `__tpl_${count++}`;
    env[name] = asText(lookup(parseRef(expression), context));
    return `\${${name}}`;
  });
  return { script: rendered, env };
}
