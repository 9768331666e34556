import { ApiError } from "../../http/errors";
import { hexOf } from "../../lib/crypto";
import { newId } from "../../lib/ids";
import { workspacePrefix } from "../../lib/r2-prefix";

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
  const fixed = new FixedLengthStream(size);
  const piped = pumpInto(body, [fixed.writable, digest]);
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

const PUMP_CHUNK_BYTES = 64 * 1024;

/**
 * Copies `body` into every sink, one chunk at a time, through one reused buffer: a byte stream
 * is read into it (BYOB), so the bytes never pile up as garbage whatever the upload's size.
 * A stream that cannot be read that way (one made in JavaScript) is read chunk by chunk.
 */
async function pumpInto(body: ReadableStream<Uint8Array>, sinks: WritableStream[]): Promise<void> {
  const writers = sinks.map((sink) => sink.getWriter());
  try {
    const byob = tryByobReader(body);
    if (byob) {
      let buffer = new ArrayBuffer(PUMP_CHUNK_BYTES);
      for (;;) {
        const { done, value } = await byob.read(new Uint8Array(buffer));
        if (done || !value) break;
        await Promise.all(writers.map((writer) => writer.write(value)));
        // Reuse the memory unless a sink took it (a detached buffer has no bytes).
        buffer = value.buffer.byteLength > 0 ? value.buffer : new ArrayBuffer(PUMP_CHUNK_BYTES);
      }
    } else {
      for await (const chunk of body) await Promise.all(writers.map((w) => w.write(chunk)));
    }
    await Promise.all(writers.map((writer) => writer.close()));
  } catch (error) {
    await Promise.all(writers.map((writer) => writer.abort(error).catch(() => undefined)));
    throw error;
  }
}

function tryByobReader(body: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | null {
  try {
    return body.getReader({ mode: "byob" });
  } catch {
    return null;
  }
}

/** Deletes objects, up to 1,000 per call (R2's batch limit). */
export async function deleteObjects(bucket: R2Bucket, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    await bucket.delete(keys.slice(i, i + 1000));
  }
}
