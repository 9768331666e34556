import { ApiError } from "../../http/errors";
import type { Caller } from "../../kernel/caller";
import type { SubscriptionRequest } from "./subscriber";

// A WebSocket upgrade cannot travel by RPC, so the Worker forwards it to the Durable Object as
// a fetch. The caller the Worker authenticated and the subscription it validated ride along in
// one header; the DO is reachable only through the Worker, so it trusts them as it trusts RPC
// arguments.

const HEADER = "x-workspace-socket";

interface SocketForward {
  caller: Caller;
  subscription: Omit<SubscriptionRequest, "actor">;
}

export function socketForwardRequest(original: Request, forward: SocketForward): Request {
  const headers = new Headers(original.headers);
  headers.set(HEADER, JSON.stringify(forward));
  headers.delete("authorization");
  return new Request("https://workspace.internal/socket", { headers });
}

export const isWebSocketUpgrade = (upgrade: string | null | undefined) =>
  upgrade?.toLowerCase() === "websocket";

/** The answer to a socket route called without `Upgrade: websocket`. */
export const upgradeRequired = () =>
  new ApiError("invalid_request", "this endpoint needs a WebSocket upgrade (Upgrade: websocket)");

export function parseSocketRequest(request: Request): SocketForward | null {
  const header = request.headers.get(HEADER);
  if (!isWebSocketUpgrade(request.headers.get("upgrade")) || !header) return null;
  return JSON.parse(header) as SocketForward;
}
