import type { AttachmentIndex } from "../../features/files/attachments";
import {
  addCodebase,
  type CreateCodebaseInput,
  countCodebases,
  getCodebase,
  listCodebases,
  MAX_CODEBASES,
  removeCodebase,
} from "../../features/workspaces/codebases";
import {
  deleteWorkspaceRow,
  slugConflict,
  updateWorkspaceRow,
  writeWorkspaceRow,
} from "../../features/workspaces/d1-mirror";
import {
  type CreateLifecycleEventInput,
  countLifecycleEvents,
  type LifecycleEvent,
  listLifecycleEvents,
} from "../../features/workspaces/lifecycle-events";
import { assertTransition, type LifecycleAction } from "../../features/workspaces/state-machine";
import type {
  Codebase,
  CreateWorkspaceInput,
  PatchWorkspaceInput,
  ReplaceWorkspaceInput,
  Workspace,
  WorkspaceStatus,
  WorkspaceWithCodebases,
} from "../../features/workspaces/workspace.schemas";
import {
  type Caller,
  type ResetResult,
  slugCandidates,
  type WorkspaceSummary,
} from "../../features/workspaces/workspace.types";
import {
  newWorkspaceRecord,
  patchedRecord,
  replacedRecord,
  withStatus,
} from "../../features/workspaces/workspace-record";
import { ApiError } from "../../http/errors";
import { assertIfMatch } from "../../http/etag";
import { migrateSchema } from "../do-schema";
import { type RpcResult, rpcBoundary } from "../rpc-errors";
import { nowIso, WorkspaceCore } from "./core";

/** The workspace record: create, read, write, lifecycle, codebases, reset. */
export abstract class WorkspaceRecordRpc extends WorkspaceCore {
  /** A bare round trip, for health checks and benchmarks. */
  ping(): string {
    return "pong";
  }

  create(caller: Caller, id: string, input: CreateWorkspaceInput): Promise<RpcResult<Workspace>> {
    return this.exclusive(async () => {
      if (this.initialized) throw new ApiError("conflict", "workspace already exists");
      const now = nowIso();
      let record: Workspace | null = null;
      for (const slug of slugCandidates(input)) {
        const candidate = newWorkspaceRecord({ id, accountId: caller.accountId, slug }, input, now);
        if ((await writeWorkspaceRow(this.env.DB, candidate, 1)) === "written") {
          record = candidate;
          break;
        }
      }
      if (!record) throw slugConflict(input.slug);
      // The DO is initialised: the workspace is running. Both steps are lifecycle events.
      const running = withStatus(record, "running", now);
      try {
        await updateWorkspaceRow(this.env.DB, running, 2);
        this.commit(caller, id, (emit) => {
          migrateSchema(this.sql);
          this.sql.exec(
            "INSERT INTO workspace (singleton, owner_account_id, version, record) VALUES (1, ?, 2, ?)",
            caller.accountId,
            JSON.stringify(running),
          );
          emit("workspace.created", { workspace: running });
          this.lifecycle(
            emit,
            { event: "created", toStatus: "creating", actor: caller.actor },
            now,
          );
          this.lifecycle(
            emit,
            { event: "started", fromStatus: "creating", toStatus: "running", actor: caller.actor },
            now,
          );
        });
      } catch (error) {
        // Nothing half-made: the index row goes too, so the slug is free and no list shows it.
        await deleteWorkspaceRow(this.env.DB, id, now);
        throw error;
      }
      this.initialized = true;
      return running;
    });
  }

  get(caller: Caller): Promise<RpcResult<WorkspaceWithCodebases>> {
    return rpcBoundary(() => ({ ...this.load(caller).record, codebases: listCodebases(this.sql) }));
  }

  patch(
    caller: Caller,
    input: PatchWorkspaceInput,
    ifMatch: string | null,
  ): Promise<RpcResult<Workspace>> {
    return this.write(caller, ifMatch, (current, now) => patchedRecord(current, input, now));
  }

  replace(
    caller: Caller,
    input: ReplaceWorkspaceInput,
    ifMatch: string | null,
  ): Promise<RpcResult<Workspace>> {
    return this.write(caller, ifMatch, (current, now) => replacedRecord(current, input, now));
  }

  transition(caller: Caller, action: LifecycleAction): Promise<RpcResult<Workspace>> {
    return this.exclusive(async () => {
      const { record, version } = this.load(caller);
      assertTransition(record.status, action);
      const now = nowIso();
      const steps = this.transitionSteps(action, this.statusBeforeArchive());
      const next = withStatus(record, steps[steps.length - 1] as WorkspaceStatus, now);
      await updateWorkspaceRow(this.env.DB, next, version + 1);
      this.commit(caller, record.id, (emit) => {
        this.saveRecord(next, version + 1);
        if (action === "archive") {
          this.sql.exec("UPDATE workspace SET status_before_archive = ?", record.status);
        }
        let from = record.status;
        for (const to of steps) {
          const event = action === "unarchive" ? "unarchived" : STEP_EVENTS[to];
          emit("workspace.status_changed", {
            from_status: from,
            to_status: to,
            error_reason: null,
          });
          this.lifecycle(emit, { event, fromStatus: from, toStatus: to, actor: caller.actor }, now);
          from = to;
        }
        if (action === "archive" || action === "unarchive") {
          emit("workspace.archived", { archived: action === "archive", status: next.status });
        }
      });
      return next;
    });
  }

  /** Marks the workspace failed, e.g. when its runtime could not be reached. */
  markError(caller: Caller, reason: string): Promise<RpcResult<Workspace>> {
    return this.exclusive(async () => {
      const { record, version } = this.load(caller);
      const now = nowIso();
      const next = withStatus(record, "error", now, reason);
      await updateWorkspaceRow(this.env.DB, next, version + 1);
      this.commit(caller, record.id, (emit) => {
        this.saveRecord(next, version + 1);
        emit("workspace.status_changed", {
          from_status: record.status,
          to_status: "error",
          error_reason: reason,
        });
        this.lifecycle(
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
    });
  }

  /**
   * Removes the workspace from the index at once; the DO's storage and the R2 prefix are wiped
   * by the alarm, which retries until done.
   */
  delete(caller: Caller, ifMatch: string | null): Promise<RpcResult<void>> {
    return this.exclusive(async () => {
      const { record } = this.load(caller);
      assertIfMatch(ifMatch, record.etag);
      await deleteWorkspaceRow(this.env.DB, record.id, nowIso());
      this.commit(caller, record.id, (emit) => {
        this.sql.exec("UPDATE workspace SET deleted = 1");
        emit("workspace.deleted", { workspace_id: record.id });
      });
      this.forgetRow();
      this.hub.closeAll("workspace_deleted");
      this.threadStreams.discardAll();
      this.engine.abortAll();
      await this.ctx.storage.setAlarm(Date.now());
    });
  }

  status(caller: Caller) {
    return rpcBoundary(() => this.statusReport(this.load(caller).record));
  }

  summary(caller: Caller): Promise<RpcResult<WorkspaceSummary>> {
    return rpcBoundary(() => this.summaryReport(this.load(caller).record));
  }

  /** Status and summary in one round trip, for the health check. */
  healthReport(caller: Caller) {
    return rpcBoundary(() => {
      const { record } = this.load(caller);
      return { status: this.statusReport(record), summary: this.summaryReport(record) };
    });
  }

  private statusReport(record: Workspace) {
    return {
      id: record.id,
      status: record.status,
      error_reason: record.error_reason,
      pending_operation: null,
      last_activity_at: record.last_activity_at,
      updated_at: record.updated_at,
    };
  }

  private summaryReport(record: Workspace): WorkspaceSummary {
    return {
      workspace_id: record.id,
      ...this.threads.counts(),
      ...this.files.totals(),
      ...attachmentTotals(this.attachments),
      runs: this.initialized ? this.engine.store.count() : 0,
      agents: this.agents.count(),
      commands: this.commands.registry.count(),
      codebases: countCodebases(this.sql),
      lifecycle_events: countLifecycleEvents(this.sql),
      last_activity_at: record.last_activity_at,
    };
  }

  recordLifecycleEvent(
    caller: Caller,
    input: CreateLifecycleEventInput,
  ): Promise<RpcResult<LifecycleEvent>> {
    return rpcBoundary(() => {
      const { record } = this.load(caller);
      return this.commit(caller, record.id, (emit) =>
        this.lifecycle(emit, { ...input, actor: caller.actor }, nowIso()),
      );
    });
  }

  listLifecycleEvents(
    caller: Caller,
    options: { limit: number; after: number | null; order: "asc" | "desc" },
  ) {
    return rpcBoundary(() => {
      this.load(caller);
      return listLifecycleEvents(this.sql, options);
    });
  }

  listCodebases(caller: Caller): Promise<RpcResult<Codebase[]>> {
    return rpcBoundary(() => {
      this.load(caller);
      return listCodebases(this.sql);
    });
  }

  getCodebase(caller: Caller, id: string): Promise<RpcResult<Codebase>> {
    return rpcBoundary(() => {
      this.load(caller);
      return getCodebase(this.sql, id);
    });
  }

  addCodebase(caller: Caller, input: CreateCodebaseInput): Promise<RpcResult<Codebase>> {
    return rpcBoundary(() => {
      const { record } = this.load(caller);
      if (countCodebases(this.sql) >= MAX_CODEBASES) {
        throw new ApiError("conflict", `a workspace holds at most ${MAX_CODEBASES} codebases`);
      }
      return this.commit(caller, record.id, (emit) => {
        const codebase = addCodebase(this.sql, input, nowIso());
        emit("codebase.added", { codebase });
        return codebase;
      });
    });
  }

  removeCodebase(caller: Caller, id: string): Promise<RpcResult<void>> {
    return rpcBoundary(() => {
      const { record } = this.load(caller);
      this.commit(caller, record.id, (emit) => {
        removeCodebase(this.sql, id);
        emit("codebase.removed", { codebase_id: id });
      });
    });
  }

  /**
   * Resets the workspace's activity: closes its agents, cancels its command executions, its
   * streams and its unfinished process runs (streams first, so their count includes prompt
   * tasks' own), appends
   * `workspace.reset` and tells every socket `workspace_reset`.
   */
  reset(caller: Caller): Promise<RpcResult<ResetResult>> {
    return this.exclusive(async () => {
      const { record } = this.load(caller);
      const agentsClosed = this.agents.closeAll(caller, "workspace reset");
      const result = {
        agents_closed: agentsClosed,
        executions_canceled: this.commands.cancelAll(caller, "workspace reset"),
        streams_canceled: this.threadStreams.cancelAll(),
        process_runs_canceled: this.processes.cancelAll(caller, "workspace reset"),
      };
      const eventId = this.commit(caller, record.id, (emit) => emit("workspace.reset", result));
      const resetAt = nowIso();
      this.hub.sockets.broadcast({
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
        ...result,
      };
    });
  }

  private statusBeforeArchive(): WorkspaceStatus {
    const row = this.sql.exec("SELECT status_before_archive AS s FROM workspace").one();
    return row.s === "running" || row.s === "error" ? row.s : "stopped";
  }

  private transitionSteps(
    action: LifecycleAction,
    statusBeforeArchive: WorkspaceStatus,
  ): WorkspaceStatus[] {
    switch (action) {
      case "start":
        return ["running"];
      case "stop":
        return ["stopping", "stopped"];
      case "archive":
        return ["archived"];
      case "unarchive":
        return [statusBeforeArchive];
    }
  }

  private write(
    caller: Caller,
    ifMatch: string | null,
    change: (current: Workspace, now: string) => Workspace,
  ): Promise<RpcResult<Workspace>> {
    return this.exclusive(async () => {
      const { record, version } = this.load(caller);
      assertIfMatch(ifMatch, record.etag);
      const next = change(record, nowIso());
      await updateWorkspaceRow(this.env.DB, next, version + 1);
      this.commit(caller, record.id, (emit) => {
        this.saveRecord(next, version + 1);
        emit("workspace.updated", { workspace: next });
      });
      return next;
    });
  }

  private saveRecord(record: Workspace, version: number): void {
    this.sql.exec("UPDATE workspace SET record = ?, version = ?", JSON.stringify(record), version);
    this.forgetRow();
  }
}

const attachmentTotals = (index: AttachmentIndex) => {
  const { attachments, bytes } = index.totals();
  return { attachments, attachment_bytes: bytes };
};

/** The lifecycle event recorded when a workspace reaches a status. */
const STEP_EVENTS: Record<WorkspaceStatus, string> = {
  creating: "created",
  running: "started",
  stopping: "stopping",
  stopped: "stopped",
  error: "error",
  archived: "archived",
};
