import { randomToken, sha256Hex } from "../../lib/crypto";
import { str } from "../../lib/sql-values";

// Stream tickets let a browser open an EventSource or WebSocket, which cannot carry an
// Authorization header: a short-lived, single-use secret for one workspace, passed as
// `?ticket=`. The ticket names its workspace (so a slug in the URL can be checked against it);
// only its SHA-256 is stored, in that workspace's Durable Object, which consumes it atomically.

export const TICKET_TTL_MS = 60_000;
const TICKET_PATTERN = /^wst_[A-Za-z0-9_-]{43}\.(ws_[0-9a-z]{26})$/;

export interface NewTicket {
  ticket: string;
  hash: string;
  expiresAt: number;
}

export async function newTicket(workspaceId: string, now: number): Promise<NewTicket> {
  const ticket = `wst_${randomToken(32)}.${workspaceId}`;
  return { ticket, hash: await sha256Hex(ticket), expiresAt: now + TICKET_TTL_MS };
}

/** The workspace a well-formed ticket was issued for, or null. */
export function ticketWorkspace(ticket: string): string | null {
  return TICKET_PATTERN.exec(ticket)?.[1] ?? null;
}

export const ticketHash = sha256Hex;

/** A ticket as stored: who asked for it, and until when it may be used. */
export interface TicketHolder {
  accountId: string;
  actor: string | null;
}

export function storeTicket(
  sql: SqlStorage,
  ticket: Pick<NewTicket, "hash" | "expiresAt">,
  holder: TicketHolder,
  now: number,
) {
  sql.exec("DELETE FROM stream_tickets WHERE expires_at <= ?", now);
  sql.exec(
    "INSERT INTO stream_tickets (hash, account_id, actor, expires_at) VALUES (?, ?, ?, ?)",
    ticket.hash,
    holder.accountId,
    holder.actor,
    ticket.expiresAt,
  );
}

/** Uses a ticket up: its holder if it existed and had not expired; it is gone either way. */
export function consumeTicket(sql: SqlStorage, hash: string, now: number): TicketHolder | null {
  const row = sql
    .exec("DELETE FROM stream_tickets WHERE hash = ? RETURNING account_id, actor, expires_at", hash)
    .toArray()[0];
  if (!row || Number(row.expires_at) <= now) return null;
  return {
    accountId: String(row.account_id),
    actor: str(row.actor),
  };
}
