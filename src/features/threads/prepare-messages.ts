import { ApiError } from "../../http/errors";
import { newId } from "../../lib/ids";
import { byteLength, type MessageInput, type MessageRole, THREAD_LIMITS } from "./thread.schemas";

// A validated message as it will be stored: its parts and metadata serialized once, its size
// known, its preview cut. The serialized parts are what a later GET parses back, so the stored
// message is the one the client sent.

export interface PreparedMessage {
  id: string;
  role: MessageRole;
  partsJson: string;
  metadataJson: string | null;
  /** UTF-8 bytes of the serialized parts and metadata: what the size cap counts. */
  bytes: number;
  preview: string | null;
}

/** The start of a message's text parts, whitespace collapsed; null when it has no text. */
export function previewOf(parts: readonly { type: string; text?: unknown }[]): string | null {
  const max = THREAD_LIMITS.previewChars;
  let text = "";
  for (const part of parts) {
    if (part.type !== "text" || typeof part.text !== "string") continue;
    // Only the start of a (possibly huge) part is needed.
    text += ` ${part.text.slice(0, max * 4)}`;
    if (text.length > max * 4) break;
  }
  const collapsed = text.replace(/\s+/g, " ").trim();
  return collapsed ? collapsed.slice(0, max) : null;
}

export function prepareMessage(input: MessageInput, index: number): PreparedMessage {
  const parts = input.parts ?? [{ type: "text", text: input.content ?? "" }];
  const partsJson = JSON.stringify(parts);
  const metadataJson = input.metadata === undefined ? null : JSON.stringify(input.metadata);
  const bytes = byteLength(partsJson) + (metadataJson === null ? 0 : byteLength(metadataJson));
  if (bytes > THREAD_LIMITS.messageBytes) {
    throw new ApiError(
      "too_large",
      `message ${index} is ${bytes} bytes; a message may be at most ${THREAD_LIMITS.messageBytes}`,
      { details: [{ field: `messages.${index}`, message: "message too large" }] },
    );
  }
  return {
    id: input.id ?? newId("msg"),
    role: input.role,
    partsJson,
    metadataJson,
    bytes,
    preview: previewOf(parts),
  };
}

export const prepareMessages = (inputs: readonly MessageInput[]) => inputs.map(prepareMessage);
