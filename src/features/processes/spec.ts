import { z } from "@hono/zod-openapi";
import { slugOf } from "../../lib/slug";

// A process spec, version 1 (the default): phases run in order; a phase's tasks run in parallel
// as their `needs` allow. Everything a run needs is in the spec stored with it, so a definition changed
// later does not change a run already created. What zod cannot check is spec-checks.ts's.

const IdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "lowercase letters, digits, '_' or '-', at most 64");

export const TASK_KINDS = ["command", "prompt", "approval", "http", "wait"] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** The names clients guess for a kind's main key: `command` for `run`, `message` for `prompt`. */
const ALIASES: Partial<Record<TaskKind, Record<string, string>>> = {
  command: { command: "run" },
  prompt: { message: "prompt" },
};

/** `with` with an alias renamed to its key (left as it is when both are given: a 400 says so). */
export function withAliases(kind: TaskKind, input: Record<string, unknown>) {
  const aliases = ALIASES[kind];
  if (!aliases) return input;
  const out = { ...input };
  for (const [alias, key] of Object.entries(aliases)) {
    if (alias in out && !(key in out)) {
      out[key] = out[alias];
      delete out[alias];
    }
  }
  return out;
}

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

/** The tasks in order (phase by phase) with their phase id. */
export function flattenTasks(
  spec: ProcessSpec,
): { phase: string; index: number; task: TaskSpec }[] {
  return spec.phases.flatMap((phase, p) =>
    phase.tasks.map((task) => ({ phase: phase.id, index: p, task })),
  );
}
