// `npm run test:e2e:docs`: the API reference page (/docs) in a real browser asks no host but
// the API's own. Serves the API with `wrangler dev` on throwaway storage, opens /docs in
// headless Chromium (Debian's `chromium`, or CHROMIUM_PATH), opens the test client of one
// operation and sends its request, and fails on any request to another host (fonts, a proxy,
// telemetry, a CDN) or on a reference page that did not render.
import { runE2E } from "./harness.mjs";

/** Every URL the page asked for, and the ones that failed. */
async function loadReference(browser, baseUrl, step) {
  const page = await browser.newPage();
  const requested = [];
  const failed = [];
  page.on("request", (request) => requested.push(request.url()));
  page.on("requestfailed", (request) =>
    failed.push(`${request.url()}: ${request.failure()?.errorText}`),
  );
  page.on("pageerror", (error) => console.error(`[page error] ${error.message}`));

  await page.goto(`${baseUrl}/docs`, { waitUntil: "networkidle" });
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

runE2E({
  name: "docs e2e",
  port: Number(process.env.E2E_DOCS_PORT ?? 8795),
  portEnv: "E2E_DOCS_PORT",
  async test({ baseUrl, port, launchBrowser, step }) {
    const browser = await launchBrowser();
    const { requested, failed } = await loadReference(browser, baseUrl, step);
    const elsewhere = requested.filter((url) => {
      const { protocol, host } = new URL(url);
      return !["data:", "blob:", "about:"].includes(protocol) && host !== `127.0.0.1:${port}`;
    });
    for (const url of requested) console.log(`  ${url}`);
    if (elsewhere.length > 0 || failed.length > 0) {
      throw new Error(
        `the reference page asked other hosts: ${JSON.stringify(elsewhere)}; failed: ${JSON.stringify(failed)}`,
      );
    }
    return `${requested.length} requests, all to ${baseUrl}`;
  },
});
