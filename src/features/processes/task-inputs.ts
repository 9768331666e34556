import type { z } from "@hono/zod-openapi";
import { PROMPT_TAKES, PromptWithSchema } from "./prompt-task";
import type { TaskKind } from "./spec";
import { COMMAND_TAKES, CommandWithSchema, HTTP_TAKES, HttpWithSchema } from "./task-runners";
import { templateRefs } from "./templates";
import { APPROVAL_TAKES, ApprovalWithSchema, WAIT_TAKES, WaitWithSchema } from "./timed-tasks";

// What each kind of task takes as `with`, checked when a spec is saved or a run created (so a
// typo is a 400, not a failure minutes into a run). The schemas are the runners' own — the
// same ones each runner parses its rendered input with — so there is one definition of each
// kind's input. A template may stand where any value is expected: its value is known only when
// the task runs, and is checked then.

const KIND_INPUTS: Record<TaskKind, { schema: z.ZodType; takes: string }> = {
  command: { schema: CommandWithSchema, takes: COMMAND_TAKES },
  prompt: { schema: PromptWithSchema, takes: PROMPT_TAKES },
  http: { schema: HttpWithSchema, takes: HTTP_TAKES },
  wait: { schema: WaitWithSchema, takes: WAIT_TAKES },
  approval: { schema: ApprovalWithSchema, takes: APPROVAL_TAKES },
};

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

const fieldOf = (path: readonly PropertyKey[]) =>
  path.map((key) => (typeof key === "number" ? `[${key}]` : `.${String(key)}`)).join("");

/**
 * The problems with a task's `with` for its kind: `path` under `with` (".seconds", "" for the
 * whole) and a message saying what the kind takes. An issue at a string holding a template is
 * not one (the rendered value is checked as the task runs).
 */
export function withProblems(
  kind: TaskKind,
  input: Record<string, unknown>,
): { path: string; message: string }[] {
  const { schema, takes } = KIND_INPUTS[kind];
  const parsed = schema.safeParse(input);
  if (parsed.success) return [];
  return parsed.error.issues
    .filter((issue) => {
      const value = valueAt(input, issue.path);
      return !(typeof value === "string" && templateRefs(value).length > 0);
    })
    .map((issue) => ({
      // An unknown key is named itself (`with.duration_s`), not the object holding it.
      path: fieldOf(
        issue.code === "unrecognized_keys"
          ? [...issue.path, ...issue.keys.slice(0, 1)]
          : issue.path,
      ),
      message: `${issue.message}; ${kind === "command" || kind === "prompt" || kind === "wait" ? "a" : "an"} ${kind} task takes ${takes}`,
    }));
}
