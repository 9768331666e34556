import { notFound } from "../../http/errors";
import { json, type Row, str } from "../../lib/sql-values";
import type { InputSchema } from "./input-schema";
import type { ProcessSpec } from "./spec";

// Saved process definitions by name: a spec, a description and an input schema, with an etag
// that changes on every save.

export interface Definition {
  name: string;
  description: string | null;
  spec: ProcessSpec;
  input_schema: InputSchema;
  /** Changes with every save: `If-Match` on PUT and DELETE compares against it. */
  etag: string;
  created_at: string;
  updated_at: string;
}

const toDefinition = (row: Row): Definition => ({
  name: String(row.name),
  description: str(row.description),
  spec: json(row.spec),
  input_schema: json(row.input_schema),
  etag: String(row.etag),
  created_at: String(row.created_at),
  updated_at: String(row.updated_at),
});

export class DefinitionStore {
  constructor(private readonly sql: SqlStorage) {}

  put(
    name: string,
    input: { spec: ProcessSpec; description: string | null; input_schema: InputSchema },
    now: string,
  ): { definition: Definition; created: boolean } {
    const created = this.find(name) === null;
    this.sql.exec(
      `INSERT INTO process_definitions (name, description, spec, input_schema, etag, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET description = excluded.description, spec = excluded.spec,
         input_schema = excluded.input_schema, etag = excluded.etag, updated_at = excluded.updated_at`,
      name,
      input.description,
      JSON.stringify(input.spec),
      JSON.stringify(input.input_schema),
      crypto.randomUUID().replaceAll("-", ""),
      now,
      now,
    );
    return { definition: this.get(name), created };
  }

  delete(name: string): void {
    this.sql.exec("DELETE FROM process_definitions WHERE name = ?", name);
  }

  find(name: string): Definition | null {
    const row = this.sql
      .exec("SELECT * FROM process_definitions WHERE name = ?", name)
      .toArray()[0];
    return row ? toDefinition(row) : null;
  }

  get(name: string): Definition {
    const found = this.find(name);
    if (!found) throw notFound("process");
    return found;
  }

  page(after: string | null, limit: number, skip = 0): Definition[] {
    return this.sql
      .exec(
        "SELECT * FROM process_definitions WHERE name > ? ORDER BY name LIMIT ? OFFSET ?",
        after ?? "",
        limit,
        skip,
      )
      .toArray()
      .map(toDefinition);
  }
}
