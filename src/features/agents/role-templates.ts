import { assertWriteConditions, type WriteConditions } from "../../http/etag";
import type { Emit } from "../../kernel/events";
import { randomToken } from "../../lib/crypto";
import { json } from "../../lib/sql-values";
import type { RoleTemplate, RoleTemplateInput } from "./agent.schemas";

// Role templates in the DO's SQLite: the stored defaults of agents spawned for a role. A PUT
// replaces the whole template (fields left out take their defaults). `is_orchestrator` says
// the role's agents are spawned as orchestrators; the workspace's `orchestrator_role` (a field
// of the workspace record) designates one role as such too, whatever its template says.

const DEFAULTS = {
  model: null,
  is_orchestrator: false,
  can_spawn_subagents: false,
  default_task: null,
  effort: "medium",
} as const;

type Stored = Omit<RoleTemplate, "role" | "saved" | "etag" | "updated_at">;

export class RoleTemplates {
  constructor(private readonly sql: SqlStorage) {}

  find(role: string): RoleTemplate | null {
    const row = this.sql
      .exec("SELECT template, etag, updated_at FROM role_templates WHERE role = ?", role)
      .toArray()[0];
    if (!row) return null;
    const stored = json(row.template) as Stored;
    return {
      role,
      ...DEFAULTS,
      ...stored,
      saved: true,
      etag: String(row.etag),
      updated_at: String(row.updated_at),
    };
  }

  /** The stored template, or the defaults (`saved: false`). */
  get(role: string): RoleTemplate {
    return this.find(role) ?? { role, ...DEFAULTS, saved: false, etag: null, updated_at: null };
  }

  all(): RoleTemplate[] {
    return this.sql
      .exec("SELECT role FROM role_templates ORDER BY role")
      .toArray()
      .map((row) => this.get(String(row.role)));
  }

  /** Inside commit(): stores the template with its event, if the conditions hold (412). */
  put(
    role: string,
    input: RoleTemplateInput,
    conditions: WriteConditions,
    emit: Emit,
  ): RoleTemplate {
    assertWriteConditions(this.find(role), conditions, "role template");
    const stored: Stored = {
      model: input.model ?? DEFAULTS.model,
      is_orchestrator: input.is_orchestrator ?? DEFAULTS.is_orchestrator,
      can_spawn_subagents: input.can_spawn_subagents ?? DEFAULTS.can_spawn_subagents,
      default_task: input.default_task ?? DEFAULTS.default_task,
      effort: input.effort ?? DEFAULTS.effort,
    };
    this.write(role, stored, new Date().toISOString());
    const template = this.get(role);
    emit("role_template.updated", { template });
    return template;
  }

  private write(role: string, stored: Stored, now: string): void {
    this.sql.exec(
      `INSERT INTO role_templates (role, template, etag, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(role) DO UPDATE SET template = excluded.template, etag = excluded.etag,
         updated_at = excluded.updated_at`,
      role,
      JSON.stringify(stored),
      randomToken(9),
      now,
    );
  }
}
