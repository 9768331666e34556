import { ApiError } from "../errors";
import type { Workspace } from "./workspace.schemas";

// The Durable Object is the source of truth for its workspace; D1 holds a mirror of the record
// so lists, filters and slug lookups answer from one query. The DO writes the mirror *before*
// committing locally, inside its write lock: a slug clash (D1's unique index) is then a clean
// 409 with nothing changed, and D1 never holds a version the DO does not.

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && /UNIQUE constraint failed/i.test(error.message);
}

export async function insertWorkspaceRow(
  db: D1Database,
  record: Workspace,
  version: number,
): Promise<"inserted" | "slug_taken"> {
  try {
    await db.batch([
      db
        .prepare(
          `INSERT INTO workspaces (id, account_id, slug, name, description, status, record, version, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
    return "inserted";
  } catch (error) {
    if (isUniqueViolation(error)) return "slug_taken";
    throw error;
  }
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

/** Writes a new version of the record; a slug another workspace of the account holds is 409. */
export async function updateWorkspaceRow(
  db: D1Database,
  record: Workspace,
  version: number,
): Promise<void> {
  try {
    await db.batch([
      db
        .prepare(
          `UPDATE workspaces SET slug = ?, name = ?, description = ?, status = ?, record = ?, version = ?, updated_at = ?
           WHERE id = ? AND version < ?`,
        )
        .bind(
          record.slug,
          record.name,
          record.description,
          record.status,
          JSON.stringify(record),
          version,
          record.updated_at,
          record.id,
          version,
        ),
      ...tagStatements(db, record, version),
    ]);
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ApiError("conflict", `slug '${record.slug}' is already used by another workspace`, {
        details: [{ field: "slug", message: "already in use in this account" }],
      });
    }
    throw error;
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
