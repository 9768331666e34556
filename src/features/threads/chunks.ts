// A Durable Object's SQLite row holds at most 2 MB. A message's serialized parts may be up to
// 8 MiB, so they are cut into chunks of at most 512 KiB of UTF-8: a UTF-16 code unit is at most
// 3 bytes of UTF-8, so a third of that many code units always fits. A cut never falls between
// the two halves of a surrogate pair, which SQLite would store as replacement characters.

export const CHUNK_UNITS = Math.floor((512 * 1024) / 3);

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/** The text in order-preserving pieces of at most CHUNK_UNITS code units; "" is one piece. */
export function splitChunks(text: string, units = CHUNK_UNITS): string[] {
  const chunks: string[] = [];
  let start = 0;
  while (start < text.length || chunks.length === 0) {
    let end = Math.min(start + units, text.length);
    // Back off one unit rather than split a pair (unless the piece would then be empty).
    if (end < text.length && end - start > 1 && isHighSurrogate(text.charCodeAt(end - 1))) {
      end -= 1;
    }
    chunks.push(text.slice(start, end));
    start = end;
  }
  return chunks;
}
