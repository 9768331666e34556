import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { sha256Hex } from "../lib/crypto";

// `Idempotency-Key` on POST: the first request with a key claims it (one atomic INSERT, so of
// concurrent requests exactly one runs); later ones with the same method, path and body get the
// first response replayed with its status, and with another request a 422. Keys live 24 hours.
// Only a success is kept: a first request that failed (4xx or 5xx) changed nothing, so it
// releases its key and the client's retry runs again, e.g. once a clashing slug is free.
// A response marked `Cache-Control: no-store` carries a secret (a new API key or runner token):
// its body is not kept, so a replay of it is a 409 rather than a second copy of the secret.

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const TTL_SECONDS = 24 * 60 * 60;
const REPLAYED_HEADERS = ["content-type", "etag", "location"];

interface StoredResponse {
  fingerprint: string;
  response_status: number | null;
  response_body: string | null;
  response_headers: string | null;
}

export const idempotency = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header("idempotency-key");
  if (c.req.method !== "POST" || key === undefined) return next();
  if (!KEY_PATTERN.test(key)) {
    throw new ApiError(
      "invalid_request",
      "Idempotency-Key must be 1-255 visible ASCII characters",
      {
        details: [{ field: "Idempotency-Key", location: "header" }],
      },
    );
  }
  const scope = c.get("auth")?.accountId ?? "admin";
  const body = await c.req.text();
  const fingerprint = await sha256Hex(`${c.req.method} ${c.req.path}\n${body}`);
  const db = c.env.DB;

  const claim = await db
    .prepare(
      `INSERT INTO idempotency_keys (account_id, key, fingerprint, created_at) VALUES (?, ?, ?, unixepoch())
       ON CONFLICT (account_id, key) DO UPDATE SET fingerprint = excluded.fingerprint,
         response_status = NULL, response_body = NULL, response_headers = NULL, created_at = excluded.created_at
       WHERE idempotency_keys.created_at <= unixepoch() - ?`,
    )
    .bind(scope, key, fingerprint, TTL_SECONDS)
    .run();

  if (claim.meta.changes === 0) {
    const stored = await db
      .prepare(
        "SELECT fingerprint, response_status, response_body, response_headers FROM idempotency_keys WHERE account_id = ? AND key = ?",
      )
      .bind(scope, key)
      .first<StoredResponse>();
    return replay(stored, fingerprint);
  }

  await next();

  if (c.res.status >= 400) {
    await db
      .prepare("DELETE FROM idempotency_keys WHERE account_id = ? AND key = ?")
      .bind(scope, key)
      .run();
    return;
  }
  if (c.res.headers.get("cache-control")?.includes("no-store")) {
    await db
      .prepare(
        'UPDATE idempotency_keys SET response_status = ?, response_body = NULL, response_headers = \'{"secret":"1"}\' WHERE account_id = ? AND key = ?',
      )
      .bind(c.res.status, scope, key)
      .run();
    return;
  }
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = c.res.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  await db
    .prepare(
      "UPDATE idempotency_keys SET response_status = ?, response_body = ?, response_headers = ? WHERE account_id = ? AND key = ?",
    )
    .bind(c.res.status, await c.res.clone().text(), JSON.stringify(headers), scope, key)
    .run();
});

const keyDetails = [{ field: "Idempotency-Key", location: "header" }];

function replay(stored: StoredResponse | null, fingerprint: string): Response {
  if (stored && stored.fingerprint !== fingerprint) {
    throw new ApiError(
      "unprocessable",
      "this Idempotency-Key was used with a different request (method, path or body)",
      { details: keyDetails },
    );
  }
  if (!stored || stored.response_status === null) {
    throw new ApiError("conflict", "a request with this Idempotency-Key is still in progress", {
      details: keyDetails,
    });
  }
  const storedHeaders = JSON.parse(stored.response_headers ?? "{}") as Record<string, string>;
  if (storedHeaders.secret) {
    throw new ApiError(
      "conflict",
      "this Idempotency-Key was already used; its response held a secret that is shown only once",
      { details: keyDetails },
    );
  }
  const headers = new Headers(storedHeaders);
  headers.set("idempotent-replayed", "true");
  const body = stored.response_status === 204 ? null : stored.response_body;
  return new Response(body, { status: stored.response_status, headers });
}
