// The processes part of `npm run bench` (BENCH_ONLY=processes): a 1,000-task run of trivial
// tasks, timed from `…/start` to the run's `succeeded`, divided by the task count (the engine's
// overhead per task: claim, outcome, events, log lines, state checks), and the alarm ticks the
// run took per task. Two shapes: 1,000 `wait 0` tasks (no code at all) and 1,000 `true`
// commands on the built-in shell (concurrency 32), each in 10 phases of 100.
import { postJson } from "./seed.mjs";

const TASKS = 1_000;
const PHASES = 10;
const round = (value, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

function spec(kind) {
  const per = TASKS / PHASES;
  return {
    version: 1,
    concurrency: 32,
    phases: Array.from({ length: PHASES }, (_, p) => ({
      id: `p${p}`,
      tasks: Array.from({ length: per }, (_, t) =>
        kind === "wait"
          ? { id: `t${p}-${t}`, kind: "wait", with: { seconds: 0 } }
          : { id: `t${p}-${t}`, kind: "command", with: { run: "true" } },
      ),
    })),
  };
}

async function runOnce(base, apiKey, kind) {
  const auth = { authorization: `Bearer ${apiKey}` };
  const run = await postJson(`${base}/bench-${kind}/runs`, apiKey, { spec: spec(kind) });
  const start = performance.now();
  await postJson(`${base}/runs/${run.id}/start`, apiKey, {}, 200);
  for (;;) {
    const response = await fetch(`${base}/runs/${run.id}`, { headers: auth });
    const view = await response.json();
    if (view.status === "succeeded") {
      const ms = performance.now() - start;
      return { kind, tasks: TASKS, ms, perTaskMs: ms / TASKS, ticks: view.ticks };
    }
    if (view.status !== "running") throw new Error(`the ${kind} run ended ${view.status}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function measureProcesses(baseUrl, seeded) {
  const ws = await postJson(`${baseUrl}/v1/workspaces`, seeded.apiKey, {
    name: "Bench processes",
    slug: "bench-processes",
  });
  const base = `${baseUrl}/v1/workspaces/${ws.id}/processes`;
  const results = [];
  for (const kind of ["wait", "command"]) {
    console.log(`Measuring a ${TASKS}-task process run (${kind})`);
    const result = await runOnce(base, seeded.apiKey, kind);
    console.log(
      `  ${round(result.ms, 0)} ms, ${round(result.perTaskMs)} ms per task, ${result.ticks} ticks`,
    );
    results.push(result);
  }
  return results;
}

export function processFigures(results) {
  return results.flatMap((result) => [
    {
      name: `processes_${result.kind}_overhead_per_task`,
      value: round(result.perTaskMs),
      unit: "ms",
    },
    {
      name: `processes_${result.kind}_alarms_per_task`,
      value: round(result.ticks / result.tasks, 4),
      unit: "alarms/task",
    },
  ]);
}

/** The target: at most 5 ms of engine overhead per task. */
export const processChecks = (results) =>
  results.map((result) => ({
    name: `processes_${result.kind}_overhead_per_task`,
    met: result.perTaskMs <= 5,
    text: `${round(result.perTaskMs)} ms per task (target ≤ 5 ms)`,
  }));

export function printProcessesTable(results) {
  console.log(`\nProcesses (${TASKS} trivial tasks in ${PHASES} phases; start → succeeded)`);
  console.log("  kind      total ms  per task  alarm ticks  alarms/task");
  for (const r of results) {
    console.log(
      `  ${r.kind.padEnd(8)}  ${round(r.ms, 0).toString().padStart(8)}  ${round(r.perTaskMs).toFixed(2).padStart(6)}ms  ${String(r.ticks).padStart(11)}  ${round(
        r.ticks / r.tasks,
        4,
      )
        .toString()
        .padStart(11)}`,
    );
  }
}
