// How read_file and resources/read tell text from other bytes: UTF-8 that decodes without a
// fault and holds no NUL is text; anything else goes out as base64.

/** The bytes as text, or null when they are not UTF-8 text. */
export function asText(bytes: Uint8Array): string | null {
  if (bytes.includes(0)) return null;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
}
