// Reading SQLite values back: NULL stays null, JSON columns parsed.

export type Row = Record<string, SqlStorageValue>;

export const json = (value: SqlStorageValue | undefined) =>
  value === null || value === undefined ? null : JSON.parse(String(value));
export const num = (value: SqlStorageValue | undefined) =>
  value === null || value === undefined ? null : Number(value);
export const str = (value: SqlStorageValue | undefined) =>
  value === null || value === undefined ? null : String(value);
