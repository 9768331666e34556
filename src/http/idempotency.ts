import { createMiddleware } from "hono/factory";
import { hexOf, sha256Hex } from "../lib/crypto";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";

// `Idempotency-Key` on POST: the first request with a key claims it (one atomic INSERT, so of
// concurrent requests exactly one runs); later ones with the same method, path and body get the
// first response replayed with its status, and with another request a 422. Keys live 24 hours.
// Only a success is kept: a first request that failed (4xx or 5xx) changed nothing, so it
// releases its key and the client's retry runs again, e.g. once a clashing slug is free.
// A response marked `Cache-Control: no-store` carries a secret (a new API key or runner token):
// its body is not kept, so a replay of it is a 409 rather than a second copy of the secret.
// A streamed upload (a file's bytes) is not read to be fingerprinted: its fingerprint is the
// method, path, query, length and type, and a replay hashes the retried bytes as they arrive
// and compares them with the first response's ETag (the content's SHA-256), so other bytes
// under the same key are still a 422 and nothing is ever buffered. A route asks for this with
// its declaration (route.ts): every POST but a live stream, unless the stream route opts in.
// A live stream's answer cannot be kept, so for such a route only its status and headers are
// (which name what it streams), and a retry runs the handler again with them as
// `c.var.idempotentReplay`: the handler answers the same stream (replayed, then followed)
// instead of starting another. The claim makes a second turn impossible either way.

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const TTL_SECONDS = 24 * 60 * 60;
const REPLAYED_HEADERS = ["content-type", "etag", "location"];

interface StoredResponse {
  fingerprint: string;
  response_status: number | null;
  response_body: string | null;
  response_headers: string | null;
}

/** How a request is fingerprinted: from its whole body, or (streamed uploads) without reading it. */
export type BodyHandling = "read" | "streamed";

/** What is kept of the first answer: all of it, or (a live stream) what names the stream. */
export type AnswerHandling = "stored" | "stream";

export const idempotency = (handling: BodyHandling, answer: AnswerHandling = "stored") =>
  createMiddleware<AppEnv>(async (c, next) => {
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
    const fingerprint = await sha256Hex(
      handling === "read"
        ? `${c.req.method} ${c.req.path}\n${await c.req.text()}`
        : streamedFingerprint(c.req.raw),
    );
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
      const streamed = streamReference(stored, fingerprint);
      if (streamed) {
        c.set("idempotentReplay", streamed);
        await next();
        if (c.res.status < 400) {
          c.res = new Response(c.res.body, c.res);
          c.res.headers.set("idempotent-replayed", "true");
        }
        return;
      }
      const response = replay(stored, fingerprint);
      if (handling === "streamed") await assertSameBytes(c.req.raw.body, response);
      return response;
    }

    await next();

    if (c.res.status >= 400) {
      await db
        .prepare("DELETE FROM idempotency_keys WHERE account_id = ? AND key = ?")
        .bind(scope, key)
        .run();
      return;
    }
    if (answer === "stream") {
      const headers = Object.fromEntries(c.res.headers.entries());
      await db
        .prepare(
          "UPDATE idempotency_keys SET response_status = ?, response_body = NULL, response_headers = ? WHERE account_id = ? AND key = ?",
        )
        .bind(c.res.status, JSON.stringify({ stream: headers }), scope, key)
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

/** A streamed upload's identity without its bytes: where it goes, how long, what type. */
function streamedFingerprint(request: Request): string {
  const url = new URL(request.url);
  const headers = ["content-length", "content-type", "if-match", "if-none-match"].map(
    (name) => `${name}: ${request.headers.get(name) ?? ""}`,
  );
  return `${request.method} ${url.pathname}${url.search}\nstreamed\n${headers.join("\n")}`;
}

/**
 * A replayed upload must carry the bytes the first one stored: hashed as they stream in and
 * compared with the first response's ETag (their SHA-256). Without an ETag, nothing to compare.
 */
async function assertSameBytes(body: ReadableStream<Uint8Array> | null, replayed: Response) {
  const etag = replayed.headers.get("etag")?.replaceAll('"', "");
  if (!etag) return;
  const digest = new crypto.DigestStream("SHA-256");
  if (body) await body.pipeTo(digest);
  else await digest.getWriter().close();
  if (hexOf(await digest.digest) !== etag) {
    throw new ApiError(
      "unprocessable",
      "this Idempotency-Key was used with different bytes for the same upload",
      { details: keyDetails },
    );
  }
}

const keyDetails = [{ field: "Idempotency-Key", location: "header" }];

/** The first answer's headers when it was a live stream (and the retry is the same request). */
function streamReference(
  stored: StoredResponse | null,
  fingerprint: string,
): Record<string, string> | null {
  if (!stored || stored.fingerprint !== fingerprint || stored.response_status === null) return null;
  const kept = JSON.parse(stored.response_headers ?? "{}") as { stream?: Record<string, string> };
  return kept.stream ?? null;
}

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
