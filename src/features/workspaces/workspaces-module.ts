import { ApiError } from "../../http/errors";
import { assertIfMatch } from "../../http/etag";
import type { Caller } from "../../kernel/caller";
import type { Emit } from "../../kernel/events";
import { featureApi } from "../../kernel/feature-api";
import type { Kernel } from "../../kernel/kernel";
import type { WorkspaceModule } from "../../kernel/module";
import { nowIso } from "../../lib/time";
import {
  addCodebase,
  type CreateCodebaseInput,
  countCodebases,
  getCodebase,
  listCodebases,
  MAX_CODEBASES,
  removeCodebase,
} from "./codebases";
import {
  deleteWorkspaceRow,
  slugConflict,
  updateWorkspaceRow,
  writeWorkspaceRow,
} from "./d1-mirror";
import { WORKSPACE_EVENTS } from "./events";
import {
  type CreateLifecycleEventInput,
  countLifecycleEvents,
  listLifecycleEvents,
  recordLifecycleEvent,
} from "./lifecycle-events";
import { RecordStore } from "./record-store";
import { MIGRATIONS } from "./schema";
import { assertTransition, type LifecycleAction } from "./state-machine";
import type {
  CreateWorkspaceInput,
  PatchWorkspaceInput,
  ReplaceWorkspaceInput,
  Workspace,
  WorkspaceStatus,
} from "./workspace.schemas";
import { type ResetResult, slugCandidates, type WorkspaceSummary } from "./workspace.types";
import { newWorkspaceRecord, patchedRecord, replacedRecord, withStatus } from "./workspace-record";

/** What the record needs of the DO around it: the walks over every module, and the sockets. */
export interface WorkspacesPorts {
  /** Creates every module's tables (inside the create's transaction). */
  migrate(): void;
  /** Every module's counts, for the summary. */
  counts(): Record<string, number>;
  /** Every module's reset: what each stopped. */
  reset(caller: Caller): Record<string, number>;
  /** Every module stops its work before the delete is committed… */
  stopAll(caller: Caller): Promise<void>;
  /** …and closes its channels after; the storage is purged by the alarm. */
  deleted(): Promise<void>;
  /** A control message to every socket (`workspace_reset`). */
  broadcast(message: Record<string, unknown>): void;
}

/** The workspace record: create, read, write, lifecycle, codebases, status, summary, reset. */
export function workspacesModule(kernel: Kernel, ports: WorkspacesPorts) {
  const store = new RecordStore(kernel);
  const { sql, env } = kernel;

  const lifecycle = (
    emit: Emit,
    input: Parameters<typeof recordLifecycleEvent>[1],
    now: string,
  ) => {
    const lifecycleEvent = recordLifecycleEvent(sql, input, now);
    emit("lifecycle_event.created", { lifecycle_event: lifecycleEvent });
    return lifecycleEvent;
  };

  /** Writes the next record: D1's mirror first (it may refuse a slug), then the DO's row. */
  async function write(
    caller: Caller,
    ifMatch: string | null,
    change: (current: Workspace, now: string) => Workspace,
  ): Promise<Workspace> {
    const { record, version } = store.load(caller);
    assertIfMatch(ifMatch, record.etag);
    const next = change(record, nowIso());
    await updateWorkspaceRow(env.DB, next, version + 1);
    kernel.commit(caller, (emit: Emit) => {
      store.save(next, version + 1);
      emit("workspace.updated", { workspace: next });
    });
    return next;
  }

  const statusReport = (record: Workspace) => ({
    id: record.id,
    status: record.status,
    error_reason: record.error_reason,
    pending_operation: null,
    last_activity_at: record.last_activity_at,
    updated_at: record.updated_at,
  });

  const summaryReport = (record: Workspace): WorkspaceSummary =>
    ({
      workspace_id: record.id,
      ...ports.counts(),
      codebases: countCodebases(sql),
      lifecycle_events: countLifecycleEvents(sql),
      last_activity_at: record.last_activity_at,
    }) as WorkspaceSummary;

  const api = featureApi(
    {
      /** A bare round trip, for health checks and benchmarks. */
      ping: (_caller: Caller | null) => "pong",

      async create(caller: Caller, id: string, input: CreateWorkspaceInput): Promise<Workspace> {
        if (kernel.initialized) throw new ApiError("conflict", "workspace already exists");
        const now = nowIso();
        let record: Workspace | null = null;
        for (const slug of slugCandidates(input)) {
          const candidate = newWorkspaceRecord(
            { id, accountId: caller.accountId, slug },
            input,
            now,
          );
          if ((await writeWorkspaceRow(env.DB, candidate, 1)) === "written") {
            record = candidate;
            break;
          }
        }
        if (!record) throw slugConflict(input.slug);
        // The DO is initialised: the workspace is running. Both steps are lifecycle events.
        const running = withStatus(record, "running", now);
        try {
          await updateWorkspaceRow(env.DB, running, 2);
          kernel.initialized = true;
          kernel.commit(caller, (emit: Emit) => {
            ports.migrate();
            store.insert(caller.accountId, running, 2);
            emit("workspace.created", { workspace: running });
            lifecycle(emit, { event: "created", toStatus: "creating", actor: caller.actor }, now);
            lifecycle(
              emit,
              {
                event: "started",
                fromStatus: "creating",
                toStatus: "running",
                actor: caller.actor,
              },
              now,
            );
          });
        } catch (error) {
          kernel.initialized = false;
          store.forget();
          // Nothing half-made: the index row goes too, so the slug is free and no list shows it.
          await deleteWorkspaceRow(env.DB, id, now);
          throw error;
        }
        return running;
      },

      get: (caller: Caller) => ({ ...store.load(caller).record, codebases: listCodebases(sql) }),

      patch: (caller: Caller, input: PatchWorkspaceInput, ifMatch: string | null) =>
        write(caller, ifMatch, (current, now) => patchedRecord(current, input, now)),

      replace: (caller: Caller, input: ReplaceWorkspaceInput, ifMatch: string | null) =>
        write(caller, ifMatch, (current, now) => replacedRecord(current, input, now)),

      async transition(caller: Caller, action: LifecycleAction): Promise<Workspace> {
        const { record, version } = store.load(caller);
        assertTransition(record.status, action);
        const now = nowIso();
        const steps = transitionSteps(action, store.statusBeforeArchive());
        const next = withStatus(record, steps[steps.length - 1] as WorkspaceStatus, now);
        await updateWorkspaceRow(env.DB, next, version + 1);
        kernel.commit(caller, (emit: Emit) => {
          store.save(next, version + 1);
          if (action === "archive") store.rememberStatusBeforeArchive(record.status);
          let from = record.status;
          for (const to of steps) {
            const event = action === "unarchive" ? "unarchived" : STEP_EVENTS[to];
            emit("workspace.status_changed", {
              from_status: from,
              to_status: to,
              error_reason: null,
            });
            lifecycle(emit, { event, fromStatus: from, toStatus: to, actor: caller.actor }, now);
            from = to;
          }
          if (action === "archive" || action === "unarchive") {
            emit("workspace.archived", { archived: action === "archive", status: next.status });
          }
        });
        return next;
      },

      /** Marks the workspace failed, e.g. when its runtime could not be reached. */
      async markError(caller: Caller, reason: string): Promise<Workspace> {
        const { record, version } = store.load(caller);
        const now = nowIso();
        const next = withStatus(record, "error", now, reason);
        await updateWorkspaceRow(env.DB, next, version + 1);
        kernel.commit(caller, (emit: Emit) => {
          store.save(next, version + 1);
          emit("workspace.status_changed", {
            from_status: record.status,
            to_status: "error",
            error_reason: reason,
          });
          lifecycle(
            emit,
            {
              event: "error",
              notes: reason,
              fromStatus: record.status,
              toStatus: "error",
              actor: caller.actor,
            },
            now,
          );
        });
        return next;
      },

      /**
       * Removes the workspace from the index at once, stops every module's work (their
       * followers get a final message), commits `workspace.deleted`, closes the event channels;
       * the DO's storage and the R2 prefix are wiped by the alarm, which retries until done.
       */
      async delete(caller: Caller, ifMatch: string | null): Promise<void> {
        const { record } = store.load(caller);
        assertIfMatch(ifMatch, record.etag);
        await deleteWorkspaceRow(env.DB, record.id, nowIso());
        await ports.stopAll(caller);
        kernel.commit(caller, (emit: Emit) => {
          store.markDeleted();
          emit("workspace.deleted", { workspace_id: record.id });
        });
        await ports.deleted();
      },

      status: (caller: Caller) => statusReport(store.load(caller).record),

      summary: (caller: Caller) => summaryReport(store.load(caller).record),

      /** Status and summary in one round trip, for the health check. */
      health(caller: Caller) {
        const { record } = store.load(caller);
        return { status: statusReport(record), summary: summaryReport(record) };
      },

      addLifecycleEvent: (caller: Caller, input: CreateLifecycleEventInput) =>
        kernel.commit(caller, (emit: Emit) =>
          lifecycle(emit, { ...input, actor: caller.actor }, nowIso()),
        ),

      listLifecycleEvents: (
        _caller: Caller,
        options: { limit: number; after: number | null; skip: number; order: "asc" | "desc" },
      ) => listLifecycleEvents(sql, options),

      listCodebases: (_caller: Caller) => listCodebases(sql),

      getCodebase: (_caller: Caller, id: string) => getCodebase(sql, id),

      addCodebase(caller: Caller, input: CreateCodebaseInput) {
        if (countCodebases(sql) >= MAX_CODEBASES) {
          throw new ApiError("conflict", `a workspace holds at most ${MAX_CODEBASES} codebases`);
        }
        return kernel.commit(caller, (emit: Emit) => {
          const codebase = addCodebase(sql, input, nowIso());
          emit("codebase.added", { codebase });
          return codebase;
        });
      },

      removeCodebase: (caller: Caller, id: string) =>
        kernel.commit(caller, (emit: Emit) => {
          removeCodebase(sql, id);
          emit("codebase.removed", { codebase_id: id });
        }),

      /**
       * Every module stops its activity (agents, executions, streams, process runs); then
       * `workspace.reset`, and every socket is told `workspace_reset`.
       */
      async reset(caller: Caller): Promise<ResetResult> {
        const { record } = store.load(caller);
        const counts = ports.reset(caller) as Omit<
          ResetResult,
          "ok" | "workspace_id" | "event_id" | "reset_at"
        >;
        const eventId = kernel.commit(caller, (emit: Emit) => emit("workspace.reset", counts));
        const resetAt = nowIso();
        ports.broadcast({
          type: "workspace_reset",
          workspace_id: record.id,
          event_id: eventId,
          reset_at: resetAt,
        });
        return {
          ok: true,
          workspace_id: record.id,
          event_id: eventId,
          reset_at: resetAt,
          ...counts,
        };
      },

      /**
       * For the live-events benchmark only (reached through `/__bench`, which exists only when
       * BENCH_ROUTES is on): appends `count` lifecycle events, one every `intervalMs`, by the
       * same path as `POST …/lifecycle-events`, so delivery is measured without HTTP in front.
       */
      async benchAppend(caller: Caller, count: number, intervalMs: number) {
        const start = Date.now();
        let lateMs = 0;
        for (let i = 0; i < count; i++) {
          const wait = start + i * intervalMs - Date.now();
          if (wait > 0) await scheduler.wait(wait);
          else lateMs = Math.max(lateMs, -wait);
          kernel.commit(caller, (emit: Emit) =>
            lifecycle(emit, { event: "bench", notes: String(i), actor: caller.actor }, nowIso()),
          );
        }
        return { appended: count, lateMs };
      },
    },
    {
      unchecked: ["ping", "create"],
      exclusive: ["create", "patch", "replace", "transition", "markError", "delete", "reset"],
    },
  );

  const module: WorkspaceModule = {
    name: "workspaces",
    migrations: MIGRATIONS,
    events: WORKSPACE_EVENTS,
    apis: { workspaces: api },
    onPurge: async () => store.forget(),
  };
  return { module, api, store };
}

function transitionSteps(action: LifecycleAction, before: WorkspaceStatus): WorkspaceStatus[] {
  switch (action) {
    case "start":
      return ["running"];
    case "stop":
      return ["stopping", "stopped"];
    case "archive":
      return ["archived"];
    case "unarchive":
      return [before];
  }
}

/** The lifecycle event recorded when a workspace reaches a status. */
const STEP_EVENTS: Record<WorkspaceStatus, string> = {
  creating: "created",
  running: "started",
  stopping: "stopping",
  stopped: "stopped",
  error: "error",
  archived: "archived",
};
