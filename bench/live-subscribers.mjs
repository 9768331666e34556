// The subscribers of the live-events benchmark: WebSockets and SSE tails on one workspace each.
// Each records, per event received, its id, the `notes` the producer put in it, the arrival time
// (two clocks) and the event's created_at; everything else (latency, losses, order) is worked out
// after the run, so the message handlers stay cheap: 250 subscribers share this one Node process,
// on the same cores as the server, and every millisecond this process spends on a message is
// also counted in the latency of the messages waiting behind it.
import http from "node:http";
import WebSocket from "ws";
import { SseParser } from "./sse-parser.mjs";

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
    /** Date.parse of each event's created_at (ms). */
    this.createdAt = [];
    this.errors = 0;
    this.checked = false;
  }

  /** One event's JSON, received at `at` (performance.now()); control messages are ignored. */
  record(json, at) {
    const wall = Date.now();
    let fields = pickFields(json);
    if (fields && !this.checked) {
      // The shortcut must read what JSON.parse reads: checked on each subscriber's first event.
      const full = parseFields(json);
      if (JSON.stringify(full) !== JSON.stringify(fields)) {
        throw new Error(`pickFields read ${JSON.stringify(fields)} from ${json}`);
      }
      this.checked = true;
    }
    fields ??= parseFields(json);
    if (!fields) return;
    this.ids.push(fields.id);
    this.notes.push(fields.notes);
    this.times.push(at);
    this.wall.push(wall);
    this.createdAt.push(fields.createdAt);
  }
}

/** id, notes and created_at (ms) of a WorkspaceEvent, with JSON.parse; null if not an event. */
function parseFields(json) {
  const event = JSON.parse(json);
  if (typeof event.id !== "number") return null;
  const notes = event.data?.lifecycle_event?.notes ?? null;
  return { id: event.id, notes, createdAt: Date.parse(event.created_at) };
}

/**
 * The same fields without building the whole object: the server writes `id` first and the
 * event's own `created_at` before `data` (JSON.stringify keeps the schema's key order), and the
 * benchmark's `notes` are digits. Null when the text does not look like that (control messages,
 * other events, escapes): the caller falls back to JSON.parse.
 */
function pickFields(json) {
  if (!json.startsWith('{"id":')) return null;
  const idEnd = json.indexOf(",", 6);
  const id = Number(json.slice(6, idEnd));
  const created = json.indexOf('"created_at":"', idEnd);
  const data = json.indexOf('"data":', idEnd);
  if (!Number.isInteger(id) || created < 0 || data < created) return null;
  const createdAt = Date.parse(json.slice(created + 14, json.indexOf('"', created + 14)));
  const notesAt = json.indexOf('"notes":"', data);
  if (notesAt < 0) return null;
  const notesEnd = json.indexOf('"', notesAt + 9);
  const notes = json.slice(notesAt + 9, notesEnd);
  if (notes.includes("\\") || Number.isNaN(createdAt)) return null;
  return { id, notes, createdAt };
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
      // The server's text frames are UTF-8 from JSON.stringify; JSON.parse would reject
      // anything else, so ws need not validate every message first.
      const ws = new WebSocket(url, {
        headers: { authorization: `Bearer ${apiKey}` },
        perMessageDeflate: false,
        skipUTF8Validation: true,
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
 * Opens `count` SSE tails on `url` (no cursor: live from the head), each a plain node:http GET
 * read by a small event-stream parser (bench/sse-parser.mjs) rather than the `eventsource`
 * package, whose fetch, web streams and event dispatch cost this process several times more per
 * message. Like EventSource it reconnects with Last-Event-ID when a stream ends or fails (and the
 * run counts it). Resolves once every stream is open.
 */
export async function openSseTails(url, apiKey, count) {
  const tails = [];
  let closing = false;
  const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const open = () =>
    new Promise((resolve, reject) => {
      const recorder = new Recorder("sse");
      const tail = { request: null };
      tails.push(tail);
      let opened = false;
      let lastEventId = null;
      let retryMs = 1_000;
      const connect = () => {
        const headers = { authorization: `Bearer ${apiKey}`, accept: "text/event-stream" };
        if (lastEventId !== null) headers["last-event-id"] = lastEventId;
        const parser = new SseParser((frame) => {
          if (frame.retry !== undefined) retryMs = frame.retry;
          if (frame.id !== undefined) lastEventId = frame.id;
          if (frame.event === "workspace-event" && frame.data !== undefined) {
            recorder.record(frame.data, performance.now());
          }
        });
        const lost = (why) => {
          if (closing) return;
          if (!opened) return reject(new Error(`SSE open failed: ${why}`));
          recorder.errors++;
          setTimeout(connect, retryMs);
        };
        tail.request = http.get(url, { agent, headers }, (res) => {
          const type = res.headers["content-type"] ?? "";
          if (res.statusCode !== 200 || !type.startsWith("text/event-stream")) {
            res.resume();
            return lost(`answered ${res.statusCode} ${type}`);
          }
          res.setEncoding("utf8");
          res.on("data", (text) => parser.push(text));
          res.on("end", () => lost("the stream ended"));
          res.on("error", (error) => lost(error.message));
          if (!opened) {
            opened = true;
            resolve(recorder);
          }
        });
        tail.request.on("error", (error) => lost(error.message));
      };
      connect();
    });
  const recorders = await openAll(count, open, "SSE tails");
  const close = () => {
    closing = true;
    for (const tail of tails) tail.request?.destroy();
    agent.destroy();
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
