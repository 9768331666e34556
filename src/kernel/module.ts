import type { Caller } from "./caller";
import type { EventSchemas } from "./events";
import type { FeatureApi } from "./feature-api";

/**
 * One feature inside the workspace's Durable Object, described by one object: its tables (as
 * numbered migration steps), the methods the Worker may call, and the hooks the kernel calls at
 * the moments every feature must take part in. The DO composes the list (modules.ts); reset,
 * delete and the alarm walk it, so no feature's work outlives its workspace.
 */
export interface WorkspaceModule {
  readonly name: string;
  /** SQL steps, applied once each in order (step i is version i + 1); append, never edit. */
  readonly migrations?: readonly string[];
  /** The events it emits (its `events.ts`; the catalog of them all is in modules.ts). */
  readonly events?: EventSchemas;
  /** The facades the Worker calls through `WorkspaceDO.call`, by name (see feature-api.ts). */
  readonly apis?: Readonly<Record<string, FeatureApi>>;
  /** A new instance on a workspace that exists: pick up what the previous instance left. */
  onWake?(): void | Promise<void>;
  /** Every alarm of a live workspace (a module registers its due times with `wakeAt`). */
  onAlarm?(now: number): Promise<void>;
  /** A reset: stop this module's activity; the counts of what was stopped go in the answer. */
  onReset?(caller: Caller): Record<string, number>;
  /**
   * The workspace is being deleted: stop every piece of work at once and give its followers a
   * final message and a closed stream. Runs before `workspace.deleted` is committed.
   */
  onDelete?(caller: Caller): void | Promise<void>;
  /** After the delete committed: close what must see the deletion first (event channels). */
  onDeleted?(): void;
  /** The deleted workspace's storage outside the DO (R2) is freed; retried until it succeeds. */
  onPurge?(): Promise<void>;
  /** What this module counts for the workspace's summary (`GET …/metadata`). */
  counts?(): Record<string, number>;
}
