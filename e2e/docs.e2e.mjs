// `npm run test:e2e:docs`: the API reference page (/docs) in a real browser asks no host but
// the API's own. Serves the API with `wrangler dev` on throwaway storage, opens /docs in
// headless Chromium (Debian's `chromium`, or CHROMIUM_PATH), opens the test client of one
// operation and sends its request, and fails on any request to another host (fonts, a proxy,
// telemetry, a CDN) or on a reference page that did not render.
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
const PORT = Number(process.env.E2E_DOCS_PORT ?? 8795);
const BASE_URL = `http://127.0.0.1:${PORT}`;
const OVERALL_TIMEOUT_MS = 120_000;

const started = Date.now();
const step = (text) =>
  console.log(`[docs ${((Date.now() - started) / 1000).toFixed(1)} s] ${text}`);

/** Every URL the page asked for, and the ones that failed. */
async function loadReference(browserRef) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
  });
  browserRef.browser = browser;
  const page = await browser.newPage();
  const requested = [];
  const failed = [];
  page.on("request", (request) => requested.push(request.url()));
  page.on("requestfailed", (request) =>
    failed.push(`${request.url()}: ${request.failure()?.errorText}`),
  );
  page.on("pageerror", (error) => console.error(`[page error] ${error.message}`));

  await page.goto(`${BASE_URL}/docs`, { waitUntil: "networkidle" });
  // Rendered from the document: an operation's summary is on the page.
  await page.getByText("Liveness of the service").first().waitFor({ timeout: 30_000 });
  step("reference rendered");
  // The test client, where a proxy would be used: open it on GET /health and send the request.
  await page.getByText("Liveness of the service").first().click();
  const testButton = page.getByRole("button", { name: /test request/i }).first();
  if (await testButton.isVisible().catch(() => false)) {
    await testButton.click();
    const send = page.getByRole("button", { name: /^send/i }).first();
    await send.waitFor({ timeout: 10_000 });
    await send.click();
    await page.waitForLoadState("networkidle");
    step("test client sent GET /health");
  } else {
    step("no Test Request button visible: only the page itself was checked");
  }
  await page.waitForTimeout(1_000);
  return { requested, failed };
}

async function main() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: apt-get install chromium (or set CHROMIUM_PATH)`);
  }
  const persistDir = mkdtempSync(join(os.tmpdir(), "workspaces-docs-e2e-"));
  const browserRef = { browser: null };
  let wrangler = null;
  const cleanUp = async () => {
    await browserRef.browser?.close().catch(() => {});
    await stopWrangler(wrangler);
    rmSync(persistDir, { recursive: true, force: true });
  };
  stopWranglerOnExit(cleanUp, () => wrangler);
  const watchdog = setTimeout(async () => {
    console.error(`docs e2e: FAILED: still running after ${OVERALL_TIMEOUT_MS / 1000} s`);
    await cleanUp();
    process.exit(1);
  }, OVERALL_TIMEOUT_MS);

  try {
    await assertPortFree(BASE_URL).catch(() => {
      throw new Error(`${BASE_URL} already answers; stop that server or set E2E_DOCS_PORT`);
    });
    copyAssets();
    applyMigrations(persistDir);
    wrangler = startWrangler({
      port: PORT,
      persistDir,
      adminToken: randomBytes(24).toString("hex"),
    });
    await waitForHealth(BASE_URL, wrangler);
    step(`wrangler dev answering on ${BASE_URL}`);

    const { requested, failed } = await loadReference(browserRef);
    const elsewhere = requested.filter((url) => {
      const { protocol, host } = new URL(url);
      return !["data:", "blob:", "about:"].includes(protocol) && host !== `127.0.0.1:${PORT}`;
    });
    for (const url of requested) console.log(`  ${url}`);
    if (elsewhere.length > 0 || failed.length > 0) {
      throw new Error(
        `the reference page asked other hosts: ${JSON.stringify(elsewhere)}; failed: ${JSON.stringify(failed)}`,
      );
    }
    console.log(`\ndocs e2e: PASSED: ${requested.length} requests, all to ${BASE_URL}`);
  } finally {
    clearTimeout(watchdog);
    await cleanUp();
  }
}

main().catch((error) => {
  console.error(`\ndocs e2e: FAILED: ${error.stack ?? error.message}`);
  process.exit(1);
});
