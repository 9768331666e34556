// The live-events benchmark: WebSocket subscribers on one workspace, SSE subscribers on another,
// an event appended to each every 10 ms (by default); how long delivery takes and whether anyone
// misses one. Measured twice, with the same subscribers:
//
// 1. `producer` (the measurement with targets): each workspace's Durable Object appends the
//    events itself (bench/live-producer.mjs); latency = receipt − the event's created_at.
// 2. `http` (end to end, appends over HTTP): this process POSTs every event
//    (bench/live-appender.mjs); latency = receipt − the client's send of the append.
//
// Under `wrangler dev` the Worker and every Durable Object share one workerd thread, so in the
// second the append requests compete with the fan-out for it; see bench/README.md.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { startCpuMeter } from "./cpu.mjs";
import { runAppender } from "./live-appender.mjs";
import { runProducer, workspaceHead } from "./live-producer.mjs";
import { openSockets, openSseTails } from "./live-subscribers.mjs";

const WARMUP_MS = 2_000;
/** At 10 ms a tick, 20 appends waiting is 200 ms behind: more would only queue in the client. */
const MAX_IN_FLIGHT = 20;
/** How long after the last append every subscriber may take to receive everything. */
const DRAIN_TIMEOUT_MS = 5_000;

/**
 * Opens the subscribers, then runs both measurements, each after its own warm-up. `serverPgid`
 * is wrangler's process group, for its CPU use.
 */
export async function measureLiveEvents(
  baseUrl,
  { apiKey, accountId, socketWorkspaceId, sseWorkspaceId },
  { sockets: socketCount, sse: sseCount, intervalMs, duration, http: withHttp = true, serverPgid },
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
    const groups = [
      { kind: "socket", workspaceId: socketWorkspaceId, recorders: sockets.recorders },
      { kind: "sse", workspaceId: sseWorkspaceId, recorders: tails.recorders },
    ];
    const context = { baseUrl, apiKey, accountId, groups, intervalMs, serverPgid };
    const producer = await measureProducer(context, duration * 1000);
    const http = withHttp ? await measureHttp(context, duration * 1000) : null;
    return { duration, intervalMs, producer, http };
  } finally {
    sockets.close();
    tails.close();
  }
}

/**
 * The DO appends: a warm-up (JIT on both sides, the first fan-outs; its events are waited for,
 * then forgotten), then `durationMs` of appends to both workspaces at once.
 */
async function measureProducer(context, durationMs) {
  const { groups } = context;
  await drain(groups, await produce(context, WARMUP_MS, await readHeads(context)));
  resetRecorders(groups);
  const heads = await readHeads(context);
  const meter = startMeters(context.serverPgid);
  const produced = await produce(context, durationMs, heads);
  const { cpu, clientLoopDelayP99 } = meter.stop();
  await drain(groups, produced);
  return {
    groups: groups.map((group, i) => ({
      kind: group.kind,
      subscribers: group.recorders.length,
      appended: produced[i].appended,
      eventsPerSec: produced[i].appended / (produced[i].elapsedMs / 1000),
      lateMs: produced[i].lateMs,
      ...producerDeliveryFigures(group.recorders, produced[i]),
    })),
    cpu,
    clientLoopDelayP99,
  };
}

/**
 * Both workspaces' DOs append `windowMs / intervalMs` events at once. `heads` are their heads
 * beforehand (only this benchmark writes to them, so the events get ids head + 1 … head + N).
 */
async function produce({ baseUrl, accountId, groups, intervalMs }, windowMs, heads) {
  const count = Math.ceil(windowMs / intervalMs);
  const results = await Promise.all(
    groups.map((group) =>
      runProducer({ baseUrl, accountId, workspaceId: group.workspaceId, count, intervalMs }),
    ),
  );
  return results.map((result, i) => ({ ...result, head: heads[i] }));
}

/**
 * Per (subscriber, event): latency = the subscriber's receipt (Date.now()) − the event's
 * created_at (the DO's Date.now() when it appended it). Same machine, same clock, both whole
 * milliseconds: each figure is ±1 ms. Every subscriber must receive ids head + 1 … head + N
 * (event i carrying notes "i") exactly once, in order.
 */
function producerDeliveryFigures(recorders, { head, appended }) {
  const latencies = [];
  let missed = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  let unexpected = 0;
  let errors = 0;
  for (const recorder of recorders) {
    const seen = new Uint8Array(appended);
    let received = 0;
    let newest = head;
    for (let i = 0; i < recorder.ids.length; i++) {
      const index = recorder.ids[i] - head - 1;
      if (index < 0 || index >= appended || recorder.notes[i] !== String(index)) {
        unexpected++; // Not one of this run's events: someone else wrote to the workspace.
        continue;
      }
      if (seen[index]) {
        duplicated++;
        continue;
      }
      seen[index] = 1;
      received++;
      if (recorder.ids[i] < newest) outOfOrder++;
      newest = Math.max(newest, recorder.ids[i]);
      latencies.push(recorder.wall[i] - recorder.createdAt[i]);
    }
    missed += appended - received;
    errors += recorder.errors;
  }
  return {
    deliveries: latencies.length,
    ...latencyFigures(latencies),
    missed,
    duplicated,
    outOfOrder,
    unexpected,
    errors,
  };
}

/**
 * Appends over HTTP: a warm-up, then one appender per workspace for `durationMs` (see
 * live-appender.mjs). Their `notes` are "h<tick>" ("hw<tick>" in the warm-up).
 */
async function measureHttp(context, durationMs) {
  const { baseUrl, apiKey, groups } = context;
  const appendAll = (windowMs, label) =>
    Promise.all(
      groups.map((group) =>
        runAppender({
          url: `${baseUrl}/v1/workspaces/${group.workspaceId}/lifecycle-events`,
          apiKey,
          intervalMs: context.intervalMs,
          durationMs: windowMs,
          maxInFlight: MAX_IN_FLIGHT,
          label,
        }),
      ),
    );
  // Each answered append is one event, so a workspace's events end at head + the 201s.
  const appendPhase = async (windowMs, label) => {
    resetRecorders(groups);
    const heads = await readHeads(context);
    const meter = startMeters(context.serverPgid);
    const appended = await appendAll(windowMs, label);
    const measured = meter.stop();
    await drain(
      groups,
      appended.map((result, i) => ({ head: heads[i], appended: result.acked.length })),
    );
    return { heads, appended, ...measured };
  };

  await appendPhase(WARMUP_MS, "hw");
  const { heads, appended, cpu, clientLoopDelayP99 } = await appendPhase(durationMs, "h");

  return {
    maxInFlight: MAX_IN_FLIGHT,
    groups: groups.map((group, i) => ({
      kind: group.kind,
      subscribers: group.recorders.length,
      ...appendFigures(appended[i]),
      ...httpDeliveryFigures(group.recorders, appended[i], heads[i]),
    })),
    cpu,
    clientLoopDelayP99,
  };
}

function appendFigures(appended) {
  const requestMs = Float64Array.from(appended.requestMs).sort();
  return {
    appended: appended.acked.length,
    eventsPerSec: appended.acked.length / (appended.elapsedMs / 1000),
    appendFailed: appended.failed,
    appendSkipped: appended.skipped,
    appendMaxInFlight: appended.maxInFlight,
    appendP50: percentile(requestMs, 0.5),
    appendP99: percentile(requestMs, 0.99),
  };
}

/**
 * Per (subscriber, event): latency from the client's send of the append to the subscriber's
 * receipt (same performance.now() clock), and from the event's created_at to the receipt (as in
 * the producer measurement). Every subscriber must get every acknowledged append exactly once,
 * and its ids must run on from `head` one by one (no event skipped, none before a newer one).
 */
function httpDeliveryFigures(recorders, appended, head) {
  const latencies = [];
  const sinceCreated = [];
  let missed = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  let gaps = 0;
  let errors = 0;
  for (const recorder of recorders) {
    const seen = new Set();
    let newest = head;
    for (let i = 0; i < recorder.notes.length; i++) {
      const id = recorder.ids[i];
      if (id <= newest) outOfOrder++;
      else if (id !== newest + 1) gaps += id - newest - 1;
      newest = Math.max(newest, id);
      const notes = recorder.notes[i];
      const sentAt = appended.sends.get(notes);
      if (sentAt === undefined) continue; // Not one of this run's appends.
      if (seen.has(notes)) {
        duplicated++;
        continue;
      }
      seen.add(notes);
      latencies.push(recorder.times[i] - sentAt);
      sinceCreated.push(recorder.wall[i] - recorder.createdAt[i]);
    }
    for (const notes of appended.acked) if (!seen.has(notes)) missed++;
    errors += recorder.errors;
  }
  const created = latencyFigures(sinceCreated);
  return {
    deliveries: latencies.length,
    ...latencyFigures(latencies),
    createdP50: created.p50,
    createdP99: created.p99,
    missed,
    duplicated,
    outOfOrder,
    gaps,
    errors,
  };
}

/** CPU of client and server, and this process's event-loop delay, until `stop()`. */
function startMeters(serverPgid) {
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const stopCpu = startCpuMeter(serverPgid);
  return {
    stop() {
      const cpu = stopCpu();
      loopDelay.disable();
      return { cpu, clientLoopDelayP99: loopDelay.percentile(99) / 1e6 };
    },
  };
}

/** Each group's workspace head, one after the other (before anything is appended). */
async function readHeads({ baseUrl, apiKey, groups }) {
  const heads = [];
  for (const group of groups) heads.push(await workspaceHead(baseUrl, apiKey, group.workspaceId));
  return heads;
}

function resetRecorders(groups) {
  for (const group of groups) for (const recorder of group.recorders) recorder.reset();
}

const lastId = (recorder) => recorder.ids[recorder.ids.length - 1] ?? 0;

/**
 * Waits until every subscriber of group i has received event `expected[i].head +
 * expected[i].appended` (the last one appended), or the timeout.
 */
async function drain(groups, expected) {
  const deadline = performance.now() + DRAIN_TIMEOUT_MS;
  const last = expected.map(({ head, appended }) => head + appended);
  const done = () => groups.every((group, i) => group.recorders.every((r) => lastId(r) >= last[i]));
  while (!done() && performance.now() < deadline) await sleep(50);
}

/** p50, p99 and max of a list of latencies (ms); NaN when empty. */
function latencyFigures(latencies) {
  const sorted = Float64Array.from(latencies).sort();
  return {
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
  };
}

/** Nearest-rank percentile of an ascending array, rounded to 0.1 ms; NaN when empty. */
function percentile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  const value = sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return Math.round(value * 10) / 10;
}
