import { createMiddleware } from "hono/factory";
import { bearerToken, resolveKey, unauthorized } from "../db/api-keys";
import { TICKET_PATH } from "../features/events/stream-ticket-auth";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";

/** A runner token reaches `/v1/workspaces/{ws}` and below, for its own workspace only. */
const WORKSPACE_SCOPED_PATH = /^\/v1\/workspaces\/[^/]+(?:\/.*)?$/;

/** `Authorization: Bearer <key>`: a missing, malformed, unknown or revoked key is a 401. */
export const apiKeyAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  // A stream ticket stands in for the header on two routes; resolveWorkspace checks it.
  if (!header && TICKET_PATH.test(c.req.path) && c.req.query("ticket")) return next();
  const token = bearerToken(header);
  if (!token) throw unauthorized("an API key is required: Authorization: Bearer <key>");
  const key = await resolveKey(c.env, token);
  if (!key) throw unauthorized("the API key is not valid");
  if (key.workspaceId && !WORKSPACE_SCOPED_PATH.test(c.req.path)) {
    throw new ApiError("forbidden", "a runner token may only call its own workspace's routes");
  }
  c.set("auth", key);
  await next();
});
