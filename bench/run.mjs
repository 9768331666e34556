// `npm run bench`: starts the Worker locally on throwaway storage, seeds it through the API,
// measures five targets with autocannon, then live event delivery over WebSockets and SSE, then
// thread streams (10,000 parts stored vs not, time to first byte, replay), then files (download,
// upload and ZIP memory, directory move), then command executions, and writes
// bench/results.json. BENCH_ONLY=api,live,threads,files,commands,processes picks some of the parts. See
// bench/README.md.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { commandFigures, measureCommands, printCommandsTable } from "./commands-bench.mjs";
import { measureFiles } from "./files-bench.mjs";
import { filesFigures, printFilesTable } from "./files-report.mjs";
import { measureLiveEvents } from "./live-events.mjs";
import { mcpFigures, measureMcp, printMcpTable } from "./mcp-bench.mjs";
import { measure } from "./measure.mjs";
import {
  measureProcesses,
  printProcessesTable,
  processChecks,
  processFigures,
} from "./processes-bench.mjs";
import {
  apiFigures,
  computeRatios,
  liveFigures,
  printLiveTable,
  printTable,
  printVerdict,
  writeResults,
} from "./report.mjs";
import { runParts } from "./run-parts.mjs";
import { seed } from "./seed.mjs";
import { measureThreads, printThreadsTable, threadsFigures } from "./threads-bench.mjs";
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
const PARTS = ["api", "live", "threads", "files", "commands", "processes", "mcp"];

function readOptions() {
  return {
    port: intOption("BENCH_PORT", 8787),
    duration: intOption("BENCH_DURATION", 10),
    connections: intOption("BENCH_CONNECTIONS", 10),
    // The figures are for 200 and 50; fewer (or 0) show where delivery starts to lag.
    liveSockets: intOption("BENCH_LIVE_SOCKETS", 200, 0),
    liveSse: intOption("BENCH_LIVE_SSE", 50, 0),
    liveIntervalMs: intOption("BENCH_LIVE_INTERVAL_MS", 10),
    only: partsOption(),
    // 0 skips the end-to-end live measurement (appends over HTTP, no targets).
    liveHttp: intOption("BENCH_LIVE_HTTP", 1, 0) > 0,
    threads: {
      parts: intOption("BENCH_THREAD_PARTS", 10_000, 7),
      rounds: intOption("BENCH_THREAD_ROUNDS", 5),
      ttfbRounds: intOption("BENCH_THREAD_TTFB_ROUNDS", 40),
    },
    mcp: {
      seconds: intOption("BENCH_MCP_SECONDS", 5),
      clients: intOption("BENCH_MCP_CLIENTS", 8),
      rounds: intOption("BENCH_MCP_ROUNDS", 4),
      handshakes: intOption("BENCH_MCP_HANDSHAKES", 20),
    },
    files: {
      // Each of the download's two targets is measured this many times (ABBA order), and each
      // memory job is run this many times (the worst is reported).
      rounds: intOption("BENCH_FILES_ROUNDS", 2),
      moveCount: intOption("BENCH_FILES_MOVE_COUNT", 10_000),
    },
  };
}

/** BENCH_ONLY: a comma-separated subset of PARTS (all when unset). */
function partsOption() {
  const raw = process.env.BENCH_ONLY;
  if (raw === undefined || raw.trim() === "") return new Set(PARTS);
  const parts = raw.split(",").map((part) => part.trim());
  const unknown = parts.filter((part) => !PARTS.includes(part));
  if (unknown.length > 0) {
    throw new Error(`BENCH_ONLY may name ${PARTS.join(", ")}; not ${unknown.join(", ")}`);
  }
  return new Set(parts);
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

/**
 * The parts of the run, in order: each measures, then gives its figures (results.json's
 * format), its checks and a table printer.
 */
function benchParts(baseUrl, seeded, options, serverPid) {
  return [
    {
      name: "api",
      run: async () => {
        const results = [];
        for (const target of targets(baseUrl, seeded)) {
          console.log(`Measuring ${target.name} (${options.duration} s after a warm-up)`);
          results.push(await measure(target, options));
        }
        const ratios = computeRatios(results);
        return {
          figures: apiFigures(results, ratios),
          ratios,
          print: () => printTable(results, ratios, options),
        };
      },
    },
    {
      name: "live",
      run: async () => {
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
            serverPgid: serverPid,
          },
        );
        const figures = liveFigures(live);
        return { figures, liveFigures: figures, print: () => printLiveTable(live) };
      },
    },
    {
      name: "threads",
      run: async () => {
        const measured = threadsFigures(await measureThreads(baseUrl, seeded, options.threads));
        return { ...measured, print: () => printThreadsTable(measured) };
      },
    },
    {
      // After the others that share the workspaces: its seeding and its copy+delete leave work
      // (and R2 objects) behind.
      name: "files",
      run: async () => {
        const files = await measureFiles(baseUrl, seeded, serverPid, {
          connections: options.connections,
          duration: options.duration,
          ...options.files,
        });
        return { ...filesFigures(files), print: () => printFilesTable(files, options) };
      },
    },
    {
      name: "commands",
      run: async () => {
        const commands = await measureCommands(baseUrl, seeded, {
          duration: options.duration,
          connections: options.connections,
        });
        return { figures: commandFigures(commands), print: () => printCommandsTable(commands) };
      },
    },
    {
      name: "processes",
      run: async () => {
        const processes = await measureProcesses(baseUrl, seeded);
        return {
          figures: processFigures(processes),
          checks: processChecks(processes),
          print: () => printProcessesTable(processes),
        };
      },
    },
    {
      name: "mcp",
      run: async () => {
        console.log("Measuring MCP: tools/call read_file vs REST GET, and initialize + tools/list");
        const measured = mcpFigures(await measureMcp(baseUrl, seeded, options.mcp));
        return { ...measured, print: () => printMcpTable(measured) };
      },
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

    // The two lists need 100 workspaces; live events use two of them (never the first). Without
    // the lists only those are seeded: otherwise the live measurement would start while the
    // Durable Objects of the other 97 go idle and are closed, each close an fsync on the one
    // thread that also runs the fan-out (in a full run that happens during the lists, long before).
    const workspaceCount = options.only.has("api") ? WORKSPACE_COUNT : 3;
    console.log(`Seeding 1 account, 1 key, ${workspaceCount} workspaces`);
    const seeded = await seed(baseUrl, adminToken, workspaceCount);

    const parts = benchParts(baseUrl, seeded, options, wrangler.pid);
    const report = await runParts(
      parts.filter((part) => options.only.has(part.name)),
      (figures, failed) => writeResults(RESULTS_PATH, figures, failed),
    );
    printVerdict(report.ratios, report.liveFigures, report.checks);
    console.log(`\nWrote ${RESULTS_PATH}`);
    if (report.failed.length > 0) {
      console.error(`Failed parts: ${report.failed.map((f) => f.part).join(", ")}`);
      process.exitCode = 1;
    }
  } finally {
    await cleanUp();
  }
}

// A missed target is still exit 0 (this is a measurement); a failed part or a broken run is not.
main().catch((error) => {
  console.error(`bench failed: ${error.message}`, error.cause ?? "");
  process.exitCode = 1;
});
