// The commands part of `npm run bench` (BENCH_ONLY=commands): executions per second of a
// trivial shell command (`echo hi`), one at a time and with BENCH_CONNECTIONS clients at once,
// and the time to first output byte — from sending POST …/execute to the first byte of the
// execution's output stream (GET …/output, opened as soon as execute answers 202).
import { postJson } from "./seed.mjs";

const percentile = (sorted, p) =>
  sorted.length === 0
    ? 0
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const round = (value, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** One execution, end to end: returns [ms to the first output byte, ms to the end]. */
async function runOnce(base, auth) {
  const start = performance.now();
  const started = await fetch(`${base}/hi/execute`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: "{}",
  });
  if (started.status !== 202) throw new Error(`execute answered ${started.status}`);
  const { id } = await started.json();
  const output = await fetch(`${base}/hi/executions/${id}/output`, { headers: auth });
  const reader = output.body.getReader();
  let first = null;
  let text = "";
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    first ??= performance.now() - start;
    text += decoder.decode(value, { stream: true });
  }
  if (!text.includes('"data":"hi\\n"') || !text.includes('"status":"succeeded"')) {
    throw new Error(`unexpected output: ${text.slice(0, 300)}`);
  }
  return [first, performance.now() - start];
}

async function runFor(base, auth, seconds, clients) {
  const firsts = [];
  const totals = [];
  const deadline = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const [first, total] = await runOnce(base, auth);
      firsts.push(first);
      totals.push(total);
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: clients }, worker));
  const elapsed = (performance.now() - began) / 1000;
  firsts.sort((a, b) => a - b);
  totals.sort((a, b) => a - b);
  return {
    clients,
    executions: totals.length,
    perSec: totals.length / elapsed,
    firstP50: percentile(firsts, 50),
    firstP99: percentile(firsts, 99),
    totalP50: percentile(totals, 50),
    totalP99: percentile(totals, 99),
  };
}

export async function measureCommands(baseUrl, seeded, options) {
  const ws = await postJson(`${baseUrl}/v1/workspaces`, seeded.apiKey, {
    name: "Bench commands",
    slug: "bench-commands",
  });
  const auth = { authorization: `Bearer ${seeded.apiKey}` };
  const base = `${baseUrl}/v1/workspaces/${ws.id}/commands`;
  await postJson(base, seeded.apiKey, { trigger: "hi", type: "shell", body: "echo hi" });
  for (let i = 0; i < 20; i++) await runOnce(base, auth);
  console.log(`Measuring command executions, 1 client (${options.duration} s)`);
  const sequential = await runFor(base, auth, options.duration, 1);
  console.log(
    `Measuring command executions, ${options.connections} clients (${options.duration} s)`,
  );
  const concurrent = await runFor(base, auth, options.duration, options.connections);
  return { sequential, concurrent };
}

export function commandFigures(result) {
  const figures = [];
  for (const [label, group] of Object.entries(result)) {
    const name = (what) => `commands_${label}_${what}`;
    figures.push(
      { name: name("executions_per_s"), value: round(group.perSec), unit: "executions/s" },
      { name: name("first_output_p50"), value: round(group.firstP50), unit: "ms" },
      { name: name("first_output_p99"), value: round(group.firstP99), unit: "ms" },
      { name: name("end_to_end_p50"), value: round(group.totalP50), unit: "ms" },
      { name: name("end_to_end_p99"), value: round(group.totalP99), unit: "ms" },
    );
  }
  return figures;
}

export function printCommandsTable(result) {
  console.log("\nCommands (`echo hi`; first output = execute sent → first byte of …/output)");
  console.log("  clients  executions  exec/s  first p50  first p99  end p50  end p99");
  for (const group of Object.values(result)) {
    console.log(
      `  ${String(group.clients).padStart(7)}  ${String(group.executions).padStart(10)}  ${round(group.perSec).toFixed(1).padStart(6)}  ` +
        `${round(group.firstP50).toFixed(1).padStart(7)}ms  ${round(group.firstP99).toFixed(1).padStart(7)}ms  ` +
        `${round(group.totalP50).toFixed(1).padStart(5)}ms  ${round(group.totalP99).toFixed(1).padStart(5)}ms`,
    );
  }
}
