// What every browser test here needs around its own checks: the API served by `wrangler dev`
// on throwaway storage (migrations applied, an admin token of its own), headless Chromium
// (Debian's `chromium`, or CHROMIUM_PATH) launched on demand (for the tests that use one), an overall watchdog, and
// everything stopped and removed however the test ends.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import {
  applyMigrations,
  assertPortFree,
  copyAssets,
  startWrangler,
  stopWrangler,
  stopWranglerOnExit,
  waitForHealth,
} from "../bench/wrangler.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const OVERALL_TIMEOUT_MS = 120_000;
const BROWSER_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A `[name 1.2 s] text` progress line; `elapsed()` for the final report. */
export function progress(name) {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  return { elapsed, step: (text) => console.log(`[${name} ${elapsed()}] ${text}`) };
}

/** JSON over HTTP with a bearer token: `{status, body}` (body as text when it is not JSON). */
export function apiClient(baseUrl) {
  async function api(method, path, token, body) {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON: reported as text.
    }
    return { status: response.status, body: json ?? text };
  }
  async function expectStatus(expected, method, path, token, body) {
    const result = await api(method, path, token, body);
    if (result.status !== expected) {
      throw new Error(
        `${method} ${path} answered ${result.status}, expected ${expected}: ${JSON.stringify(result.body)}`,
      );
    }
    return result.body;
  }
  /** The same account and key shape `npm start` creates (scripts/start.mjs). */
  async function createAccountAndKey(adminToken, name = "e2e") {
    const account = await expectStatus(201, "POST", "/v1/admin/accounts", adminToken, { name });
    const key = await expectStatus(
      201,
      "POST",
      `/v1/admin/accounts/${account.id}/keys`,
      adminToken,
      {
        name,
      },
    );
    return { accountId: account.id, apiKey: key.key };
  }
  return { api, expectStatus, createAccountAndKey };
}

/**
 * Runs `test({baseUrl, port, adminToken, launchBrowser, step})` against a fresh `wrangler dev`
 * on `port` (with `vars`); exits non-zero with `name: FAILED …` when it throws or outlives the
 * watchdog, and prints what `test` answers after `name: PASSED`.
 */
export function runE2E({ name, port, portEnv, vars = {}, test }) {
  const baseUrl = `http://127.0.0.1:${port}`;
  const { step, elapsed } = progress(name);
  const adminToken = randomBytes(24).toString("hex");
  let persistDir = null;
  let wrangler = null;
  const browsers = [];
  const cleanUp = async () => {
    for (const browser of browsers) await browser.close().catch(() => {});
    await stopWrangler(wrangler);
    if (persistDir) rmSync(persistDir, { recursive: true, force: true });
  };
  const launchBrowser = async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} not found: apt-get install chromium (or set CHROMIUM_PATH)`);
    }
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
    browsers.push(browser);
    return browser;
  };

  async function main() {
    stopWranglerOnExit(cleanUp, () => wrangler);
    const watchdog = setTimeout(async () => {
      console.error(`${name}: FAILED: still running after ${OVERALL_TIMEOUT_MS / 1000} s`);
      await cleanUp();
      process.exit(1);
    }, OVERALL_TIMEOUT_MS);
    try {
      await assertPortFree(baseUrl).catch(() => {
        throw new Error(`${baseUrl} already answers; stop that server or set ${portEnv}`);
      });
      copyAssets();
      persistDir = mkdtempSync(join(os.tmpdir(), `workspaces-${name.replace(/\W+/g, "-")}-`));
      step(`applying D1 migrations into ${persistDir}`);
      applyMigrations(persistDir);
      wrangler = startWrangler({ port, persistDir, adminToken, vars });
      await waitForHealth(baseUrl, wrangler);
      step(`wrangler dev answering on ${baseUrl}`);
      const summary = await test({ baseUrl, port, adminToken, launchBrowser, step });
      console.log(`\n${name}: PASSED in ${elapsed()}${summary ? `\n${summary}` : ""}`);
    } finally {
      clearTimeout(watchdog);
      await cleanUp();
    }
  }

  main().catch((error) => {
    console.error(`\n${name}: FAILED after ${elapsed()}: ${error.stack ?? error.message}`);
    process.exitCode = 1;
  });
}
