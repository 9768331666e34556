import { z } from "@hono/zod-openapi";
import type { TaskRow } from "./process-store";
import type { TaskSpec } from "./spec";
import type { Outcome } from "./task-runners";
import { rendered, renderValue, type TemplateContext } from "./templates";

// The tasks the clock ends rather than code: a wait succeeds once its seconds have passed, and
// a wait or an approval with `timeout_s` fails once that has passed first. Both times are
// columns of the task's row (`due_at`, `deadline_at`) the alarm is set for, so nothing waits
// in memory and a restarted instance ends them all the same.

/** The longest wait: a month (an alarm further out is more likely a mistake than a plan). */
export const WAIT_MAX_S = 30 * 86_400;

const DECIMAL = /^\s*\d+(\.\d+)?\s*$/;

/** A wait's seconds: a number, or text holding one (a template inside text renders as text). */
function parseSeconds(value: unknown): number | null {
  const seconds =
    typeof value === "number"
      ? value
      : typeof value === "string" && DECIMAL.test(value)
        ? Number(value)
        : Number.NaN;
  return Number.isFinite(seconds) && seconds >= 0 && seconds <= WAIT_MAX_S ? seconds : null;
}

const notSeconds = (value: unknown) =>
  `a wait's seconds must be a number from 0 to ${WAIT_MAX_S}, not ${JSON.stringify(value)?.slice(0, 100)}`;

/**
 * What a wait's `with` takes: `{seconds}`, required (a wait of no time given is more likely a
 * misnamed key than a plan). Checked at creation (a template stands for any value there) and,
 * rendered, as the wait starts.
 */
export const WaitWithSchema = z
  .object({
    seconds: z.unknown().superRefine((value, ctx) => {
      if (value === undefined) ctx.addIssue({ code: "custom", message: "`seconds` is required" });
      else if (parseSeconds(value) === null)
        ctx.addIssue({ code: "custom", message: notSeconds(value) });
    }),
  })
  .strict();
export const WAIT_TAKES = `\`{seconds}\` (a number from 0 to ${WAIT_MAX_S}, or text or a template giving one)`;

/** What an approval's `with` takes: the message shown while it waits. */
export const ApprovalWithSchema = z.object({ message: z.unknown().optional() }).strict();
export const APPROVAL_TAKES = "`{message?}`";

/** A wait's seconds with its templates rendered, or why they are not a number of seconds. */
export function waitSeconds(
  spec: TaskSpec,
  context: TemplateContext,
): { seconds: number } | { error: string } {
  const value = renderValue(spec.with.seconds, context);
  const seconds = parseSeconds(value);
  return seconds === null ? { error: notSeconds(value) } : { seconds };
}

/**
 * What a wait or an approval starts with, its templates rendered: a wait's seconds, an
 * approval's message — or why it fails as soon as it is claimed (a reference that resolves to
 * nothing, seconds that are not a number of seconds). Other kinds start with nothing.
 */
export function timedStart(
  spec: TaskSpec,
  context: () => TemplateContext,
): { seconds: number; approval: { message: unknown } | null; failure: string | null } {
  const start = rendered(() => ({
    wait: spec.kind === "wait" ? waitSeconds(spec, context()) : null,
    message:
      spec.kind === "approval" && spec.with.message !== undefined
        ? renderValue(spec.with.message, context())
        : undefined,
  }));
  if ("error" in start) return { seconds: 0, approval: null, failure: start.error };
  const { wait, message } = start.value;
  if (wait && "error" in wait) return { seconds: 0, approval: null, failure: wait.error };
  return {
    seconds: wait?.seconds ?? 0,
    approval: message === undefined ? null : { message },
    failure: null,
  };
}

/** When a task just claimed ends by the clock: a wait's due time, a timeout's deadline. */
export function clockOf(
  spec: TaskSpec,
  seconds: number,
  now: number,
): { dueAt: number | null; deadlineAt: number | null } {
  const timed = spec.kind === "wait" || spec.kind === "approval";
  return {
    dueAt: spec.kind === "wait" ? now + seconds * 1000 : null,
    deadlineAt: timed && spec.timeout_s !== null ? now + spec.timeout_s * 1000 : null,
  };
}

/** What a wait or an approval whose time has come ends with, or null if none has. */
export function dueOutcome(task: TaskRow, spec: TaskSpec | undefined, now: number): Outcome | null {
  const timedOut = task.deadlineAt !== null && task.deadlineAt <= now;
  if (task.kind === "approval" && task.status === "waiting_approval" && timedOut) {
    return { ok: false, error: `approval timed out after ${spec?.timeout_s} s` };
  }
  if (task.kind !== "wait" || task.status !== "running") return null;
  // A timeout no shorter than the wait never cuts it off: the wait ends first (or with it).
  if (timedOut && (task.dueAt === null || (task.deadlineAt as number) < task.dueAt)) {
    return { ok: false, error: `timed out after ${spec?.timeout_s} s` };
  }
  if (task.dueAt !== null && task.dueAt <= now) {
    const waited = (task.dueAt - (task.startedAt ?? task.dueAt)) / 1000;
    return { ok: true, output: { waited_s: waited } };
  }
  return null;
}
