// A remote body on its way to R2, watched: it may not pass a byte limit, must be exactly the
// expected length when one is known, and stops when the import's time is up even if the remote
// stalls without closing. When the stream fails, `failure` says why, so the caller can answer
// with that rather than with the storage layer's generic error.

export type StreamFailure = "too_large" | "size_mismatch" | "timeout" | "interrupted";

export interface CappedStream {
  stream: ReadableStream<Uint8Array>;
  /** Bytes passed on so far. */
  readonly bytes: number;
  readonly failure: StreamFailure | null;
}

export function capStream(
  body: ReadableStream<Uint8Array>,
  options: { limit: number; exact: boolean; signal: AbortSignal },
): CappedStream {
  const reader = body.getReader();
  const state = { bytes: 0, failure: null as StreamFailure | null };
  const timedOut = new Promise<never>((_, reject) => {
    const fail = () => reject(new Error("timeout"));
    if (options.signal.aborted) fail();
    else options.signal.addEventListener("abort", fail, { once: true });
  });
  timedOut.catch(() => undefined); // observed below; never an unhandled rejection

  const stop = (controller: ReadableStreamDefaultController<Uint8Array>, why: StreamFailure) => {
    state.failure = why;
    controller.error(new Error(why));
    reader.cancel(why).catch(() => undefined);
  };

  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await Promise.race([reader.read(), timedOut]);
      } catch {
        return stop(controller, options.signal.aborted ? "timeout" : "interrupted");
      }
      if (chunk.done) {
        if (options.exact && state.bytes !== options.limit)
          return stop(controller, "size_mismatch");
        return controller.close();
      }
      state.bytes += chunk.value.byteLength;
      if (state.bytes > options.limit) {
        return stop(controller, options.exact ? "size_mismatch" : "too_large");
      }
      controller.enqueue(chunk.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return {
    stream,
    get bytes() {
      return state.bytes;
    },
    get failure() {
      return state.failure;
    },
  };
}
