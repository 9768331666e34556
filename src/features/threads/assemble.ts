import { readUIMessageStream, type UIMessage, type UIMessageChunk } from "ai";
import type { StoredPart } from "./stream-store";

/**
 * The assistant message the stored parts make, assembled by the AI SDK's own reader — the
 * same code a client runs over the stream — so the saved message is the one a client built.
 */
export async function assembleMessage(
  parts: readonly StoredPart[],
  messageId: string,
): Promise<UIMessage> {
  const chunks = coalesceDeltas(parts.map((part) => JSON.parse(part.json) as UIMessageChunk));
  const stream = new ReadableStream<UIMessageChunk>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  let message: UIMessage = { id: messageId, role: "assistant", parts: [] };
  // An `error` part is part of the message's story, not a reason to stop reading.
  for await (const snapshot of readUIMessageStream({ stream, onError: () => undefined })) {
    message = snapshot;
  }
  return { ...message, id: message.id || messageId };
}

type DeltaChunk = Extract<UIMessageChunk, { type: "text-delta" | "reasoning-delta" }>;

const isPlainDelta = (chunk: UIMessageChunk): chunk is DeltaChunk =>
  (chunk.type === "text-delta" || chunk.type === "reasoning-delta") &&
  chunk.providerMetadata === undefined;

/**
 * Joins runs of deltas to the same text or reasoning part into one delta: the reader copies the
 * whole message for every chunk it takes, so a 10,000-word answer read delta by delta costs
 * time quadratic in its length, while the joined deltas make exactly the same message.
 */
export function coalesceDeltas(chunks: readonly UIMessageChunk[]): UIMessageChunk[] {
  const out: UIMessageChunk[] = [];
  for (const chunk of chunks) {
    const last = out.at(-1);
    if (
      last &&
      isPlainDelta(chunk) &&
      isPlainDelta(last) &&
      last.type === chunk.type &&
      last.id === chunk.id
    ) {
      out[out.length - 1] = { ...last, delta: last.delta + chunk.delta };
    } else {
      out.push(chunk);
    }
  }
  return out;
}
