import type { FileContent } from "just-bash";

// just-bash hands a filesystem either text or a latin1 "byte string" (one char per byte),
// saying which by the encoding argument of writeFile/appendFile; these turn both into bytes.

export type EncodingArg = string | { encoding?: string | null } | null | undefined;

const encodingOf = (options: EncodingArg) =>
  typeof options === "string" ? options : (options?.encoding ?? "utf8");

const latin1Bytes = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0) & 0xff);

export function contentBytes(content: FileContent, options?: EncodingArg): Uint8Array {
  if (typeof content !== "string") return content;
  switch (encodingOf(options)) {
    case "binary":
    case "latin1":
      return latin1Bytes(content);
    case "base64":
      return latin1Bytes(atob(content));
    default:
      return new TextEncoder().encode(content);
  }
}
