import type { ToolSet, UIMessageChunk } from "ai";
import type { Caller } from "../../kernel/caller";
import type { Emit } from "../../kernel/events";
import type { WorkspaceFiles } from "../../models/workspace-tools";
import type { EventConfig } from "../events/event-config";
import type { ProducerOptions, ThreadStream } from "./stream-producer";
import type { StreamStatus } from "./stream-store";
import type { MessageInput } from "./thread.schemas";

// What thread streaming is configured with, what it needs of the Durable Object, and the
// shapes it starts streams from and answers them as (see thread-streams.ts).

export interface StreamConfig extends ProducerOptions {
  retentionMs: number;
}

/** While a stream runs the alarm comes back this often, so an evicted object wakes and recovers. */
export const WATCHDOG_MS = 30_000;

export const INTERRUPTED_TEXT =
  "the stream was interrupted: the server restarted before it finished; the partial answer is kept";

/** Parts stored and sent as one batch (at most): the producer's, and the bench baseline's. */
export const FLUSH_PARTS = 128;

export function streamConfig(env: Env, events: EventConfig): StreamConfig {
  const retention = Number(env.THREAD_STREAM_RETENTION_MS);
  return {
    flushParts: FLUSH_PARTS,
    // A batch is what the model produced at once: a token that came alone is stored and sent
    // without waiting for company (the first delta of a real model is not held back 15 ms).
    flushMs: 0,
    retentionMs: Number.isFinite(retention) && retention >= 0 ? retention : 3_600_000,
    tail: { heartbeatMs: events.heartbeatMs, maxQueuedBytes: events.maxQueuedBytes },
  };
}

/** What the manager needs of the Durable Object. */
export interface StreamHost {
  /** Runs a change with the events it appends in one transaction (the DO's `commit`). */
  commit<T>(actor: string | null, body: (emit: Emit) => T): T;
  /** The workspace's files, as the tools see them, acting as `caller`. */
  files(caller: Caller): WorkspaceFiles;
  env: Env;
  /** Makes sure the alarm comes by `at`. */
  wakeAt(at: number): Promise<void>;
}

/** What starts a response stream (see `run`). */
export interface TurnInput {
  threadId: string | undefined;
  message: MessageInput;
  /** A provider name; the configured one when undefined. */
  model: string | undefined;
  interrupt: boolean;
  tools: ToolSet;
  maxSteps: number;
  system?: string;
  /** The title of the thread when the turn creates it. */
  title?: string;
  observe?: (chunk: UIMessageChunk) => void;
}

export interface StartedStream {
  threadId: string;
  streamId: string;
  messageId: string;
  producer: ThreadStream;
  /** Resolves with the stream's final status once its answer is saved. */
  done: Promise<StreamStatus>;
}

export interface OpenedStream {
  threadId: string;
  streamId: string;
  messageId: string;
  tailId: string;
  stream: ReadableStream<Uint8Array>;
}
