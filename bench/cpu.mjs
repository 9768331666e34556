// CPU used during a measurement, in % of one core: by this Node process (the load generator and
// the subscribers), by each process of wrangler's process group, and by everything else on the
// machine; how long the Worker's thread waited for a core, and how idle the machine was. Client and
// server share the machine's cores, so this says whether a figure measures the Worker, the
// client's own limits or someone else's load. Linux (/proc) only; elsewhere the
// server and machine parts stay empty.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

function clockTicksPerSecond() {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
}

const readOrNull = (path) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null; // Exited since the listing, or not Linux.
  }
};

const WORKER = "workerd (Worker)";

/**
 * wrangler dev runs two workerd processes: its proxy (which owns the port and forwards every
 * request and message) and the Worker itself (the one with an inspector).
 */
function label(pid, command) {
  if (command !== "workerd") return command;
  const args = readOrNull(`/proc/${pid}/cmdline`) ?? "";
  return args.includes("--inspector-addr") ? WORKER : "workerd (wrangler proxy)";
}

/** CPU ticks per pid of every process in process group `pgid`: Map<pid, {label, ticks}>. */
function groupTicks(pgid) {
  const byPid = new Map();
  let pids = [];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return byPid;
  }
  for (const pid of pids) {
    const stat = readOrNull(`/proc/${pid}/stat`);
    if (!stat) continue;
    // The command is in parentheses and may contain spaces; the numeric fields follow it.
    const command = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields after the command, 0-based: 2 = pgrp, 11 = utime, 12 = stime (proc(5)).
    if (Number(fields[2]) !== pgid) continue;
    byPid.set(pid, { label: label(pid, command), ticks: Number(fields[11]) + Number(fields[12]) });
  }
  return byPid;
}

/**
 * Ticks of the whole machine (all cores): { busy: everything in /proc/stat but idle and iowait,
 * idle: idle and iowait }.
 */
function machineTicks() {
  const line = readOrNull("/proc/stat")?.split("\n")[0];
  if (!line?.startsWith("cpu ")) return null;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return { busy: user + nice + system + irq + softirq + steal, idle: idle + iowait };
}

/**
 * The Worker's JavaScript thread (workerd's main thread) as the scheduler saw it: ns spent
 * running and ns spent runnable but waiting for a core (`/proc/<pid>/task/<pid>/schedstat`).
 * Running + waiting near 100% means the thread never idles: it is saturated, whatever its CPU
 * figure says. Null when unknown.
 */
function workerThreadSchedule(ticksByPid) {
  const pid = [...ticksByPid].find(([, { label: name }]) => name === WORKER)?.[0];
  const fields = pid && readOrNull(`/proc/${pid}/task/${pid}/schedstat`)?.split(" ").map(Number);
  return fields?.length >= 2 ? { pid, runNs: fields[0], waitNs: fields[1] } : null;
}

/** Starts a CPU measurement; call the returned function to end it. */
export function startCpuMeter(serverPgid) {
  const ticksPerSecond = clockTicksPerSecond();
  const startedAt = performance.now();
  const client = process.cpuUsage();
  const server = groupTicks(serverPgid);
  const machine = machineTicks();
  const workerThread = workerThreadSchedule(server);
  /**
   * Returns { clientPercent, serverPercent: { [label]: percent }, otherPercent, machineIdlePercent
   * (% of all cores), workerThread: { runPercent, waitPercent } (% of the wall time; the last
   * three null when unknown), restarted: true when a wrangler process came or went (wrangler
   * reloads the Worker when a file under src/ or public/ changes, and that drops every
   * subscriber) }.
   */
  return () => {
    const seconds = (performance.now() - startedAt) / 1000;
    const percentOf = (ticks) => (100 * ticks) / ticksPerSecond / seconds;
    const used = process.cpuUsage(client);
    const clientPercent = (100 * (used.user + used.system)) / 1e6 / seconds;
    const serverPercent = {};
    let serverTicks = 0;
    const now = groupTicks(serverPgid);
    for (const [pid, { label: name, ticks }] of now) {
      const delta = ticks - (server.get(pid)?.ticks ?? 0);
      serverTicks += delta;
      if (delta > 0) serverPercent[name] = (serverPercent[name] ?? 0) + percentOf(delta);
    }
    const restarted = [...server.keys()].some((pid) => !now.has(pid)) || now.size > server.size;
    const machineNow = machineTicks();
    const known = machine !== null && machineNow !== null;
    const otherPercent = known
      ? Math.max(0, percentOf(machineNow.busy - machine.busy - serverTicks) - clientPercent)
      : null;
    const idle = known ? machineNow.idle - machine.idle : 0;
    const machineIdlePercent = known
      ? (100 * idle) / (idle + machineNow.busy - machine.busy || 1)
      : null;
    const threadNow = workerThread && workerThreadSchedule(now);
    const workerThreadPercent =
      threadNow && threadNow.pid === workerThread.pid
        ? {
            runPercent: (threadNow.runNs - workerThread.runNs) / 1e7 / seconds,
            waitPercent: (threadNow.waitNs - workerThread.waitNs) / 1e7 / seconds,
          }
        : null;
    return {
      clientPercent,
      serverPercent,
      otherPercent,
      machineIdlePercent,
      workerThread: workerThreadPercent,
      restarted,
    };
  };
}
