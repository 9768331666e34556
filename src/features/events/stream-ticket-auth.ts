import { unauthorized } from "../../db/api-keys";
import type { AuthContext } from "../../http/app-env";
import { workspaceApi } from "../../kernel/workspace-client";
import { SLUG_PATTERN } from "../workspaces/workspace.schemas";
import { isWebSocketUpgrade, upgradeRequired } from "./socket-forward";
import { ticketHash, ticketWorkspace } from "./stream-tickets";

/** The only routes that accept `?ticket=` in place of an Authorization header. */
export const TICKET_PATH = /^\/v1\/workspaces\/[^/]+\/(?:events|socket)$/;

/** A socket request that is not an upgrade would fail anyway: refuse it before the ticket is used. */
export function assertTicketUsable(path: string, upgrade: string | undefined): void {
  if (path.endsWith("/socket") && !isWebSocketUpgrade(upgrade)) throw upgradeRequired();
}

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
