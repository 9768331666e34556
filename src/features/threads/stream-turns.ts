import type { UIMessage } from "ai";
import { ApiError } from "../../http/errors";
import type { Emit } from "../../kernel/events";
import { prepareMessage } from "./prepare-messages";
import type { Message, MessageInput, Thread } from "./thread.schemas";
import type { Threads } from "./threads";

// The two writes of a streamed turn, each inside the DO's commit(): the question going in (the
// thread made if needed, the user message stored, the thread `streaming`), and the answer
// coming out (the assembled assistant message stored, the thread `idle` again).

/** What the answer's metadata says of how it went (read back by `?view=pairs`). */
export interface AnswerMetadata {
  status: "completed" | "canceled" | "error" | "interrupted";
  started_at: string;
  finished_at: string;
  model: string;
  stream_id: string;
  error?: string;
}

/**
 * Stores the user message of a new turn. A message whose id is already in the thread redoes
 * the turn from there (an edit, or DefaultChatTransport's regenerate): what followed it goes,
 * and it is replaced if its content changed.
 */
export function beginTurn(
  threads: Threads,
  threadId: string,
  input: MessageInput,
  actor: string | null,
  emit: Emit,
): { thread: Thread; created: boolean } {
  if (input.role !== "user") {
    throw new ApiError("invalid_request", "the message to answer must be a user message", {
      details: [{ field: "message.role", message: "must be 'user'" }],
    });
  }
  const prepared = prepareMessage(input, 0);
  let created = false;
  if (!threads.store.find(threadId)) {
    threads.create({}, actor, emit, threadId);
    created = true;
  }
  const now = new Date().toISOString();
  const seq = threads.messages.seqOf(threadId, prepared.id);
  let removed: string[] = [];
  let keep = false;
  if (seq !== null) {
    const [current] = threads.messages.range(threadId, seq, seq);
    keep =
      current !== undefined &&
      JSON.stringify(current.parts) === prepared.partsJson &&
      (current.metadata === undefined ? null : JSON.stringify(current.metadata)) ===
        prepared.metadataJson;
    removed = threads.messages.removeFrom(threadId, keep ? seq + 1 : seq);
  }
  for (const id of removed) {
    // The message itself, when replaced, is reported as updated below.
    if (id !== prepared.id) emit("thread.message.deleted", { thread_id: threadId, message_id: id });
  }
  if (!keep) {
    const message = threads.messages.append(threadId, prepared, now);
    emit(seq === null ? "thread.message.created" : "thread.message.updated", {
      thread_id: threadId,
      message,
    });
  }
  return { thread: threads.store.setStatus(threadId, "streaming"), created };
}

/** Stores the assembled answer and sets the thread idle; false when the thread is gone. */
export function saveAnswer(
  threads: Threads,
  threadId: string,
  answer: UIMessage,
  metadata: AnswerMetadata,
  emit: Emit,
): Thread | null {
  if (!threads.store.find(threadId)) return null;
  const merged = { ...(isObject(answer.metadata) ? answer.metadata : {}), ...metadata };
  const prepared = prepareMessage(
    {
      id: answer.id,
      role: "assistant",
      parts: answer.parts as Message["parts"],
      metadata: merged,
    },
    0,
  );
  const existing = threads.messages.seqOf(threadId, prepared.id);
  if (existing !== null) threads.messages.removeFrom(threadId, existing);
  const message = threads.messages.append(threadId, prepared, metadata.finished_at);
  emit("thread.message.created", { thread_id: threadId, message });
  return threads.store.setStatus(threadId, "idle");
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
