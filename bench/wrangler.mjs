// Runs the Worker locally for the benchmark: migrations and `wrangler dev`, both against a
// throwaway persistence directory so the developer's own local data is never touched.
import { execFileSync, spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";

// No telemetry, no network look-ups, no interactive prompts: the run must work offline.
export const WRANGLER_ENV = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  CI: "true",
};

const HEALTH_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

export function copyAssets() {
  execFileSync("node", ["scripts/copy-assets.mjs"], { stdio: "inherit" });
}

export function applyMigrations(persistDir) {
  execFileSync(
    "npx",
    ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir],
    { env: WRANGLER_ENV, stdio: ["ignore", "ignore", "inherit"] },
  );
}

/** Throws when something already answers on the port: we would benchmark the wrong server. */
export async function assertPortFree(baseUrl) {
  const answered = await fetch(`${baseUrl}/health`).then(
    () => true,
    () => false,
  );
  if (answered) throw new Error(`${baseUrl} already answers; stop that server or set BENCH_PORT`);
}

/**
 * Starts `wrangler dev` in its own process group (detached), so stopWrangler can end wrangler
 * and the workerd it spawns together. Its output is forwarded with a prefix.
 */
export function startWrangler({ port, persistDir, adminToken, vars = {} }) {
  const args = [
    "wrangler",
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--show-interactive-dev-session=false",
    "--log-level",
    "warn",
    "--persist-to",
    persistDir,
    "--var",
    "BENCH_ROUTES:true",
    "--var",
    "LOG_REQUESTS:false",
    "--var",
    `ADMIN_TOKEN:${adminToken}`,
    // Extra `--var NAME:value` pairs, e.g. a short SSE lifetime for the browser test.
    ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
  ];
  const child = spawn("npx", args, {
    env: WRANGLER_ENV,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const forward = (stream) => (chunk) => {
    for (const line of String(chunk).split("\n")) {
      if (line.trim()) stream.write(`[wrangler] ${line}\n`);
    }
  };
  child.stdout.on("data", forward(process.stdout));
  child.stderr.on("data", forward(process.stderr));
  return child;
}

/** Polls GET /health until it answers 200; fails if wrangler exits or the time runs out. */
export async function waitForHealth(baseUrl, child) {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `wrangler dev exited (${child.exitCode ?? child.signalCode}) before it was up`,
      );
    }
    const status = await fetch(`${baseUrl}/health`).then(
      (res) => res.status,
      () => 0,
    );
    if (status === 200) return;
    await sleep(250);
  }
  throw new Error(`GET ${baseUrl}/health did not answer 200 within ${HEALTH_TIMEOUT_MS / 1000} s`);
}

/**
 * Ends the whole process group: SIGTERM first, then SIGKILL for anything that lingers (workerd
 * can outlive the npx/wrangler parent). Safe to call twice.
 */
export async function stopWrangler(child) {
  if (!child) return;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    killGroup(child, "SIGTERM");
    await Promise.race([exited, sleep(STOP_GRACE_MS)]);
  }
  killGroup(child, "SIGKILL");
}

/**
 * Ctrl-C reaches only this process (wrangler runs in its own process group): on SIGINT or
 * SIGTERM run `cleanUp` and exit; on any exit, kill the wrangler `currentChild()` names.
 */
export function stopWranglerOnExit(cleanUp, currentChild) {
  const interrupt = async () => {
    await cleanUp();
    process.exit(130);
  };
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  process.once("exit", () => killWranglerNow(currentChild()));
}

/** Synchronous variant for process "exit" handlers, where nothing can be awaited. */
function killWranglerNow(child) {
  if (child && child.exitCode === null && child.signalCode === null) killGroup(child, "SIGKILL");
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}
