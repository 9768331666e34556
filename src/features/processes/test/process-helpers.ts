import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeEach, expect } from "vitest";
import { api, createAccount, createWorkspace, type TestAccount } from "../../../../test/helpers";
import type { WorkspaceDO } from "../../../kernel/workspace-do";
import { doSql, workspaceStub } from "../../events/test/event-helpers";

// Process runs from a test: create and start them through the API, and drive the engine by
// running the DO's alarm (never by sleeping). The alarm is set for "now" by start, so it may
// also fire on its own; a tick is idempotent, so driving it again changes nothing.

export interface TaskView {
  id: string;
  phase: string;
  kind: string;
  status: string;
  attempt: number;
  output: unknown;
  error: string | null;
  approval: unknown;
  due_at: string | null;
  deadline_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  allowed_actions: string[];
}

export interface RunView {
  id: string;
  process: string;
  status: string;
  error: string | null;
  allowed_actions: string[];
  tasks: TaskView[];
  outputs: Record<string, unknown>;
  started_at: string | null;
  finished_at: string | null;
}

export interface Ctx {
  account: TestAccount;
  ws: string;
}

async function setup(): Promise<Ctx> {
  const account = await createAccount();
  const workspace = await createWorkspace(account);
  return { account, ws: workspace.id };
}

/** A fresh account and workspace before every test of the file (the one object, refilled). */
export function freshWorkspaceEachTest(): Ctx {
  const ctx = {} as Ctx;
  beforeEach(async () => {
    Object.assign(ctx, await setup());
  });
  return ctx;
}

type TaskInput = Record<string, unknown> & { id: string; kind: string };

/** A one-phase spec (or phases given as arrays of tasks). */
export const specOf = (...phases: TaskInput[][]) => ({
  version: 1,
  phases: phases.map((tasks, index) => ({ id: `p${index + 1}`, tasks })),
});

export const sh = (id: string, run: string, extra: Record<string, unknown> = {}): TaskInput => ({
  id,
  kind: "command",
  with: { run },
  ...extra,
});

export async function createRun(
  ctx: Ctx,
  spec: unknown,
  extra: Record<string, unknown> = {},
  process = "test",
): Promise<RunView> {
  const created = await api<RunView>("POST", `/v1/workspaces/${ctx.ws}/processes/${process}/runs`, {
    key: ctx.account.key,
    body: { spec, ...extra },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

export const control = (ctx: Ctx, run: string, action: string, body?: unknown) =>
  api<RunView>("POST", `/v1/workspaces/${ctx.ws}/processes/runs/${run}/${action}`, {
    key: ctx.account.key,
    body,
  });

/** POST …/runs/{run}/tasks/{phase}/{task}/retry or /skip. */
export const taskAction = (
  ctx: Ctx,
  run: string,
  phase: string,
  task: string,
  action: "retry" | "skip",
) =>
  api<RunView>(
    "POST",
    `/v1/workspaces/${ctx.ws}/processes/runs/${run}/tasks/${phase}/${task}/${action}`,
    { key: ctx.account.key },
  );

export const getRun = async (ctx: Ctx, run: string) => {
  const response = await api<RunView>("GET", `/v1/workspaces/${ctx.ws}/processes/runs/${run}`, {
    key: ctx.account.key,
  });
  expect(response.status).toBe(200);
  return response.body;
};

export async function startRun(ctx: Ctx, spec: unknown, extra: Record<string, unknown> = {}) {
  const run = await createRun(ctx, spec, extra);
  const started = await control(ctx, run.id, "start");
  expect(started.status, JSON.stringify(started.body)).toBe(200);
  return run.id;
}

/** Runs alarm ticks until `done` holds for the run (or fails after a bounded number). */
export async function drive(
  ctx: Ctx,
  run: string,
  done: (view: RunView) => boolean = (view) =>
    ["succeeded", "failed", "canceled", "awaiting_approval"].includes(view.status),
): Promise<RunView> {
  for (let i = 0; i < 200; i++) {
    await runDurableObjectAlarm(workspaceStub(ctx.ws));
    const view = await getRun(ctx, run);
    if (done(view)) return view;
    // A tick started by the runtime itself may still be running: let it get on.
    await scheduler.wait(5);
  }
  const view = await getRun(ctx, run);
  throw new Error(`run did not settle: ${JSON.stringify(view.tasks.map((t) => [t.id, t.status]))}`);
}

/**
 * Waits (a bounded while) for the run to reach what `done` says, brought about by an alarm tick
 * already running (the runtime's, or one the test started) — this only looks, it drives nothing.
 */
export async function waitForRun(
  ctx: Ctx,
  run: string,
  done: (view: RunView) => boolean,
  tries = 600,
): Promise<RunView> {
  for (let i = 0; i < tries; i++) {
    const view = await getRun(ctx, run);
    if (done(view)) return view;
    await scheduler.wait(5);
  }
  throw new Error(`run ${run} did not reach the condition`);
}

export const taskOf = (view: RunView, id: string) => {
  const task = view.tasks.find((t) => t.id === id);
  if (!task) throw new Error(`no task ${id}`);
  return task;
};

export const ms = (iso: string | null) => (iso === null ? Number.NaN : Date.parse(iso));

/** Makes every pending task of the run due now and sets the alarm (a backoff, elapsed). */
export async function elapseBackoff(ctx: Ctx, run: string): Promise<void> {
  await runInDurableObject(workspaceStub(ctx.ws), async (_instance: WorkspaceDO, state) => {
    state.storage.sql.exec(
      "UPDATE process_tasks SET due_at = ? WHERE run_id = ? AND status = 'pending' AND due_at IS NOT NULL",
      Date.now() - 1,
      run,
    );
    await state.storage.setAlarm(Date.now());
  });
}

export async function logLines(ctx: Ctx, run: string, query = "") {
  const response = await api<{
    items: { seq: number; task_id: string | null; stream: string; message: string }[];
    next_cursor: string | null;
  }>("GET", `/v1/workspaces/${ctx.ws}/processes/runs/${run}/logs?limit=1000${query}`, {
    key: ctx.account.key,
  });
  expect(response.status).toBe(200);
  return response.body;
}

export { doSql };

/** A template reference as a spec writes it: ref("inputs.env") is "${{ inputs.env }}". */
export const ref = (expression: string) => `$\{{ ${expression} }}`;

/** The envelope's `details` (checked to be an error envelope first). */
export const detailsOf = (body: unknown): unknown => {
  expect((body as { error?: unknown }).error).toBeDefined();
  return (body as { error: { details?: unknown } }).error.details;
};

/**
 * Lets `seconds` pass for the run's unfinished tasks: their start, due time and deadline move
 * that far into the past (a wait's waited_s stays exact), and the alarm is set for now.
 */
export async function elapse(ctx: Ctx, run: string, seconds: number): Promise<void> {
  const shift = seconds * 1000;
  await runInDurableObject(workspaceStub(ctx.ws), async (_instance: WorkspaceDO, state) => {
    state.storage.sql.exec(
      `UPDATE process_tasks SET started_at = started_at - ?, due_at = due_at - ?,
         deadline_at = deadline_at - ?
       WHERE run_id = ? AND status IN ('pending', 'running', 'waiting_approval')`,
      shift,
      shift,
      shift,
      run,
    );
    await state.storage.setAlarm(Date.now());
  });
}

/** The time the DO's alarm is set for, or null. */
export const alarmAt = (ctx: Ctx) =>
  runInDurableObject(workspaceStub(ctx.ws), (_instance: WorkspaceDO, state) =>
    state.storage.getAlarm(),
  );

/** The workspace's events of the given types, oldest first, with their data. */
export async function eventsOf(ctx: Ctx, prefix: string) {
  const rows = await doSql(ctx.ws, "SELECT type, json FROM events ORDER BY id");
  return rows
    .filter((row) => String(row.type).startsWith(prefix))
    .map((row) => ({
      type: String(row.type),
      data: (JSON.parse(String(row.json)) as { data: Record<string, unknown> }).data,
    }));
}
