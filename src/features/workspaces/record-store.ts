import { notFound } from "../../http/errors";
import type { Caller } from "../../kernel/caller";
import type { Kernel } from "../../kernel/kernel";
import type { Workspace, WorkspaceStatus } from "./workspace.schemas";
import { parseRecord } from "./workspace-record";

/** The workspace row in the kernel's `workspace` table, read and written as a record. */
export class RecordStore {
  /** The row as last read or written; every write to it goes through `forget`. */
  private cached: Record<string, SqlStorageValue> | null = null;

  constructor(private readonly kernel: Kernel) {}

  /** The live record, or "not found" when absent, deleted, or owned by another account. */
  load(caller: Caller): { record: Workspace; version: number } {
    this.cached ??= this.kernel.initialized
      ? (this.kernel.sql
          .exec("SELECT owner_account_id, version, deleted, record FROM workspace")
          .toArray()[0] ?? null)
      : null;
    const row = this.cached;
    if (!row || row.deleted === 1 || row.owner_account_id !== caller.accountId) {
      throw notFound("workspace");
    }
    return { record: parseRecord(String(row.record)), version: Number(row.version) };
  }

  /** The record as stored, with no caller check: for what other features read of it. */
  stored(): Workspace {
    const row = this.kernel.sql.exec("SELECT record FROM workspace").one();
    return parseRecord(String(row.record));
  }

  insert(accountId: string, record: Workspace, version: number): void {
    this.kernel.sql.exec(
      "INSERT INTO workspace (singleton, owner_account_id, version, record) VALUES (1, ?, ?, ?)",
      accountId,
      version,
      JSON.stringify(record),
    );
    this.forget();
  }

  save(record: Workspace, version: number): void {
    this.kernel.sql.exec(
      "UPDATE workspace SET record = ?, version = ?",
      JSON.stringify(record),
      version,
    );
    this.forget();
  }

  markDeleted(): void {
    this.kernel.sql.exec("UPDATE workspace SET deleted = 1");
    this.forget();
  }

  rememberStatusBeforeArchive(status: WorkspaceStatus): void {
    this.kernel.sql.exec("UPDATE workspace SET status_before_archive = ?", status);
  }

  statusBeforeArchive(): WorkspaceStatus {
    const row = this.kernel.sql.exec("SELECT status_before_archive AS s FROM workspace").one();
    return row.s === "running" || row.s === "error" ? row.s : "stopped";
  }

  forget(): void {
    this.cached = null;
    this.kernel.forgetOwner();
  }
}
