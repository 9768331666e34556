import { hexOf } from "../../lib/crypto";

// putObject for a body whose length is not known up front (a remote server that sends no
// Content-Length). R2's put of a stream needs the length, so the body is cut into parts: if it
// ends within the first part it is one ordinary put of those bytes; otherwise it becomes an R2
// multipart upload, one part at a time. Memory is one part, whatever the body's size. The
// caller bounds the stream (capped-stream.ts); a failure aborts the upload and stores nothing.

/** R2's smallest part but the last; every part but the last must be this same size. */
export const PART_BYTES = 5 * 1024 * 1024;

export async function putUnsizedObject(
  bucket: R2Bucket,
  key: string,
  body: ReadableStream<Uint8Array>,
  contentType: string,
): Promise<{ sha256: string; size: number }> {
  const httpMetadata = { contentType };
  const digest = new crypto.DigestStream("SHA-256");
  digest.digest.catch(() => undefined); // read only on success; a failure is not unhandled
  const digestWriter = digest.getWriter();
  const reader = body.getReader();
  const part = new Uint8Array(PART_BYTES);
  let filled = 0;
  let size = 0;
  let upload: R2MultipartUpload | null = null;
  const parts: R2UploadedPart[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await digestWriter.write(value);
      size += value.byteLength;
      for (let offset = 0; offset < value.byteLength; ) {
        const take = Math.min(PART_BYTES - filled, value.byteLength - offset);
        part.set(value.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === PART_BYTES) {
          upload ??= await bucket.createMultipartUpload(key, { httpMetadata });
          // Awaited before the buffer is refilled: the part is sent by the time it resolves.
          parts.push(await upload.uploadPart(parts.length + 1, part));
          filled = 0;
        }
      }
    }
    await digestWriter.close();
    if (!upload) {
      await bucket.put(key, part.slice(0, filled), { httpMetadata });
    } else {
      if (filled > 0) parts.push(await upload.uploadPart(parts.length + 1, part.slice(0, filled)));
      await upload.complete(parts);
    }
    return { sha256: hexOf(await digest.digest), size };
  } catch (error) {
    reader.cancel(error).catch(() => undefined);
    digestWriter.abort(error).catch(() => undefined);
    if (upload) await upload.abort().catch(() => undefined);
    await bucket.delete(key).catch(() => undefined);
    throw error;
  }
}
