import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { forgetCachedKeys, generateKey, insertKey } from "../../db/api-keys";
import type { AppEnv } from "../../http/app-env";
import { commonErrorResponses, notFound } from "../../http/errors";
import { jsonBody, jsonResponse, noContent } from "../../http/openapi-helpers";
import { apiRoute } from "../../http/route";
import { newId } from "../../lib/ids";
import {
  AccountParamsSchema,
  AccountSchema,
  CreateAccountSchema,
  CreatedKeySchema,
  CreateKeySchema,
  KeyParamsSchema,
  KeySchema,
} from "./admin.schemas";

const tags = ["Admin"];

const createAccountRoute = apiRoute({
  method: "post",
  path: "/v1/admin/accounts",
  operationId: "createAccount",
  tags,
  auth: "admin",
  summary: "Create an account (and its owner user)",
  request: { body: jsonBody(CreateAccountSchema) },
  responses: { 201: jsonResponse(AccountSchema, "The new account"), ...commonErrorResponses },
});

const createKeyRoute = apiRoute({
  method: "post",
  path: "/v1/admin/accounts/{account}/keys",
  operationId: "createApiKey",
  tags,
  auth: "admin",
  summary: "Create an API key for an account; the key is shown only in this response",
  request: { params: AccountParamsSchema, body: jsonBody(CreateKeySchema) },
  responses: { 201: jsonResponse(CreatedKeySchema, "The new key"), ...commonErrorResponses },
});

const listKeysRoute = apiRoute({
  method: "get",
  path: "/v1/admin/accounts/{account}/keys",
  operationId: "listApiKeys",
  tags,
  auth: "admin",
  summary: "List an account's keys (prefixes only, never secrets)",
  request: { params: AccountParamsSchema },
  responses: {
    200: jsonResponse(z.object({ items: z.array(KeySchema) }).openapi("KeyList"), "The keys"),
    ...commonErrorResponses,
  },
});

const revokeKeyRoute = apiRoute({
  method: "delete",
  path: "/v1/admin/keys/{key_id}",
  operationId: "revokeApiKey",
  tags,
  auth: "admin",
  summary: "Revoke a key (takes effect everywhere within the auth cache window)",
  request: { params: KeyParamsSchema },
  responses: { 204: noContent, ...commonErrorResponses },
});

async function assertAccountExists(db: D1Database, accountId: string) {
  const row = await db.prepare("SELECT id FROM accounts WHERE id = ?").bind(accountId).first();
  if (!row) throw notFound("account");
}

export function registerAdminRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(createAccountRoute, async (c) => {
    const { name } = c.req.valid("json");
    const account = { id: newId("acc"), name, created_at: new Date().toISOString() };
    await c.env.DB.batch([
      c.env.DB.prepare("INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)").bind(
        account.id,
        account.name,
        account.created_at,
      ),
      c.env.DB.prepare(
        "INSERT INTO users (id, account_id, name, created_at) VALUES (?, ?, ?, ?)",
      ).bind(newId("usr"), account.id, `${name} owner`, account.created_at),
    ]);
    return c.json(account, 201);
  });

  app.openapi(createKeyRoute, async (c) => {
    const { account } = c.req.valid("param");
    const { name } = c.req.valid("json");
    await assertAccountExists(c.env.DB, account);
    const key = await generateKey("account");
    await insertKey(c.env.DB, key, { accountId: account, name });
    // The secret is in this body: nothing may keep a copy (see the idempotency middleware).
    c.header("Cache-Control", "no-store");
    return c.json({ id: key.id, key: key.key, prefix: key.prefix, created_at: key.createdAt }, 201);
  });

  app.openapi(listKeysRoute, async (c) => {
    const { account } = c.req.valid("param");
    await assertAccountExists(c.env.DB, account);
    const { results } = await c.env.DB.prepare(
      "SELECT id, name, prefix, workspace_id, created_at, revoked_at FROM api_keys WHERE account_id = ? ORDER BY id",
    )
      .bind(account)
      .all<z.infer<typeof KeySchema>>();
    return c.json({ items: results }, 200);
  });

  app.openapi(revokeKeyRoute, async (c) => {
    const { key_id } = c.req.valid("param");
    const row = await c.env.DB.prepare("SELECT id FROM api_keys WHERE id = ?").bind(key_id).first();
    if (!row) throw notFound("key");
    await c.env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
      .bind(new Date().toISOString(), key_id)
      .run();
    // This isolate forgets at once; others within AUTH_CACHE_TTL_MS.
    forgetCachedKeys();
    return c.body(null, 204);
  });
}
