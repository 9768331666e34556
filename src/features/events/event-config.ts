import type { RetentionPolicy } from "./event-log";

// Delivery and retention settings, from the Worker's vars (wrangler.toml), with the defaults the
// API promises when a var is absent or not a positive number.

export interface EventConfig {
  /** A comment line this often keeps idle proxies from closing an SSE stream. */
  heartbeatMs: number;
  /** An SSE stream ends after this long so the Durable Object can hibernate between tails. */
  sseLifetimeMs: number;
  /** The `retry:` hint sent when the server ends a stream: how soon the client comes back. */
  retryMs: number;
  /** A subscriber with more than this many bytes waiting is dropped; it resumes by id. */
  maxQueuedBytes: number;
  retention: RetentionPolicy;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function positive(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(parsed) && parsed > 0
    ? parsed
    : fallback;
}

export function eventConfig(env: Env): EventConfig {
  return {
    heartbeatMs: positive(env.SSE_HEARTBEAT_MS, 15_000),
    sseLifetimeMs: positive(env.SSE_MAX_LIFETIME_MS, 5 * 60_000),
    retryMs: positive(env.SSE_RETRY_MS, 1_000),
    maxQueuedBytes: positive(env.EVENT_QUEUE_MAX_BYTES, 1024 * 1024),
    retention: {
      minEvents: Math.max(1, Math.floor(positive(env.EVENT_RETENTION_MIN_EVENTS, 10_000))),
      maxAgeMs: positive(env.EVENT_RETENTION_DAYS, 7) * DAY_MS,
    },
  };
}
