// The live-events benchmark: WebSocket subscribers on one workspace, SSE subscribers on another,
// an event appended to each every 10 ms (by default); how long delivery takes and whether anyone
// misses one.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { startCpuMeter } from "./cpu.mjs";
import { runAppender } from "./live-appender.mjs";
import { openSockets, openSseTails } from "./live-subscribers.mjs";

const WARMUP_MS = 2_000;
/** At 10 ms a tick, 20 appends waiting is 200 ms behind: more would only queue in the client. */
const MAX_IN_FLIGHT = 20;
/** How long after the last append every subscriber may take to receive everything. */
const DRAIN_TIMEOUT_MS = 5_000;

/**
 * Opens the subscribers, warms up, then appends one event every `intervalMs` to each workspace
 * for `duration` seconds and checks every delivery. `serverPgid` is wrangler's process group,
 * for its CPU use.
 */
export async function measureLiveEvents(
  baseUrl,
  { apiKey, socketWorkspaceId, sseWorkspaceId },
  { sockets: socketCount, sse: sseCount, intervalMs, duration, serverPgid },
) {
  const wsBase = baseUrl.replace(/^http/, "ws");
  const sockets = await openSockets(
    `${wsBase}/v1/workspaces/${socketWorkspaceId}/socket`,
    apiKey,
    socketCount,
  );
  const tails = await openSseTails(
    `${baseUrl}/v1/workspaces/${sseWorkspaceId}/events`,
    apiKey,
    sseCount,
  );
  try {
    const appendUrl = (id) => `${baseUrl}/v1/workspaces/${id}/lifecycle-events`;
    const groups = [
      { kind: "socket", url: appendUrl(socketWorkspaceId), recorders: sockets.recorders },
      { kind: "sse", url: appendUrl(sseWorkspaceId), recorders: tails.recorders },
    ];

    // Warm-up: JIT on both sides and the first fan-outs; its events are waited for, then
    // forgotten.
    await drain(groups, await appendAll(groups, apiKey, intervalMs, WARMUP_MS, "w"));
    for (const group of groups) for (const recorder of group.recorders) recorder.reset();

    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    const stopCpu = startCpuMeter(serverPgid);
    const appended = await appendAll(groups, apiKey, intervalMs, duration * 1000, "");
    const cpu = stopCpu();
    loopDelay.disable();
    await drain(groups, appended);

    return {
      duration,
      intervalMs,
      maxInFlight: MAX_IN_FLIGHT,
      groups: groups.map((group, i) => ({
        kind: group.kind,
        subscribers: group.recorders.length,
        ...appendFigures(appended[i]),
        ...deliveryFigures(group.recorders, appended[i]),
      })),
      cpu,
      clientLoopDelayP99: loopDelay.percentile(99) / 1e6,
    };
  } finally {
    sockets.close();
    tails.close();
  }
}

/** Runs one appender per group at once; resolves when every append has been answered. */
function appendAll(groups, apiKey, intervalMs, durationMs, label) {
  return Promise.all(
    groups.map((group) =>
      runAppender({
        url: group.url,
        apiKey,
        intervalMs,
        durationMs,
        maxInFlight: MAX_IN_FLIGHT,
        label,
      }),
    ),
  );
}

/** Waits until every subscriber has as many events as its appender got 201s, or the timeout. */
async function drain(groups, appended) {
  const deadline = performance.now() + DRAIN_TIMEOUT_MS;
  const caughtUp = () =>
    groups.every((group, i) =>
      group.recorders.every((recorder) => recorder.notes.length >= appended[i].acked.length),
    );
  while (!caughtUp() && performance.now() < deadline) await sleep(50);
}

function appendFigures(appended) {
  return {
    appended: appended.acked.length,
    eventsPerSec: appended.acked.length / (appended.elapsedMs / 1000),
    appendFailed: appended.failed,
    appendSkipped: appended.skipped,
    appendMaxInFlight: appended.maxInFlight,
    appendP50: percentile(Float64Array.from(appended.requestMs).sort(), 0.5),
    appendP99: percentile(Float64Array.from(appended.requestMs).sort(), 0.99),
  };
}

/**
 * Per (subscriber, event): latency from the client's send of the append to the subscriber's
 * receipt (same performance.now() clock), and from the event's created_at (the server's clock,
 * whole milliseconds) to the receipt. Every subscriber must get every acknowledged append
 * exactly once, in id order: missing, duplicated and out-of-order deliveries are counted.
 */
function deliveryFigures(recorders, appended) {
  const latencies = [];
  const sinceCreated = [];
  let missed = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  let gaps = 0;
  let errors = 0;
  for (const recorder of recorders) {
    const seen = new Set();
    for (let i = 0; i < recorder.notes.length; i++) {
      const notes = recorder.notes[i];
      const sentAt = appended.sends.get(notes);
      if (sentAt === undefined) continue; // Not one of this run's appends.
      if (seen.has(notes)) {
        duplicated++;
        continue;
      }
      seen.add(notes);
      latencies.push(recorder.times[i] - sentAt);
      sinceCreated.push(
        performance.timeOrigin + recorder.times[i] - Date.parse(recorder.createdAt[i]),
      );
    }
    for (const notes of appended.acked) if (!seen.has(notes)) missed++;
    outOfOrder += recorder.outOfOrder;
    gaps += recorder.gaps;
    errors += recorder.errors;
  }
  const sorted = Float64Array.from(latencies).sort();
  const sortedCreated = Float64Array.from(sinceCreated).sort();
  return {
    deliveries: latencies.length,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
    createdP50: percentile(sortedCreated, 0.5),
    createdP99: percentile(sortedCreated, 0.99),
    missed,
    duplicated,
    outOfOrder,
    gaps,
    errors,
  };
}

/** Nearest-rank percentile of an ascending array, rounded to 0.1 ms; NaN when empty. */
function percentile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  const value = sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return Math.round(value * 10) / 10;
}
