// `npm run bench`: starts the Worker locally on throwaway storage, seeds it through the API,
// measures five targets with autocannon, then live event delivery over WebSockets and SSE, and
// writes bench/results.json. See bench/README.md.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { measureLiveEvents } from "./live-events.mjs";
import { measure } from "./measure.mjs";
import {
  computeRatios,
  liveFigures,
  printLiveTable,
  printTable,
  printVerdict,
  writeResults,
} from "./report.mjs";
import { seed } from "./seed.mjs";
import {
  applyMigrations,
  assertPortFree,
  copyAssets,
  startWrangler,
  stopWrangler,
  stopWranglerOnExit,
  waitForHealth,
} from "./wrangler.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RESULTS_PATH = join(ROOT, "bench/results.json");
const WORKSPACE_COUNT = 100;

function readOptions() {
  return {
    port: intOption("BENCH_PORT", 8787),
    duration: intOption("BENCH_DURATION", 10),
    connections: intOption("BENCH_CONNECTIONS", 10),
    // The figures are for 200 and 50; fewer (or 0) show where delivery starts to lag.
    liveSockets: intOption("BENCH_LIVE_SOCKETS", 200, 0),
    liveSse: intOption("BENCH_LIVE_SSE", 50, 0),
    liveIntervalMs: intOption("BENCH_LIVE_INTERVAL_MS", 10),
    // `live` skips the throughput targets (autocannon): only the live-events measurements run.
    only: choiceOption("BENCH_ONLY", ["all", "live"], "all"),
    // 0 skips the end-to-end live measurement (appends over HTTP, no targets).
    liveHttp: intOption("BENCH_LIVE_HTTP", 1, 0) > 0,
  };
}

function choiceOption(name, choices, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!choices.includes(raw)) throw new Error(`${name} must be one of ${choices.join(", ")}`);
  return raw;
}

function intOption(name, fallback, min = 1) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer ≥ ${min}`);
  }
  return value;
}

/** The five targets, in the order they are measured; each baseline sits next to its subject. */
function targets(baseUrl, { accountId, apiKey, workspaceId }) {
  const auth = { authorization: `Bearer ${apiKey}` };
  return [
    { name: "bare", url: `${baseUrl}/health` },
    { name: "do_ping", url: `${baseUrl}/__bench/do-ping` },
    { name: "workspace_get", url: `${baseUrl}/v1/workspaces/${workspaceId}`, headers: auth },
    {
      name: "d1_select_100",
      url: `${baseUrl}/__bench/d1-select?account=${accountId}&limit=100`,
      expectItems: WORKSPACE_COUNT,
    },
    {
      name: "workspace_list_100",
      url: `${baseUrl}/v1/workspaces?limit=100`,
      headers: auth,
      expectItems: WORKSPACE_COUNT,
    },
  ];
}

async function main() {
  const options = readOptions();
  const baseUrl = `http://127.0.0.1:${options.port}`;
  const adminToken = randomBytes(24).toString("hex");
  const persistDir = mkdtempSync(join(os.tmpdir(), "workspaces-bench-"));
  let wrangler = null;
  const cleanUp = async () => {
    await stopWrangler(wrangler);
    rmSync(persistDir, { recursive: true, force: true });
  };

  stopWranglerOnExit(cleanUp, () => wrangler);

  try {
    await assertPortFree(baseUrl);
    copyAssets();
    console.log(`Applying D1 migrations into ${persistDir}`);
    applyMigrations(persistDir);

    console.log(`Starting wrangler dev on ${baseUrl}`);
    wrangler = startWrangler({ port: options.port, persistDir, adminToken });
    await waitForHealth(baseUrl, wrangler);

    // The live measurement needs only its two workspaces (the 2nd and 3rd). With BENCH_ONLY=live
    // it would otherwise start while the Durable Objects of the other 97 go idle and are closed,
    // each close an fsync on the one thread that also runs the fan-out; in a full run that
    // happens during the throughput targets, long before.
    const workspaceCount = options.only === "live" ? 3 : WORKSPACE_COUNT;
    console.log(`Seeding 1 account, 1 key, ${workspaceCount} workspaces`);
    const seeded = await seed(baseUrl, adminToken, workspaceCount);

    const results = [];
    const throughputTargets = options.only === "live" ? [] : targets(baseUrl, seeded);
    for (const target of throughputTargets) {
      console.log(`Measuring ${target.name} (${options.duration} s after a warm-up)`);
      results.push(await measure(target, options));
    }

    // Its own two workspaces, not the one workspace_get read, so no other target's state mixes in.
    console.log(
      `Measuring live events: ${options.liveSockets} sockets, ${options.liveSse} SSE tails ` +
        `(${options.duration} s after a warm-up)`,
    );
    const [, socketWorkspaceId, sseWorkspaceId] = seeded.workspaceIds;
    const live = await measureLiveEvents(
      baseUrl,
      { apiKey: seeded.apiKey, accountId: seeded.accountId, socketWorkspaceId, sseWorkspaceId },
      {
        sockets: options.liveSockets,
        sse: options.liveSse,
        intervalMs: options.liveIntervalMs,
        duration: options.duration,
        http: options.liveHttp,
        serverPgid: wrangler.pid,
      },
    );

    const ratios = results.length > 0 ? computeRatios(results) : [];
    const eventFigures = liveFigures(live);
    if (results.length > 0) printTable(results, ratios, options);
    printLiveTable(live);
    printVerdict(ratios, eventFigures);
    writeResults(RESULTS_PATH, results, ratios, eventFigures);
    console.log(`\nWrote ${RESULTS_PATH}`);
  } finally {
    await cleanUp();
  }
}

// A missed target is still exit 0 (this is a measurement); only a broken run fails.
main().catch((error) => {
  console.error(`bench failed: ${error.message}`);
  process.exitCode = 1;
});
