import { z } from "@hono/zod-openapi";
import { newId } from "../../lib/ids";
import { type CursorPage, cursorPage } from "../../lib/pagination";
import { type Row, str } from "../../lib/sql-values";

export const LifecycleEventSchema = z
  .object({
    id: z.string(),
    event: z.string(),
    notes: z.string().nullable(),
    from_status: z.string().nullable(),
    to_status: z.string().nullable(),
    actor: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("LifecycleEvent");
export type LifecycleEvent = z.infer<typeof LifecycleEventSchema>;

export const CreateLifecycleEventSchema = z
  .object({
    event: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[a-z0-9][a-z0-9_.-]*$/, "must be lowercase letters, digits, '_', '.' or '-'"),
    notes: z.string().max(4000).optional(),
  })
  .strict()
  .openapi("CreateLifecycleEvent");
export type CreateLifecycleEventInput = z.infer<typeof CreateLifecycleEventSchema>;

const toEvent = (row: Row): LifecycleEvent => ({
  id: String(row.id),
  event: String(row.event),
  notes: str(row.notes),
  from_status: str(row.from_status),
  to_status: str(row.to_status),
  actor: str(row.actor),
  created_at: String(row.created_at),
});

export function recordLifecycleEvent(
  sql: SqlStorage,
  input: {
    event: string;
    notes?: string | null;
    fromStatus?: string | null;
    toStatus?: string | null;
    actor: string | null;
  },
  now: string,
): LifecycleEvent {
  const id = newId("lce");
  sql.exec(
    `INSERT INTO lifecycle_events (id, event, notes, from_status, to_status, actor, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    id,
    input.event,
    input.notes ?? null,
    input.fromStatus ?? null,
    input.toStatus ?? null,
    input.actor,
    now,
  );
  return toEvent(sql.exec("SELECT * FROM lifecycle_events WHERE id = ?", id).one());
}

export function listLifecycleEvents(
  sql: SqlStorage,
  options: { limit: number; after: number | null; skip: number; order: "asc" | "desc" },
): CursorPage<LifecycleEvent> {
  const comparison = options.order === "asc" ? ">" : "<";
  const start = options.after ?? (options.order === "asc" ? 0 : Number.MAX_SAFE_INTEGER);
  const rows = sql
    .exec(
      `SELECT * FROM lifecycle_events WHERE seq ${comparison} ? ORDER BY seq ${options.order} LIMIT ? OFFSET ?`,
      start,
      options.limit + 1,
      options.skip,
    )
    .toArray();
  // The cursor holds the sequence number the next page starts after.
  const page = cursorPage(rows, options.limit, (last) => ({ after: Number(last.seq) }));
  return { items: page.items.map(toEvent), next_cursor: page.next_cursor };
}

export function countLifecycleEvents(sql: SqlStorage): number {
  return Number(sql.exec("SELECT COUNT(*) AS n FROM lifecycle_events").one().n);
}
