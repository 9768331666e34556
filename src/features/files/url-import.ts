import { ApiError } from "../../http/errors";
import { DEFAULT_DNS_RESOLVER_URL } from "./doh";
import { assertPublicHost, checkUrl, type GuardConfig, refuseUrl } from "./url-guard";

// Fetching a URL to import on a client's behalf. Every hop goes through the SSRF guard
// (url-guard.ts) before a request is sent to it: redirects are followed by hand, at most
// MAX_REDIRECTS, each target checked like the first. Refusals of the URL are 400s; what the
// remote does wrong (an error status, silence past the time limit) is 422, too large is 413;
// all with `details: {field: "url", reason}`.

export const MAX_REDIRECTS = 3;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

export interface UrlImportConfig extends GuardConfig {
  /** The most bytes one import may bring (`URL_IMPORT_MAX_BYTES`). */
  maxBytes: number;
  /** The whole import — DNS, redirects, body — within this (`URL_IMPORT_TIMEOUT_MS`). */
  timeoutMs: number;
}

const positive = (value: string | undefined, fallback: number) => {
  const number = Number(value);
  return value && Number.isFinite(number) && number > 0 ? number : fallback;
};

export function urlImportConfig(env: Env): UrlImportConfig {
  return {
    allowHttp: env.URL_IMPORT_ALLOW_HTTP === "true",
    resolverUrl: env.DNS_RESOLVER_URL || DEFAULT_DNS_RESOLVER_URL,
    maxBytes: positive(env.URL_IMPORT_MAX_BYTES, DEFAULT_MAX_BYTES),
    timeoutMs: positive(env.URL_IMPORT_TIMEOUT_MS, DEFAULT_TIMEOUT_MS),
  };
}

/** A 422: the URL was allowed, but what it answered cannot be imported. */
export const remoteError = (reason: string, message: string, extra: Record<string, unknown> = {}) =>
  new ApiError("unprocessable", message, { details: { field: "url", reason, ...extra } });

export interface RemoteFile {
  body: ReadableStream<Uint8Array> | null;
  /** The body's length when the remote stated it for the bytes we will read; else unknown. */
  length: number | undefined;
  contentType: string | null;
  /** Where the bytes came from, after redirects. */
  url: string;
}

/** Runs a guard step; a refusal after a redirect says which hop it came from. */
async function atHop<T>(hop: number, location: string, step: () => T | Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (hop === 0 || !(error instanceof ApiError)) throw error;
    const details = (error.details ?? {}) as Record<string, unknown>;
    throw new ApiError(error.code, `redirect ${hop} to ${location}: ${error.message}`, {
      details: { ...details, redirect: hop, location },
    });
  }
}

function lengthOf(response: Response): number | undefined {
  // A compressed body is decoded on the way in: its Content-Length is not what we will read.
  const encoding = response.headers.get("content-encoding");
  if (encoding && encoding.toLowerCase() !== "identity") return undefined;
  const header = response.headers.get("content-length");
  return header && /^\d{1,16}$/.test(header) ? Number(header) : undefined;
}

/** GETs `raw` through the guard, following up to MAX_REDIRECTS redirects; a 2xx or a 4xx. */
export async function fetchRemote(
  raw: string,
  config: UrlImportConfig,
  signal: AbortSignal,
): Promise<RemoteFile> {
  let location = raw;
  for (let hop = 0; ; hop++) {
    const url = await atHop(hop, location, () => checkUrl(location, config));
    await atHop(hop, location, () => assertPublicHost(url, config, signal));
    let response: Response;
    try {
      response = await fetch(url, {
        redirect: "manual",
        signal,
        headers: { accept: "*/*", "user-agent": "workspaces-api-url-import" },
      });
    } catch (error) {
      if (signal.aborted) throw error; // the caller answers for the timeout
      throw remoteError("unreachable", `could not connect to ${url.host}`, { host: url.host });
    }
    if (REDIRECT_STATUSES.has(response.status)) {
      await response.body?.cancel();
      const next = response.headers.get("location");
      if (!next) {
        throw remoteError(
          "remote_status",
          `the URL answered ${response.status} without a Location`,
          {
            status: response.status,
          },
        );
      }
      if (hop === MAX_REDIRECTS) {
        throw refuseUrl("too_many_redirects", `more than ${MAX_REDIRECTS} redirects`, {
          redirects: hop + 1,
        });
      }
      try {
        location = new URL(next, url).href;
      } catch {
        throw remoteError("remote_status", "the URL redirected to something that is not a URL");
      }
      continue;
    }
    if (response.status < 200 || response.status > 299) {
      await response.body?.cancel();
      throw remoteError("remote_status", `the URL answered ${response.status}`, {
        status: response.status,
      });
    }
    return {
      body: response.body,
      length: lengthOf(response),
      contentType: response.headers.get("content-type"),
      url: url.href,
    };
  }
}
