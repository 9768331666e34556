import { createMiddleware } from "hono/factory";
import { SLUG_PATTERN, WORKSPACE_ID_PATTERN } from "../lib/ids";
import type { AppEnv } from "./app-env";
import { ApiError, notFound } from "./errors";

const resolve = (runnerTokens: boolean) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const ref = c.req.param("ws") ?? "";
    const auth = c.get("auth");
    let workspaceId: string | null = null;
    if (WORKSPACE_ID_PATTERN.test(ref)) {
      workspaceId = ref;
    } else if (SLUG_PATTERN.test(ref)) {
      const row = await c.env.DB.prepare(
        "SELECT id FROM workspaces WHERE account_id = ? AND slug = ?",
      )
        .bind(auth.accountId, ref)
        .first<{ id: string }>();
      workspaceId = row?.id ?? null;
    }
    if (!workspaceId || (auth.workspaceId && auth.workspaceId !== workspaceId)) {
      throw notFound("workspace");
    }
    // Checked after the scope, so another workspace's routes stay a 404 for a runner token.
    if (auth.workspaceId && !runnerTokens) {
      throw new ApiError(
        "forbidden",
        "a runner token may not delete its workspace or manage tokens",
      );
    }
    c.set("workspace", c.var.openWorkspace(workspaceId, auth));
    await next();
  });

const byRunnerTokens = { allowed: resolve(true), refused: resolve(false) };

/**
 * Resolves `{ws}` (a workspace id or the account's slug) to the workspace's DO client (opened
 * with the app's `openWorkspace`), for the
 * caller the route's auth set. An id goes straight to its DO, which checks the owner; a slug is
 * looked up in D1 for this account. Anything else, and another account's workspace, is a 404.
 * `runnerTokens: false` (deleting the workspace, managing its runner token) refuses a runner
 * token its own workspace with a 403.
 */
export const resolveWorkspace = (runnerTokens: boolean) =>
  byRunnerTokens[runnerTokens ? "allowed" : "refused"];
