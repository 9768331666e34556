import { ApiError } from "../errors";
import { hexOf } from "../lib/crypto";
import { newId } from "../lib/ids";
import { workspacePrefix } from "../storage/r2-prefix";

// File bytes in R2: immutable objects named by id under the workspace's prefix. An upload
// streams the request body to R2 through a SHA-256 tap, never holding the file in memory.

export function newObjectKey(workspaceId: string): string {
  return `${workspacePrefix(workspaceId)}o/${newId("obj")}`;
}

/**
 * Streams `body` (exactly `size` bytes) into a new object; returns its SHA-256. A body shorter
 * or longer than `size` fails the put, and nothing is stored.
 */
export async function putObject(
  bucket: R2Bucket,
  key: string,
  body: ReadableStream<Uint8Array> | null,
  size: number,
  contentType: string,
): Promise<{ sha256: string }> {
  const digest = new crypto.DigestStream("SHA-256");
  if (!body || size === 0) {
    const writer = digest.getWriter();
    await writer.close();
    await bucket.put(key, new Uint8Array(0), { httpMetadata: { contentType } });
    return { sha256: hexOf(await digest.digest) };
  }
  // A failed upload never reads the digest: its rejection is expected, not unhandled.
  digest.digest.catch(() => undefined);
  const digestWriter = digest.getWriter();
  const tap = new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      await digestWriter.write(chunk);
      controller.enqueue(chunk);
    },
    async flush() {
      await digestWriter.close();
    },
  });
  const fixed = new FixedLengthStream(size);
  const piped = body.pipeThrough(tap).pipeTo(fixed.writable);
  // Both settle before we decide, so neither failure is left unhandled.
  const [stored, streamed] = await Promise.allSettled([
    bucket.put(key, fixed.readable, { httpMetadata: { contentType } }),
    piped,
  ]);
  if (stored.status === "rejected" || streamed.status === "rejected") {
    await bucket.delete(key).catch(() => undefined);
    throw new ApiError(
      "invalid_request",
      `the body did not match its Content-Length (${size} bytes) or the upload was interrupted`,
    );
  }
  return { sha256: hexOf(await digest.digest) };
}

/** Deletes objects, up to 1,000 per call (R2's batch limit). */
export async function deleteObjects(bucket: R2Bucket, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    await bucket.delete(keys.slice(i, i + 1000));
  }
}
