import { createMiddleware } from "hono/factory";
import { assertTicketUsable, authenticateTicket } from "../features/events/stream-ticket-auth";
import { SLUG_PATTERN } from "../features/workspaces/workspace.schemas";
import { workspaceClient } from "../kernel/workspace-client";
import { WORKSPACE_ID_PATTERN } from "../lib/ids";
import type { AppEnv } from "./app-env";
import { ApiError, notFound } from "./errors";

/** A runner token may not delete its workspace, nor see or rotate runner tokens. */
const RUNNER_FORBIDDEN = [
  { method: "DELETE", path: /^\/v1\/workspaces\/[^/]+\/?$/ },
  { method: "*", path: /^\/v1\/workspaces\/[^/]+\/runner-token\/?$/ },
];

function runnerMayCall(method: string, path: string): boolean {
  return !RUNNER_FORBIDDEN.some(
    (rule) => (rule.method === "*" || rule.method === method) && rule.path.test(path),
  );
}

/**
 * Resolves `{ws}` (a workspace id or the account's slug) to the workspace's DO client. An id
 * goes straight to its DO, which checks the owner; a slug is looked up in D1 for this account.
 * Anything else, and another account's workspace, is a 404.
 */
export const resolveWorkspace = createMiddleware<AppEnv>(async (c, next) => {
  const ref = c.req.param("ws") ?? "";
  // No key: apiKeyAuth let a stream ticket through, and it is checked (and used up) here.
  let auth = c.get("auth");
  if (!auth) {
    assertTicketUsable(c.req.path, c.req.header("upgrade"));
    auth = await authenticateTicket(c.env, ref, c.req.query("ticket") ?? "");
    c.set("auth", auth);
  }
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
  if (auth.workspaceId && !runnerMayCall(c.req.method, c.req.path)) {
    throw new ApiError("forbidden", "a runner token may not delete its workspace or manage tokens");
  }
  c.set("workspace", workspaceClient(c.env, workspaceId, auth));
  await next();
});
