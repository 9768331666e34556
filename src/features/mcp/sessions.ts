import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import {
  type InitializeRequest,
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/sdk/types.js";
import type { Caller } from "../../kernel/caller";
import { randomToken } from "../../lib/crypto";
import type { McpConfig } from "./mcp-config";
import { type MessageLog, STANDALONE_STREAM } from "./message-log";
import type { SessionStore } from "./session-store";

// The workspace's MCP sessions, in its Durable Object. The SDK's transport keeps a session in
// memory only; here a session is a row (what its `initialize` asked), its messages are in the
// message log, and a session whose transport is gone — the object was evicted or restarted —
// is rebuilt on its next request: a new server and transport, the stored `initialize` replayed
// into them (its answer, long since given, goes nowhere), then the request. An idle session
// expires; an unknown or expired one is 404, as the specification says, and the client
// initialises again.

interface LiveSession {
  id: string;
  server: Server;
  transport: WebStandardStreamableHTTPServerTransport;
  /** While a stored `initialize` is replayed: nothing it answers is kept. */
  replaying: boolean;
}

/** A JSON-RPC error with no id, as the SDK's transport answers transport-level refusals. */
export function jsonRpcError(status: number, code: number, message: string): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** The version `initialize` settles on, as the SDK's server negotiates it. */
const negotiated = (requested: string) =>
  SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION;

/** The params of a lone `initialize` request in a POST body, or null. */
function initializeParams(body: unknown): InitializeRequest["params"] | null {
  const message = Array.isArray(body) && body.length === 1 ? body[0] : body;
  if (typeof message !== "object" || message === null) return null;
  const { method, params } = message as { method?: unknown; params?: unknown };
  if (method !== "initialize" || typeof params !== "object" || params === null) return null;
  return params as InitializeRequest["params"];
}

const JSON_POST = {
  accept: "application/json, text/event-stream",
  "content-type": "application/json",
};

/** A request made here, to replay a stored handshake into a new transport. */
const replayRequest = (message: object, headers: Record<string, string> = {}) =>
  new Request("https://mcp.internal/", {
    method: "POST",
    headers: { ...JSON_POST, ...headers },
    body: JSON.stringify(message),
  });

/** How often at most a session's last use is written (every request would be a write). */
const TOUCH_EVERY_MS = 60_000;

export class McpSessions {
  private readonly live = new Map<string, LiveSession>();
  private readonly rebuilding = new Map<string, Promise<LiveSession>>();
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly store: SessionStore,
    private readonly log: MessageLog,
    private readonly config: McpConfig,
    private readonly newServer: (sessionId: string) => Server,
  ) {}

  /** An authorized MCP request: the session's transport answers it (404 for a gone session). */
  async handle(caller: Caller, request: Request): Promise<Response> {
    const authInfo = {
      token: "",
      clientId: caller.actor ?? "workspace",
      scopes: [],
      extra: { caller },
    };
    const id = request.headers.get("mcp-session-id");
    if (id === null) {
      if (request.method !== "POST") {
        return jsonRpcError(400, -32000, "Bad Request: Mcp-Session-Id header is required");
      }
      return this.initialize(caller, request, authInfo);
    }
    const session = await this.resume(id, Date.now());
    if (!session) return jsonRpcError(404, -32001, "Session not found");
    return session.transport.handleRequest(request, { authInfo });
  }

  /** A POST with no session: an `initialize` starts one; anything else the transport refuses. */
  private async initialize(
    caller: Caller,
    request: Request,
    authInfo: { token: string; clientId: string; scopes: string[]; extra: { caller: Caller } },
  ): Promise<Response> {
    const text = await request.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const params = initializeParams(parsed);
    const id = `mcps_${randomToken(24)}`;
    const session = this.create(id, () => {
      if (!params) return;
      const now = Date.now();
      this.store.insert({
        id,
        initialize: params,
        protocolVersion: negotiated(params.protocolVersion),
        clientName: params.clientInfo?.name ?? null,
        actor: caller.actor,
        createdAt: now,
        lastUsedAt: now,
      });
      this.live.set(id, session);
      this.touched.set(id, now);
    });
    const fresh = new Request(request.url, {
      method: "POST",
      headers: request.headers,
      body: text,
    });
    const response = await session.transport.handleRequest(fresh, {
      authInfo,
      ...(parsed === undefined ? {} : { parsedBody: parsed }),
    });
    // Not an initialize (or refused): no session was made, and the transport goes.
    if (!this.live.has(id)) await session.transport.close();
    return response;
  }

  /** The session in memory, or rebuilt from its row; null when unknown or expired. */
  private async resume(id: string, now: number): Promise<LiveSession | null> {
    const live = this.live.get(id);
    if (live) {
      this.touch(id, now);
      return live;
    }
    const pending = this.rebuilding.get(id);
    if (pending) return pending;
    const row = this.store.find(id);
    if (!row) return null;
    if (row.lastUsedAt + this.config.sessionIdleMs < now) {
      this.forget(id);
      return null;
    }
    const rebuilt = this.rebuild(id, row.initialize, row.protocolVersion);
    this.rebuilding.set(id, rebuilt);
    try {
      const session = await rebuilt;
      this.live.set(id, session);
      this.touch(id, now);
      return session;
    } finally {
      this.rebuilding.delete(id);
    }
  }

  /** A new server and transport for the session `id`, its initialize replayed. */
  private async rebuild(
    id: string,
    initialize: InitializeRequest["params"],
    protocolVersion: string,
  ): Promise<LiveSession> {
    const session = this.create(id, () => undefined);
    session.replaying = true;
    try {
      const answer = await session.transport.handleRequest(
        replayRequest({
          jsonrpc: "2.0",
          id: "replayed-initialize",
          method: "initialize",
          params: initialize,
        }),
      );
      await answer.text();
      await session.transport.handleRequest(
        replayRequest(
          { jsonrpc: "2.0", method: "notifications/initialized" },
          { "mcp-session-id": id, "mcp-protocol-version": protocolVersion },
        ),
      );
    } finally {
      session.replaying = false;
    }
    return session;
  }

  private create(id: string, onInitialized: () => void): LiveSession {
    const session: LiveSession = {
      id,
      server: this.newServer(id),
      transport: new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => id,
        eventStore: this.log.forSession(id, () => session.replaying),
        onsessioninitialized: onInitialized,
        onsessionclosed: () => this.forget(id),
        // A long-poll client that can resume is told to come back after this long.
        retryInterval: 1000,
      }),
      replaying: false,
    };
    void session.server.connect(session.transport);
    return session;
  }

  private touch(id: string, now: number): void {
    if (now - (this.touched.get(id) ?? 0) < TOUCH_EVERY_MS) return;
    this.touched.set(id, now);
    this.store.touch(id, now);
  }

  /** Sends `notification` to a session: through its server when live, else kept for its GET. */
  notify(id: string, notification: { method: string; params?: Record<string, unknown> }): void {
    const live = this.live.get(id);
    if (live) {
      live.server.notification(notification).catch(() => undefined);
      return;
    }
    if (this.store.find(id)) {
      this.log.append(id, STANDALONE_STREAM, { jsonrpc: "2.0", ...notification });
    }
  }

  /** Every session's id (live or not). */
  ids(): string[] {
    return this.store.ids();
  }

  /** Ends sessions idle past the limit; answers when the next one would expire. */
  async expire(now: number): Promise<number | null> {
    for (const id of this.store.idleSince(now - this.config.sessionIdleMs)) {
      const live = this.live.get(id);
      // A session in memory was used more recently than its row says (writes are spaced out).
      if (live && now - (this.touched.get(id) ?? 0) < this.config.sessionIdleMs) continue;
      await live?.transport.close().catch(() => undefined);
      this.forget(id);
    }
    this.log.trim(this.config.messagesKept);
    const oldest = this.store.oldestUse();
    return oldest === null ? null : oldest + this.config.sessionIdleMs;
  }

  /** Closes every session (a reset or delete of the workspace). */
  async closeAll(): Promise<number> {
    const ids = this.store.ids();
    for (const id of ids) {
      await this.live
        .get(id)
        ?.transport.close()
        .catch(() => undefined);
      this.forget(id);
    }
    return ids.length;
  }

  count(): number {
    return this.store.count();
  }

  private forget(id: string): void {
    this.live.delete(id);
    this.touched.delete(id);
    this.store.delete(id);
    this.log.forget(id);
  }
}
