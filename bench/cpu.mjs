// CPU used during a measurement, in % of one core: by this Node process (the load generator and
// the subscribers), by each process of wrangler's process group, and by everything else on the
// machine. Client and server share the machine's cores, so this says whether a figure measures
// the Worker, the client's own limits or someone else's load. Linux (/proc) only; elsewhere the
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

/**
 * wrangler dev runs two workerd processes: its proxy (which owns the port and forwards every
 * request and message) and the Worker itself (the one with an inspector).
 */
function label(pid, command) {
  if (command !== "workerd") return command;
  const args = readOrNull(`/proc/${pid}/cmdline`) ?? "";
  return args.includes("--inspector-addr") ? "workerd (Worker)" : "workerd (wrangler proxy)";
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

/** Busy ticks of the whole machine (all cores): everything in /proc/stat but idle and iowait. */
function machineTicks() {
  const line = readOrNull("/proc/stat")?.split("\n")[0];
  if (!line?.startsWith("cpu ")) return null;
  const [user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
  return user + nice + system + irq + softirq + steal;
}

/** Starts a CPU measurement; call the returned function to end it. */
export function startCpuMeter(serverPgid) {
  const ticksPerSecond = clockTicksPerSecond();
  const startedAt = performance.now();
  const client = process.cpuUsage();
  const server = groupTicks(serverPgid);
  const machine = machineTicks();
  /**
   * Returns { clientPercent, serverPercent: { [label]: percent }, otherPercent (null when
   * unknown), restarted: true when a wrangler process came or went (wrangler reloads the Worker
   * when a file under src/ or public/ changes, and that drops every subscriber) }.
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
    const otherPercent =
      machine === null || machineNow === null
        ? null
        : Math.max(0, percentOf(machineNow - machine - serverTicks) - clientPercent);
    return { clientPercent, serverPercent, otherPercent, restarted };
  };
}
