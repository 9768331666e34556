import type { PromptRun } from "../../features/commands/execution-runner";
import { DEFAULT_MAX_STEPS, type StreamRequest } from "../../features/threads/stream.schemas";
import type { ThreadListQuery } from "../../features/threads/thread-store";
import type {
  PatchThreadInput,
  ThreadInput,
  WriteConditions as ThreadWriteConditions,
} from "../../features/threads/threads";
import type { Caller } from "../../features/workspaces/workspace.types";
import { THREAD_TOOLS, workspaceTools } from "../../models/workspace-tools";
import { rpcBoundary } from "../rpc-errors";
import { WorkspaceFileRpc } from "./file-rpc";

/** Threads, their messages and their streams. */
export abstract class WorkspaceThreadRpc extends WorkspaceFileRpc {
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

  /** A prompt command's turn: a thread stream with the file tools; cancelled with the run. */
  protected async runPrompt(caller: Caller, run: PromptRun): Promise<string> {
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
}
