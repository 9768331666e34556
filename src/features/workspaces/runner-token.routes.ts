import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { forgetCachedKeys, generateKey, maskKey } from "../../db/api-keys";
import type { AppEnv } from "../../http/app-env";
import { jsonResponse, WorkspaceParamsSchema, withErrors } from "../../http/openapi-helpers";
import { apiRoute } from "../../http/route";

// A runner token is an API key scoped to one workspace: it can call that workspace's routes
// and nothing else. Rotating it revokes the previous one in the same D1 batch.

const tags = ["Runner token"];

const RunnerTokenSchema = z
  .object({
    workspace_id: z.string(),
    id: z.string().nullable(),
    prefix: z.string().nullable(),
    masked_token: z.string().nullable(),
    created_at: z.string().nullable(),
  })
  .openapi("RunnerToken");

const RotatedRunnerTokenSchema = RunnerTokenSchema.extend({
  token: z.string().openapi({ description: "The token itself: shown only in this response" }),
}).openapi("RotatedRunnerToken");

const showRoute = apiRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/runner-token",
  operationId: "getRunnerToken",
  auth: "key",
  // A runner token may not see or rotate runner tokens, its own included.
  runnerTokens: false,
  tags,
  summary: "Show the workspace's runner token, masked (all null when none was issued)",
  request: { params: WorkspaceParamsSchema },
  responses: { 200: jsonResponse(RunnerTokenSchema, "The masked token"), ...withErrors() },
});

const rotateRoute = apiRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/runner-token",
  operationId: "rotateRunnerToken",
  auth: "key",
  // A runner token may not see or rotate runner tokens, its own included.
  runnerTokens: false,
  tags,
  summary: "Issue a new runner token; the previous one stops working",
  request: { params: WorkspaceParamsSchema },
  responses: {
    201: jsonResponse(RotatedRunnerTokenSchema, "The new token, shown once"),
    ...withErrors(422),
  },
});

export function registerRunnerTokenRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(showRoute, async (c) => {
    const workspace = c.var.workspace;
    // The DO is the owner check: another account's workspace is a 404 before D1 is read.
    await workspace.workspaces.status();
    const row = await c.env.DB.prepare(
      "SELECT id, prefix, created_at FROM api_keys WHERE workspace_id = ? AND revoked_at IS NULL ORDER BY id DESC LIMIT 1",
    )
      .bind(workspace.id)
      .first<{ id: string; prefix: string; created_at: string }>();
    return c.json(
      {
        workspace_id: workspace.id,
        id: row?.id ?? null,
        prefix: row?.prefix ?? null,
        masked_token: row ? maskKey(row.prefix) : null,
        created_at: row?.created_at ?? null,
      },
      200,
    );
  });

  app.openapi(rotateRoute, async (c) => {
    const workspace = c.var.workspace;
    await workspace.workspaces.status();
    const key = await generateKey("runner");
    const db = c.env.DB;
    await db.batch([
      db
        .prepare("UPDATE api_keys SET revoked_at = ? WHERE workspace_id = ? AND revoked_at IS NULL")
        .bind(key.createdAt, workspace.id),
      db
        .prepare(
          "INSERT INTO api_keys (id, account_id, name, prefix, hash, workspace_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(
          key.id,
          workspace.caller.accountId,
          "runner token",
          key.prefix,
          key.hash,
          workspace.id,
          key.createdAt,
        ),
    ]);
    forgetCachedKeys();
    // The secret is in this body: nothing may keep a copy (see the idempotency middleware).
    c.header("Cache-Control", "no-store");
    return c.json(
      {
        workspace_id: workspace.id,
        id: key.id,
        token: key.key,
        prefix: key.prefix,
        masked_token: maskKey(key.prefix),
        created_at: key.createdAt,
      },
      201,
    );
  });
}
