import { createMiddleware } from "hono/factory";
import { bearerToken, unauthorized } from "../db/api-keys";
import { timingSafeEqual } from "../lib/crypto";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";

/**
 * Admin routes answer only to the ADMIN_TOKEN secret. Without the secret configured they do
 * not exist (404), so a deployment that never set it exposes nothing.
 */
export const adminAuth = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  if (!expected) throw new ApiError("not_found", `no route for ${c.req.method} ${c.req.path}`);
  const token = bearerToken(c.req.header("authorization"));
  if (!token || !timingSafeEqual(token, expected)) {
    throw unauthorized("the admin token is missing or wrong");
  }
  await next();
});
