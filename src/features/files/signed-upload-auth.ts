import { z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { apiKeyAuth } from "../../http/api-key-auth";
import type { AppEnv } from "../../http/app-env";
import { ApiError } from "../../http/errors";
import { workspaceApi } from "../../kernel/workspace-client";
import { WORKSPACE_ID_PATTERN } from "../../lib/ids";
import { NonceRegex } from "./signed-uploads";

// The one route a signed upload URL opens, `PUT /v1/workspaces/{id}/uploads/{nonce}?…&sig=`
// (its declaration's `auth: "signed-url"`), authenticates by the URL instead of an API key: the
// workspace's DO checks the signature, and the request goes on as the key that asked for the
// URL, scoped to that workspace. A `{ws}` that is not a workspace id, or an `{upload_id}` that is
// not a nonce, is no signed URL: that request is an ordinary one that needs a key.

const unsignedInteger = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,15})$/, "a whole number, written plainly")
  .transform(Number);

export const SignedUploadQuerySchema = z.object({
  path: z.string().min(1).openapi({ description: "The path the URL uploads to (signed)" }),
  max_size: unsignedInteger.openapi({ description: "The size cap in bytes (signed)" }),
  expires: unsignedInteger.openapi({ description: "Expiry, Unix seconds (signed)" }),
  sig: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/)
    .openapi({ description: "HMAC-SHA256 of the fields above, the workspace id and the nonce" }),
});

export const signedUploadAuth = createMiddleware<AppEnv>(async (c, next) => {
  const workspaceId = c.req.param("ws") ?? "";
  const nonce = c.req.param("upload_id") ?? "";
  if (!WORKSPACE_ID_PATTERN.test(workspaceId) || !NonceRegex.test(nonce)) {
    return apiKeyAuth("workspace")(c, next);
  }
  const query = SignedUploadQuerySchema.safeParse(c.req.query());
  if (!query.success) {
    throw new ApiError(
      "unauthorized",
      "this route takes a signed upload URL (…?path=&max_size=&expires=&sig=), from POST …/uploads",
      // Not a Bearer challenge: an API key is no use here, only the URL as issued.
      { headers: { "WWW-Authenticate": 'Signature realm="workspaces-upload-url"' } },
    );
  }
  const grant = {
    workspaceId,
    nonce,
    path: query.data.path,
    maxSize: query.data.max_size,
    expires: query.data.expires,
    sig: query.data.sig,
  };
  const holder = await workspaceApi(c.env, workspaceId, null).uploads.verifySigned(grant);
  // The URL acts for the key that asked for it: a revoked key's URLs stop working too.
  const live = await c.env.DB.prepare("SELECT 1 FROM api_keys WHERE id = ? AND revoked_at IS NULL")
    .bind(holder.actor)
    .first();
  if (!live) throw new ApiError("forbidden", "the key that asked for this upload URL was revoked");
  c.set("auth", { keyId: holder.actor ?? "", accountId: holder.accountId, workspaceId });
  c.set("signedUpload", {
    nonce,
    maxSize: grant.maxSize,
    path: grant.path,
    contentType: holder.contentType,
  });
  await next();
});
