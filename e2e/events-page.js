// The browser side of `npm run test:e2e`, loaded by events-page.html on the API's own origin (the
// API has no CORS). It uses the browser's own EventSource and WebSocket the documented way: a
// single-use stream ticket in `?ticket=`; when the server ends the SSE stream, the EventSource's
// automatic reconnect reuses the spent ticket and is refused, so the page fetches a new ticket
// and resumes with `?cursor=<last id seen>`. Everything received is recorded in `window.e2e`,
// which the Node side reads with page.evaluate.

const MAX_SSE_CONNECTIONS = 20;

const e2e = {
  sse: {
    /** Workspace event ids and types, in the order they arrived. */
    ids: [],
    types: [],
    /** One entry per EventSource: the cursor it resumed from, whether it opened, events read. */
    connections: [],
    /** Times the server ended a stream and the browser began its own (refused) reconnect. */
    serverEnds: 0,
    /** `event: closed` (workspace deleted). */
    closed: null,
    /** Any other named SSE event (`reset`, `dropped`), which this test does not expect. */
    other: [],
    /** Frames whose `id:` line differed from the event's JSON id. */
    idMismatches: [],
    /** The last event id seen (starts at the head the socket reported). */
    cursor: null,
  },
  socket: {
    ids: [],
    types: [],
    /** Control messages (no dot in `type`): subscribed, pong, workspace_reset, closed, ... */
    control: [],
    /** Event ids and control types interleaved, to check the order across both kinds. */
    sequence: [],
    subscribed: null,
    close: null,
  },
  errors: [],
};
window.e2e = e2e;

let config = null;
let socket = null;
const waiters = new Set();

async function newTicket() {
  const response = await fetch(`/v1/workspaces/${config.workspaceId}/stream-tickets`, {
    method: "POST",
    headers: { authorization: `Bearer ${config.apiKey}` },
  });
  const body = await response.json().catch(() => null);
  if (response.status !== 201 || typeof body?.ticket !== "string") {
    throw new Error(`POST stream-tickets answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return body.ticket;
}

/** Opens an EventSource; resolves once it is open. Without a cursor the server starts at head. */
async function openEvents(cursor) {
  const query = new URLSearchParams({ ticket: await newTicket() });
  if (cursor !== null) query.set("cursor", String(cursor));
  const source = new EventSource(`/v1/workspaces/${config.workspaceId}/events?${query}`);
  const connection = { cursor, opened: false, events: 0 };
  e2e.sse.connections.push(connection);

  source.addEventListener("workspace-event", (message) => {
    const event = JSON.parse(message.data);
    if (String(event.id) !== message.lastEventId) {
      e2e.sse.idMismatches.push({ data: event.id, lastEventId: message.lastEventId });
    }
    e2e.sse.ids.push(event.id);
    e2e.sse.types.push(event.type);
    e2e.sse.cursor = event.id;
    connection.events += 1;
  });
  source.addEventListener("closed", (message) => {
    e2e.sse.closed = JSON.parse(message.data);
    source.close();
  });
  for (const name of ["reset", "dropped"]) {
    source.addEventListener(name, (message) => e2e.sse.other.push({ name, data: message.data }));
  }

  return new Promise((resolve, reject) => {
    source.addEventListener("open", () => {
      connection.opened = true;
      resolve();
    });
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CONNECTING) {
        // The server ended the stream; the browser retries on its own, with the spent ticket.
        e2e.sse.serverEnds += 1;
        return;
      }
      // CLOSED: the connection (or the browser's retry) was refused.
      source.close();
      if (!connection.opened) reject(new Error("the EventSource was refused"));
      if (e2e.sse.closed || !connection.opened) return;
      if (e2e.sse.connections.length >= MAX_SSE_CONNECTIONS) {
        e2e.errors.push(`gave up after ${MAX_SSE_CONNECTIONS} EventSource connections`);
        return;
      }
      openEvents(e2e.sse.cursor).catch((error) => e2e.errors.push(`SSE resume: ${error.message}`));
    });
  });
}

/** Opens the WebSocket; resolves with its `subscribed` message. */
async function openSocket() {
  const url = new URL(`/v1/workspaces/${config.workspaceId}/socket`, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("ticket", await newTicket());
  socket = new WebSocket(url);
  return new Promise((resolve, reject) => {
    socket.addEventListener("message", (message) => {
      const data = JSON.parse(message.data);
      // Workspace event types contain a dot; control messages do not.
      if (typeof data.type === "string" && data.type.includes(".")) {
        e2e.socket.ids.push(data.id);
        e2e.socket.types.push(data.type);
        e2e.socket.sequence.push(data.id);
      } else {
        e2e.socket.control.push(data);
        e2e.socket.sequence.push(data.type);
        if (data.type === "subscribed" && !e2e.socket.subscribed) {
          e2e.socket.subscribed = data;
          resolve(data);
        }
      }
      for (const waiter of waiters) waiter(data);
    });
    socket.addEventListener("close", (event) => {
      e2e.socket.close = { code: event.code, reason: event.reason, wasClean: event.wasClean };
      reject(new Error(`the socket closed (${event.code}) before it subscribed`));
    });
    socket.addEventListener("error", () => e2e.errors.push("WebSocket error event"));
  });
}

/** Opens the socket first (its `subscribed` names the head), then the EventSource. */
window.startE2e = async (options) => {
  config = options;
  const subscribed = await openSocket();
  e2e.sse.cursor = subscribed.head;
  await openEvents(null);
  return subscribed;
};

/** Sends `{"type":"ping"}` and resolves with the reply. */
window.pingSocket = () =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiters.delete(waiter);
      reject(new Error("no pong within 5 s"));
    }, 5_000);
    const waiter = (data) => {
      if (data.type !== "pong") return;
      clearTimeout(timer);
      waiters.delete(waiter);
      resolve(data);
    };
    waiters.add(waiter);
    socket.send(JSON.stringify({ type: "ping" }));
  });
