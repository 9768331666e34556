import { ApiError } from "../http/errors";
import { randomToken, sha256Hex } from "../lib/crypto";
import { newId } from "../lib/ids";

// API keys: `wsk_…` for an account, `wsr_…` for a runner token (one workspace). Only the
// SHA-256 of a key and its first characters are stored; the key is shown once, at creation.

export type KeyKind = "account" | "runner";
const KIND_PREFIX: Record<KeyKind, string> = { account: "wsk_", runner: "wsr_" };
export const KEY_PATTERN = /^ws[kr]_[A-Za-z0-9_-]{43}$/;
const VISIBLE_CHARS = 12;

export interface NewKey {
  id: string;
  key: string;
  prefix: string;
  hash: string;
  createdAt: string;
}

export async function generateKey(kind: KeyKind): Promise<NewKey> {
  const key = KIND_PREFIX[kind] + randomToken(32);
  return {
    id: newId("key"),
    key,
    prefix: key.slice(0, VISIBLE_CHARS),
    hash: await sha256Hex(key),
    createdAt: new Date().toISOString(),
  };
}

/** A key as lists show it: its prefix and a mask, never the secret. */
export const maskKey = (prefix: string) => `${prefix}${"•".repeat(8)}`;

export async function insertKey(
  db: D1Database,
  key: NewKey,
  owner: { accountId: string; name?: string | null; workspaceId?: string | null },
): Promise<void> {
  await db
    .prepare(
      "INSERT INTO api_keys (id, account_id, name, prefix, hash, workspace_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(
      key.id,
      owner.accountId,
      owner.name ?? null,
      key.prefix,
      key.hash,
      owner.workspaceId ?? null,
      key.createdAt,
    )
    .run();
}

export interface ResolvedKey {
  keyId: string;
  accountId: string;
  workspaceId: string | null;
}

interface CacheEntry {
  value: ResolvedKey | null;
  expiresAt: number;
}

// Per-isolate cache of presented key → resolved key, so an authenticated request pays neither a
// D1 read nor a hash. It lives only in this isolate's memory, like the request that carried it.
// A revocation is seen by other isolates once their entry expires (AUTH_CACHE_TTL_MS).
const cache = new Map<string, CacheEntry>();
const CACHE_MAX_ENTRIES = 10_000;

export function forgetCachedKeys(): void {
  cache.clear();
}

export async function resolveKey(env: Env, key: string): Promise<ResolvedKey | null> {
  if (!KEY_PATTERN.test(key)) return null;
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && hit.expiresAt > now) return hit.value;
  const hash = await sha256Hex(key);

  const row = await env.DB.prepare(
    "SELECT id, account_id, workspace_id FROM api_keys WHERE hash = ? AND revoked_at IS NULL",
  )
    .bind(hash)
    .first<{ id: string; account_id: string; workspace_id: string | null }>();
  const value = row
    ? { keyId: row.id, accountId: row.account_id, workspaceId: row.workspace_id }
    : null;
  if (cache.size >= CACHE_MAX_ENTRIES) cache.clear();
  cache.set(key, { value, expiresAt: now + cacheTtlMs(env) });
  return value;
}

function cacheTtlMs(env: Env): number {
  const ttl = Number(env.AUTH_CACHE_TTL_MS);
  return Number.isFinite(ttl) && ttl >= 0 ? ttl : 5000;
}

export function unauthorized(message: string): ApiError {
  return new ApiError("unauthorized", message, {
    headers: { "WWW-Authenticate": 'Bearer realm="workspaces"' },
  });
}

/** The token after `Bearer `, or null when the header is absent or not a Bearer credential. */
export function bearerToken(header: string | undefined): string | null {
  const match = header?.match(/^Bearer[ ]+([^\s]+)\s*$/i);
  return match?.[1] ?? null;
}
