import type { Caller } from "../../kernel/caller";
import type { Emit } from "../../kernel/events";
import { featureApi } from "../../kernel/feature-api";
import type { Kernel } from "../../kernel/kernel";
import type { WorkspaceModule } from "../../kernel/module";
import { THREAD_TOOLS, type WorkspaceFiles, workspaceTools } from "../../models/workspace-tools";
import type { EventConfig } from "../events/event-config";
import { unpersistedEchoStream } from "./bench-stream";
import { THREAD_EVENTS } from "./events";
import { MIGRATIONS } from "./schema";
import { DEFAULT_MAX_STEPS, type StreamRequest } from "./stream.schemas";
import { streamConfig } from "./stream-config";
import type { ThreadListQuery } from "./thread-store";
import { ThreadStreams } from "./thread-streams";
import {
  type PatchThreadInput,
  type ThreadInput,
  Threads,
  type WriteConditions as ThreadWriteConditions,
} from "./threads";

/** What threads need of the others: the files their tools act on, and the SSE settings. */
export interface ThreadsPorts {
  files(caller: Caller): WorkspaceFiles;
  eventConfig: EventConfig;
}

/** A turn run for another feature (a prompt command): its text, thread, and stop signal. */
export interface PromptTurn {
  text: string;
  threadId: string | null;
  signal: AbortSignal;
  onText(delta: string): void;
  onStarted(threadId: string, messageId: string): void;
}

/** Threads, their messages, and their resumable AI streams (produced here, whoever listens). */
export function threadsModule(kernel: Kernel, ports: ThreadsPorts) {
  const threads = new Threads(kernel.sql);
  const streams = new ThreadStreams(
    kernel.sql,
    threads,
    {
      commit: (actor, body) => kernel.commit({ accountId: kernel.owner().accountId, actor }, body),
      files: ports.files,
      env: kernel.env,
      wakeAt: (at) => kernel.wakeAt(at),
    },
    streamConfig(kernel.env, ports.eventConfig),
  );

  const api = featureApi({
    list: (_caller: Caller, query: ThreadListQuery) => threads.list(query),
    create: (caller: Caller, input: ThreadInput) =>
      kernel.commit(caller, (emit: Emit) => threads.create(input, caller.actor, emit)),
    /** The thread with its first messages (as many as fit one page). */
    get: (_caller: Caller, threadId: string) => threads.get(threadId),
    put: (
      caller: Caller,
      threadId: string,
      input: ThreadInput,
      conditions: ThreadWriteConditions,
    ) =>
      kernel.commit(caller, (emit: Emit) =>
        threads.put(threadId, input, conditions, caller.actor, emit),
      ),
    patch: (caller: Caller, threadId: string, input: PatchThreadInput, ifMatch: string | null) =>
      kernel.commit(caller, (emit: Emit) => threads.patch(threadId, input, ifMatch, emit)),
    /** Deletes a thread with its messages; its stream, if one runs, is aborted and dropped. */
    delete: (caller: Caller, threadId: string, ifMatch: string | null) =>
      kernel.commit(caller, (emit: Emit) => {
        threads.delete(threadId, ifMatch, emit);
        streams.threadDeleted(threadId);
      }),
    /**
     * Starts a thread stream (the question stored, the model called in here, independent of the
     * connection) and answers a tail of it. The tail id comes along for `closeStream`: a
     * client's cancel does not travel back through an RPC stream (workerd#7298).
     */
    startStream: (caller: Caller, request: StreamRequest, interrupt: boolean) =>
      streams.start(caller, request, interrupt),
    /** Reattaches to a thread's stream; null when there is nothing to follow (204). */
    attachStream: (
      caller: Caller,
      threadId: string,
      cursor: number | null,
      streamId: string | null,
    ) => streams.attach(caller, threadId, cursor, streamId),
    /** The client of a thread stream tail went away: stop feeding it (the producer goes on). */
    closeStream: (_caller: Caller, tailId: string) => streams.closeTail(tailId),
    /** Cancels the thread's running stream; answers it once its partial answer is saved. */
    cancelStream: (_caller: Caller, threadId: string) => streams.cancel(threadId),
    rebuildIndex: (caller: Caller) => kernel.commit(caller, (emit: Emit) => threads.rebuild(emit)),
    /** A page of a thread's messages, oldest first, or of its query/response pairs. */
    messages: (
      _caller: Caller,
      threadId: string,
      page: { view: "messages" | "pairs"; after: number; limit: number; skip: number },
    ) =>
      page.view === "pairs"
        ? {
            view: "pairs" as const,
            ...threads.pairPage(threadId, page.after, page.limit, page.skip),
          }
        : {
            view: "messages" as const,
            ...threads.messagePage(threadId, page.after, page.limit, page.skip),
          },
    /** For the threads benchmark only: an echo stream of `words` words, framed but not stored. */
    benchUnpersisted: (_caller: Caller, words: number) => unpersistedEchoStream(words),
  });

  /** A prompt command's turn: a thread stream with the file tools; cancelled with the run. */
  async function runPrompt(caller: Caller, turn: PromptTurn): Promise<string> {
    const started = await streams.run(caller, {
      threadId: turn.threadId ?? undefined,
      message: { role: "user", content: turn.text },
      model: undefined,
      interrupt: false,
      tools: workspaceTools(ports.files(caller), THREAD_TOOLS),
      maxSteps: DEFAULT_MAX_STEPS,
      observe: (chunk) => {
        if (chunk.type === "text-delta") turn.onText(chunk.delta);
      },
    });
    turn.onStarted(started.threadId, started.messageId);
    const cancel = () => started.producer.cancel("the command execution was stopped");
    if (turn.signal.aborted) cancel();
    else turn.signal.addEventListener("abort", cancel, { once: true });
    return started.done;
  }

  /** A process's prompt task: a short stream, and its stored answer once it ended. */
  const promptTasks = {
    start: (caller: Caller, request: StreamRequest) => streams.start(caller, request, false),
    cancel: (threadId: string) => streams.cancel(threadId),
    answer(opened: { streamId: string; threadId: string; messageId: string }) {
      const row = streams.store.get(opened.streamId);
      const message = threads.messages.all(opened.threadId).find((m) => m.id === opened.messageId);
      const text = (message?.parts ?? [])
        .map((part) => (part.type === "text" ? String(part.text ?? "") : ""))
        .join("");
      return { status: row?.status ?? "error", error: row?.error ?? null, text };
    },
  };

  const module: WorkspaceModule = {
    name: "threads",
    migrations: MIGRATIONS,
    events: THREAD_EVENTS,
    apis: { threads: api },
    // A stream still marked streaming lost its producer with the previous instance.
    async onWake() {
      if (kernel.owner().live) await streams.recover();
    },
    onAlarm: (now) => streams.onAlarm(now),
    onReset: () => ({ streams_canceled: streams.cancelAll() }),
    // Every producer stops and nothing more is stored; replays end.
    onDelete: () => streams.discardAll(),
    counts: () => threads.counts(),
  };
  return { module, api, threads, streams, runPrompt, promptTasks, debug: () => streams.debug() };
}
