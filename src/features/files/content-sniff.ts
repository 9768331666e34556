// What a body's bytes are, judged from the bytes: magic numbers for the binary formats we accept,
// and "UTF-8 text without control bytes" for the text ones. The head of a stream is peeked
// (never the whole body), and a text body is checked again as the rest of it streams past.

export type MagicType = "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "application/pdf";

/** How much of a body is read before deciding what it is. */
export const SNIFF_BYTES = 8 * 1024;

const ascii = (text: string) => Array.from(text, (char) => char.charCodeAt(0));

const startsWith = (bytes: Uint8Array, prefix: readonly number[], at = 0) =>
  bytes.length >= at + prefix.length && prefix.every((byte, i) => bytes[at + i] === byte);

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];
const GIF87 = ascii("GIF87a");
const GIF89 = ascii("GIF89a");
const RIFF = ascii("RIFF");
const WEBP = ascii("WEBP");
const PDF = ascii("%PDF-");

/** The format the first bytes prove, or null (too short for a magic number counts as none). */
export function sniffMagic(head: Uint8Array): MagicType | null {
  if (startsWith(head, PNG)) return "image/png";
  if (startsWith(head, JPEG)) return "image/jpeg";
  if (startsWith(head, GIF87) || startsWith(head, GIF89)) return "image/gif";
  if (startsWith(head, RIFF) && startsWith(head, WEBP, 8)) return "image/webp";
  if (startsWith(head, PDF)) return "application/pdf";
  return null;
}

/** Bytes that never occur in text: C0 controls other than tab, line feed, form feed, CR; DEL. */
const BINARY = new Uint8Array(256);
for (let byte = 0; byte < 0x20; byte++) BINARY[byte] = 1;
for (const allowed of [0x09, 0x0a, 0x0c, 0x0d]) BINARY[allowed] = 0;
BINARY[0x7f] = 1;

const hasBinaryByte = (bytes: Uint8Array) => {
  for (let i = 0; i < bytes.length; i++) if (BINARY[bytes[i] as number]) return true;
  return false;
};

/**
 * Whether `head` reads as UTF-8 text. `complete` says it is the whole body; otherwise a
 * multi-byte character cut at the end of the head is not held against it.
 */
export function looksLikeText(head: Uint8Array, complete: boolean): boolean {
  if (hasBinaryByte(head)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(head, { stream: !complete });
    return true;
  } catch {
    return false;
  }
}

/**
 * A pass-through that checks every chunk is still text. When one is not, the stream errors
 * (so the upload fails and nothing is stored) and `failed` says why it was refused.
 */
export function textGuard(): {
  stream: TransformStream<Uint8Array, Uint8Array>;
  failed(): boolean;
} {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  let failed = false;
  const refuse = () => {
    failed = true;
    return new Error("the body is not UTF-8 text");
  };
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      if (hasBinaryByte(chunk)) throw refuse();
      try {
        decoder.decode(chunk, { stream: true });
      } catch {
        throw refuse();
      }
      controller.enqueue(chunk);
    },
    flush() {
      try {
        decoder.decode();
      } catch {
        throw refuse();
      }
    },
  });
  return { stream, failed: () => failed };
}

/**
 * Reads the first `bytes` of a stream (or all of it, if shorter) and returns them with a stream
 * that yields the whole body again: the head first, then the rest as it arrives.
 */
export async function peek(
  body: ReadableStream<Uint8Array>,
  bytes = SNIFF_BYTES,
): Promise<{ head: Uint8Array; ended: boolean; stream: ReadableStream<Uint8Array> }> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  let ended = false;
  while (length < bytes) {
    const { done, value } = await reader.read();
    if (done) {
      ended = true;
      break;
    }
    chunks.push(value);
    length += value.byteLength;
  }
  const head = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    head.set(chunk, offset);
    offset += chunk.byteLength;
  }
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      if (head.byteLength > 0) controller.enqueue(head);
      if (ended) controller.close();
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { head, ended, stream };
}
