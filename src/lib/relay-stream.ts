/**
 * Passes a stream that came from a Durable Object through to the client, and reports when the
 * client goes away: a cancel does not cross an RPC stream by itself (workerd#7298), so without
 * this the DO would keep feeding a dead subscriber until it ended on its own. The pipe runs in
 * the runtime (an IdentityTransformStream), not chunk by chunk in JavaScript.
 */
export function relayUntilCancelled(
  source: ReadableStream<Uint8Array>,
  onCancel: () => Promise<unknown>,
  waitUntil: (promise: Promise<unknown>) => void,
): ReadableStream<Uint8Array> {
  const { readable, writable } = new IdentityTransformStream();
  waitUntil(
    source.pipeTo(writable).catch(async () => {
      // The client cancelled (or the source failed): tell the DO; its tail may already be gone.
      await Promise.allSettled([source.cancel(), onCancel()]);
    }),
  );
  return readable;
}
