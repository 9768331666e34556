import { DurableObject } from "cloudflare:workers";
import { Agents } from "../../features/agents/agents";
import { Commands } from "../../features/commands/commands";
import { commandConfig } from "../../features/commands/config";
import type { PromptRun } from "../../features/commands/execution-runner";
import type { FileHost } from "../../features/commands/workspace-fs";
import { type EventConfig, eventConfig } from "../../features/events/event-config";
import { EventHub } from "../../features/events/event-hub";
import { EventLog, type LoggedEvent } from "../../features/events/event-log";
import type { Emit } from "../../features/events/event-schema";
import { SOCKET_PING, SOCKET_PONG } from "../../features/events/socket-hub";
import { AttachmentIndex } from "../../features/files/attachments";
import { DeletionQueue } from "../../features/files/deletion-queue";
import { FileIndex } from "../../features/files/file-index";
import { MultipartUploads } from "../../features/files/multipart-uploads";
import { workspaceQuotaBytes } from "../../features/files/quota";
import { SignedUploads } from "../../features/files/signed-uploads";
import { ProcessEngine } from "../../features/processes/engine";
import { Processes } from "../../features/processes/processes";
import { streamConfig } from "../../features/threads/stream-config";
import { ThreadStreams } from "../../features/threads/thread-streams";
import { Threads } from "../../features/threads/threads";
import {
  type LifecycleEvent,
  recordLifecycleEvent,
} from "../../features/workspaces/lifecycle-events";
import type { Workspace } from "../../features/workspaces/workspace.schemas";
import type { Caller } from "../../features/workspaces/workspace.types";
import { parseRecord } from "../../features/workspaces/workspace-record";
import { ApiError, notFound } from "../../http/errors";
import type { WorkspaceFiles } from "../../models/workspace-tools";
import { hasSchema, migrateSchema } from "../do-schema";
import { type RpcResult, rpcBoundary } from "../rpc-errors";

export const nowIso = () => new Date().toISOString();

/** The caller of what the DO does by itself (an interrupted execution ended at wake). */
export const SYSTEM: Caller = { accountId: "", actor: null };

/**
 * The base of the workspace's Durable Object: its storage, the parts it composes (event log,
 * files, threads, commands, agents, processes), and what every RPC needs — the caller check
 * (`load`), one write at a time (`exclusive`), and `commit`, a change with its events.
 * The RPC methods are added by the layers above, one concern each (see workspace-do.ts).
 */
export abstract class WorkspaceCore extends DurableObject<Env> {
  protected readonly sql: SqlStorage;

  /** Writes run one at a time: a write awaits D1, and another write must not interleave. */
  private writeQueue: Promise<unknown> = Promise.resolve();

  /** The workspace row as last read or written; every write to it goes through `forgetRow`. */
  private cachedRow: Record<string, SqlStorageValue> | null = null;

  /** Whether this DO holds a workspace's tables (false until create, and again after purge). */
  protected initialized = false;

  protected readonly config: EventConfig;

  protected readonly log: EventLog;

  protected readonly hub: EventHub;

  protected readonly files: FileIndex;

  protected readonly deletions: DeletionQueue;

  protected readonly attachments: AttachmentIndex;

  protected readonly multipart: MultipartUploads;

  protected readonly signedUploads: SignedUploads;

  protected readonly threads: Threads;

  protected readonly commands: Commands;

  protected readonly threadStreams: ThreadStreams;

  protected readonly agents: Agents;

  protected readonly engine: ProcessEngine;

  protected readonly processes: Processes;

  /** Whether an alarm is known to be set for trimming the event log. */
  protected trimArmed = false;

  /** The files as the built-in shell sees them (file-rpc.ts: through the files API's RPCs). */
  protected abstract fileHost(caller: Caller): FileHost;
  /** The files as a thread stream's tools use them (file-rpc.ts). */
  protected abstract agentFiles(caller: Caller): WorkspaceFiles;
  /** A prompt command's turn (thread-rpc.ts). */
  protected abstract runPrompt(caller: Caller, run: PromptRun): Promise<string>;

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
      fileHost: (caller) => this.fileHost(caller),
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
      fileHost: (caller) => this.fileHost(caller),
      commandConfig: () => commandConfig(env),
      orchestratorRole: () => this.storedRecord().orchestrator_role,
    });
    const asRunOwner = (caller: Caller, body: (emit: Emit) => unknown) =>
      this.commit(caller, this.workspaceId(), body);
    this.engine = new ProcessEngine(this.sql, {
      commit: (caller, body) => asRunOwner(caller, body) as ReturnType<typeof body>,
      fileHost: (caller) => this.fileHost(caller),
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
      wake: () => {
        this.engine.poke();
        return this.wakeAt(Date.now());
      },
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

  /**
   * Runs a change in one transaction with the events it appends: both land or neither does.
   * The events are published to subscribers after the commit, in the same synchronous turn.
   */
  protected commit<T>(caller: Caller, workspaceId: string, body: (emit: Emit) => T): T {
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
  protected lifecycle(
    emit: Emit,
    input: Parameters<typeof recordLifecycleEvent>[1],
    now: string,
  ): LifecycleEvent {
    const lifecycleEvent = recordLifecycleEvent(this.sql, input, now);
    emit("lifecycle_event.created", { lifecycle_event: lifecycleEvent });
    return lifecycleEvent;
  }

  /** The live record, or "not found" when absent, deleted, or owned by another account. */
  protected load(caller: Caller): { record: Workspace; version: number } {
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

  protected exclusive<T>(body: () => Promise<T>): Promise<RpcResult<T>> {
    const run = this.writeQueue.then(
      () => rpcBoundary(body),
      () => rpcBoundary(body),
    );
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  protected forgetRow(): void {
    this.cachedRow = null;
  }

  /** Who owns this workspace and its id (for changes made by the DO itself, e.g. a stream). */
  protected owner(): { accountId: string; workspaceId: string; live: boolean } {
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

  /** The record as stored, with no caller check: for what the DO's parts read of it. */
  protected storedRecord(): Workspace {
    const row = this.sql.exec("SELECT record FROM workspace").one();
    return parseRecord(String(row.record));
  }

  /** The workspace's id, whoever asks (for events appended by the DO itself). */
  protected workspaceId(): string {
    return this.storedRecord().id;
  }

  /** Sets the alarm to `at` unless one is already set sooner. */
  protected async wakeAt(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  protected assertQuota(addedBytes: number): void {
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

  /**
   * Sets an alarm for when the oldest event beyond the retained count ages out; none while the
   * log holds no more than the retained count (the next append checks again). An earlier alarm
   * (a pending purge) is left alone.
   */
  protected async armTrim(): Promise<void> {
    const { minEvents, maxAgeMs } = this.config.retention;
    if (this.log.head() - this.log.trimmedThrough() <= minEvents) return;
    const oldest = this.log.oldestCreatedAt();
    if (oldest === null) return;
    this.trimArmed = true;
    await this.wakeAt(Math.max(oldest + maxAgeMs, Date.now() + 1000));
  }

  protected withProcesses<T>(caller: Caller, body: (processes: Processes) => T | Promise<T>) {
    return rpcBoundary(() => {
      this.load(caller);
      return body(this.processes);
    });
  }

  protected withCommands<T>(caller: Caller, body: (commands: Commands) => T | Promise<T>) {
    return rpcBoundary(() => {
      this.load(caller);
      return body(this.commands);
    });
  }

  protected withAgents<T>(caller: Caller, body: (agents: Agents) => T | Promise<T>) {
    return rpcBoundary(() => {
      this.load(caller);
      return body(this.agents);
    });
  }
}
