// The files benchmark's figures for bench/results.json, its printed table and its targets.
import { DOWNLOAD_BYTES } from "./files-download.mjs";
import { FLAT_RATIO, FLAT_SHARE_OF_SIZE, flatness } from "./files-memory.mjs";
import { MOVE_TARGET } from "./files-move.mjs";

export const DOWNLOAD_TARGET = 0.9;

const round = (value, digits) => Math.round(value * 10 ** digits) / 10 ** digits;
const mib = (kib) => round(kib / 1024, 1);
const slug = (label) => label.toLowerCase().replace(/[^a-z0-9]+/g, "_");

/**
 * Returns { figures, checks }: figures in results.json's format; checks = [{ name, met, text }]
 * for the verdict, one per target (a skipped figure has none).
 */
export function filesFigures({ download, memory, move }) {
  const figures = [];
  const checks = [];
  for (const r of [download.bare, download.api]) {
    figures.push(
      { name: `${r.name}_req_per_s`, value: round(r.reqPerSec, 2), unit: "req/s" },
      { name: `${r.name}_mib_per_s`, value: round(r.bytesPerSec / 1024 ** 2, 1), unit: "MiB/s" },
      { name: `${r.name}_p50`, value: round(r.p50, 0), unit: "ms" },
      { name: `${r.name}_p99`, value: round(r.p99, 0), unit: "ms" },
      { name: `${r.name}_non_2xx`, value: r.non2xx, unit: "responses" },
    );
  }
  const downloadRatio = download.api.reqPerSec / download.bare.reqPerSec;
  figures.push({
    name: "file_download_10mib_vs_bare_r2",
    value: round(downloadRatio, 3),
    unit: "ratio",
    baseline: download.bare.name,
    ratio: round(downloadRatio, 3),
    target: DOWNLOAD_TARGET,
  });
  checks.push({
    name: "file_download_10mib_vs_bare_r2",
    met: downloadRatio >= DOWNLOAD_TARGET,
    text: `${round(downloadRatio, 3)} (target ≥ ${DOWNLOAD_TARGET})`,
  });

  memoryFigures("upload", memory.upload, figures, checks);
  figures.push({
    name: `file_${slug(memory.bareUpload.label)}_peak_growth`,
    value: mib(memory.bareUpload.byProcess.worker.growthKiB),
    unit: "MiB",
  });
  if (memory.zip.skipped === undefined) memoryFigures("zip", memory.zip, figures, checks);

  const speedup = move.copyDeleteMs / move.moveMedianMs;
  figures.push(
    { name: "file_move_10k_dir_ms", value: round(move.moveMedianMs, 1), unit: "ms" },
    { name: "file_copy_delete_10k_ms", value: round(move.copyDeleteMs, 0), unit: "ms" },
    {
      name: "file_move_10k_dir_vs_copy_delete",
      value: round(speedup, 1),
      unit: "ratio",
      baseline: "file_copy_delete_10k",
      ratio: round(speedup, 1),
      target: MOVE_TARGET,
    },
  );
  checks.push({
    name: "file_move_10k_dir_vs_copy_delete",
    met: speedup >= MOVE_TARGET,
    text: `${round(speedup, 1)}× faster (target ≥ ${MOVE_TARGET}×)`,
  });
  return { figures, checks };
}

/**
 * Per job: the Worker's peak growth over its baseline (and the proxy's); then the growth ratio
 * of the larger job over the smaller, whose target is a maximum (FLAT_RATIO).
 */
function memoryFigures(kind, jobs, figures, checks) {
  for (const j of jobs) {
    const name = `file_${slug(j.label)}_peak_growth`;
    figures.push({ name, value: mib(j.byProcess.worker.growthKiB), unit: "MiB" });
    if (j.byProcess.proxy) {
      figures.push({
        name: `${name}_proxy`,
        value: mib(j.byProcess.proxy.growthKiB),
        unit: "MiB",
      });
    }
  }
  const flat = flatness(jobs);
  const name = `file_${kind}_peak_growth_large_vs_small`;
  figures.push({
    name,
    value: round(flat.ratio, 2),
    unit: "ratio",
    baseline: `file_${slug(jobs[0].label)}_peak_growth`,
    ratio: round(flat.ratio, 2),
    target: FLAT_RATIO,
  });
  checks.push({
    name,
    met: flat.met,
    text:
      `${round(flat.ratio, 2)}× (target < ${FLAT_RATIO}×, or the larger's growth under ` +
      `${FLAT_SHARE_OF_SIZE * 100}% of its bytes: ${round(flat.shareOfSize * 100, 1)}%)`,
  });
}

const row = (cells, widths) => cells.map((cell, i) => String(cell).padStart(widths[i])).join("  ");

export function printFilesTable({ download, memory, move }, { connections, duration }) {
  console.log(
    `\nFiles: download of ${DOWNLOAD_BYTES / 1024 ** 2} MiB, ${connections} connections, ` +
      `${download.api.rounds.length} rounds of ${duration} s each (means)\n`,
  );
  const widths = [24, 8, 8, 8, 8, 8];
  console.log(row(["target", "req/s", "MiB/s", "p50 ms", "p99 ms", "non-2xx"], widths));
  for (const r of [download.bare, download.api]) {
    const cells = [r.name, r.reqPerSec.toFixed(2), (r.bytesPerSec / 1024 ** 2).toFixed(1)];
    console.log(row([...cells, Math.round(r.p50), Math.round(r.p99), r.non2xx], widths));
  }
  const rounds = (r) => r.rounds.map((v) => v.toFixed(1)).join(", ");
  console.log(`req/s per round: bare ${rounds(download.bare)}; API ${rounds(download.api)}`);

  console.log(
    `\nPeak memory over the idle baseline (RSS, MiB), workerd pids: Worker ${memory.pids.worker}` +
      `, proxy ${memory.pids.proxy ?? "n/a"}; the worst of the rounds\n`,
  );
  const memWidths = [24, 9, 9, 9, 9, 9];
  console.log(
    row(["job", "Worker +", "baseline", "sampled", "VmHWM", "proxy +", "ms"], [...memWidths, 7]),
  );
  const jobs = [
    ...memory.upload,
    memory.bareUpload,
    ...(memory.zip.skipped === undefined ? memory.zip : []),
  ];
  for (const j of jobs) {
    const w = j.byProcess.worker;
    const hwm = w.hwmKiB === null ? "n/a" : mib(w.hwmKiB);
    const proxy = j.byProcess.proxy ? mib(j.byProcess.proxy.growthKiB) : "n/a";
    const cells = [j.label, mib(w.growthKiB), mib(w.baselineKiB), mib(w.sampledPeakKiB), hwm];
    console.log(row([...cells, proxy, Math.round(j.durationMs)], [...memWidths, 7]));
  }
  if (memory.zip.skipped !== undefined) {
    console.log(
      `ZIP (GET …/directories/zip?path=): not available (${memory.zip.skipped}), skipped`,
    );
  }

  console.log(
    `\nDirectory move, ${move.count} files: API move ${move.moveMs.map((ms) => ms.toFixed(0)).join(", ")} ms ` +
      `(median ${move.moveMedianMs.toFixed(1)}); copy+delete of the same objects ` +
      `${(move.copyDeleteMs / 1000).toFixed(1)} s (server ${(move.copyDeleteServerMs / 1000).toFixed(1)} s); ` +
      `${(move.copyDeleteMs / move.moveMedianMs).toFixed(0)}× faster`,
  );
}
