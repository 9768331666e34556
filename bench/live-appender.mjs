// The appender of the live-events benchmark: one lifecycle event every `intervalMs` into one
// workspace, each carrying a sequence in `notes` so a subscriber can tell which send it was.
import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";

// node:http with keep-alive rather than fetch: on this project's 2-core VM, fetch cost the
// client ~3 ms of CPU per request against ~0.8 ms, and the client shares the cores with workerd.
const agent = new http.Agent({ keepAlive: true });

/** POSTs a JSON body; resolves with the status once the response is fully read. */
function postJson(url, apiKey, body) {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: {
          authorization: `Bearer ${apiKey}`,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(payload),
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/**
 * Appends for `durationMs` on a fixed schedule: tick k is due at start + k × intervalMs, so a
 * slow response or a late timer never shifts the cadence (a late tick fires at once and the next
 * is still due on time). Requests overlap when responses are slow, but at most `maxInFlight` of
 * them: a tick that finds that many still waiting is skipped (and counted), not queued, so a
 * stalled server cannot pile up an unbounded backlog in the client.
 *
 * Returns { sends: Map<notes, send time>, acked: notes[] (answered 201), failed, skipped,
 * maxInFlight, requestMs: number[], elapsedMs }. elapsedMs is the window the ticks covered
 * (last tick + one interval: 10 s for 1,000 ticks on time). Times are performance.now(), the
 * clock the subscribers stamp arrivals with.
 */
export async function runAppender({ url, apiKey, intervalMs, durationMs, maxInFlight, label }) {
  const sends = new Map();
  const acked = [];
  const requestMs = [];
  const pending = new Set();
  let failed = 0;
  let skipped = 0;
  let inFlight = 0;
  let peak = 0;

  const append = async (notes) => {
    const sentAt = performance.now();
    sends.set(notes, sentAt);
    try {
      const status = await postJson(url, apiKey, { event: "bench", notes });
      if (status === 201) acked.push(notes);
      else failed++;
    } catch {
      failed++;
    }
    requestMs.push(performance.now() - sentAt);
  };

  const start = performance.now();
  for (let tick = 0; tick * intervalMs < durationMs; tick++) {
    const wait = start + tick * intervalMs - performance.now();
    if (wait > 0) await sleep(wait);
    if (inFlight >= maxInFlight) {
      skipped++;
      continue;
    }
    inFlight++;
    peak = Math.max(peak, inFlight);
    const request = append(`${label}${tick}`).finally(() => {
      inFlight--;
      pending.delete(request);
    });
    pending.add(request);
  }
  const elapsedMs = performance.now() - start + intervalMs;
  await Promise.all(pending);
  return { sends, acked, failed, skipped, maxInFlight: peak, requestMs, elapsedMs };
}
