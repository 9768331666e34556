// Reading SQLite values back: NULL stays null, JSON columns parsed, 0/1 columns as booleans.
// Every store reads its rows through these, so a NULL is never turned into "null" or 0.

/** A row as `sql.exec(…).toArray()` gives it. */
export type Row = Record<string, SqlStorageValue>;

export const json = (value: SqlStorageValue | undefined) =>
  value === null || value === undefined ? null : JSON.parse(String(value));
export const num = (value: SqlStorageValue | undefined) =>
  value === null || value === undefined ? null : Number(value);
export const str = (value: SqlStorageValue | undefined) =>
  value === null || value === undefined ? null : String(value);
/** A boolean stored as an INTEGER: 1 is true, anything else (0, NULL) false. */
export const bool = (value: SqlStorageValue | undefined) => value === 1;
