/**
 * Passes a stream that came from a Durable Object through to the client, and reports when the
 * client goes away: a cancel does not cross an RPC stream by itself (workerd#7298), so without
 * this the DO would keep feeding a dead subscriber until it ended on its own.
 */
export function relayUntilCancelled(
  source: ReadableStream<Uint8Array>,
  onCancel: () => Promise<unknown>,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel(reason) {
      await Promise.allSettled([reader.cancel(reason), onCancel()]);
    },
  });
}
