import { createMiddleware } from "hono/factory";
import { unauthorized } from "../../db/api-keys";
import type { AppEnv, AuthContext } from "../../http/app-env";
import { workspaceApi } from "../../kernel/workspace-client";
import { SLUG_PATTERN } from "../../lib/ids";
import { isWebSocketUpgrade, upgradeRequired } from "./socket-forward";
import { ticketHash, ticketWorkspace } from "./stream-tickets";

// A stream ticket (`POST …/stream-tickets`) stands in for the Authorization header on the two
// routes that declare `auth: "ticket"` (the SSE tail and the socket), for browsers, which cannot
// set headers on an EventSource or a WebSocket. The route's auth sends `?ticket=` here when no
// Authorization header came.

/**
 * Authenticates a request by its stream ticket, using the ticket up. The caller becomes the key
 * that asked for the ticket, scoped to the ticket's workspace. An unknown, used, expired or
 * malformed ticket, or one for another workspace than `{ws}` names, is a 401.
 */
export async function authenticateTicket(
  env: Env,
  ref: string,
  ticket: string,
): Promise<AuthContext> {
  const workspaceId = ticketWorkspace(ticket);
  if (!workspaceId) throw unauthorized("the stream ticket is not valid");
  if (ref !== workspaceId) {
    const row = SLUG_PATTERN.test(ref)
      ? await env.DB.prepare("SELECT slug FROM workspaces WHERE id = ?")
          .bind(workspaceId)
          .first<{ slug: string }>()
      : null;
    if (row?.slug !== ref) throw unauthorized("the stream ticket is for another workspace");
  }
  const holder = await workspaceApi(env, workspaceId, null).events.consumeTicket(
    await ticketHash(ticket),
  );
  if (!holder) throw unauthorized("the stream ticket is unknown, already used or expired");
  return { keyId: holder.actor ?? "", accountId: holder.accountId, workspaceId };
}

/**
 * The ticket check of a route's `auth: "ticket"`. On the socket route a request that is not an
 * upgrade would fail anyway: it is refused before the ticket is used up.
 */
export const streamTicketAuth = (channel: "sse" | "socket") =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (channel === "socket" && !isWebSocketUpgrade(c.req.header("upgrade"))) {
      throw upgradeRequired();
    }
    c.set(
      "auth",
      await authenticateTicket(c.env, c.req.param("ws") ?? "", c.req.query("ticket") ?? ""),
    );
    await next();
  });
