import { z } from "@hono/zod-openapi";
import { ApiError } from "../../http/errors";
import { LimitSchema, pageFields } from "../../http/openapi-helpers";
import { cursorShape } from "../../lib/cursor";
import { cursorKey, cursorPage, pageStart } from "../../lib/pagination";
import { type Workspace, WorkspaceStatusSchema } from "./workspace.schemas";
import { parseRecord } from "./workspace-record";

export const ListWorkspacesQuerySchema = z.object({
  status: z
    .union([WorkspaceStatusSchema, z.literal("active")])
    .optional()
    .openapi({ description: "A status, or `active`: every status but `archived`" }),
  tag: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .openapi({
      description: "`scope:value`; repeat to require several tags",
      example: "team:platform",
    }),
  q: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .openapi({ description: "Matches name, slug or description" }),
  limit: LimitSchema,
  ...pageFields,
});
export type ListWorkspacesQuery = z.infer<typeof ListWorkspacesQuerySchema>;

function parseTags(tag: string | string[] | undefined): { scope: string; value: string }[] {
  const raw = tag === undefined ? [] : Array.isArray(tag) ? tag : [tag];
  if (raw.length > 10) {
    throw new ApiError("invalid_request", "at most 10 tag filters", {
      details: [{ field: "tag" }],
    });
  }
  return raw.map((entry) => {
    const at = entry.indexOf(":");
    if (at <= 0 || at === entry.length - 1) {
      throw new ApiError("invalid_request", "tag must be scope:value", {
        details: [{ field: "tag", location: "query", message: `'${entry}' is not scope:value` }],
      });
    }
    return { scope: entry.slice(0, at), value: entry.slice(at + 1) };
  });
}

const isCursor = cursorShape({ id: "string" });

/**
 * One page of an account's workspaces, newest first, with the total that match the filters.
 * Both queries go to D1 in one batch (one round trip).
 */
export async function listWorkspaces(
  db: D1Database,
  accountId: string,
  query: ListWorkspacesQuery,
): Promise<{ items: Workspace[]; next_cursor: string | null; total: number }> {
  const where = ["w.account_id = ?"];
  const binds: (string | number)[] = [accountId];
  if (query.status === "active") {
    where.push("w.status <> 'archived'");
  } else if (query.status) {
    where.push("w.status = ?");
    binds.push(query.status);
  }
  for (const tag of parseTags(query.tag)) {
    where.push(
      "EXISTS (SELECT 1 FROM workspace_tags t WHERE t.workspace_id = w.id AND t.scope = ? AND t.value = ?)",
    );
    binds.push(tag.scope, tag.value);
  }
  if (query.q) {
    // instr, not LIKE: D1 refuses LIKE patterns over 50 bytes ("pattern too complex", a 500 for
    // a long q), and a plain substring needs no escaping of % and _. lower() is ASCII-only, as LIKE is.
    where.push(
      "(instr(lower(w.name), lower(?)) > 0 OR instr(lower(w.slug), lower(?)) > 0 OR instr(lower(w.description), lower(?)) > 0)",
    );
    binds.push(query.q, query.q, query.q);
  }
  const filter = where.join(" AND ");
  const { cursor, skip } = pageStart(query);
  const after = cursorKey(cursor, isCursor)?.id ?? null;
  const pageFilter = after ? `${filter} AND w.id < ?` : filter;
  const pageBinds = after ? [...binds, after] : binds;

  const [page, count] = await db.batch<{ record?: string; total?: number }>([
    db
      .prepare(
        `SELECT w.record FROM workspaces w WHERE ${pageFilter} ORDER BY w.id DESC LIMIT ? OFFSET ?`,
      )
      .bind(...pageBinds, query.limit + 1, skip),
    db.prepare(`SELECT COUNT(*) AS total FROM workspaces w WHERE ${filter}`).bind(...binds),
  ]);
  const rows = (page?.results ?? []).map((row) => parseRecord(String(row.record)));
  return {
    ...cursorPage(rows, query.limit, (last) => ({ id: last.id })),
    total: Number(count?.results[0]?.total ?? 0),
  };
}
