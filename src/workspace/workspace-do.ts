import { DurableObject } from "cloudflare:workers";
import type { RoleTemplateInput, SpawnAgentInput } from "../agents/agent.schemas";
import { Agents } from "../agents/agents";
import type {
  CreateCommandInput,
  ExecuteCommandInput,
  PatchCommandInput,
} from "../commands/command.schemas";
import { Commands } from "../commands/commands";
import { type CommandConfig, commandConfig } from "../commands/config";
import type { PromptRun } from "../commands/execution-runner";
import { shellFileHost } from "../commands/file-host";
import type { OutputFormat } from "../commands/output-stream";
import type { CommandListQuery } from "../commands/registry";
import { ApiError, notFound } from "../errors";
import { type EventConfig, eventConfig } from "../events/event-config";
import { EventHub } from "../events/event-hub";
import { EventLog, type LoggedEvent } from "../events/event-log";
import type { Emit } from "../events/event-schema";
import { parseSocketRequest } from "../events/socket-forward";
import { SOCKET_PING, SOCKET_PONG } from "../events/socket-hub";
import {
  consumeTicket,
  type NewTicket,
  storeTicket,
  type TicketHolder,
} from "../events/stream-tickets";
import type { SubscriberInfo, SubscriptionRequest } from "../events/subscriber";
import { type Attachment, AttachmentIndex, type StoredAttachment } from "../files/attachments";
import { contentTypeFor } from "../files/content-types";
import {
  DeletionQueue,
  UNCOMMITTED_UPLOAD_GRACE_MS,
  ZIP_READ_HOLD_MS,
} from "../files/deletion-queue";
import { type FileEntry, FileIndex, type StoredObject } from "../files/file-index";
import {
  abortInR2,
  checkPartList,
  describeUpload,
  MULTIPART_TTL_MS,
  type MultipartUpload,
  type MultipartUploadBody,
  MultipartUploads,
  newUploadId,
  PART_SIZE_MAX,
  type UploadedPart,
} from "../files/multipart-uploads";
import { deleteObjects, newObjectKey, putObject } from "../files/object-store";
import { type PathSearch, searchPaths } from "../files/path-search";
import { normalizeDirectory, normalizePath } from "../files/paths";
import { assertWriteConditions, type WriteConditions } from "../files/preconditions";
import { workspaceQuotaBytes } from "../files/quota";
import { SignedUploads, type UploadGrant, type UploadHolder } from "../files/signed-uploads";
import {
  THREAD_TOOLS,
  TOOL_LIST_MAX,
  TOOL_TEXT_MAX,
  type WorkspaceFiles,
  workspaceTools,
} from "../models/workspace-tools";
import { ProcessEngine } from "../processes/engine";
import {
  type ApproveInput,
  type DefinitionConditions,
  type DefinitionInput,
  Processes,
  type RunInput,
} from "../processes/processes";
import type { RunAction } from "../processes/run-rules";
import { deletePrefix, workspacePrefix } from "../storage/r2-prefix";
import { unpersistedEchoStream } from "../threads/bench-stream";
import { DEFAULT_MAX_STEPS, type StreamRequest } from "../threads/stream.schemas";
import type { ThreadListQuery } from "../threads/thread-store";
import { streamConfig, ThreadStreams } from "../threads/thread-streams";
import {
  type PatchThreadInput,
  type ThreadInput,
  Threads,
  type WriteConditions as ThreadWriteConditions,
} from "../threads/threads";
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
import { hasSchema, migrateSchema } from "./do-schema";
import { assertIfMatch } from "./etag";
import {
  type CreateLifecycleEventInput,
  countLifecycleEvents,
  type LifecycleEvent,
  listLifecycleEvents,
  recordLifecycleEvent,
} from "./lifecycle-events";
import { type RpcResult, rpcBoundary } from "./rpc-errors";
import { assertTransition, type LifecycleAction } from "./state-machine";
import type {
  Codebase,
  CreateWorkspaceInput,
  PatchWorkspaceInput,
  ReplaceWorkspaceInput,
  Workspace,
  WorkspaceStatus,
  WorkspaceWithCodebases,
} from "./workspace.schemas";
import {
  type Caller,
  type ResetResult,
  slugCandidates,
  type WorkspaceSummary,
} from "./workspace.types";
import {
  newWorkspaceRecord,
  parseRecord,
  patchedRecord,
  replacedRecord,
  withStatus,
} from "./workspace-record";

const nowIso = () => new Date().toISOString();

/**
 * One Durable Object per workspace: the source of truth for the workspace record and
 * everything inside it. The Worker authenticates; this class trusts the caller's account id
 * and refuses (as "not found") any call that names an account other than the owner.
 */
export class WorkspaceDO extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** Writes run one at a time: a write awaits D1, and another write must not interleave. */
  private writeQueue: Promise<unknown> = Promise.resolve();
  /** The workspace row as last read or written; every write to it goes through `forgetRow`. */
  private cachedRow: Record<string, SqlStorageValue> | null = null;
  /** Whether this DO holds a workspace's tables (false until create, and again after purge). */
  private initialized = false;
  private readonly config: EventConfig;
  private readonly log: EventLog;
  private readonly hub: EventHub;
  private readonly files: FileIndex;
  private readonly deletions: DeletionQueue;
  private readonly attachments: AttachmentIndex;
  private readonly multipart: MultipartUploads;
  private readonly signedUploads: SignedUploads;
  private readonly threads: Threads;
  private readonly commands: Commands;
  private readonly threadStreams: ThreadStreams;
  private readonly agents: Agents;
  private readonly engine: ProcessEngine;
  private readonly processes: Processes;
  /** Whether an alarm is known to be set for trimming the event log. */
  private trimArmed = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.config = eventConfig(env);
    this.log = new EventLog(this.sql);
    this.hub = new EventHub(ctx, this.log, this.config);
    this.files = new FileIndex(this.sql);
    this.deletions = new DeletionQueue(this.sql);
    this.attachments = new AttachmentIndex(this.sql);
    this.multipart = new MultipartUploads(this.sql);
    this.signedUploads = new SignedUploads(this.sql);
    this.threads = new Threads(this.sql);
    this.commands = new Commands(this.sql, {
      commit: (caller, body) => this.commit(caller ?? SYSTEM, this.workspaceId(), body),
      fileHost: (caller) => shellFileHost(this, this.files, env.FILES, caller),
      prompt: (caller, run) => this.runPrompt(caller, run),
      waitUntil: (promise) => ctx.waitUntil(promise),
    });
    this.threadStreams = new ThreadStreams(
      this.sql,
      this.threads,
      {
        commit: (actor, body) => {
          const owner = this.owner();
          return this.commit({ accountId: owner.accountId, actor }, owner.workspaceId, body);
        },
        files: (caller) => this.agentFiles(caller),
        env,
        wakeAt: (at) => this.wakeAt(at),
      },
      streamConfig(env, this.config),
    );
    this.agents = new Agents(this.sql, {
      commit: (caller, body) => this.commit(caller, this.workspaceId(), body),
      streams: this.threadStreams,
      threads: this.threads,
      files: (caller) => this.agentFiles(caller),
      fileHost: (caller) => shellFileHost(this, this.files, env.FILES, caller),
      commandConfig: () => commandConfig(env),
    });
    const asRunOwner = (caller: Caller, body: (emit: Emit) => unknown) =>
      this.commit(caller, this.workspaceId(), body);
    this.engine = new ProcessEngine(this.sql, {
      commit: (caller, body) => asRunOwner(caller, body) as ReturnType<typeof body>,
      fileHost: (caller) => shellFileHost(this, this.files, env.FILES, caller),
      registry: this.commands.registry,
      config: () => commandConfig(env),
      now: () => Date.now(),
      prompt: {
        start: (caller, request) => this.threadStreams.start(caller, request, false),
        cancel: (threadId) => this.threadStreams.cancel(threadId),
        answer: (opened) => {
          const row = this.threadStreams.store.get(opened.streamId);
          const message = this.threads.messages
            .all(opened.threadId)
            .find((m) => m.id === opened.messageId);
          const text = (message?.parts ?? [])
            .map((part) => (part.type === "text" ? String(part.text ?? "") : ""))
            .join("");
          return { status: row?.status ?? "error", error: row?.error ?? null, text };
        },
      },
    });
    this.processes = new Processes(this.engine, {
      commit: (caller, body) => asRunOwner(caller, body) as ReturnType<typeof body>,
      wake: () => this.wakeAt(Date.now()),
    });
    // Pings are answered by the runtime, so an idle socket never wakes a hibernating DO.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(SOCKET_PING, SOCKET_PONG));
    // A DO that was never created stays without tables, so a lookup of an unknown id writes nothing.
    ctx.blockConcurrencyWhile(async () => {
      this.initialized = hasSchema(this.sql);
      if (this.initialized) migrateSchema(this.sql);
      // A new instance runs nothing yet: executions left running were cut off by a restart.
      if (this.initialized) this.commands.reapInterrupted();
      // A stream still marked streaming lost its producer with the previous instance.
      if (this.initialized && this.owner().live) await this.threadStreams.recover();
      // A task left running by the previous instance is a crashed attempt: wake to rerun it.
      if (this.initialized && this.engine.hasStaleClaims()) await this.wakeAt(Date.now());
    });
  }

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
   * Finishes a delete: R2 objects first, then every row of this DO (the alarm retries on
   * failure). For a live workspace, trims the event log and sets the next trim.
   */
  async alarm(): Promise<void> {
    this.trimArmed = false;
    if (!this.initialized) return;
    const row = this.sql.exec("SELECT deleted, record FROM workspace").toArray()[0];
    if (row?.deleted !== 1) {
      this.log.trim(this.config.retention, Date.now());
      await this.threadStreams.onAlarm(Date.now());
      await this.abortExpiredUploads();
      await this.deleteDueObjects();
      await this.armTrim();
      // Last: a tick runs the tasks it starts to their end, which may take a while.
      await this.tickProcesses();
      return;
    }
    const record = parseRecord(String(row.record));
    // Parts of unfinished uploads are not objects yet: a prefix delete would not see them.
    for (const upload of this.multipart.all()) {
      await abortInR2(this.env.FILES, upload).catch((error) =>
        console.error("could not abort a multipart upload; R2's lifecycle rule will", error),
      );
    }
    await deletePrefix(this.env.FILES, workspacePrefix(record.id));
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.signedUploads.forgetKey();
    this.initialized = false;
    this.forgetRow();
    this.log.forgetHead();
  }

  /**
   * Resets the workspace's activity: closes its agents, cancels its streams and its unfinished
   * process runs (streams first, so their count includes prompt tasks' own), appends
   * `workspace.reset` and tells every socket `workspace_reset`.
   */
  reset(caller: Caller): Promise<RpcResult<ResetResult>> {
    return this.exclusive(async () => {
      const { record } = this.load(caller);
      const agentsClosed = this.agents.closeAll(caller, "workspace reset");
      const result = {
        agents_closed: agentsClosed,
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

  /**
   * Before an upload's bytes are sent: checks the path, the conditions and the quota, and names
   * the new object. The object is queued for deletion after a grace period in case the upload
   * never commits.
   */
  filePrepareUpload(
    caller: Caller,
    path: string,
    size: number,
    conditions: WriteConditions,
  ): Promise<RpcResult<{ objectKey: string }>> {
    return rpcBoundary(async () => {
      const { record } = this.load(caller);
      const current = this.files.row(path);
      if (current?.kind === "directory") throw new ApiError("conflict", `'${path}' is a directory`);
      assertWriteConditions(current, conditions);
      this.assertQuota(size - (current?.size ?? 0));
      const objectKey = newObjectKey(record.id);
      this.deletions.queue([objectKey], Date.now() + UNCOMMITTED_UPLOAD_GRACE_MS);
      await this.wakeAt(Date.now() + UNCOMMITTED_UPLOAD_GRACE_MS);
      return { objectKey };
    });
  }

  /**
   * After the bytes are in R2: points the path at the new object in one transaction (creating
   * parent directories, appending the events) and queues the replaced object for deletion. If
   * the conditions no longer hold, the new object is queued for deletion instead.
   */
  fileCommitUpload(
    caller: Caller,
    path: string,
    object: StoredObject,
    conditions: WriteConditions,
  ): Promise<RpcResult<{ entry: FileEntry; created: boolean }>> {
    return rpcBoundary(() => this.commitUpload(caller, path, object, conditions));
  }

  /**
   * Starts a multipart upload: names the object, opens the R2 multipart upload and records it
   * (with its expiry, when the alarm aborts it). A declared size is checked against the quota.
   */
  multipartCreate(
    caller: Caller,
    input: { path: string; contentType: string; declaredSize: number | null },
  ): Promise<RpcResult<MultipartUploadBody>> {
    return rpcBoundary(async () => {
      const { record } = this.load(caller);
      const current = this.files.row(input.path);
      if (current?.kind === "directory") {
        throw new ApiError("conflict", `'${input.path}' is a directory`);
      }
      if (input.declaredSize !== null) {
        this.assertQuota(input.declaredSize - (current?.size ?? 0));
      }
      const now = Date.now();
      const objectKey = newObjectKey(record.id);
      const r2 = await this.env.FILES.createMultipartUpload(objectKey, {
        httpMetadata: { contentType: input.contentType },
      });
      const upload = {
        uploadId: newUploadId(),
        path: input.path,
        objectKey,
        r2UploadId: r2.uploadId,
        contentType: input.contentType,
        author: caller.actor,
        declaredSize: input.declaredSize,
        createdAt: now,
        expiresAt: now + MULTIPART_TTL_MS,
      };
      this.multipart.insert(upload);
      // Completed in R2 but never committed (a crash in between): the object is deleted later.
      this.deletions.queue([objectKey], upload.expiresAt + UNCOMMITTED_UPLOAD_GRACE_MS);
      await this.wakeAt(upload.expiresAt);
      return describeUpload({ ...upload, state: "open", bytesReceived: 0 });
    });
  }

  /**
   * Before a part's bytes are sent: the upload must be open, and the bytes it would then hold
   * within its declared size and the workspace's quota. Answers where the Worker streams it.
   */
  multipartPreparePart(
    caller: Caller,
    uploadId: string,
    partNumber: number,
    size: number,
  ): Promise<RpcResult<{ objectKey: string; r2UploadId: string }>> {
    return rpcBoundary(() => {
      this.load(caller);
      const upload = this.multipart.open(uploadId, Date.now());
      this.assertPartFits(upload, partNumber, size);
      return { objectKey: upload.objectKey, r2UploadId: upload.r2UploadId };
    });
  }

  /** After R2 accepted a part: records it (checked again: parts may arrive side by side). */
  multipartRecordPart(
    caller: Caller,
    uploadId: string,
    part: UploadedPart,
  ): Promise<RpcResult<UploadedPart>> {
    return rpcBoundary(() => {
      this.load(caller);
      const upload = this.multipart.open(uploadId, Date.now());
      this.assertPartFits(upload, part.part_number, part.size);
      this.multipart.recordPart(uploadId, part);
      return part;
    });
  }

  /**
   * Assembles the parts in R2 and commits the file like any upload (conditions and quota
   * checked before and again at commit). The upload is marked as completing meanwhile, so a
   * second completion is a 409 and, once done, a 404. If the commit is refused the upload is
   * over (its object is deleted); if R2 refuses, it stays open for another try.
   */
  multipartComplete(
    caller: Caller,
    uploadId: string,
    parts: readonly { part_number: number; etag: string }[],
    conditions: WriteConditions,
  ): Promise<RpcResult<{ entry: FileEntry; created: boolean }>> {
    return rpcBoundary(async () => {
      this.load(caller);
      const upload = this.multipart.open(uploadId, Date.now());
      const size = checkPartList(parts, this.multipart.parts(uploadId));
      const current = this.files.row(upload.path);
      if (current?.kind === "directory") {
        throw new ApiError("conflict", `'${upload.path}' is a directory`);
      }
      assertWriteConditions(current, conditions);
      this.assertQuota(size - (current?.size ?? 0));
      this.multipart.setState(uploadId, "completing");
      let assembled: R2Object;
      try {
        assembled = await this.env.FILES.resumeMultipartUpload(
          upload.objectKey,
          upload.r2UploadId,
        ).complete(parts.map((part) => ({ partNumber: part.part_number, etag: part.etag })));
      } catch (error) {
        this.multipart.setState(uploadId, "open");
        throw error;
      }
      // No SHA-256 was streamed (parts arrive in any order): the etag is R2's multipart etag.
      const object = {
        objectKey: upload.objectKey,
        size: assembled.size,
        sha256: assembled.etag,
        contentType: upload.contentType,
      };
      try {
        return await this.commitUpload(caller, upload.path, object, conditions, () =>
          this.multipart.remove(uploadId),
        );
      } catch (error) {
        this.multipart.remove(uploadId);
        throw error;
      }
    });
  }

  /** Aborts an open upload: R2 drops its parts, and the record goes. */
  multipartAbort(caller: Caller, uploadId: string): Promise<RpcResult<void>> {
    return rpcBoundary(async () => {
      this.load(caller);
      const upload = this.multipart.open(uploadId, Date.now());
      await abortInR2(this.env.FILES, upload);
      this.multipart.remove(uploadId);
    });
  }

  /** Issues a signed upload URL's nonce and signature for `path` (not for a directory). */
  signedUploadCreate(
    caller: Caller,
    input: { path: string; maxSize: number; expires: number; contentType: string | null },
  ): Promise<RpcResult<UploadGrant>> {
    return rpcBoundary(() => {
      const { record } = this.load(caller);
      if (this.files.row(input.path)?.kind === "directory") {
        throw new ApiError("conflict", `'${input.path}' is a directory`);
      }
      return this.signedUploads.issue(
        record.id,
        input,
        { accountId: caller.accountId, actor: caller.actor },
        Date.now(),
      );
    });
  }

  /**
   * Checks a signed URL (no caller: the URL is the credential); answers who issued it. A URL of
   * a deleted workspace, or of one whose owner changed, is refused like a bad signature.
   */
  signedUploadVerify(grant: UploadGrant): Promise<RpcResult<UploadHolder>> {
    return rpcBoundary(async () => {
      if (!this.initialized) throw new ApiError("forbidden", "the upload URL is not valid");
      const holder = await this.signedUploads.verify(grant, Date.now());
      try {
        this.load({ accountId: holder.accountId, actor: holder.actor });
      } catch {
        throw new ApiError("forbidden", "the upload URL is not valid");
      }
      return holder;
    });
  }

  /** Commits a signed URL's upload, using the URL up in the same transaction. */
  signedUploadCommit(
    caller: Caller,
    nonce: string,
    path: string,
    object: StoredObject,
    conditions: WriteConditions,
  ): Promise<RpcResult<{ entry: FileEntry; created: boolean }>> {
    return rpcBoundary(() =>
      this.commitUpload(caller, path, object, conditions, () =>
        this.signedUploads.consume(nonce, Date.now()),
      ),
    );
  }

  /** A file or directory's entry, with the object to read a file's bytes from. */
  fileStat(caller: Caller, path: string) {
    return rpcBoundary(() => {
      this.load(caller);
      const row = this.files.row(path);
      if (!row) throw notFound("file");
      return row;
    });
  }

  fileMove(
    caller: Caller,
    input: { from: string; to: string; overwrite: boolean },
  ): Promise<RpcResult<FileEntry>> {
    return rpcBoundary(async () => {
      const { record } = this.load(caller);
      const now = Date.now();
      const { entry, freed } = this.commit(caller, record.id, (emit) => {
        const moved = this.files.move(input.from, input.to, input.overwrite, {
          now: new Date(now).toISOString(),
          author: caller.actor,
          emit,
        });
        this.deletions.queue(moved.freed, now);
        return moved;
      });
      if (freed.length > 0) await this.wakeAt(now);
      return entry;
    });
  }

  /** Deletes a file, or a directory and everything in it (only with `recursive`). */
  fileDelete(caller: Caller, path: string, recursive: boolean): Promise<RpcResult<void>> {
    return rpcBoundary(async () => {
      const { record } = this.load(caller);
      const current = this.files.row(path);
      if (!current) throw notFound("file");
      if (current.kind === "directory" && !recursive) {
        throw new ApiError(
          "conflict",
          `'${path}' is a directory; pass recursive=true to delete it`,
        );
      }
      const now = Date.now();
      const freed = this.commit(caller, record.id, (emit) => {
        const keys = this.files.remove(path, { emit });
        this.deletions.queue(keys, now);
        return keys;
      });
      if (freed.length > 0) await this.wakeAt(now);
    });
  }

  /** mkdir -p; answers the directory and whether it was created. */
  makeDirectory(
    caller: Caller,
    path: string,
  ): Promise<RpcResult<{ entry: FileEntry; created: boolean }>> {
    return rpcBoundary(() => {
      const { record } = this.load(caller);
      const existed = this.files.row(path);
      if (existed?.kind === "file") throw new ApiError("conflict", `'${path}' is a file`);
      this.commit(caller, record.id, (emit) =>
        this.files.ensureDirectories(path, true, {
          now: nowIso(),
          author: caller.actor,
          emit,
        }),
      );
      return { entry: this.files.get(path), created: !existed };
    });
  }

  /** Glob search over the index (picomatch semantics), a page at a time. */
  searchPaths(caller: Caller, search: PathSearch) {
    return rpcBoundary(() => {
      this.load(caller);
      return searchPaths(this.files.entriesAfter(search.after), search);
    });
  }

  /** The entries directly inside a directory ("" is the root), by name. */
  listDirectory(caller: Caller, path: string, after: string | null, limit: number) {
    return rpcBoundary(() => {
      this.load(caller);
      if (path !== "") {
        const directory = this.files.row(path);
        if (!directory) throw notFound("directory");
        if (directory.kind !== "directory") throw new ApiError("conflict", `'${path}' is a file`);
      }
      return this.files.children(path, after, limit);
    });
  }

  threadList(caller: Caller, query: ThreadListQuery) {
    return rpcBoundary(() => {
      this.load(caller);
      return this.threads.list(query);
    });
  }

  threadCreate(caller: Caller, input: ThreadInput) {
    return rpcBoundary(() => {
      const { record } = this.load(caller);
      return this.commit(caller, record.id, (emit) =>
        this.threads.create(input, caller.actor, emit),
      );
    });
  }

  /** The thread with its first messages (as many as fit one page). */
  threadGet(caller: Caller, threadId: string) {
    return rpcBoundary(() => {
      this.load(caller);
      return this.threads.get(threadId);
    });
  }

  threadPut(
    caller: Caller,
    threadId: string,
    input: ThreadInput,
    conditions: ThreadWriteConditions,
  ) {
    return rpcBoundary(() => {
      const { record } = this.load(caller);
      return this.commit(caller, record.id, (emit) =>
        this.threads.put(threadId, input, conditions, caller.actor, emit),
      );
    });
  }

  threadPatch(caller: Caller, threadId: string, input: PatchThreadInput, ifMatch: string | null) {
    return rpcBoundary(() => {
      const { record } = this.load(caller);
      return this.commit(caller, record.id, (emit) =>
        this.threads.patch(threadId, input, ifMatch, emit),
      );
    });
  }

  /** Deletes a thread with its messages; its stream, if one runs, is aborted and dropped. */
  threadDelete(caller: Caller, threadId: string, ifMatch: string | null) {
    return rpcBoundary(() => {
      const { record } = this.load(caller);
      this.commit(caller, record.id, (emit) => {
        this.threads.delete(threadId, ifMatch, emit);
        this.threadStreams.threadDeleted(threadId);
      });
    });
  }

  /**
   * Starts a thread stream (the question stored, the model called in here, independent of the
   * connection) and answers a tail of it. The tail id comes along for `threadStreamClose`: a
   * client's cancel does not travel back through an RPC stream (workerd#7298).
   */
  threadStreamStart(caller: Caller, request: StreamRequest, interrupt: boolean) {
    return rpcBoundary(() => {
      this.load(caller);
      return this.threadStreams.start(caller, request, interrupt);
    });
  }

  /** Reattaches to a thread's stream; null when there is nothing to follow (204). */
  threadStreamAttach(
    caller: Caller,
    threadId: string,
    cursor: number | null,
    streamId: string | null,
  ) {
    return rpcBoundary(() => {
      this.load(caller);
      return this.threadStreams.attach(caller, threadId, cursor, streamId);
    });
  }

  /** The client of a thread stream tail went away: stop feeding it (the producer goes on). */
  threadStreamClose(caller: Caller, tailId: string) {
    return rpcBoundary(() => {
      this.load(caller);
      this.threadStreams.closeTail(tailId);
    });
  }

  /** Cancels the thread's running stream; answers it once its partial answer is saved. */
  threadStreamCancel(caller: Caller, threadId: string) {
    return rpcBoundary(() => {
      this.load(caller);
      return this.threadStreams.cancel(threadId);
    });
  }

  threadRebuildIndex(caller: Caller) {
    return rpcBoundary(() => {
      const { record } = this.load(caller);
      return this.commit(caller, record.id, (emit) => this.threads.rebuild(emit));
    });
  }

  /** A page of a thread's messages, oldest first, or of its query/response pairs. */
  threadMessages(
    caller: Caller,
    threadId: string,
    page: { view: "messages" | "pairs"; after: number; limit: number },
  ) {
    return rpcBoundary(() => {
      this.load(caller);
      return page.view === "pairs"
        ? { view: "pairs" as const, ...this.threads.pairPage(threadId, page.after, page.limit) }
        : {
            view: "messages" as const,
            ...this.threads.messagePage(threadId, page.after, page.limit),
          };
    });
  }

  /**
   * Before an attachment's bytes are sent: the quota, and a new object, queued for deletion
   * after a grace period in case the upload never commits (as for a file upload).
   */
  attachmentPrepare(caller: Caller, size: number): Promise<RpcResult<{ objectKey: string }>> {
    return rpcBoundary(async () => {
      const { record } = this.load(caller);
      this.assertQuota(size);
      const objectKey = newObjectKey(record.id);
      this.deletions.queue([objectKey], Date.now() + UNCOMMITTED_UPLOAD_GRACE_MS);
      await this.wakeAt(Date.now() + UNCOMMITTED_UPLOAD_GRACE_MS);
      return { objectKey };
    });
  }

  /** After the bytes are in R2: names and indexes the attachment, or queues its object to go. */
  attachmentCommit(caller: Caller, stored: StoredAttachment): Promise<RpcResult<Attachment>> {
    return rpcBoundary(async () => {
      const { record } = this.load(caller);
      const now = Date.now();
      try {
        return this.commit(caller, record.id, (emit) => {
          this.assertQuota(stored.size);
          const attachment = this.attachments.add(stored, {
            now: new Date(now).toISOString(),
            author: caller.actor,
            emit,
          });
          this.deletions.keep(stored.objectKey);
          return attachment;
        });
      } catch (error) {
        this.deletions.queue([stored.objectKey], now);
        await this.wakeAt(now);
        throw error;
      }
    });
  }

  /** An attachment with the object its bytes are in. */
  attachmentStat(caller: Caller, name: string) {
    return rpcBoundary(() => {
      this.load(caller);
      const row = this.attachments.row(name);
      if (!row) throw notFound("attachment");
      return row;
    });
  }

  attachmentList(caller: Caller, after: string | null, limit: number) {
    return rpcBoundary(() => {
      this.load(caller);
      return this.attachments.list(after, limit);
    });
  }

  attachmentDelete(caller: Caller, name: string): Promise<RpcResult<void>> {
    return rpcBoundary(async () => {
      const { record } = this.load(caller);
      const now = Date.now();
      this.commit(caller, record.id, (emit) => {
        this.deletions.queue([this.attachments.remove(name, { emit })], now);
      });
      await this.wakeAt(now);
    });
  }

  /**
   * A page of a directory's ZIP entries ("" is the root): everything below it, by path, after
   * `after`. Every page also holds deletions for `ZIP_READ_HOLD_MS`, so the objects listed stay
   * readable while the Worker streams them, even if their files are deleted meanwhile.
   */
  zipPage(caller: Caller, path: string, after: string | null, limit: number) {
    return rpcBoundary(() => {
      this.load(caller);
      if (path !== "" && after === null) {
        const directory = this.files.row(path);
        if (!directory) throw notFound("directory");
        if (directory.kind !== "directory") throw new ApiError("conflict", `'${path}' is a file`);
      }
      this.deletions.holdUntil(Date.now() + ZIP_READ_HOLD_MS);
      return this.files.entriesUnder(path, after, limit).map((entry) => ({
        path: entry.path,
        kind: entry.kind,
        size: entry.size,
        updated_at: entry.updated_at,
        objectKey: entry.objectKey,
      }));
    });
  }

  /** Renews the deletion hold of a ZIP still streaming (see `zipPage`). */
  zipHold(caller: Caller) {
    return rpcBoundary(() => {
      this.load(caller);
      this.deletions.holdUntil(Date.now() + ZIP_READ_HOLD_MS);
    });
  }

  // Processes (issue 7): the logic is in src/processes; these only check the caller.
  processPut(
    caller: Caller,
    name: string,
    input: DefinitionInput,
    conditions: DefinitionConditions,
  ) {
    return this.withProcesses(caller, (p) => p.putDefinition(caller, name, input, conditions));
  }

  processDelete(caller: Caller, name: string, ifMatch: string | null) {
    return this.withProcesses(caller, (p) => p.deleteDefinition(caller, name, ifMatch));
  }

  processGet(caller: Caller, name: string) {
    return this.withProcesses(caller, () => this.engine.store.definition(name));
  }

  processList(caller: Caller, after: string | null, limit: number) {
    return this.withProcesses(caller, () => this.engine.store.definitions(after, limit));
  }

  processRunCreate(caller: Caller, process: string, input: RunInput) {
    return this.withProcesses(caller, (p) => p.createRun(caller, process, input));
  }

  processRunList(caller: Caller, process: string, before: string | null, limit: number) {
    return this.withProcesses(caller, (p) => p.listRuns(process, before, limit));
  }

  processRunGet(caller: Caller, runId: string) {
    return this.withProcesses(caller, (p) => p.view(runId));
  }

  processRunControl(caller: Caller, runId: string, action: Exclude<RunAction, "approve">) {
    return this.withProcesses(caller, (p) => p.control(caller, runId, action));
  }

  processRunApprove(caller: Caller, runId: string, input: ApproveInput) {
    return this.withProcesses(caller, (p) => p.approve(caller, runId, input));
  }

  processTaskAction(
    caller: Caller,
    runId: string,
    phase: string,
    task: string,
    action: "retry" | "skip",
  ) {
    return this.withProcesses(caller, (p) => p.taskAction(caller, runId, phase, task, action));
  }

  processRunLogs(caller: Caller, runId: string, after: number, limit: number, task: string | null) {
    return this.withProcesses(caller, (p) => p.logs(runId, after, limit, task));
  }

  /** The run's `process.*` events as SSE: replay from the cursor, then live. */
  processRunEvents(caller: Caller, runId: string, cursor: number | null) {
    return rpcBoundary(() => {
      this.load(caller);
      this.engine.store.run(runId);
      const needle = `"run_id":"${runId}"`;
      return this.hub.openSse({
        cursor,
        types: ["process."],
        actor: caller.actor,
        match: (event) => event.json.includes(needle),
      });
    });
  }

  // Commands (issue 6): the logic is in src/commands; these only check the caller.
  commandList(caller: Caller, query: CommandListQuery) {
    return this.withCommands(caller, (commands) => commands.list(query));
  }

  commandCreate(caller: Caller, input: CreateCommandInput) {
    return this.withCommands(caller, (commands) => commands.create(caller, input));
  }

  commandGet(caller: Caller, trigger: string) {
    return this.withCommands(caller, (commands) => commands.registry.get(trigger));
  }

  commandPatch(caller: Caller, trigger: string, input: PatchCommandInput, ifMatch: string | null) {
    return this.withCommands(caller, (c) => c.patch(caller, trigger, input, ifMatch));
  }

  commandDelete(caller: Caller, trigger: string, ifMatch: string | null) {
    return this.withCommands(caller, (commands) => commands.delete(caller, trigger, ifMatch));
  }

  commandSuggestions(caller: Caller, query: string, limit: number) {
    return this.withCommands(caller, (commands) => commands.suggestions(query, limit));
  }

  commandSearch(caller: Caller, query: string, limit: number) {
    return this.withCommands(caller, (commands) => commands.search(query, limit));
  }

  commandCategories(caller: Caller) {
    return this.withCommands(caller, (commands) => commands.categories());
  }

  commandUsage(caller: Caller, order: "recent" | "popular", limit: number) {
    return this.withCommands(caller, (commands) => commands[order](limit));
  }

  commandExecute(
    caller: Caller,
    trigger: string,
    input: ExecuteCommandInput,
    config: CommandConfig,
  ) {
    return this.withCommands(caller, (c) => c.execute(caller, trigger, input, config));
  }

  commandExecution(caller: Caller, trigger: string, id: string) {
    return this.withCommands(caller, (commands) => commands.execution(trigger, id));
  }

  commandCancel(caller: Caller, trigger: string, id: string) {
    return this.withCommands(caller, (commands) => commands.cancel(caller, trigger, id));
  }

  commandOutput(caller: Caller, trigger: string, id: string, format: OutputFormat, after: number) {
    return this.withCommands(caller, (c) => c.openOutput(trigger, id, format, after));
  }

  // Roles and agents (issue 6): the logic is in src/agents; these only check the caller.
  roleList(caller: Caller) {
    return this.withAgents(caller, (agents) => agents.roles(caller));
  }

  roleTemplateGet(caller: Caller, role: string) {
    return this.withAgents(caller, (agents) => agents.templates.get(role));
  }

  roleTemplatePut(caller: Caller, role: string, input: RoleTemplateInput) {
    return this.withAgents(caller, (agents) => agents.putTemplate(caller, role, input));
  }

  agentSpawn(caller: Caller, input: SpawnAgentInput) {
    return this.withAgents(caller, (agents) => agents.spawn(caller, input));
  }

  agentList(caller: Caller) {
    return this.withAgents(caller, (agents) => agents.list());
  }

  agentGet(caller: Caller, id: string) {
    return this.withAgents(caller, (agents) => agents.get(id));
  }

  agentLog(caller: Caller, id: string, after: number, limit: number) {
    return this.withAgents(caller, (agents) => agents.log(id, after, limit));
  }

  agentClose(caller: Caller, id: string) {
    return this.withAgents(caller, (agents) => agents.close(caller, id));
  }

  /**
   * For the live-events benchmark only (reached through `/__bench`, which exists only when
   * BENCH_ROUTES is on): appends `count` lifecycle events, one every `intervalMs`, by the same
   * path as `POST …/lifecycle-events`, so delivery is measured without HTTP in front of it.
   */
  benchAppend(
    caller: Caller,
    count: number,
    intervalMs: number,
  ): Promise<RpcResult<{ appended: number; lateMs: number }>> {
    return rpcBoundary(async () => {
      const { record } = this.load(caller);
      const start = Date.now();
      let lateMs = 0;
      for (let i = 0; i < count; i++) {
        const wait = start + i * intervalMs - Date.now();
        if (wait > 0) await scheduler.wait(wait);
        else lateMs = Math.max(lateMs, -wait);
        this.commit(caller, record.id, (emit) =>
          this.lifecycle(emit, { event: "bench", notes: String(i), actor: caller.actor }, nowIso()),
        );
      }
      return { appended: count, lateMs };
    });
  }

  /**
   * For the files benchmark only (through `/__bench`): indexes objects the Worker already put
   * in R2, by the same `putFile` and commit as an upload, so seeding 10,000 files does not take
   * 10,000 requests. No quota check: the benchmark's workspace is its own.
   */
  benchSeedFiles(
    caller: Caller,
    objects: Array<StoredObject & { path: string }>,
  ): Promise<RpcResult<{ indexed: number }>> {
    return rpcBoundary(() => {
      const { record } = this.load(caller);
      const now = nowIso();
      this.commit(caller, record.id, (emit) => {
        for (const { path, ...object } of objects) {
          this.files.putFile(path, object, { now, author: caller.actor, emit });
        }
      });
      return { indexed: objects.length };
    });
  }

  /** For the threads benchmark only: an echo stream of `words` words, framed but not stored. */
  benchStreamUnpersisted(caller: Caller, words: number) {
    return rpcBoundary(() => {
      this.load(caller);
      return unpersistedEchoStream(words);
    });
  }

  /** For the files benchmark only: the R2 keys of the files under `directory`. */
  benchObjectKeys(caller: Caller, directory: string): Promise<RpcResult<string[]>> {
    return rpcBoundary(() => {
      this.load(caller);
      return this.files
        .entriesUnder(directory, null, Number.MAX_SAFE_INTEGER)
        .flatMap((entry) => (entry.objectKey ? [entry.objectKey] : []));
    });
  }

  /**
   * An SSE stream of this workspace's events: replay from the cursor, then live. The tail's id
   * comes with it because a client's cancel does not travel back through an RPC stream
   * (workerd#7298): the Worker calls `closeEvents` with it instead.
   */
  openEvents(
    caller: Caller,
    request: Omit<SubscriptionRequest, "actor">,
  ): Promise<RpcResult<{ tailId: string; stream: ReadableStream<Uint8Array> }>> {
    return rpcBoundary(() => {
      this.load(caller);
      return this.hub.openSse({ ...request, actor: caller.actor });
    });
  }

  /** The client of an SSE tail went away: stop feeding it. */
  closeEvents(caller: Caller, tailId: string): Promise<RpcResult<void>> {
    return rpcBoundary(() => {
      this.load(caller);
      this.hub.closeSse(tailId);
    });
  }

  /** Stores a stream ticket's hash for this workspace; the Worker hands the ticket out. */
  storeStreamTicket(
    caller: Caller,
    ticket: Pick<NewTicket, "hash" | "expiresAt">,
  ): Promise<RpcResult<void>> {
    return rpcBoundary(() => {
      this.load(caller);
      storeTicket(
        this.sql,
        ticket,
        { accountId: caller.accountId, actor: caller.actor },
        Date.now(),
      );
    });
  }

  /** Uses a stream ticket up; who it was issued to, or null when unknown, used or expired. */
  async consumeStreamTicket(hash: string): Promise<TicketHolder | null> {
    if (!this.initialized) return null;
    return consumeTicket(this.sql, hash, Date.now());
  }

  streamsDebug(caller: Caller) {
    return rpcBoundary(() => {
      this.load(caller);
      return {
        head_event_id: this.log.head(),
        oldest_retained_id: this.log.trimmedThrough() + 1,
        subscribers: this.hub.subscribers() satisfies SubscriberInfo[],
        ...this.threadStreams.debug(),
      };
    });
  }

  /**
   * The WebSocket upgrade, forwarded by the Worker after it authenticated the caller (the DO is
   * reachable only through the Worker, so the caller header is trusted like an RPC argument).
   */
  async fetch(request: Request): Promise<Response> {
    const socket = parseSocketRequest(request);
    if (!socket) return new Response("expected a WebSocket upgrade", { status: 426 });
    const loaded = await rpcBoundary(() => this.load(socket.caller));
    if (!loaded.ok) return Response.json({ error: loaded.error }, { status: 404 });
    return this.hub.sockets.accept({ ...socket.subscription, actor: socket.caller.actor });
  }

  webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    this.hub.sockets.message(ws, message);
  }

  webSocketClose(ws: WebSocket, code: number, reason: string): void {
    this.hub.sockets.closed(ws, code, reason);
  }

  webSocketError(ws: WebSocket): void {
    this.hub.sockets.closed(ws, 1011, "socket error");
  }

  /**
   * Runs a change in one transaction with the events it appends: both land or neither does.
   * The events are published to subscribers after the commit, in the same synchronous turn.
   */
  private commit<T>(caller: Caller, workspaceId: string, body: (emit: Emit) => T): T {
    const appended: LoggedEvent[] = [];
    const now = Date.now();
    let value: T;
    try {
      value = this.ctx.storage.transactionSync(() =>
        body((type, data) => {
          const event = this.log.append(workspaceId, type, data, caller.actor, now);
          appended.push(event);
          return event.id;
        }),
      );
    } catch (error) {
      this.log.forgetHead();
      throw error;
    }
    this.hub.publish(appended);
    if (appended.length > 0 && !this.trimArmed) {
      this.armTrim().catch((error) => console.error("could not set the event trim alarm", error));
    }
    return value;
  }

  /** Records a lifecycle event and appends `lifecycle_event.created` for it. */
  private lifecycle(
    emit: Emit,
    input: Parameters<typeof recordLifecycleEvent>[1],
    now: string,
  ): LifecycleEvent {
    const lifecycleEvent = recordLifecycleEvent(this.sql, input, now);
    emit("lifecycle_event.created", { lifecycle_event: lifecycleEvent });
    return lifecycleEvent;
  }

  /**
   * Sets an alarm for when the oldest event beyond the retained count ages out; none while the
   * log holds no more than the retained count (the next append checks again). An earlier alarm
   * (a pending purge) is left alone.
   */
  /**
   * After the bytes are in R2: points the path at the new object in one transaction (creating
   * parent directories, appending the events, and whatever `alsoInTransaction` does) and queues
   * the replaced object for deletion. If the conditions no longer hold, or anything in the
   * transaction fails, the new object is queued for deletion instead.
   */
  private async commitUpload(
    caller: Caller,
    path: string,
    object: StoredObject,
    conditions: WriteConditions,
    alsoInTransaction: () => void = () => undefined,
  ): Promise<{ entry: FileEntry; created: boolean }> {
    const { record } = this.load(caller);
    const now = Date.now();
    try {
      const result = this.commit(caller, record.id, (emit) => {
        const current = this.files.row(path);
        assertWriteConditions(current, conditions);
        this.assertQuota(object.size - (current?.size ?? 0));
        alsoInTransaction();
        const put = this.files.putFile(path, object, {
          now: new Date(now).toISOString(),
          author: caller.actor,
          emit,
        });
        this.deletions.keep(object.objectKey);
        if (put.replaced) this.deletions.queue([put.replaced], now);
        return put;
      });
      if (result.replaced) await this.wakeAt(now);
      return { entry: result.entry, created: result.created };
    } catch (error) {
      this.deletions.queue([object.objectKey], now);
      await this.wakeAt(now);
      throw error;
    }
  }

  /**
   * The workspace's files as a thread stream's tools use them, acting as the stream's caller.
   * Reads and writes take the files API's paths: a write is prepared (path, quota, an object
   * queued for deletion unless it commits), put to R2, and committed with its file events.
   */
  private agentFiles(caller: Caller): WorkspaceFiles {
    const directoryOf = (raw: string) => {
      const path = normalizeDirectory(raw);
      if (path !== "") {
        const row = this.files.row(path);
        if (!row) throw new Error(`no such directory: ${path}`);
        if (row.kind !== "directory") throw new Error(`'${path}' is a file`);
      }
      return path;
    };
    return {
      list: async (raw) => {
        this.load(caller);
        const entries = this.files.children(directoryOf(raw), null, TOOL_LIST_MAX + 1);
        return {
          entries: entries
            .slice(0, TOOL_LIST_MAX)
            .map(({ path, kind, size }) => ({ path, kind, size })),
          more: entries.length > TOOL_LIST_MAX,
        };
      },
      read: async (raw) => {
        this.load(caller);
        const path = normalizePath(raw);
        const row = this.files.row(path);
        if (!row) throw new Error(`no such file: ${path}`);
        if (row.kind === "directory" || !row.objectKey) throw new Error(`'${path}' is a directory`);
        const object = await this.env.FILES.get(row.objectKey, {
          range: { offset: 0, length: TOOL_TEXT_MAX * 4 },
        });
        if (!object) throw new Error(`the bytes of '${path}' are missing`);
        const text = await object.text();
        const content = text.slice(0, TOOL_TEXT_MAX);
        return {
          path,
          size: row.size,
          content,
          truncated: content.length < text.length || row.size > TOOL_TEXT_MAX * 4,
        };
      },
      write: async (raw, content) => {
        const { record } = this.load(caller);
        const path = normalizePath(raw);
        const bytes = new TextEncoder().encode(content);
        const current = this.files.row(path);
        if (current?.kind === "directory") throw new Error(`'${path}' is a directory`);
        this.assertQuota(bytes.byteLength - (current?.size ?? 0));
        const objectKey = newObjectKey(record.id);
        this.deletions.queue([objectKey], Date.now() + UNCOMMITTED_UPLOAD_GRACE_MS);
        await this.wakeAt(Date.now() + UNCOMMITTED_UPLOAD_GRACE_MS);
        const contentType = contentTypeFor(path);
        const { sha256 } = await putObject(
          this.env.FILES,
          objectKey,
          new Blob([bytes]).stream(),
          bytes.byteLength,
          contentType,
        );
        const { entry, created } = await this.commitUpload(
          caller,
          path,
          { objectKey, size: bytes.byteLength, sha256, contentType },
          { ifMatch: null, ifNoneMatch: null },
        );
        return { path: entry.path, size: entry.size, created };
      },
      search: async (glob) => {
        this.load(caller);
        const found = searchPaths(this.files.entriesAfter(null), {
          glob,
          maxDepth: null,
          after: null,
          limit: TOOL_LIST_MAX,
        });
        return { paths: found.items.map((entry) => entry.path), more: found.more };
      },
    };
  }

  /** A prompt command's turn: a thread stream with the file tools; cancelled with the run. */
  private async runPrompt(caller: Caller, run: PromptRun): Promise<string> {
    const started = await this.threadStreams.run(caller, {
      threadId: run.threadId ?? undefined,
      message: { role: "user", content: run.text },
      model: undefined,
      interrupt: false,
      tools: workspaceTools(this.agentFiles(caller), THREAD_TOOLS),
      maxSteps: DEFAULT_MAX_STEPS,
      observe: (chunk) => {
        if (chunk.type === "text-delta") run.onText(chunk.delta);
      },
    });
    run.onStarted(started.threadId, started.messageId);
    const cancel = () => started.producer.cancel("the command execution was stopped");
    if (run.signal.aborted) cancel();
    else run.signal.addEventListener("abort", cancel, { once: true });
    return started.done;
  }

  /** A part of `size` bytes fits R2's limit, the upload's declared size and the quota. */
  private assertPartFits(upload: MultipartUpload, partNumber: number, size: number): void {
    if (size > PART_SIZE_MAX) {
      throw new ApiError("too_large", `a part may be at most ${PART_SIZE_MAX} bytes`);
    }
    const total = this.multipart.totalWithPart(upload, partNumber, size);
    if (upload.declaredSize !== null && total > upload.declaredSize) {
      throw new ApiError(
        "too_large",
        `the parts would hold ${total} bytes; the upload declared ${upload.declaredSize}`,
      );
    }
    this.assertQuota(total - (this.files.row(upload.path)?.size ?? 0));
  }

  /** Aborts the multipart uploads past their expiry; a failed abort is retried later. */
  private async abortExpiredUploads(): Promise<void> {
    const now = Date.now();
    for (const upload of this.multipart.expired(now)) {
      try {
        await abortInR2(this.env.FILES, upload);
        this.multipart.remove(upload.uploadId);
      } catch (error) {
        console.error("could not abort an expired multipart upload; will retry", error);
        this.multipart.abortFailed(upload.uploadId, now);
      }
    }
    const next = this.multipart.nextExpiry();
    if (next !== null) await this.wakeAt(Math.max(next, now + 1000));
  }

  /** Deletes from R2 the objects whose time has come; failures are retried with backoff. */
  private async deleteDueObjects(): Promise<void> {
    const now = Date.now();
    const keys = this.deletions.due(now);
    if (keys.length > 0) {
      try {
        await deleteObjects(this.env.FILES, keys);
        this.deletions.done(keys);
      } catch (error) {
        console.error("could not delete R2 objects; will retry", error);
        this.deletions.failed(keys, now);
      }
    }
    const next = this.deletions.nextDue();
    if (next !== null) await this.wakeAt(Math.max(next, now + 1000));
  }

  /** One tick of the process engine, then the alarm for its next due task (if any). */
  private async tickProcesses(): Promise<void> {
    let next: number | null = null;
    try {
      next = await this.engine.tick();
    } catch (error) {
      console.error("the process engine's tick failed; will retry", error);
      next = Date.now() + 1000;
    }
    if (next !== null) await this.wakeAt(Math.max(next, Date.now()));
  }

  /** Sets the alarm to `at` unless one is already set sooner. */
  private async wakeAt(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  private assertQuota(addedBytes: number): void {
    if (addedBytes <= 0) return;
    const quota = workspaceQuotaBytes(this.env);
    // Files and attachments share the one quota.
    const bytes = this.files.totals().bytes + this.attachments.totals().bytes;
    if (bytes + addedBytes > quota) {
      throw new ApiError(
        "quota_exceeded",
        `the workspace's files and attachments would take ${bytes + addedBytes} bytes; its quota is ${quota}`,
        { details: { used_bytes: bytes, quota_bytes: quota, requested_bytes: addedBytes } },
      );
    }
  }

  private async armTrim(): Promise<void> {
    const { minEvents, maxAgeMs } = this.config.retention;
    if (this.log.head() - this.log.trimmedThrough() <= minEvents) return;
    const oldest = this.log.oldestCreatedAt();
    if (oldest === null) return;
    this.trimArmed = true;
    await this.wakeAt(Math.max(oldest + maxAgeMs, Date.now() + 1000));
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

  /** Who owns this workspace and its id (for changes made by the DO itself, e.g. a stream). */
  private owner(): { accountId: string; workspaceId: string; live: boolean } {
    const row = this.sql
      .exec("SELECT owner_account_id, deleted, record FROM workspace")
      .toArray()[0];
    if (!row) return { accountId: "", workspaceId: "", live: false };
    return {
      accountId: String(row.owner_account_id),
      workspaceId: parseRecord(String(row.record)).id,
      live: row.deleted !== 1,
    };
  }

  private forgetRow(): void {
    this.cachedRow = null;
  }

  /** The live record, or "not found" when absent, deleted, or owned by another account. */
  private load(caller: Caller): { record: Workspace; version: number } {
    this.cachedRow ??= this.initialized
      ? (this.sql
          .exec("SELECT owner_account_id, version, deleted, record FROM workspace")
          .toArray()[0] ?? null)
      : null;
    const row = this.cachedRow;
    if (!row || row.deleted === 1 || row.owner_account_id !== caller.accountId) {
      throw notFound("workspace");
    }
    return { record: parseRecord(String(row.record)), version: Number(row.version) };
  }

  private withProcesses<T>(caller: Caller, body: (processes: Processes) => T | Promise<T>) {
    return rpcBoundary(() => {
      this.load(caller);
      return body(this.processes);
    });
  }

  private withCommands<T>(caller: Caller, body: (commands: Commands) => T | Promise<T>) {
    return rpcBoundary(() => {
      this.load(caller);
      return body(this.commands);
    });
  }

  private withAgents<T>(caller: Caller, body: (agents: Agents) => T | Promise<T>) {
    return rpcBoundary(() => {
      this.load(caller);
      return body(this.agents);
    });
  }

  /** The workspace's id, whoever asks (for events appended by the DO itself). */
  private workspaceId(): string {
    const row = this.sql.exec("SELECT record FROM workspace").one();
    return parseRecord(String(row.record)).id;
  }

  private exclusive<T>(body: () => Promise<T>): Promise<RpcResult<T>> {
    const run = this.writeQueue.then(
      () => rpcBoundary(body),
      () => rpcBoundary(body),
    );
    this.writeQueue = run.catch(() => undefined);
    return run;
  }
}

/** The caller of what the DO does by itself (an interrupted execution ended at wake). */
const SYSTEM: Caller = { accountId: "", actor: null };

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
