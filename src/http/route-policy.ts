import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { adminAuth } from "./admin-auth";
import { apiKeyAuth, type KeyReach } from "./api-key-auth";
import type { AppEnv } from "./app-env";
import { conditionalGet } from "./conditional-get";
import { ApiError } from "./errors";
import { idempotency } from "./idempotency";
import { resolveWorkspace } from "./resolve-workspace";

// The middleware a route's declared policy asks for (route.ts reads the declaration), in the
// order they must run: who is calling, how much body may come, the idempotent replay, the
// conditional GET, then the workspace `{ws}` names. Nothing here looks at the request's URL.

/** JSON bodies are small (metadata is capped at 16 KiB); anything larger is refused unread. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;
/** Thread writes carry whole messages (each up to 8 MiB), so their bodies may be larger. */
export const MAX_THREAD_BODY_BYTES = 16 * 1024 * 1024;

/**
 * - `key`: an API key (`Authorization: Bearer`); a runner token on a `{ws}` route only
 * - `ticket`: an API key, or `?ticket=` without one (checked by the route's `authenticate`)
 * - `signed-url`: the URL itself (checked by the route's `authenticate`)
 * - `admin`: the ADMIN_TOKEN secret
 * - `public`: nobody needs to say who they are
 */
export type AuthKind = "key" | "ticket" | "signed-url" | "admin" | "public";

/**
 * - `json`: read whole, at most 1 MiB
 * - `thread`: read whole, at most 16 MiB (thread writes carry whole messages)
 * - `upload`: a file's bytes, streamed to storage unread (their own caps apply), and
 *   fingerprinted for an idempotent replay without being read
 * - `upload-or-json`: `upload`, unless the request is `application/json` (then `json`)
 */
export type BodyKind = "json" | "thread" | "upload" | "upload-or-json";

export interface Policy {
  auth: AuthKind;
  /** The feature's own check for `ticket` and `signed-url`. */
  authenticate?: MiddlewareHandler<AppEnv>;
  body: BodyKind;
  /** POST only: an Idempotency-Key replays the first answer. */
  idempotent: boolean;
  /** The answer is a live stream: an idempotent replay keeps only what names it (idempotency.ts). */
  stream?: boolean;
  /** GET only: 304 when If-None-Match names the ETag the answer carries. */
  etag: boolean;
  /** Resolve `{ws}` to `c.var.workspace` (routes whose path names `{ws}`). */
  workspace: boolean;
  /** With `workspace`: false refuses runner tokens (403) even for their own workspace. */
  runnerTokens: boolean;
}

const limitTo = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError("too_large", `request bodies are limited to ${maxSize} bytes`);
    },
  });

/** Whether the request's body is JSON (by its Content-Type), not a file's bytes. */
export const isJsonRequest = (c: { req: { header(name: string): string | undefined } }) =>
  (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase() === "application/json";

const jsonBodyLimit = limitTo(MAX_JSON_BODY_BYTES);
const threadBodyLimit = limitTo(MAX_THREAD_BODY_BYTES);
const readIdempotency = idempotency("read");
const streamedIdempotency = idempotency("streamed");
const streamAnswerIdempotency = idempotency("read", "stream");

const BODY_LIMIT: Record<BodyKind, MiddlewareHandler<AppEnv> | null> = {
  json: jsonBodyLimit,
  thread: threadBodyLimit,
  upload: null,
  "upload-or-json": (c, next) => (isJsonRequest(c) ? jsonBodyLimit(c, next) : next()),
};

const IDEMPOTENCY: Record<BodyKind, MiddlewareHandler<AppEnv>> = {
  json: readIdempotency,
  thread: readIdempotency,
  upload: streamedIdempotency,
  "upload-or-json": (c, next) =>
    isJsonRequest(c) ? readIdempotency(c, next) : streamedIdempotency(c, next),
};

function authMiddleware(policy: Policy): MiddlewareHandler<AppEnv> | null {
  const reach: KeyReach = policy.workspace ? "workspace" : "account";
  switch (policy.auth) {
    case "public":
      return null;
    case "admin":
      return adminAuth;
    case "key":
      return apiKeyAuth(reach);
    case "ticket": {
      const { authenticate } = policy;
      if (!authenticate) throw new Error("auth: ticket needs its authenticate middleware");
      const keyAuth = apiKeyAuth(reach);
      return (c, next) =>
        !c.req.header("authorization") && c.req.query("ticket")
          ? authenticate(c, next)
          : keyAuth(c, next);
    }
    case "signed-url":
      if (!policy.authenticate)
        throw new Error("auth: signed-url needs its authenticate middleware");
      return policy.authenticate;
  }
}

/** The policy's middleware, in order. */
export function policyMiddleware(policy: Policy): MiddlewareHandler<AppEnv>[] {
  return [
    authMiddleware(policy),
    BODY_LIMIT[policy.body],
    policy.idempotent ? (policy.stream ? streamAnswerIdempotency : IDEMPOTENCY[policy.body]) : null,
    policy.etag ? conditionalGet : null,
    policy.workspace ? resolveWorkspace(policy.runnerTokens) : null,
  ].filter((handler): handler is MiddlewareHandler<AppEnv> => handler !== null);
}
