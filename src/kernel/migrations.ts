import type { WorkspaceModule } from "./module";

// Each module's tables are its own numbered steps, recorded per module in `schema_versions`: a
// step runs once, in order, inside the constructor's blockConcurrencyWhile (or the create's
// transaction). A new module, or a new step of one, needs no central edit.

const VERSIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_versions (
  module TEXT PRIMARY KEY,
  version INTEGER NOT NULL
)`;

/** Whether this DO holds a workspace's tables (none until it is created, none after a purge). */
export function hasSchema(sql: SqlStorage): boolean {
  return hasTable(sql, "schema_versions") || hasTable(sql, "meta");
}

/**
 * A workspace made before modules had their own steps kept one list, numbered in `meta`; at its
 * last number (14) its tables were exactly these modules' steps so far. Recorded once, on wake.
 */
const STEPS_OF_ONE_LIST: Record<string, number> = {
  kernel: 1,
  workspaces: 1,
  events: 1,
  files: 3,
  threads: 2,
  commands: 2,
  agents: 3,
  processes: 3,
};

function hasTable(sql: SqlStorage, name: string): boolean {
  return (
    sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", name).toArray()
      .length > 0
  );
}

/** Applies every module's steps not applied yet. */
export function migrate(sql: SqlStorage, modules: readonly WorkspaceModule[]): void {
  const fromOneList = !hasTable(sql, "schema_versions") && hasTable(sql, "meta");
  sql.exec(VERSIONS_TABLE);
  if (fromOneList) {
    for (const [module, version] of Object.entries(STEPS_OF_ONE_LIST)) {
      sql.exec("INSERT INTO schema_versions (module, version) VALUES (?, ?)", module, version);
    }
  }
  const applied = new Map(
    sql
      .exec("SELECT module, version FROM schema_versions")
      .toArray()
      .map((row) => [String(row.module), Number(row.version)]),
  );
  for (const module of modules) {
    const steps = module.migrations ?? [];
    const from = applied.get(module.name) ?? 0;
    for (let step = from; step < steps.length; step++) {
      sql.exec(steps[step] as string);
      sql.exec(
        "INSERT INTO schema_versions (module, version) VALUES (?, ?) ON CONFLICT(module) DO UPDATE SET version = excluded.version",
        module.name,
        step + 1,
      );
    }
  }
}
