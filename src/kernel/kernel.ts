import { notFound } from "../http/errors";
import type { Caller } from "./caller";

/** What the kernel's `commit` needs of the event log (the events module provides it). */
export interface EventJournal {
  /** Appends an event inside the running transaction and answers its id. */
  append(type: string, data: unknown, actor: string | null, now: number): { id: number };
  /** The transaction that appended rolled back: forget what was assumed of the log. */
  rolledBack(): void;
  /** Delivers committed events to their subscribers (after the commit, in the same turn). */
  publish(appended: readonly { id: number }[]): void;
}

/** An event sink as `commit` hands it to a change: type and data in, the event's id out. */
export type RawEmit = (type: string, data: unknown) => number;

/**
 * Why a deleted workspace's object was reset (see `resetDeleted`): a call that meets it was made
 * to a deleted workspace, and the Worker answers it as such (404).
 */
export const DELETED_RESET_REASON = "the workspace was deleted; its object was reset";

/** Who owns this workspace, as stored at creation. */
export interface Owner {
  accountId: string;
  workspaceId: string;
  live: boolean;
}

/**
 * What every feature of the workspace's Durable Object shares: its SQL storage, the caller check,
 * one write at a time, `commit` (a change and its events in one transaction) and the alarm's due
 * times. It knows no feature: the modules are composed around it (modules.ts).
 */
export class Kernel {
  readonly sql: SqlStorage;
  /** Whether this DO holds a workspace's tables (false until create, and again after purge). */
  initialized = false;
  private journal: EventJournal | null = null;
  /** Writes run one at a time: a write awaits D1, and another write must not interleave. */
  private writeQueue: Promise<unknown> = Promise.resolve();
  private cachedOwner: Owner | null = null;

  constructor(
    readonly ctx: DurableObjectState,
    readonly env: Env,
  ) {
    this.sql = ctx.storage.sql;
  }

  useJournal(journal: EventJournal): void {
    this.journal = journal;
  }

  /** The owner, or "not found" when absent, deleted, or owned by another account. */
  check(caller: Caller): Owner {
    const owner = this.owner();
    if (!owner.live || owner.accountId !== caller.accountId) throw notFound("workspace");
    return owner;
  }

  /** Who owns this workspace and its id, whoever asks (for changes the DO makes by itself). */
  owner(): Owner {
    if (this.cachedOwner) return this.cachedOwner;
    const row = this.initialized
      ? this.sql
          .exec(
            "SELECT owner_account_id, deleted, json_extract(record, '$.id') AS id FROM workspace",
          )
          .toArray()[0]
      : undefined;
    const owner = row
      ? {
          accountId: String(row.owner_account_id),
          workspaceId: String(row.id),
          live: row.deleted !== 1,
        }
      : { accountId: "", workspaceId: "", live: false };
    if (row) this.cachedOwner = owner;
    return owner;
  }

  /** The workspace row changed (created, deleted, purged): read the owner again. */
  forgetOwner(): void {
    this.cachedOwner = null;
  }

  /** Runs `body` after every write before it has finished. */
  exclusive<T>(body: () => Promise<T>): Promise<T> {
    const run = this.writeQueue.then(body, body);
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  /**
   * Runs a change in one transaction with the events it appends: both land or neither does.
   * The events are published to subscribers after the commit, in the same synchronous turn.
   */
  commit<T, E extends RawEmit = RawEmit>(caller: Caller, body: (emit: E) => T): T {
    const journal = this.journal;
    if (!journal) throw new Error("the event journal is not set");
    const appended: { id: number }[] = [];
    const now = Date.now();
    const emit: RawEmit = (type, data) => {
      const event = journal.append(type, data, caller.actor, now);
      appended.push(event);
      return event.id;
    };
    let value: T;
    try {
      value = this.ctx.storage.transactionSync(() => body(emit as E));
    } catch (error) {
      journal.rolledBack();
      throw error;
    }
    journal.publish(appended);
    return value;
  }

  /**
   * Resets the object of a deleted workspace, dropping what it holds in memory and the
   * connections it still has; the purge alarm, if it was running, is retried by a new instance.
   */
  resetDeleted(): void {
    if (this.owner().live) return;
    this.ctx.abort(DELETED_RESET_REASON);
  }

  /** Sets the alarm to `at` unless one is already set sooner: how a module asks to be woken. */
  async wakeAt(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }
}
