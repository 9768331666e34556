import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { bearerToken, resolveKey, unauthorized } from "../auth/api-keys";
import { ApiError } from "../errors";

/** A runner token reaches `/v1/workspaces/{ws}` and below, for its own workspace only. */
const WORKSPACE_SCOPED_PATH = /^\/v1\/workspaces\/[^/]+(?:\/.*)?$/;

/** `Authorization: Bearer <key>`: a missing, malformed, unknown or revoked key is a 401. */
export const apiKeyAuth = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearerToken(c.req.header("authorization"));
  if (!token) throw unauthorized("an API key is required: Authorization: Bearer <key>");
  const key = await resolveKey(c.env, token);
  if (!key) throw unauthorized("the API key is not valid");
  if (key.workspaceId && !WORKSPACE_SCOPED_PATH.test(c.req.path)) {
    throw new ApiError("forbidden", "a runner token may only call its own workspace's routes");
  }
  c.set("auth", key);
  await next();
});
