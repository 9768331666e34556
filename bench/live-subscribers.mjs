// The subscribers of the live-events benchmark: WebSockets and SSE tails on one workspace each.
// Each records, per event received, its id, the `notes` the producer put in it, the arrival time
// (two clocks) and the event's created_at; everything else (latency, losses, order) is worked out
// after the run, so the message handlers stay cheap: 250 subscribers share this one Node process.
import { EventSource } from "eventsource";
import WebSocket from "ws";

/** Subscribers opened at a time: a burst of 250 upgrades at once only measures the burst. */
const OPEN_CONCURRENCY = 25;
const OPEN_TIMEOUT_MS = 30_000;

/** What one subscriber received, in arrival order. */
class Recorder {
  constructor(kind) {
    this.kind = kind;
    this.reset();
  }

  /** Starts a new phase (a warm-up's events are not part of the measurement). */
  reset() {
    this.ids = [];
    this.notes = [];
    /** performance.now(): the clock the HTTP appender stamps its sends with. */
    this.times = [];
    /** Date.now(): the clock to compare with created_at (the DO's Date.now(), same machine). */
    this.wall = [];
    this.createdAt = [];
    this.errors = 0;
  }

  /** One event's JSON, received at `at` (performance.now()); control messages are ignored. */
  record(json, at) {
    const wall = Date.now();
    const event = JSON.parse(json);
    if (typeof event.id !== "number") return;
    this.ids.push(event.id);
    this.notes.push(event.data?.lifecycle_event?.notes ?? null);
    this.times.push(at);
    this.wall.push(wall);
    this.createdAt.push(event.created_at);
  }
}

/**
 * Opens `count` sockets on `url` and resolves once each has answered `subscribed` (from the
 * head: no cursor). Returns { recorders, close }.
 */
export async function openSockets(url, apiKey, count) {
  const sockets = [];
  let closing = false;
  const open = () =>
    new Promise((resolve, reject) => {
      const recorder = new Recorder("socket");
      let subscribed = false;
      // No permessage-deflate: with it, ws inflates on libuv's thread pool, ten at a time, and
      // that queue in the client would show up as delivery latency.
      const ws = new WebSocket(url, {
        headers: { authorization: `Bearer ${apiKey}` },
        perMessageDeflate: false,
      });
      sockets.push(ws);
      ws.once("unexpected-response", (_req, res) =>
        reject(new Error(`socket upgrade answered ${res.statusCode}`)),
      );
      ws.once("error", reject);
      ws.on("message", (data) => {
        const at = performance.now();
        if (subscribed) return recorder.record(data.toString(), at);
        const first = JSON.parse(data.toString());
        if (first.type !== "subscribed") return reject(new Error(`socket got ${data}`));
        subscribed = true;
        ws.on("error", () => recorder.errors++);
        // A socket that closes before we do has lost the rest of the run.
        ws.on("close", () => {
          if (!closing) recorder.errors++;
        });
        resolve(recorder);
      });
    });
  const recorders = await openAll(count, open, "sockets");
  const close = () => {
    closing = true;
    for (const ws of sockets) ws.terminate();
  };
  return { recorders, close };
}

/**
 * Opens `count` SSE tails on `url` (no cursor: live from the head) with the eventsource package,
 * whose custom fetch adds the Authorization header. Resolves once every stream is open.
 */
export async function openSseTails(url, apiKey, count) {
  const sources = [];
  const authorizedFetch = (input, init) =>
    fetch(input, { ...init, headers: { ...init.headers, authorization: `Bearer ${apiKey}` } });
  const open = () =>
    new Promise((resolve, reject) => {
      const recorder = new Recorder("sse");
      const source = new EventSource(url, { fetch: authorizedFetch });
      sources.push(source);
      source.addEventListener("workspace-event", (message) => {
        recorder.record(message.data, performance.now());
      });
      source.onopen = () => {
        // After the first open, an error means a reconnect: the library resumes by
        // Last-Event-ID, but the run counts it.
        source.onerror = () => recorder.errors++;
        resolve(recorder);
      };
      source.onerror = (error) => reject(new Error(`SSE open failed: ${error.message}`));
    });
  const recorders = await openAll(count, open, "SSE tails");
  const close = () => {
    for (const source of sources) source.close();
  };
  return { recorders, close };
}

/** Runs `open` count times, OPEN_CONCURRENCY at a time, within OPEN_TIMEOUT_MS. */
async function openAll(count, open, what) {
  const recorders = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      recorders.push(await open());
    }
  };
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `${recorders.length} of ${count} ${what} open after ${OPEN_TIMEOUT_MS / 1000} s`,
          ),
        ),
      OPEN_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([Promise.all(Array.from({ length: OPEN_CONCURRENCY }, worker)), timeout]);
  } finally {
    clearTimeout(timer);
  }
  return recorders;
}
