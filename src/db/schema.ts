import { sql } from "drizzle-orm";
import {
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

// D1 is the global index: who exists, who owns what, and the workspace rows that lists and
// filters read. Everything inside one workspace lives in that workspace's Durable Object.

export const accounts = sqliteTable("accounts", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: text("created_at").notNull(),
});

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    email: text("email"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("users_account_idx").on(t.accountId)],
);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    userId: text("user_id"),
    name: text("name"),
    /** The first characters of the key, shown in lists so a person can tell keys apart. */
    prefix: text("prefix").notNull(),
    /** SHA-256 of the whole key, hex. The key itself is never stored. */
    hash: text("hash").notNull(),
    /** Set for a runner token: the key may call this one workspace's routes and nothing else. */
    workspaceId: text("workspace_id"),
    createdAt: text("created_at").notNull(),
    revokedAt: text("revoked_at"),
  },
  (t) => [
    uniqueIndex("api_keys_hash_idx").on(t.hash),
    index("api_keys_account_idx").on(t.accountId),
    index("api_keys_workspace_idx").on(t.workspaceId),
  ],
);

/** A mirror of each workspace's record, written by its Durable Object, for lists and slugs. */
export const workspaces = sqliteTable(
  "workspaces",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    status: text("status").notNull(),
    /** The whole workspace object as JSON, so a list answers without asking any DO. */
    record: text("record").notNull(),
    /** Increases with every change; a mirror write never replaces a newer version. */
    version: integer("version").notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("workspaces_account_slug_idx").on(t.accountId, t.slug),
    index("workspaces_account_id_idx").on(t.accountId, t.id),
  ],
);

/** Tags are their own rows so `tag=scope:value` is an indexed lookup, not a JSON scan. */
export const workspaceTags = sqliteTable(
  "workspace_tags",
  {
    workspaceId: text("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    scope: text("scope").notNull(),
    value: text("value").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.scope, t.value] }),
    index("workspace_tags_lookup_idx").on(t.scope, t.value),
  ],
);

export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    accountId: text("account_id").notNull(),
    key: text("key").notNull(),
    /** SHA-256 of method, path and body: the same key with another request is a 422. */
    fingerprint: text("fingerprint").notNull(),
    /** null while the first request is still running. */
    responseStatus: integer("response_status"),
    responseBody: text("response_body"),
    responseHeaders: text("response_headers"),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.key] })],
);
