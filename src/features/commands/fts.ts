// Full-text search over the registry: an FTS5 table (`porter unicode61`) holding each command's
// trigger, description and body, written in the same transaction as the command row. Ranked by
// bm25 with column weights trigger > description > body, so a word in a trigger outranks the
// same word deep in a script.

const WEIGHTS = { trigger: 10, description: 4, body: 1 } as const;

export interface SearchHit {
  trigger: string;
  score: number;
  snippet: string;
}

export function indexCommand(
  sql: SqlStorage,
  command: { trigger: string; description: string; body: string },
): void {
  unindexCommand(sql, command.trigger);
  sql.exec(
    "INSERT INTO commands_fts (trigger, description, body) VALUES (?, ?, ?)",
    // `:`, `-` and `_` split words for the tokenizer, so `test:unit` is found by `unit`.
    command.trigger,
    command.description,
    // An http template is searched as its JSON text.
    command.body,
  );
}

export function unindexCommand(sql: SqlStorage, trigger: string): void {
  sql.exec("DELETE FROM commands_fts WHERE trigger = ?", trigger);
}

/**
 * The user's words as an FTS5 query: each a quoted prefix term (so no FTS syntax reaches the
 * engine from a user), all of them required. Null when the query has no word in it.
 */
export function ftsQuery(query: string): string | null {
  const words = query.match(/[\p{L}\p{N}]+/gu)?.slice(0, 16) ?? [];
  if (words.length === 0) return null;
  return words.map((word) => `"${word.toLowerCase()}"*`).join(" ");
}

export function searchCommands(sql: SqlStorage, query: string, limit: number): SearchHit[] {
  const match = ftsQuery(query);
  if (!match) return [];
  return sql
    .exec(
      `SELECT trigger, bm25(commands_fts, ?, ?, ?) AS rank,
         snippet(commands_fts, -1, '[', ']', '…', 12) AS snippet
       FROM commands_fts WHERE commands_fts MATCH ? ORDER BY rank, trigger LIMIT ?`,
      WEIGHTS.trigger,
      WEIGHTS.description,
      WEIGHTS.body,
      match,
      limit,
    )
    .toArray()
    .map((row) => ({
      trigger: String(row.trigger),
      // bm25 is lower-is-better and negative; the API's score is higher-is-better.
      score: Math.round(-Number(row.rank) * 1000) / 1000,
      snippet: String(row.snippet),
    }));
}
