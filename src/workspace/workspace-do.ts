import { DurableObject } from "cloudflare:workers";
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
import { DeletionQueue, UNCOMMITTED_UPLOAD_GRACE_MS } from "../files/deletion-queue";
import { type FileEntry, FileIndex, type StoredObject } from "../files/file-index";
import { deleteObjects, newObjectKey } from "../files/object-store";
import { type PathSearch, searchPaths } from "../files/path-search";
import { assertWriteConditions, type WriteConditions } from "../files/preconditions";
import { workspaceQuotaBytes } from "../files/quota";
import { deletePrefix, workspacePrefix } from "../storage/r2-prefix";
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
    // Pings are answered by the runtime, so an idle socket never wakes a hibernating DO.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(SOCKET_PING, SOCKET_PONG));
    // A DO that was never created stays without tables, so a lookup of an unknown id writes nothing.
    ctx.blockConcurrencyWhile(async () => {
      this.initialized = hasSchema(this.sql);
      if (this.initialized) migrateSchema(this.sql);
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
      threads: 0,
      messages: 0,
      ...this.files.totals(),
      runs: 0,
      agents: 0,
      commands: 0,
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
      await this.deleteDueObjects();
      await this.armTrim();
      return;
    }
    const record = parseRecord(String(row.record));
    await deletePrefix(this.env.FILES, workspacePrefix(record.id));
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.initialized = false;
    this.forgetRow();
    this.log.forgetHead();
  }

  /**
   * Resets the workspace's activity: closes its agents and cancels its streams (none exist yet;
   * later features hook in here), appends `workspace.reset` and tells every socket
   * `workspace_reset`.
   */
  reset(caller: Caller): Promise<RpcResult<ResetResult>> {
    return this.exclusive(async () => {
      const { record } = this.load(caller);
      const result = { agents_closed: 0, streams_canceled: 0 };
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
    return rpcBoundary(async () => {
      const { record } = this.load(caller);
      const now = Date.now();
      try {
        const result = this.commit(caller, record.id, (emit) => {
          const current = this.files.row(path);
          assertWriteConditions(current, conditions);
          this.assertQuota(object.size - (current?.size ?? 0));
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
    });
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

  /** For the files benchmark only: the R2 keys of the files under `directory`. */
  benchObjectKeys(caller: Caller, directory: string): Promise<RpcResult<string[]>> {
    return rpcBoundary(() => {
      this.load(caller);
      return this.files.objectsUnder(directory).map((file) => file.objectKey);
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

  /** Sets the alarm to `at` unless one is already set sooner. */
  private async wakeAt(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  private assertQuota(addedBytes: number): void {
    if (addedBytes <= 0) return;
    const quota = workspaceQuotaBytes(this.env);
    const { bytes } = this.files.totals();
    if (bytes + addedBytes > quota) {
      throw new ApiError(
        "quota_exceeded",
        `the workspace's files would take ${bytes + addedBytes} bytes; its quota is ${quota}`,
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

  private exclusive<T>(body: () => Promise<T>): Promise<RpcResult<T>> {
    const run = this.writeQueue.then(
      () => rpcBoundary(body),
      () => rpcBoundary(body),
    );
    this.writeQueue = run.catch(() => undefined);
    return run;
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
