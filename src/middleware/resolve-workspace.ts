import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { notFound } from "../errors";
import { WORKSPACE_ID_PATTERN } from "../lib/ids";
import { SLUG_PATTERN } from "../workspace/workspace.schemas";
import { WorkspaceClient } from "../workspace/workspace-client";

/**
 * Resolves `{ws}` (a workspace id or the account's slug) to the workspace's DO client. An id
 * goes straight to its DO, which checks the owner; a slug is looked up in D1 for this account.
 * Anything else, and another account's workspace, is a 404.
 */
export const resolveWorkspace = createMiddleware<AppEnv>(async (c, next) => {
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
  c.set("workspace", new WorkspaceClient(c.env, workspaceId, auth));
  await next();
});
