import {
  convertToModelMessages,
  stepCountIs,
  streamText,
  type UIMessage,
  type UIMessageChunk,
} from "ai";
import { ApiError } from "../../http/errors";
import type { Caller } from "../../kernel/caller";
import { newId } from "../../lib/ids";
import { resolveModel } from "../../models/providers";
import { THREAD_TOOLS, workspaceTools } from "../../models/workspace-tools";
import { assembleMessage } from "./assemble";
import { DEFAULT_MAX_STEPS, requestTurn, type StreamRequest } from "./stream.schemas";
import {
  INTERRUPTED_TEXT,
  type OpenedStream,
  type StartedStream,
  type StreamConfig,
  type StreamHost,
  type TurnInput,
  WATCHDOG_MS,
} from "./stream-config";
import { resumeStart } from "./stream-cursor";
import { errorText, type StreamOutcome, ThreadStream } from "./stream-producer";
import { type StoredPart, type StreamRow, StreamStore } from "./stream-store";
import { StreamTail, type TailSource } from "./stream-tail";
import { type AnswerMetadata, beginTurn, saveAnswer } from "./stream-turns";
import type { Message } from "./thread.schemas";
import type { Threads } from "./threads";

// Every thread stream of one workspace, in its Durable Object: starting one (the question
// stored, the producer started), reattaching to one, cancelling it, finishing it (the answer
// assembled and saved), and — when the object wakes after a restart — finishing the streams
// that lost their producer as `interrupted`. Finished streams' parts stay replayable for the
// retention period; the alarm trims them.

const iso = (ms: number) => new Date(ms).toISOString();

const toUIMessage = (message: Message): UIMessage =>
  ({
    id: message.id,
    role: message.role,
    parts: message.parts,
    ...(message.metadata === undefined ? {} : { metadata: message.metadata }),
  }) as UIMessage;

export class ThreadStreams {
  readonly store: StreamStore;
  /** The running producer of each streaming thread. */
  private readonly live = new Map<string, ThreadStream>();
  /** Clients replaying a finished stream (no producer to hang them on). */
  private readonly replays = new Map<
    string,
    { tail: StreamTail; threadId: string; streamId: string }
  >();

  constructor(
    sql: SqlStorage,
    private readonly threads: Threads,
    private readonly host: StreamHost,
    private readonly config: StreamConfig,
  ) {
    this.store = new StreamStore(sql);
  }

  /** POST …/threads/stream: stores the question, starts the producer, answers a tail of it. */
  async start(caller: Caller, request: StreamRequest, interrupt: boolean): Promise<OpenedStream> {
    const turn = requestTurn(request);
    const tools = workspaceTools(this.host.files(caller), request.tools ?? THREAD_TOOLS);
    const started = await this.run(caller, {
      threadId: turn.threadId ?? undefined,
      message: turn.message,
      model: request.model,
      interrupt,
      tools,
      maxSteps: request.max_steps ?? DEFAULT_MAX_STEPS,
    });
    const tail = started.producer.attach(resumeStart(null, started.producer.row), caller.actor);
    return {
      threadId: started.threadId,
      streamId: started.streamId,
      messageId: started.messageId,
      tailId: tail.id,
      stream: tail.stream,
    };
  }

  /**
   * The one way a response stream starts — for the stream route, a prompt command, an agent:
   * the question stored (the thread made, titled `title`, when new), the producer started on
   * the agent loop with `tools` and `system`. `observe` sees every UI message part as the
   * model produces it (before it is stored); the caller may attach tails to `producer`.
   */
  async run(caller: Caller, turn: TurnInput): Promise<StartedStream> {
    const threadId = turn.threadId ?? newId("th");
    const input = turn.message;
    const { name, model } = resolveModel(this.host.env, turn.model);
    const running = this.live.get(threadId);
    if (running) {
      if (!turn.interrupt) {
        throw new ApiError(
          "conflict",
          "the thread is streaming; cancel it (DELETE …/stream) or POST with ?interrupt=true",
          { details: { stream_id: running.id } },
        );
      }
      running.cancel("interrupted by a new message");
      await running.whenDone();
      if (this.live.has(threadId)) {
        throw new ApiError("conflict", "another stream started on the thread meanwhile");
      }
    }
    const startedAt = Date.now();
    const row: StreamRow = {
      id: newId("str"),
      threadId,
      messageId: newId("msg"),
      status: "streaming",
      model: name,
      actor: caller.actor,
      baseId: 0,
      lastId: 0,
      startedAt,
      finishedAt: null,
      error: null,
    };
    const producer = this.host.commit(caller.actor, (emit) => {
      if (turn.title !== undefined && !this.threads.store.find(threadId)) {
        this.threads.create({ title: turn.title }, caller.actor, emit, threadId);
      }
      const { thread } = beginTurn(this.threads, threadId, input, caller.actor, emit);
      row.baseId = row.lastId = this.store.nextBaseId(threadId);
      this.store.insert(row);
      emit("thread.stream.started", {
        thread,
        stream_id: row.id,
        message_id: row.messageId,
        model: name,
      });
      return new ThreadStream(row, this.store, this.config, (stream, outcome) =>
        this.finish(stream, outcome),
      );
    });
    // Registered in the same turn as the commit: a second POST now sees it and is refused.
    this.live.set(threadId, producer);
    const { tools, maxSteps, system, observe } = turn;
    producer.start(async (signal) => {
      const history = this.threads.messages.all(threadId).map(toUIMessage);
      const messages = await convertToModelMessages(history, {
        tools,
        ignoreIncompleteToolCalls: true,
      });
      const result = streamText({
        model,
        ...(system ? { system } : {}),
        messages,
        tools,
        stopWhen: stepCountIs(maxSteps),
        abortSignal: signal,
        // Failures reach the stream as `error` parts (below); nothing to log twice.
        onError: () => undefined,
      });
      const parts = result.toUIMessageStream({
        generateMessageId: () => row.messageId,
        onError: errorText,
        // Tool errors are our own messages ("no such file: …"): the model and client see them.
        redactToolErrors: false,
      });
      if (!observe) return parts;
      return parts.pipeThrough(
        new TransformStream<UIMessageChunk, UIMessageChunk>({
          transform(chunk, controller) {
            observe(chunk);
            controller.enqueue(chunk);
          },
        }),
      );
    });
    // Not awaited: the answer's first frames wait for no storage round trip. An object that
    // dies before the alarm is set recovers the stream on its next wake anyway (onWake).
    this.host.wakeAt(Date.now() + WATCHDOG_MS).catch((error) => {
      console.error("could not set the thread stream watchdog", error);
    });
    return {
      threadId,
      streamId: row.id,
      messageId: row.messageId,
      producer,
      done: producer.whenDone().then(() => this.store.get(row.id)?.status ?? "error"),
    };
  }

  /** The running producer of a thread, if it streams. */
  producerOf(threadId: string): ThreadStream | undefined {
    return this.live.get(threadId);
  }

  /**
   * GET …/threads/{th}/stream: a tail of the running stream (replayed after `cursor`), or — with
   * a cursor — of the newest finished one still retained; null when there is nothing to follow.
   */
  attach(
    caller: Caller,
    threadId: string,
    cursor: number | null,
    streamId: string | null,
  ): Omit<OpenedStream, "threadId"> | null {
    this.threads.store.get(threadId);
    const running = this.live.get(threadId);
    if (running && (streamId === null || streamId === running.id)) {
      const start = resumeStart(cursor, { ...running.row, lastId: running.storedThrough() });
      const tail = running.attach(start, caller.actor);
      return {
        streamId: running.id,
        messageId: running.row.messageId,
        tailId: tail.id,
        stream: tail.stream,
      };
    }
    if (cursor === null) return null;
    const row = streamId ? this.store.get(streamId) : this.store.latest(threadId);
    if (!row || row.threadId !== threadId || row.status === "streaming") return null;
    const store = this.store;
    const source: TailSource = {
      read: (after: number, maxUnits: number): StoredPart[] => store.read(row.id, after, maxUnits),
      storedThrough: () => row.lastId,
      ended: () => true,
    };
    const start = resumeStart(cursor, row);
    const tail = new StreamTail(
      source,
      start.after,
      this.config.tail,
      (closed) => this.replays.delete(closed.id),
      caller.actor,
      start.preface,
    );
    this.replays.set(tail.id, { tail, threadId, streamId: row.id });
    return { streamId: row.id, messageId: row.messageId, tailId: tail.id, stream: tail.stream };
  }

  /** The client of a tail went away (its cancel does not cross the RPC stream). */
  closeTail(tailId: string): void {
    this.replays.get(tailId)?.tail.cancel();
    for (const stream of this.live.values()) stream.tails.get(tailId)?.cancel();
  }

  /** DELETE …/threads/{th}/stream: aborts the model call and waits for the partial answer. */
  async cancel(threadId: string): Promise<{ stream_id: string; status: string } | null> {
    this.threads.store.get(threadId);
    const running = this.live.get(threadId);
    if (!running) return null;
    running.cancel();
    await running.whenDone();
    return { stream_id: running.id, status: this.store.get(running.id)?.status ?? "canceled" };
  }

  /** In the thread's delete transaction: its producer stops and its streams' rows go. */
  threadDeleted(threadId: string): void {
    const running = this.live.get(threadId);
    if (running) {
      running.discarded = true;
      running.cancel("thread deleted");
      this.live.delete(threadId);
    }
    for (const [id, replay] of this.replays) {
      if (replay.threadId === threadId) this.replays.get(id)?.tail.cancel();
    }
    this.store.deleteForThread(threadId);
  }

  /** The workspace is deleted: every producer stops, nothing more is stored. */
  discardAll(): void {
    for (const [threadId, stream] of this.live) {
      stream.discarded = true;
      stream.cancel("workspace deleted");
      this.live.delete(threadId);
    }
    for (const replay of [...this.replays.values()]) replay.tail.cancel();
  }

  /** Cancels every running stream (a workspace reset); answers how many. */
  cancelAll(): number {
    const running = [...this.live.values()];
    for (const stream of running) stream.cancel("workspace reset");
    return running.length;
  }

  isLive(threadId: string): boolean {
    return this.live.has(threadId);
  }

  /**
   * Finishes, as `interrupted`, every stream still marked streaming that has no producer here:
   * after a restart, that is all of them. An `error` part ends their stored parts, so a client
   * that reconnects replays up to where the producer got, then sees why it stopped.
   */
  async recover(): Promise<number> {
    const producing = new Set([...this.live.values()].map((stream) => stream.id));
    const orphans = this.store.unfinished().filter((row) => !producing.has(row.id));
    for (const row of orphans) {
      const part = JSON.stringify({ type: "error", errorText: INTERRUPTED_TEXT });
      this.store.append(row.id, row.lastId + 1, [part]);
      const answer = await assembleMessage(this.store.read(row.id, 0), row.messageId);
      this.save(row, answer, { status: "interrupted", error: INTERRUPTED_TEXT });
    }
    return orphans.length;
  }

  /** The alarm's duty: recover, trim finished buffers, and come back while streams run. */
  async onAlarm(now: number): Promise<void> {
    await this.recover();
    this.store.trimFinished(now - this.config.retentionMs);
    if (this.live.size > 0) await this.host.wakeAt(now + WATCHDOG_MS);
    const oldest = this.store.oldestFinished();
    if (oldest !== null)
      await this.host.wakeAt(Math.max(oldest + this.config.retentionMs, now + 1000));
  }

  debug() {
    return {
      thread_streams: [...this.live.entries()].map(([threadId, stream]) => ({
        thread_id: threadId,
        stream_id: stream.id,
        message_id: stream.row.messageId,
        model: stream.row.model,
        started_at: iso(stream.row.startedAt),
        parts: stream.storedThrough() - stream.row.baseId,
        subscribers: [...stream.tails.values()].map((tail) => tail.info()),
      })),
      thread_stream_replays: [...this.replays.values()].map((replay) => ({
        thread_id: replay.threadId,
        stream_id: replay.streamId,
        ...replay.tail.info(),
      })),
    };
  }

  /** The producer's end: the answer assembled from the stored parts and saved. */
  private async finish(stream: ThreadStream, outcome: StreamOutcome): Promise<void> {
    const { row } = stream;
    try {
      const answer = await assembleMessage(this.store.read(stream.id, 0), row.messageId);
      if (stream.discarded) return;
      this.save(row, answer, outcome);
    } catch (error) {
      // Never leave the thread streaming: the failure is recorded in the answer's place.
      console.error("could not assemble or save a thread stream's answer", error);
      const empty: UIMessage = { id: row.messageId, role: "assistant", parts: [] };
      this.save(row, empty, { status: "error", error: "the answer could not be saved" });
    } finally {
      if (this.live.get(row.threadId) === stream) this.live.delete(row.threadId);
    }
    const oldest = this.store.oldestFinished();
    if (oldest !== null) await this.host.wakeAt(oldest + this.config.retentionMs);
  }

  private save(row: StreamRow, answer: UIMessage, outcome: StreamOutcome): void {
    const finishedAt = Date.now();
    const metadata: AnswerMetadata = {
      status: outcome.status,
      started_at: iso(row.startedAt),
      finished_at: iso(finishedAt),
      model: row.model,
      stream_id: row.id,
      ...(outcome.error === null ? {} : { error: outcome.error }),
    };
    this.host.commit(row.actor, (emit) => {
      let thread = null;
      try {
        thread = saveAnswer(this.threads, row.threadId, answer, metadata, emit);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        // Too large to store as a message: say so in its place, the stream stays replayable.
        const note = `the answer could not be stored: ${error.message}`;
        const placeholder = { ...answer, parts: [{ type: "text" as const, text: note }] };
        thread = saveAnswer(
          this.threads,
          row.threadId,
          placeholder,
          { ...metadata, status: "error", error: note },
          emit,
        );
      }
      this.store.finish(row.id, outcome.status, finishedAt, outcome.error);
      if (thread) {
        emit("thread.stream.finished", {
          thread,
          stream_id: row.id,
          message_id: row.messageId,
          status: outcome.status,
          error: outcome.error,
        });
      }
    });
  }
}
