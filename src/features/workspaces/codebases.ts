import { z } from "@hono/zod-openapi";
import { notFound } from "../../http/errors";
import { newId } from "../../lib/ids";
import { type Row, str } from "../../lib/sql-values";
import type { Codebase } from "./workspace.schemas";

const GITHUB_URL = /^https:\/\/github\.com\/[A-Za-z0-9-]+\/[A-Za-z0-9._-]+?(?:\.git)?\/?$/;

export const CreateCodebaseSchema = z
  .discriminatedUnion("source_type", [
    z
      .object({
        source_type: z.literal("local"),
        name: z.string().trim().min(1).max(255),
        path: z.string().min(1).max(1024),
        branch: z.string().min(1).max(255).optional(),
      })
      .strict(),
    z
      .object({
        source_type: z.literal("github"),
        name: z.string().trim().min(1).max(255),
        url: z.string().regex(GITHUB_URL, "must be https://github.com/<owner>/<repo>"),
        branch: z.string().min(1).max(255).optional(),
      })
      .strict(),
  ])
  .openapi("CreateCodebase");
export type CreateCodebaseInput = z.infer<typeof CreateCodebaseSchema>;

/** A workspace may hold at most this many codebases. */
export const MAX_CODEBASES = 100;

const toCodebase = (row: Row): Codebase => ({
  id: String(row.id),
  name: String(row.name),
  source_type: row.source_type === "github" ? "github" : "local",
  path: str(row.path),
  url: str(row.url),
  branch: str(row.branch),
  created_at: String(row.created_at),
});

export function listCodebases(sql: SqlStorage): Codebase[] {
  return sql.exec("SELECT * FROM codebases ORDER BY id").toArray().map(toCodebase);
}

export function getCodebase(sql: SqlStorage, id: string): Codebase {
  const row = sql.exec("SELECT * FROM codebases WHERE id = ?", id).toArray()[0];
  if (!row) throw notFound("codebase");
  return toCodebase(row);
}

export function countCodebases(sql: SqlStorage): number {
  return Number(sql.exec("SELECT COUNT(*) AS n FROM codebases").one().n);
}

export function addCodebase(sql: SqlStorage, input: CreateCodebaseInput, now: string): Codebase {
  const id = newId("cb");
  sql.exec(
    "INSERT INTO codebases (id, name, source_type, path, url, branch, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    id,
    input.name,
    input.source_type,
    input.source_type === "local" ? input.path : null,
    input.source_type === "github" ? input.url : null,
    input.branch ?? null,
    now,
  );
  return getCodebase(sql, id);
}

export function removeCodebase(sql: SqlStorage, id: string): void {
  const removed = sql.exec("DELETE FROM codebases WHERE id = ?", id).rowsWritten;
  if (removed === 0) throw notFound("codebase");
}
