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
  return [...withTargets, ...vsBare];
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
  const missed = ratios.filter((ratio) => ratio.met === false).map((ratio) => ratio.name);
  console.log(
    missed.length === 0 ? "\nAll targets met." : `\nTargets missed: ${missed.join(", ")}`,
  );
}

function machineDescription() {
  const cpus = os.cpus();
  return `${os.hostname()}, ${cpus[0]?.model ?? "unknown CPU"}, ${cpus.length} cores`;
}

export function writeResults(path, results, ratios) {
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
  writeFileSync(path, `${JSON.stringify({ machine: machineDescription(), figures }, null, 2)}\n`);
}
