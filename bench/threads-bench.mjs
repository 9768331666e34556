// The threads benchmark, on a workspace of its own: a 10,000-part echo stream through
// `POST …/threads/stream` (every part stored in the DO before it is sent, the answer assembled
// and saved at the end) vs the same stream with nothing stored (a bench-only route running the
// same model, streamText and framing in the same DO, through the same Worker path: key,
// workspace, relay); time to first byte; and the replay of a
// finished 10,000-part stream (`GET …/threads/{th}/stream` with Last-Event-ID: 0).
// See bench/README.md ("Threads").
import { postJson } from "./seed.mjs";

/** start, start-step, text-start, the words, text-end, finish-step, finish. */
const FRAMING_PARTS = 6;
const PERSISTED_TARGET = 0.8;
/** First byte of a stored stream ≤ this × an unstored one's. */
const TTFB_TARGET = 1.1;
/** Short streams for the first-byte figure: its medians need more rounds than 5. */
const TTFB_WORDS = 10;
const REPLAY_TARGET_MS = 100;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const round = (value, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
/** A stored-vs-unstored figure: the ratio against its baseline figure, with its target. */
const ratioFigure = (name, ratio, baseline, target) => ({
  name,
  value: round(ratio, 3),
  unit: "ratio",
  baseline,
  ratio: round(ratio, 3),
  target,
});
/** Whether a figure meets its target: a floor (`atLeast`) or a ceiling, said as the verdict prints it. */
const targetCheck = (figure, atLeast) => ({
  name: figure.name,
  met: atLeast ? figure.value >= figure.target : figure.value <= figure.target,
  text: `${figure.value}${figure.unit === "ms" ? " ms" : ""} (target ${atLeast ? "≥" : "≤"} ${figure.target}${figure.unit === "ms" ? " ms" : ""})`,
});

/**
 * Reads an SSE response to its end: time to first byte, total time, parts (id: lines). wrangler
 * dev answers a 503 "worker restarted mid-request" now and then (it reloads): such a request is
 * sent again, a few times.
 */
async function readStream(request, attempts = 3) {
  const start = performance.now();
  const response = await fetch(request.url, request.init);
  if (response.status === 503 && attempts > 1) {
    await response.text();
    await new Promise((resolve) => setTimeout(resolve, 500));
    return readStream(request, attempts - 1);
  }
  if (response.status !== 200) {
    throw new Error(`${request.url} answered ${response.status}: ${await response.text()}`);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let ttfb = null;
  let parts = 0;
  let carry = "";
  let done = false;
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) break;
    ttfb ??= performance.now() - start;
    const lines = (carry + decoder.decode(chunk.value, { stream: true })).split("\n");
    carry = lines.pop() ?? "";
    for (const line of lines) {
      if (line.startsWith("id: ")) parts++;
      else if (line === "data: [DONE]") done = true;
    }
  }
  if (!done) throw new Error(`${request.url}: the stream ended without [DONE]`);
  return {
    ttfbMs: ttfb,
    totalMs: performance.now() - start,
    parts,
    threadId: response.headers.get("x-thread-id"),
  };
}

export async function measureThreads(baseUrl, { apiKey }, { parts, rounds, ttfbRounds }) {
  const workspace = await postJson(`${baseUrl}/v1/workspaces`, apiKey, {
    name: "Bench threads",
    slug: "bench-threads",
  });
  const words = parts - FRAMING_PARTS;
  const auth = { authorization: `Bearer ${apiKey}` };
  const persisted = (count = words) => ({
    url: `${baseUrl}/v1/workspaces/${workspace.id}/threads/stream`,
    init: {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ message: `/delay 0\n/words ${count}`, tools: [] }),
    },
  });
  const unpersisted = (count = words) => ({
    url: `${baseUrl}/__bench/workspaces/${workspace.id}/echo-stream?words=${count}`,
    init: { method: "POST", headers: auth },
  });
  const replay = (threadId) => ({
    url: `${baseUrl}/v1/workspaces/${workspace.id}/threads/${threadId}/stream`,
    init: { headers: { ...auth, "last-event-id": "0" } },
  });

  console.log(`Measuring a ${parts}-part echo stream, stored vs not (${rounds} rounds, ABBA)`);
  // Warm-up: both paths once.
  await readStream(persisted());
  await readStream(unpersisted());
  const stored = [];
  const bare = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [persisted, unpersisted] : [unpersisted, persisted];
    for (const make of order) {
      const result = await readStream(make());
      if (result.parts !== parts) throw new Error(`expected ${parts} parts, got ${result.parts}`);
      (make === persisted ? stored : bare).push(result);
    }
  }
  const lastThread = stored.at(-1).threadId;
  console.log(`Measuring the replay of a finished ${parts}-part stream (${rounds} rounds)`);
  await readStream(replay(lastThread));
  const replays = [];
  for (let round = 0; round < rounds; round++) {
    const result = await readStream(replay(lastThread));
    if (result.parts !== parts) throw new Error(`replay: expected ${parts}, got ${result.parts}`);
    replays.push(result);
  }
  console.log(
    `Measuring the first byte of ${TTFB_WORDS}-word streams (${ttfbRounds} rounds, ABBA)`,
  );
  const firstBytes = { stored: [], bare: [] };
  for (let round = 0; round < ttfbRounds; round++) {
    const order = round % 2 === 0 ? ["stored", "bare"] : ["bare", "stored"];
    for (const kind of order) {
      const make = kind === "stored" ? persisted : unpersisted;
      firstBytes[kind].push((await readStream(make(TTFB_WORDS))).ttfbMs);
    }
  }
  return { parts, rounds, stored, bare, replays, firstBytes };
}

export function threadsFigures({ parts, stored, bare, replays, firstBytes }) {
  const perSec = (results) => median(results.map((r) => (r.parts / r.totalMs) * 1000));
  const storedRate = perSec(stored);
  const bareRate = perSec(bare);
  const ratio = storedRate / bareRate;
  const replayMs = median(replays.map((r) => r.totalMs));
  const storedFirst = median(firstBytes.stored);
  const bareFirst = median(firstBytes.bare);
  const firstRatio = storedFirst / bareFirst;
  const figures = [
    { name: "thread_stream_stored_parts_per_s", value: round(storedRate, 0), unit: "parts/s" },
    { name: "thread_stream_unstored_parts_per_s", value: round(bareRate, 0), unit: "parts/s" },
    ratioFigure(
      "thread_stream_stored_vs_unstored",
      ratio,
      "thread_stream_unstored_parts_per_s",
      PERSISTED_TARGET,
    ),
    {
      name: "thread_stream_stored_total_ms",
      value: round(median(stored.map((r) => r.totalMs))),
      unit: "ms",
    },
    {
      name: "thread_stream_unstored_total_ms",
      value: round(median(bare.map((r) => r.totalMs))),
      unit: "ms",
    },
    {
      name: "thread_stream_ttfb_ms",
      value: round(median(stored.map((r) => r.ttfbMs))),
      unit: "ms",
    },
    {
      name: "thread_stream_unstored_ttfb_ms",
      value: round(median(bare.map((r) => r.ttfbMs))),
      unit: "ms",
    },
    { name: "thread_stream_first_byte_ms", value: round(storedFirst, 2), unit: "ms" },
    { name: "thread_stream_unstored_first_byte_ms", value: round(bareFirst, 2), unit: "ms" },
    ratioFigure(
      "thread_stream_first_byte_vs_unstored",
      firstRatio,
      "thread_stream_unstored_first_byte_ms",
      TTFB_TARGET,
    ),
    {
      name: `thread_stream_replay_${parts}_ms`,
      value: round(replayMs),
      unit: "ms",
      target: REPLAY_TARGET_MS,
    },
    {
      name: "thread_stream_replay_ttfb_ms",
      value: round(median(replays.map((r) => r.ttfbMs))),
      unit: "ms",
    },
  ];
  const byName = (name) => figures.find((figure) => figure.name === name);
  const checks = [
    targetCheck(byName("thread_stream_stored_vs_unstored"), true),
    targetCheck(byName("thread_stream_first_byte_vs_unstored"), false),
    targetCheck(byName(`thread_stream_replay_${parts}_ms`), false),
  ];
  return { figures, checks };
}

export function printThreadsTable({ figures }) {
  console.log("\nThreads (median of the rounds)");
  for (const figure of figures) {
    console.log(`  ${figure.name.padEnd(40)} ${String(figure.value).padStart(10)} ${figure.unit}`);
  }
}
