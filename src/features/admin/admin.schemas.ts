import { z } from "@hono/zod-openapi";

export const AccountSchema = z
  .object({ id: z.string(), name: z.string(), created_at: z.string() })
  .openapi("Account");

export const CreateAccountSchema = z
  .object({ name: z.string().trim().min(1).max(255) })
  .strict()
  .openapi("CreateAccount");

export const CreateKeySchema = z
  .object({ name: z.string().trim().min(1).max(255).optional() })
  .strict()
  .openapi("CreateKey");

export const CreatedKeySchema = z
  .object({
    id: z.string(),
    key: z.string().openapi({ description: "The key itself: shown only in this response" }),
    prefix: z.string(),
    created_at: z.string(),
  })
  .openapi("CreatedKey");

export const KeySchema = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    prefix: z.string(),
    workspace_id: z.string().nullable(),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
  })
  .openapi("Key");

export const AccountParamsSchema = z.object({
  account: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "account", in: "path" } }),
});

export const KeyParamsSchema = z.object({
  key_id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "key_id", in: "path" } }),
});
