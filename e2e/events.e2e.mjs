// `npm run test:e2e`: live workspace events in a real browser. Serves the API with `wrangler dev`
// on throwaway storage, opens e2e/events-page.html in headless Chromium (Debian's `chromium`,
// driven by playwright-core) on the API's own origin, and checks that the page's EventSource and
// WebSocket, both opened with stream tickets, receive every change made over HTTP, in order,
// including across the server ending the SSE stream (SSE_MAX_LIFETIME_MS is 3 s here).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { apiClient, progress, runE2E } from "./harness.mjs";

const E2E_DIR = fileURLToPath(new URL(".", import.meta.url));
const PORT = Number(process.env.E2E_PORT ?? 8797);
const BASE_URL = `http://127.0.0.1:${PORT}`;
const SSE_LIFETIME_MS = 3_000;
const WAIT_MS = 10_000;
// The files the page is made of, served under /__e2e/ on the API's origin.
const PAGE_FILES = {
  "events-page.html": "text/html; charset=utf-8",
  "events-page.js": "text/javascript; charset=utf-8",
};

const { step } = progress("e2e");
const { expectStatus, createAccountAndKey } = apiClient(BASE_URL);

const range = (from, to) => Array.from({ length: to - from + 1 }, (_, index) => from + index);
const readState = (page) => page.evaluate(() => window.e2e);

/** Waits until the page state satisfies `predicate` (run in the page, with `arg`). */
async function waitInPage(page, what, predicate, arg) {
  try {
    await page.waitForFunction(predicate, arg, { timeout: WAIT_MS, polling: 50 });
  } catch (error) {
    const state = await readState(page).catch(() => null);
    throw new Error(
      `timed out after ${WAIT_MS / 1000} s waiting for ${what} (${error.message.split("\n")[0]})\n` +
        `page state: ${JSON.stringify(summarize(state))}`,
    );
  }
}

const bothReceived = (page, count, what) =>
  waitInPage(
    page,
    what,
    (n) => window.e2e.sse.ids.length >= n && window.e2e.socket.ids.length >= n,
    count,
  );

/** The page state, shortened for error messages. */
function summarize(state) {
  if (!state) return state;
  const tail = (list) => (list.length > 8 ? [`…${list.length - 8} more`, ...list.slice(-8)] : list);
  return {
    sse: { ...state.sse, ids: tail(state.sse.ids), types: tail(state.sse.types) },
    socket: {
      ...state.socket,
      ids: tail(state.socket.ids),
      types: tail(state.socket.types),
      sequence: tail(state.socket.sequence),
    },
    errors: state.errors,
  };
}

async function run({ adminToken, launchBrowser }) {
  const { apiKey } = await createAccountAndKey(adminToken);
  const workspace = await expectStatus(201, "POST", "/v1/workspaces", apiKey, { name: "e2e" });
  const ws = workspace.id;
  step(`workspace ${ws} created`);

  const browser = await launchBrowser();
  // The page comes from page.route, not from the network, so Chromium does not know it is a
  // loopback page and its Local Network Access check blocks the WebSocket to 127.0.0.1 (a page
  // the API served itself would not need this).
  const context = await browser.newContext({ permissions: ["local-network-access"] });
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error(`[page error] ${error.message}`));
  page.on("console", (message) => {
    // The browser's own SSE retries with a spent ticket are 401s by design (checked below).
    const expected401 =
      message.text().includes("status of 401") && message.location().url.includes("/events?");
    if (!expected401 && (message.type() === "error" || message.type() === "warning")) {
      console.error(`[page console.${message.type()}] ${message.text()}`);
    }
  });
  // The status of every EventSource request, to see the browser's own retries refused.
  const sseStatuses = [];
  page.on("response", (response) => {
    if (new URL(response.url()).pathname.endsWith("/events")) sseStatuses.push(response.status());
  });
  await page.route(`${BASE_URL}/__e2e/*`, (route) => {
    const name = new URL(route.request().url()).pathname.slice("/__e2e/".length);
    const contentType = PAGE_FILES[name];
    if (!contentType) return route.fulfill({ status: 404, body: "not found" });
    return route.fulfill({ contentType, body: readFileSync(join(E2E_DIR, name), "utf8") });
  });
  await page.goto(`${BASE_URL}/__e2e/events-page.html`);
  step(`page open in Chromium ${browser.version()}`);

  const subscribed = await page.evaluate((options) => window.startE2e(options), {
    apiKey,
    workspaceId: ws,
  });
  const head = subscribed.head;
  assert.equal(subscribed.cursor, head, "the socket subscribed at the head");
  const pong = await page.evaluate(() => window.pingSocket());
  assert.deepEqual(pong, { type: "pong" }, "ping answered with pong");
  step(`socket subscribed at head ${head} (ping/pong ok), EventSource open`);

  // Every change made below, as the event type it appends, in order.
  const expectedTypes = [];

  // 1. Twenty lifecycle events in a row.
  for (let index = 1; index <= 20; index += 1) {
    await expectStatus(201, "POST", `/v1/workspaces/${ws}/lifecycle-events`, apiKey, {
      event: "deploy",
      notes: `first batch ${index}`,
    });
    expectedTypes.push("lifecycle_event.created");
  }
  await bothReceived(page, expectedTypes.length, "the first 20 events on both streams");
  step("first 20 changes received by EventSource and WebSocket");

  // 2. The server ends the SSE stream after 3 s; the page resumes with a fresh ticket.
  await waitInPage(
    page,
    "the server to end the SSE stream and the page to resume it",
    () => window.e2e.sse.serverEnds >= 1 && window.e2e.sse.connections.at(-1).opened,
  );
  step("server ended the SSE stream; page resumed with a new ticket and ?cursor=");

  // 3. Twenty more changes, spread over ~4 s so the next stream end falls among them.
  for (let index = 1; index <= 20; index += 1) {
    if (index % 2 === 0) {
      await expectStatus(200, "PATCH", `/v1/workspaces/${ws}`, apiKey, {
        description: `second batch ${index}`,
      });
      expectedTypes.push("workspace.updated");
    } else {
      await expectStatus(201, "POST", `/v1/workspaces/${ws}/lifecycle-events`, apiKey, {
        event: "deploy",
        notes: `second batch ${index}`,
      });
      expectedTypes.push("lifecycle_event.created");
    }
    await sleep(200);
  }
  await bothReceived(page, expectedTypes.length, "the 40 events on both streams");

  // 4. A reset.
  const reset = await expectStatus(200, "POST", `/v1/workspaces/${ws}/reset`, apiKey);
  expectedTypes.push("workspace.reset");
  await bothReceived(page, expectedTypes.length, "workspace.reset on both streams");
  await waitInPage(page, "workspace_reset on the socket", () =>
    window.e2e.socket.control.some((message) => message.type === "workspace_reset"),
  );
  step(`20 more changes and a reset received (reset event ${reset.event_id})`);

  const last = head + expectedTypes.length;
  const debug = await expectStatus(200, "GET", `/v1/workspaces/${ws}/streams/debug`, apiKey);
  assert.equal(debug.head_event_id, last, "the server's head is the last change");

  let state = await readState(page);
  const expectedIds = range(head + 1, last);
  assert.deepEqual(state.errors, [], "no errors in the page");
  assert.deepEqual(state.sse.ids, expectedIds, "SSE: every event once, in order, no gaps");
  assert.deepEqual(state.sse.types, expectedTypes, "SSE: the event types of the changes made");
  assert.deepEqual(state.sse.idMismatches, [], "SSE: each frame's id: matches its JSON id");
  assert.deepEqual(state.sse.other, [], "SSE: no reset/dropped frames");
  assert.ok(state.sse.serverEnds >= 1, "SSE: the server ended the stream at least once");
  assert.ok(state.sse.connections.length >= 2, "SSE: the page reconnected at least once");
  assert.ok(
    state.sse.connections.every((connection) => connection.opened),
    "SSE: every reconnect was accepted",
  );
  // Each server-ended stream: the browser's retry with the spent ticket is a 401, then the
  // page's own reconnect with a new ticket is a 200.
  assert.deepEqual(
    sseStatuses,
    [200, ...Array.from({ length: state.sse.serverEnds }, () => [401, 200]).flat()],
    "SSE: the browser's retries with a spent ticket were refused (401), fresh tickets accepted",
  );
  assert.equal(state.sse.connections[0].cursor, null, "SSE: first connection without a cursor");
  let seen = head;
  for (const connection of state.sse.connections) {
    if (connection.cursor !== null) {
      assert.equal(connection.cursor, seen, "SSE: each resume starts from the last id seen");
    }
    seen += connection.events;
  }
  assert.deepEqual(state.socket.ids, expectedIds, "socket: every event once, in order, no gaps");
  assert.deepEqual(
    state.socket.types,
    expectedTypes,
    "socket: the event types of the changes made",
  );
  const resetMessages = state.socket.control.filter(
    (message) => message.type === "workspace_reset",
  );
  assert.equal(resetMessages.length, 1, "socket: one workspace_reset");
  assert.equal(resetMessages[0].workspace_id, ws, "socket: workspace_reset names the workspace");
  assert.equal(resetMessages[0].event_id, last, "socket: workspace_reset names the reset event");
  assert.ok(
    state.socket.sequence.indexOf("workspace_reset") > state.socket.sequence.indexOf(last),
    "socket: workspace_reset comes after the workspace.reset event",
  );
  assert.equal(state.socket.close, null, "socket: still open");

  // 5. Delete: both streams get workspace.deleted, then the server closes them.
  await expectStatus(204, "DELETE", `/v1/workspaces/${ws}`, apiKey);
  expectedTypes.push("workspace.deleted");
  await waitInPage(
    page,
    "the socket to close and the SSE stream to end after the delete",
    () => window.e2e.socket.close !== null && window.e2e.sse.closed !== null,
  );
  state = await readState(page);
  const deletedId = head + expectedTypes.length;
  assert.deepEqual(state.errors, [], "no errors in the page");
  assert.deepEqual(state.sse.ids, range(head + 1, deletedId), "SSE: the delete event arrived last");
  assert.equal(state.sse.types.at(-1), "workspace.deleted", "SSE: workspace.deleted");
  assert.deepEqual(state.sse.closed, { reason: "workspace_deleted" }, "SSE: event: closed");
  assert.deepEqual(state.socket.ids, range(head + 1, deletedId), "socket: the delete event");
  assert.equal(state.socket.types.at(-1), "workspace.deleted", "socket: workspace.deleted");
  assert.deepEqual(
    state.socket.control.at(-1),
    { type: "closed", reason: "workspace_deleted" },
    "socket: the last message is closed/workspace_deleted",
  );
  assert.equal(state.socket.sequence.at(-2), deletedId, "socket: closed comes after the event");
  assert.equal(state.socket.close.code, 4404, "socket: close code 4404");
  assert.equal(state.socket.close.reason, "workspace_deleted", "socket: close reason");
  step("delete: workspace.deleted on both, SSE `closed`, socket closed with 4404");

  return { head, state, sseStatuses };
}

runE2E({
  name: "e2e",
  port: PORT,
  portEnv: "E2E_PORT",
  vars: { SSE_MAX_LIFETIME_MS: SSE_LIFETIME_MS, SSE_RETRY_MS: 200 },
  async test({ adminToken, launchBrowser }) {
    const { head, state, sseStatuses } = await run({ adminToken, launchBrowser });
    const perConnection = state.sse.connections.map((connection) => connection.events).join("+");
    return (
      `  EventSource: ${state.sse.ids.length} events (ids ${head + 1}..${state.sse.ids.at(-1)}), ` +
      `${state.sse.serverEnds} server-ended streams, ${state.sse.connections.length} connections ` +
      `(events per connection ${perConnection}; resumed from cursors ` +
      `${state.sse.connections
        .slice(1)
        .map((connection) => connection.cursor)
        .join(", ")}; EventSource responses ${sseStatuses.join(" ")})\n` +
      `  WebSocket:   ${state.socket.ids.length} events (ids ${head + 1}..${state.socket.ids.at(-1)}), ` +
      `workspace_reset, closed/workspace_deleted, close code ${state.socket.close.code}`
    );
  },
});
