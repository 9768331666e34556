import { ApiError, notFound } from "../../http/errors";
import { assertIfMatch } from "../../http/etag";
import type { Emit } from "../../kernel/events";
import { splitPage } from "../../lib/pagination";
import { json, num, type Row, str } from "../../lib/sql-values";
import { checkDeclarations } from "./args";
import {
  type ArgDeclaration,
  COMMAND_LIMITS,
  type Command,
  type CommandType,
  type CreateCommandInput,
  type HttpTemplate,
  type PatchCommandInput,
} from "./command.schemas";
import { indexCommand, unindexCommand } from "./fts";

// The command registry in the workspace's Durable Object: one row per trigger, written inside
// the DO's commit() with its event and its FTS row, so the three never disagree.

const nowIso = () => new Date().toISOString();
const newEtag = () => crypto.randomUUID().replaceAll("-", "");

export function toCommand(row: Row): Command {
  const type = String(row.type) as CommandType;
  const body = String(row.body);
  return {
    trigger: String(row.trigger),
    description: String(row.description),
    category: String(row.category),
    type,
    body: type === "http" ? (JSON.parse(body) as HttpTemplate) : body,
    args: json(row.args) as ArgDeclaration[],
    timeout_ms: num(row.timeout_ms),
    etag: String(row.etag),
    created_by: str(row.created_by),
    created_at: String(row.created_at),
    updated_at: String(row.updated_at),
  };
}

const storedBody = (body: string | HttpTemplate) =>
  typeof body === "string" ? body : JSON.stringify(body);

function assertBodySize(body: string): void {
  if (new TextEncoder().encode(body).byteLength > COMMAND_LIMITS.bodyBytes) {
    const message = `at most ${COMMAND_LIMITS.bodyBytes} bytes`;
    throw new ApiError("invalid_request", `body: ${message}`, {
      details: [{ field: "body", message }],
    });
  }
}

export interface CommandListQuery {
  type: CommandType | undefined;
  search: string | undefined;
  category: string | undefined;
  after: string | null;
  limit: number;
  /** Commands to skip before the page (`offset` / `page`). */
  skip?: number;
}

export class CommandRegistry {
  constructor(private readonly sql: SqlStorage) {}

  find(trigger: string): Command | null {
    const row = this.sql.exec("SELECT * FROM commands WHERE trigger = ?", trigger).toArray()[0];
    return row ? toCommand(row) : null;
  }

  get(trigger: string): Command {
    const command = this.find(trigger);
    if (!command) throw notFound("command");
    return command;
  }

  count(): number {
    return Number(this.sql.exec("SELECT count(*) AS n FROM commands").one().n);
  }

  /** By trigger, after `after`; `search` is a case-insensitive substring of trigger or description. */
  list(query: CommandListQuery): { items: Command[]; more: boolean } {
    const where = ["trigger > ?"];
    const params: SqlStorageValue[] = [query.after ?? ""];
    if (query.type) {
      where.push("type = ?");
      params.push(query.type);
    }
    if (query.category) {
      where.push("category = ?");
      params.push(query.category);
    }
    if (query.search) {
      where.push("(instr(lower(trigger), ?) > 0 OR instr(lower(description), ?) > 0)");
      params.push(query.search.toLowerCase(), query.search.toLowerCase());
    }
    const rows = this.sql
      .exec(
        `SELECT * FROM commands WHERE ${where.join(" AND ")} ORDER BY trigger LIMIT ? OFFSET ?`,
        ...params,
        query.limit + 1,
        query.skip ?? 0,
      )
      .toArray();
    const { items, more } = splitPage(rows, query.limit);
    return { items: items.map(toCommand), more };
  }

  create(input: CreateCommandInput, author: string | null, emit: Emit): Command {
    checkDeclarations(input.args, input.type, input.body);
    const body = storedBody(input.body);
    assertBodySize(body);
    if (this.find(input.trigger)) {
      throw new ApiError("conflict", `a command '${input.trigger}' exists`, {
        details: [{ field: "trigger", message: "exists" }],
      });
    }
    if (this.count() >= COMMAND_LIMITS.commands) {
      throw new ApiError(
        "conflict",
        `a workspace holds at most ${COMMAND_LIMITS.commands} commands`,
      );
    }
    const now = nowIso();
    this.sql.exec(
      `INSERT INTO commands (trigger, description, category, type, body, args, timeout_ms, etag,
         created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      input.trigger,
      input.description,
      input.category,
      input.type,
      body,
      JSON.stringify(input.args),
      input.timeout_ms ?? null,
      newEtag(),
      author,
      now,
      now,
    );
    indexCommand(this.sql, { trigger: input.trigger, description: input.description, body });
    const command = this.get(input.trigger);
    emit("command.created", { command });
    return command;
  }

  patch(trigger: string, input: PatchCommandInput, ifMatch: string | null, emit: Emit): Command {
    const current = this.get(trigger);
    assertIfMatch(ifMatch, current.etag);
    const next = {
      description: input.description ?? current.description,
      category: input.category ?? current.category,
      type: input.type ?? current.type,
      body: input.body ?? current.body,
      args: input.args ?? current.args,
      timeout_ms: input.timeout_ms === undefined ? current.timeout_ms : input.timeout_ms,
    };
    checkDeclarations(next.args, next.type, next.body);
    const body = storedBody(next.body);
    assertBodySize(body);
    this.sql.exec(
      `UPDATE commands SET description = ?, category = ?, type = ?, body = ?, args = ?,
         timeout_ms = ?, etag = ?, updated_at = ? WHERE trigger = ?`,
      next.description,
      next.category,
      next.type,
      body,
      JSON.stringify(next.args),
      next.timeout_ms,
      newEtag(),
      nowIso(),
      trigger,
    );
    indexCommand(this.sql, { trigger, description: next.description, body });
    const command = this.get(trigger);
    emit("command.updated", { command });
    return command;
  }

  delete(trigger: string, ifMatch: string | null, emit: Emit): void {
    const current = this.get(trigger);
    assertIfMatch(ifMatch, current.etag);
    this.sql.exec("DELETE FROM commands WHERE trigger = ?", trigger);
    unindexCommand(this.sql, trigger);
    emit("command.deleted", { trigger });
  }

  /** Every command, for suggestions (a workspace holds at most COMMAND_LIMITS.commands). */
  all(): Command[] {
    return this.sql.exec("SELECT * FROM commands ORDER BY trigger").toArray().map(toCommand);
  }

  /** Only these triggers, in the order given (for search results). */
  byTriggers(triggers: readonly string[]): Map<string, Command> {
    const found = new Map<string, Command>();
    for (const trigger of triggers) {
      const command = this.find(trigger);
      if (command) found.set(trigger, command);
    }
    return found;
  }

  categories(): { category: string; count: number }[] {
    return this.sql
      .exec("SELECT category, count(*) AS n FROM commands GROUP BY category ORDER BY category")
      .toArray()
      .map((row) => ({ category: String(row.category), count: Number(row.n) }));
  }
}
