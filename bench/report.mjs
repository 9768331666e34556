// Turns measurements into ratios, a printed table and bench/results.json.
import { writeFileSync } from "node:fs";
import os from "node:os";

/**
 * Throughput ratios. The targets say how much the API may cost on top of its bare building
 * block: a workspace GET over a bare DO round trip, a workspace list over the raw D1 select.
 */
export function ratioSpecs(names) {
  const withTargets = [
    { of: "workspace_get", baseline: "do_ping", target: 0.8 },
    { of: "workspace_list_100", baseline: "d1_select_100", target: 0.9 },
  ];
  const vsBare = names.filter((name) => name !== "bare").map((of) => ({ of, baseline: "bare" }));
  // With BENCH_ONLY some targets are not measured, and neither are their ratios.
  const measured = new Set(names);
  return [...withTargets, ...vsBare].filter(
    (spec) => measured.has(spec.of) && measured.has(spec.baseline),
  );
}

export function computeRatios(results) {
  const byName = new Map(results.map((r) => [r.name, r]));
  return ratioSpecs(results.map((r) => r.name)).map((spec) => {
    const value = byName.get(spec.of).reqPerSec / byName.get(spec.baseline).reqPerSec;
    const met = spec.target === undefined ? undefined : value >= spec.target;
    return { name: `${spec.of}_vs_${spec.baseline}`, ...spec, value, met };
  });
}

const fixed = (value, digits) => value.toFixed(digits);
const row = (cells, widths) => cells.map((cell, i) => String(cell).padStart(widths[i])).join("  ");

export function printTable(results, ratios, { connections, duration }) {
  console.log(`\n${connections} connections, ${duration} s per target\n`);
  const widths = [20, 10, 8, 8, 8, 7];
  console.log(row(["target", "req/s", "p50 ms", "p99 ms", "non-2xx", "errors"], widths));
  for (const r of results) {
    console.log(row([r.name, fixed(r.reqPerSec, 1), r.p50, r.p99, r.non2xx, r.errors], widths));
  }
  console.log(`\n${row(["ratio (req/s)", "value", "target", "result"], [36, 7, 7, 8])}`);
  for (const ratio of ratios) {
    const target = ratio.target === undefined ? "-" : `≥ ${ratio.target}`;
    const result = ratio.met === undefined ? "" : ratio.met ? "met" : "MISSED";
    console.log(row([ratio.name, fixed(ratio.value, 3), target, result], [36, 7, 7, 8]));
  }
}

/** Live-event targets are upper bounds: p99 ≤ 50 ms, nothing missed, duplicated or reordered. */
const LIVE_P99_TARGET_MS = 50;

/**
 * The live-events measurements as results.json figures: `live_<kind>_…` for the one with targets
 * (the Durable Objects append the events), `live_http_<kind>_…` for the end-to-end one (appends
 * over HTTP, no targets), and each one's CPU.
 */
export function liveFigures(live) {
  const figures = [];
  for (const g of live.producer.groups) {
    const name = (what) => `live_${g.kind}_${what}`;
    figures.push(
      { name: name("p50"), value: g.p50, unit: "ms" },
      { name: name("p99"), value: g.p99, unit: "ms", target: LIVE_P99_TARGET_MS },
      { name: name("max"), value: g.max, unit: "ms" },
      { name: name("events_per_s"), value: round(g.eventsPerSec, 1), unit: "events/s" },
      { name: name("late_ms"), value: g.lateMs, unit: "ms" },
      { name: name("missed"), value: g.missed, unit: "deliveries", target: 0 },
      { name: name("duplicated"), value: g.duplicated, unit: "deliveries", target: 0 },
      { name: name("out_of_order"), value: g.outOfOrder, unit: "deliveries", target: 0 },
    );
  }
  figures.push(
    { name: "live_events_per_s", value: round(sumOf(live.producer.groups), 1), unit: "events/s" },
    ...cpuFigures("live", live.producer),
  );
  if (!live.http) return figures;
  for (const g of live.http.groups) {
    const name = (what) => `live_http_${g.kind}_${what}`;
    figures.push(
      { name: name("p50"), value: g.p50, unit: "ms" },
      { name: name("p99"), value: g.p99, unit: "ms" },
      { name: name("p50_since_created_at"), value: g.createdP50, unit: "ms" },
      { name: name("p99_since_created_at"), value: g.createdP99, unit: "ms" },
      { name: name("events_per_s"), value: round(g.eventsPerSec, 1), unit: "events/s" },
      { name: name("missed"), value: g.missed, unit: "deliveries" },
      { name: name("duplicated"), value: g.duplicated, unit: "deliveries" },
      { name: name("out_of_order"), value: g.outOfOrder, unit: "deliveries" },
      { name: name("append_p99"), value: g.appendP99, unit: "ms" },
      { name: name("append_skipped"), value: g.appendSkipped, unit: "ticks" },
    );
  }
  figures.push(
    { name: "live_http_events_per_s", value: round(sumOf(live.http.groups), 1), unit: "events/s" },
    ...cpuFigures("live_http", live.http),
  );
  return figures;
}

const sumOf = (groups) => groups.reduce((sum, g) => sum + g.eventsPerSec, 0);

const WORKER = "workerd (Worker)";
const PROXY = "workerd (wrangler proxy)";

function cpuFigures(prefix, { cpu, clientLoopDelayP99 }) {
  const server = Object.values(cpu.serverPercent).reduce((sum, p) => sum + p, 0);
  const percent = (name, value) => ({ name, value: round(value, 0), unit: "% of a core" });
  return [
    percent(`${prefix}_client_cpu`, cpu.clientPercent),
    percent(`${prefix}_server_cpu`, server),
    percent(`${prefix}_worker_cpu`, cpu.serverPercent[WORKER] ?? 0),
    percent(`${prefix}_proxy_cpu`, cpu.serverPercent[PROXY] ?? 0),
    percent(`${prefix}_other_cpu`, cpu.otherPercent ?? Number.NaN),
    percent(`${prefix}_worker_thread_wait`, cpu.workerThread?.waitPercent ?? Number.NaN),
    percent(`${prefix}_machine_idle`, cpu.machineIdlePercent ?? Number.NaN),
    { name: `${prefix}_client_loop_delay_p99`, value: round(clientLoopDelayP99, 1), unit: "ms" },
  ];
}

const round = (value, digits) => Math.round(value * 10 ** digits) / 10 ** digits;

export function printLiveTable(live) {
  const cadence = `${live.duration} s, one event every ${live.intervalMs} ms in each workspace`;
  console.log(
    `\nLive events, appended inside the Durable Objects (targets): ${cadence}; latency = the ` +
      "subscriber's receipt (Date.now()) − the event's created_at (the DO's Date.now()), " +
      "whole ms, ±1 ms\n",
  );
  const widths = [12, 9, 8, 7, 7, 7, 7, 4, 4];
  const heads = ["subscribers", "events/s", "late ms", "p50 ms", "p99 ms", "max ms", "missed"];
  console.log(row([...heads, "dup", "ooo"], widths));
  for (const g of live.producer.groups) {
    const cells = [`${g.subscribers} ${g.kind}`, fixed(g.eventsPerSec, 1), g.lateMs, g.p50, g.p99];
    console.log(row([...cells, g.max, g.missed, g.duplicated, g.outOfOrder], widths));
  }
  console.log(
    "\nevents/s = appended ÷ the append request's duration; late = the DO's worst lag behind its " +
      "own schedule",
  );
  printCpu(live.producer);
  for (const g of live.producer.groups) {
    if (g.errors + g.unexpected === 0) continue;
    console.log(
      `${g.kind}: ${g.errors} subscriber errors/reconnects, ${g.unexpected} events that were ` +
        "not this run's (someone else wrote to the workspace?)",
    );
  }

  if (!live.http) return;
  console.log(
    `\nLive events, end to end, appends over HTTP (no targets): ${cadence}, each a ` +
      "POST …/lifecycle-events from this process; latency = the client's send of the append → " +
      "the subscriber's receipt\n",
  );
  const httpWidths = [12, 9, 7, 7, 7, 8, 8, 7, 4, 4, 7, 7, 8];
  const httpHeads = ["subscribers", "events/s", "p50 ms", "p99 ms", "max ms", "c.a. p50"];
  const tail = ["c.a. p99", "missed", "dup", "ooo", "app p50", "app p99", "skipped"];
  console.log(row([...httpHeads, ...tail], httpWidths));
  for (const g of live.http.groups) {
    const cells = [`${g.subscribers} ${g.kind}`, fixed(g.eventsPerSec, 1), g.p50, g.p99];
    cells.push(fixed(g.max, 1), g.createdP50, g.createdP99, g.missed, g.duplicated, g.outOfOrder);
    console.log(row([...cells, g.appendP50, g.appendP99, g.appendSkipped], httpWidths));
  }
  console.log(
    "\nc.a. = since the event's created_at, as above; app = the append request; skipped = ticks " +
      `not sent because ${live.http.maxInFlight} appends were still waiting`,
  );
  printCpu(live.http);
  for (const g of live.http.groups) {
    if (g.appendFailed + g.errors + g.gaps === 0) continue;
    console.log(
      `${g.kind}: ${g.appendFailed} appends failed, ${g.errors} subscriber errors/reconnects, ` +
        `${g.gaps} event ids skipped in a subscriber's stream`,
    );
  }
}

function printCpu({ cpu, clientLoopDelayP99 }) {
  const server = Object.entries(cpu.serverPercent)
    .sort((a, b) => b[1] - a[1])
    .map(([command, percent]) => `${command} ${fixed(percent, 0)}%`)
    .join(", ");
  const other = cpu.otherPercent === null ? "n/a" : `${fixed(cpu.otherPercent, 0)}%`;
  console.log(
    `CPU (% of one core; ${os.cpus().length} cores): client ${fixed(cpu.clientPercent, 0)}%` +
      ` (event-loop delay p99 ${fixed(clientLoopDelayP99, 1)} ms); server ${server || "n/a"};` +
      ` everything else ${other}`,
  );
  const thread = cpu.workerThread;
  const idle = cpu.machineIdlePercent === null ? "n/a" : `${fixed(cpu.machineIdlePercent, 0)}%`;
  const schedule = thread
    ? `running ${fixed(thread.runPercent, 0)}%, waiting for a core ${fixed(thread.waitPercent, 0)}%`
    : "n/a";
  console.log(`Worker thread (% of the time): ${schedule}; machine idle ${idle} (of all cores)`);
  if (cpu.restarted) {
    console.log(
      "WARNING: wrangler restarted the Worker during the run (a file under src/ or public/ " +
        "changed?): every subscriber was dropped, these figures are not the Worker's.",
    );
  }
}

/**
 * Every target, ratios (at least), live figures (at most) and the files' checks, met or not;
 * then the end-to-end live figures, which have no target.
 */
export function printVerdict(ratios, liveFigureList, fileChecks = []) {
  const missed = [
    ...ratios.filter((ratio) => ratio.met === false).map((ratio) => ratio.name),
    ...liveFigureList
      .filter((f) => f.target !== undefined && !(f.value <= f.target))
      .map((f) => `${f.name} (${f.value} > ${f.target})`),
    ...fileChecks.filter((check) => !check.met).map((check) => `${check.name} (${check.text})`),
  ];
  console.log(
    missed.length === 0 ? "\nAll targets met." : `\nTargets missed: ${missed.join(", ")}`,
  );
  for (const check of fileChecks) {
    console.log(`  ${check.met ? "met   " : "MISSED"} ${check.name}: ${check.text}`);
  }
  if (liveFigureList.length === 0) return;
  const value = (name) => liveFigureList.find((f) => f.name === name)?.value;
  const lost = ["missed", "duplicated", "out_of_order"].flatMap((what) =>
    ["socket", "sse"]
      .map((kind) => `live_http_${kind}_${what}`)
      .filter((name) => value(name) > 0)
      .map((name) => `${name} ${value(name)}`),
  );
  if (value("live_http_events_per_s") === undefined) return;
  const p99 = (kind) => value(`live_http_${kind}_p99`);
  console.log(
    `End to end, appends over HTTP (no targets): p99 sockets ${p99("socket")} ms, SSE ` +
      `${p99("sse")} ms, ${value("live_http_events_per_s")} events/s appended` +
      (lost.length ? `; ${lost.join(", ")}` : ""),
  );
}

function machineDescription() {
  const cpus = os.cpus();
  return `${os.hostname()}, ${cpus[0]?.model ?? "unknown CPU"}, ${cpus.length} cores`;
}

/** The throughput targets and their ratios in results.json's format. */
export function apiFigures(results, ratios) {
  const figures = [];
  for (const r of results) {
    figures.push({ name: `${r.name}_req_per_s`, value: r.reqPerSec, unit: "req/s" });
    figures.push({ name: `${r.name}_p50`, value: r.p50, unit: "ms" });
    figures.push({ name: `${r.name}_p99`, value: r.p99, unit: "ms" });
    figures.push({ name: `${r.name}_non_2xx`, value: r.non2xx, unit: "responses" });
  }
  for (const ratio of ratios) {
    const figure = { name: ratio.name, value: ratio.value, unit: "ratio" };
    figure.baseline = ratio.baseline;
    figure.ratio = ratio.value;
    if (ratio.target !== undefined) figure.target = ratio.target;
    figures.push(figure);
  }
  return figures;
}

/** results.json: the figures measured so far, and the parts that failed (with their error). */
export function writeResults(path, figures, failed = []) {
  const results = { machine: machineDescription(), figures, ...(failed.length && { failed }) };
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}
