import { isPlainObject } from "../../lib/merge";
import { splitPage } from "../../lib/pagination";
import type { MessageStore } from "./message-store";
import {
  type Message,
  type MessagePair,
  RESPONSE_STATUSES,
  type ResponseStatus,
  type ThreadStatus,
} from "./thread.schemas";

// The query/response view of a thread (system D's shape): each user message with the assistant
// messages after it, up to the next user message. System messages are left out; assistant
// messages before any user message form a pair without a query.
//
// An assistant message says how its response went in its metadata (the streaming producer
// writes it; any client may too), all fields optional:
//   status       completed | streaming | canceled | error | interrupted
//   started_at, finished_at   ISO 8601; execution_time is their difference
//   execution_time_ms         taken as is when present
//   error        any JSON value (a message, an object): counted as an error
//   errors, warnings          arrays of any JSON values
// Without `metadata.status`, a response is `error` if it carries an error, `streaming` if it is
// the last message of a thread that is streaming, and `completed` otherwise. A query with no
// response is `streaming` while its thread streams it (the last pair of a streaming thread),
// and `interrupted` otherwise: the question was asked and no answer was ever recorded.

const OUTLINE_BATCH = 500;

interface Group {
  seqs: number[];
  bytes: number;
  first: number;
  last: number;
}

const isResponseStatus = (value: unknown): value is ResponseStatus =>
  typeof value === "string" && (RESPONSE_STATUSES as readonly string[]).includes(value);

const timeOf = (value: unknown) => (typeof value === "string" ? Date.parse(value) : Number.NaN);

function metadataOf(message: Message | null): Record<string, unknown> {
  return message && isPlainObject(message.metadata) ? message.metadata : {};
}

function statusOf(response: Message | null, live: boolean): ResponseStatus {
  if (!response) return live ? "streaming" : "interrupted";
  const metadata = metadataOf(response);
  if (isResponseStatus(metadata.status)) return metadata.status;
  if (metadata.error !== undefined && metadata.error !== null) return "error";
  return live ? "streaming" : "completed";
}

function executionTime(query: Message | null, response: Message | null, status: ResponseStatus) {
  const metadata = metadataOf(response);
  if (typeof metadata.execution_time_ms === "number" && metadata.execution_time_ms >= 0) {
    return metadata.execution_time_ms;
  }
  const started = timeOf(metadata.started_at);
  const finished = timeOf(metadata.finished_at);
  if (Number.isFinite(started) && Number.isFinite(finished) && finished >= started) {
    return finished - started;
  }
  if (!query || !response || status === "streaming") return null;
  const elapsed = Date.parse(response.updated_at) - Date.parse(query.created_at);
  return elapsed >= 0 ? elapsed : null;
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function toPair(messages: Message[], live: boolean): MessagePair {
  const query = messages[0]?.role === "user" ? messages[0] : null;
  const responses = messages.filter((message) => message.role === "assistant");
  const response = responses.at(-1) ?? null;
  const status = statusOf(response, live);
  const errors: unknown[] = [];
  const warnings: unknown[] = [];
  for (const each of responses) {
    const metadata = metadataOf(each);
    errors.push(...listOf(metadata.errors));
    if (metadata.error !== undefined && metadata.error !== null) errors.push(metadata.error);
    warnings.push(...listOf(metadata.warnings));
  }
  return {
    query,
    response,
    previous_responses: responses.slice(0, -1),
    status,
    execution_time: executionTime(query, response, status),
    errors,
    warnings,
  };
}

/**
 * Up to `limit` pairs after `afterSeq`, stopping before `budget` bytes (at least one pair).
 * `nextAfter` is the last message of the page's last pair.
 */
export function pairsPage(
  messages: MessageStore,
  thread: { id: string; status: ThreadStatus },
  afterSeq: number,
  limit: number,
  budget: number,
  skip = 0,
): { items: MessagePair[]; nextAfter: number | null } {
  // Group positions first (no parts read), one pair beyond the page to know whether more follow;
  // the `skip` pairs before the page are grouped too, then dropped.
  let groups: Group[] = [];
  let cursor = afterSeq;
  let exhausted = false;
  while (groups.length <= limit + skip && !exhausted) {
    const batch = messages.outline(thread.id, cursor, OUTLINE_BATCH);
    exhausted = batch.length < OUTLINE_BATCH;
    for (const row of batch) {
      cursor = row.seq;
      if (row.role === "system") continue;
      const current = groups.at(-1);
      if (row.role === "user" || !current) {
        if (groups.length === limit + skip + 1) break;
        groups.push({ seqs: [row.seq], bytes: row.bytes, first: row.seq, last: row.seq });
      } else {
        current.seqs.push(row.seq);
        current.bytes += row.bytes;
        current.last = row.seq;
      }
    }
  }
  groups = groups.slice(skip);
  // Only a pair with nothing after it can be the one a streaming thread is still answering.
  const lastGroup = exhausted && groups.length <= limit ? groups.at(-1) : undefined;
  let total = 0;
  let taken = 0;
  for (const group of groups.slice(0, limit)) {
    if (taken > 0 && total + group.bytes > budget) break;
    total += group.bytes;
    taken++;
  }
  const { items: page, more } = splitPage(groups, taken);
  const first = page[0];
  const last = page.at(-1);
  if (!first || !last) return { items: [], nextAfter: null };
  const loaded = new Map(
    messages.range(thread.id, first.first, last.last).map((message) => [message.seq, message]),
  );
  const items = page.map((group) => {
    const grouped = group.seqs.map((seq) => loaded.get(seq)).filter((m) => m !== undefined);
    const whole = grouped.map(({ seq: _, ...message }) => message);
    return toPair(whole, thread.status === "streaming" && group === lastGroup);
  });
  return { items, nextAfter: more ? last.last : null };
}
