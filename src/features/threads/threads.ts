import { ApiError } from "../../http/errors";
import { assertIfMatch, assertWriteConditions, type WriteConditions } from "../../http/etag";
import type { Emit } from "../../kernel/events";
import { newId } from "../../lib/ids";
import { type JsonObject, mergePatch } from "../../lib/merge";
import { hasChanges, type MessageChanges, MessageStore } from "./message-store";
import { pairsPage } from "./pairs";
import { type PreparedMessage, prepareMessages } from "./prepare-messages";
import {
  byteLength,
  type MessageInput,
  THREAD_ID_PATTERN,
  THREAD_LIMITS,
  type Thread,
} from "./thread.schemas";
import {
  type IndexFix,
  type ThreadFields,
  type ThreadListQuery,
  ThreadStore,
} from "./thread-store";

// What the thread routes do inside the workspace's Durable Object. Each write runs inside the
// DO's `commit()` (one transaction with the events it appends) and is synchronous from its
// first read to its last write, so no other request can interleave with it.

export interface ThreadInput {
  title?: string | null;
  summary?: string | null;
  metadata?: JsonObject | null;
  messages?: MessageInput[] | null;
}

export interface PatchThreadInput {
  title?: string | null;
  summary?: string | null;
  /** Merged into the current metadata: objects deep-merge, `null` deletes a key. */
  metadata?: JsonObject;
  /** Replaces the whole message list (see MessageStore.replaceAll). */
  messages?: MessageInput[];
}

export type { WriteConditions };

export interface RebuildReport {
  threads_checked: number;
  threads_changed: number;
  changes: { thread_id: string; fields: IndexFix }[];
}

type ChangedField = "title" | "summary" | "metadata" | "messages";

const nowIso = () => new Date().toISOString();

function mergedMetadata(current: JsonObject, patch: JsonObject | undefined): JsonObject {
  if (patch === undefined) return current;
  const merged = mergePatch(current, patch);
  if (byteLength(JSON.stringify(merged)) > THREAD_LIMITS.metadataBytes) {
    const message = `metadata must be at most ${THREAD_LIMITS.metadataBytes} bytes when serialized`;
    throw new ApiError("invalid_request", message, { details: [{ field: "metadata", message }] });
  }
  return merged;
}

function assertNotStreaming(thread: Thread): void {
  // The streaming producer owns a streaming thread's messages until it finishes.
  if (thread.status === "streaming") {
    throw new ApiError("conflict", "the thread is streaming; its messages cannot be replaced now");
  }
}

export class Threads {
  readonly messages: MessageStore;
  readonly store: ThreadStore;

  constructor(sql: SqlStorage) {
    this.messages = new MessageStore(sql);
    this.store = new ThreadStore(sql, this.messages);
  }

  create(input: ThreadInput, actor: string | null, emit: Emit, id = newId("th")): Thread {
    if (!THREAD_ID_PATTERN.test(id)) throw new ApiError("invalid_request", "not a thread id");
    const prepared = prepareMessages(input.messages ?? []);
    const now = nowIso();
    this.store.insert(id, fieldsOf(input), actor, now);
    const changes = this.messages.replaceAll(id, prepared, now);
    this.store.refreshIndex(id);
    const thread = this.store.get(id);
    emit("thread.created", { thread });
    this.emitMessages(emit, id, changes);
    return thread;
  }

  /** PUT: creates the thread under `id`, or replaces all of its writable state. */
  put(
    id: string,
    input: ThreadInput,
    conditions: WriteConditions,
    actor: string | null,
    emit: Emit,
  ): { thread: Thread; created: boolean } {
    const current = this.store.find(id);
    assertWriteConditions(current, conditions, "thread");
    if (!current) return { thread: this.create(input, actor, emit, id), created: true };
    const thread = this.write(current, fieldsOf(input), input.messages ?? [], emit);
    return { thread, created: false };
  }

  patch(id: string, input: PatchThreadInput, ifMatch: string | null, emit: Emit): Thread {
    const current = this.store.get(id);
    assertIfMatch(ifMatch, current.etag);
    const fields: ThreadFields = {
      title: input.title === undefined ? current.title : input.title,
      summary: input.summary === undefined ? current.summary : input.summary,
      metadata: mergedMetadata(current.metadata, input.metadata),
    };
    return this.write(current, fields, input.messages, emit);
  }

  delete(id: string, ifMatch: string | null, emit: Emit): void {
    const current = this.store.get(id);
    assertIfMatch(ifMatch, current.etag);
    this.store.delete(id);
    emit("thread.deleted", { thread_id: id });
  }

  /** Recomputes every thread's index from its messages; answers what was wrong. */
  rebuild(emit: Emit): RebuildReport {
    const changes: RebuildReport["changes"] = [];
    const ids = this.store.ids();
    for (const id of ids) {
      const fields = this.store.refreshIndex(id);
      if (Object.keys(fields).length === 0) continue;
      this.store.renewEtag(id);
      changes.push({ thread_id: id, fields });
    }
    const report = {
      threads_checked: ids.length,
      threads_changed: changes.length,
      changes,
    };
    if (changes.length > 0) {
      emit("thread.index_rebuilt", {
        threads_checked: report.threads_checked,
        thread_ids: changes.map((change) => change.thread_id),
      });
    }
    return report;
  }

  get(id: string) {
    const thread = this.store.get(id);
    const page = this.messages.page(id, 0, THREAD_LIMITS.embeddedMessages, THREAD_LIMITS.pageBytes);
    const messages = page.items.map(({ seq: _, ...message }) => message);
    return { thread, messages, nextAfter: page.nextAfter };
  }

  list(query: ThreadListQuery) {
    return this.store.list(query);
  }

  messagePage(id: string, afterSeq: number, limit: number, skip = 0) {
    this.store.get(id);
    const page = this.messages.page(id, afterSeq, limit, THREAD_LIMITS.pageBytes, skip);
    return {
      items: page.items.map(({ seq: _, ...message }) => message),
      nextAfter: page.nextAfter,
    };
  }

  pairPage(id: string, afterSeq: number, limit: number, skip = 0) {
    const thread = this.store.get(id);
    return pairsPage(this.messages, thread, afterSeq, limit, THREAD_LIMITS.pageBytes, skip);
  }

  counts() {
    return this.store.counts();
  }

  /**
   * Writes a thread's fields and (when given) its whole message list. A write that changes
   * nothing leaves the thread as it is: same etag, no event.
   */
  private write(
    current: Thread,
    fields: ThreadFields,
    messages: MessageInput[] | undefined,
    emit: Emit,
  ): Thread {
    let prepared: PreparedMessage[] | null = null;
    if (messages !== undefined) {
      assertNotStreaming(current);
      prepared = prepareMessages(messages);
    }
    const now = nowIso();
    const changes = prepared ? this.messages.replaceAll(current.id, prepared, now) : null;
    const changed: ChangedField[] = [];
    if (fields.title !== current.title) changed.push("title");
    if (fields.summary !== current.summary) changed.push("summary");
    if (JSON.stringify(fields.metadata) !== JSON.stringify(current.metadata)) {
      changed.push("metadata");
    }
    if (changes && hasChanges(changes)) changed.push("messages");
    if (changed.length === 0) return current;
    const thread = this.store.save(current.id, fields, now);
    emit("thread.updated", { thread, changed });
    if (changes) this.emitMessages(emit, current.id, changes);
    return thread;
  }

  private emitMessages(emit: Emit, threadId: string, changes: MessageChanges): void {
    for (const message of changes.created) {
      emit("thread.message.created", { thread_id: threadId, message });
    }
    for (const message of changes.updated) {
      emit("thread.message.updated", { thread_id: threadId, message });
    }
    for (const messageId of changes.deleted) {
      emit("thread.message.deleted", { thread_id: threadId, message_id: messageId });
    }
  }
}

function fieldsOf(input: ThreadInput): ThreadFields {
  return {
    title: input.title ?? null,
    summary: input.summary ?? null,
    metadata: input.metadata ?? {},
  };
}
