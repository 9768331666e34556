import { createMiddleware } from "hono/factory";
import { bearerToken, resolveKey, unauthorized } from "../db/api-keys";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";

/**
 * What a route reaches: one workspace (`{ws}`, where a runner token may go for its own
 * workspace, resolveWorkspace checks which), or the account as a whole (account keys only).
 */
export type KeyReach = "workspace" | "account";

const keyAuth = (reach: KeyReach) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const token = bearerToken(c.req.header("authorization"));
    if (!token) throw unauthorized("an API key is required: Authorization: Bearer <key>");
    const key = await resolveKey(c.env, token);
    if (!key) throw unauthorized("the API key is not valid");
    if (key.workspaceId && reach === "account") {
      throw new ApiError("forbidden", "a runner token may only call its own workspace's routes");
    }
    c.set("auth", key);
    await next();
  });

const byReach = { workspace: keyAuth("workspace"), account: keyAuth("account") };

/** `Authorization: Bearer <key>`: a missing, malformed, unknown or revoked key is a 401. */
export const apiKeyAuth = (reach: KeyReach) => byReach[reach];
