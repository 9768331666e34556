import { ApiError } from "../../http/errors";
import type { Workspace } from "./workspace.schemas";

// The Durable Object is the source of truth for its workspace; D1 holds a mirror of the record
// so lists, filters and slug lookups answer from one query. The DO writes the mirror *before*
// committing locally, inside its write lock: a slug clash (D1's unique index) is then a clean
// 409 with nothing changed, and D1 never holds a version the DO does not.

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && /UNIQUE constraint failed/i.test(error.message);
}

export function slugConflict(slug: string | undefined): ApiError {
  return new ApiError("conflict", `slug '${slug}' is already used by another workspace`, {
    details: [{ field: "slug", message: "already in use in this account" }],
  });
}

function tagStatements(db: D1Database, record: Workspace, version: number): D1PreparedStatement[] {
  // Tags are only rewritten while the row holds this very version, so a late write of an
  // older version can never clobber newer tags.
  const guard = "(SELECT version FROM workspaces WHERE id = ?) = ?";
  return [
    db
      .prepare(`DELETE FROM workspace_tags WHERE workspace_id = ? AND ${guard}`)
      .bind(record.id, record.id, version),
    ...record.tags.map((tag) =>
      db
        .prepare(
          `INSERT OR IGNORE INTO workspace_tags (workspace_id, scope, value) SELECT ?, ?, ? WHERE ${guard}`,
        )
        .bind(record.id, tag.scope, tag.value, record.id, version),
    ),
  ];
}

/**
 * Writes `version` of a workspace's row (inserting it the first time) and its tags, in one
 * batch. An older version never replaces a newer one. A slug that another workspace of the
 * account holds leaves everything as it was and answers "slug_taken".
 */
export async function writeWorkspaceRow(
  db: D1Database,
  record: Workspace,
  version: number,
): Promise<"written" | "slug_taken"> {
  try {
    await db.batch([
      db
        .prepare(
          `INSERT INTO workspaces (id, account_id, slug, name, description, status, record, version, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, name = excluded.name,
             description = excluded.description, status = excluded.status, record = excluded.record,
             version = excluded.version, updated_at = excluded.updated_at
           WHERE excluded.version > workspaces.version`,
        )
        .bind(
          record.id,
          record.account_id,
          record.slug,
          record.name,
          record.description,
          record.status,
          JSON.stringify(record),
          version,
          record.created_at,
          record.updated_at,
        ),
      ...tagStatements(db, record, version),
    ]);
    return "written";
  } catch (error) {
    if (isUniqueViolation(error)) return "slug_taken";
    throw error;
  }
}

/** Writes a new version of an existing workspace; a slug clash is a 409. */
export async function updateWorkspaceRow(db: D1Database, record: Workspace, version: number) {
  if ((await writeWorkspaceRow(db, record, version)) === "slug_taken") {
    throw slugConflict(record.slug);
  }
}

/** Removes the workspace from the index and revokes its runner tokens. */
export async function deleteWorkspaceRow(db: D1Database, workspaceId: string, now: string) {
  await db.batch([
    db.prepare("DELETE FROM workspace_tags WHERE workspace_id = ?").bind(workspaceId),
    db.prepare("DELETE FROM workspaces WHERE id = ?").bind(workspaceId),
    db
      .prepare("UPDATE api_keys SET revoked_at = ? WHERE workspace_id = ? AND revoked_at IS NULL")
      .bind(now, workspaceId),
  ]);
}
