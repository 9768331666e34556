// Peak memory of wrangler's workerd processes during one operation, Linux only (/proc). The
// operation's cost is its peak resident set above the idle baseline just before it: sampled every
// 20 ms (VmRSS), and the kernel's own high-water mark (VmHWM, reset before the operation through
// /proc/<pid>/clear_refs), which catches a peak between two samples.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

const SAMPLE_MS = 20;
const SETTLE_MS = 500;

const readOrNull = (path) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null; // Exited since the listing, or not Linux.
  }
};

/** Map<ppid, pid[]> of every process on the machine. */
function childrenByParent() {
  const children = new Map();
  let pids = [];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return children;
  }
  for (const pid of pids) {
    const stat = readOrNull(`/proc/${pid}/stat`);
    if (!stat) continue;
    // The command is in parentheses and may contain spaces; ppid is the second field after it.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(pid));
  }
  return children;
}

/**
 * The workerd processes below `rootPid` (wrangler's npx), found down the process tree: { worker,
 * proxy } pids. wrangler dev runs two: its proxy, which owns the port, and the one that runs the
 * Worker, its Durable Objects and the local R2 (it has an inspector). Either may be null.
 */
export function findWorkerd(rootPid) {
  const children = childrenByParent();
  const found = { worker: null, proxy: null };
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop();
    for (const child of children.get(pid) ?? []) {
      stack.push(child);
      const name = /^Name:\s*(.*)$/m.exec(readOrNull(`/proc/${child}/status`) ?? "")?.[1];
      if (name !== "workerd") continue;
      const args = readOrNull(`/proc/${child}/cmdline`) ?? "";
      found[args.includes("--inspector-addr") ? "worker" : "proxy"] = child;
    }
  }
  return found;
}

/** { rss, hwm } of a process, in KiB, or null when it is gone. */
function memoryOf(pid) {
  const status = readOrNull(`/proc/${pid}/status`);
  if (!status) return null;
  const kib = (field) => Number(new RegExp(`^${field}:\\s*(\\d+) kB$`, "m").exec(status)?.[1]);
  return { rss: kib("VmRSS"), hwm: kib("VmHWM") };
}

/** Resets VmHWM to the current RSS (proc(5): clear_refs "5"); false when not allowed. */
function resetHighWaterMark(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `operation` and returns { result, durationMs, byProcess: { [label]: { baselineKiB,
 * peakKiB, growthKiB, sampledPeakKiB, hwmKiB, samples } } } for each pid in `pids` ({ label:
 * pid }). The baseline is the lowest RSS of a few samples over half a second before the start,
 * so garbage the previous operation left is not counted against this one.
 */
export async function peakMemoryDuring(pids, operation) {
  const tracked = Object.entries(pids).filter(([, pid]) => pid !== null);
  const baseline = {};
  for (let i = 0; i < SETTLE_MS / SAMPLE_MS; i++) {
    for (const [label, pid] of tracked) {
      const rss = memoryOf(pid)?.rss ?? Number.NaN;
      baseline[label] = Math.min(baseline[label] ?? Number.POSITIVE_INFINITY, rss);
    }
    await sleep(SAMPLE_MS);
  }
  const hwmReset = Object.fromEntries(
    tracked.map(([label, pid]) => [label, resetHighWaterMark(pid)]),
  );
  const peak = {};
  const samples = {};
  const sample = () => {
    for (const [label, pid] of tracked) {
      const rss = memoryOf(pid)?.rss ?? 0;
      peak[label] = Math.max(peak[label] ?? 0, rss);
      samples[label] = (samples[label] ?? 0) + 1;
    }
  };
  sample();
  const timer = setInterval(sample, SAMPLE_MS);
  const started = performance.now();
  let result;
  try {
    result = await operation();
  } finally {
    clearInterval(timer);
  }
  const durationMs = performance.now() - started;
  sample();
  const byProcess = {};
  for (const [label, pid] of tracked) {
    const hwm = hwmReset[label] ? (memoryOf(pid)?.hwm ?? null) : null;
    const peakKiB = Math.max(peak[label], hwm ?? 0);
    byProcess[label] = {
      baselineKiB: baseline[label],
      peakKiB,
      growthKiB: Math.max(0, peakKiB - baseline[label]),
      sampledPeakKiB: peak[label],
      hwmKiB: hwm,
      samples: samples[label],
    };
  }
  return { result, durationMs, byProcess };
}
