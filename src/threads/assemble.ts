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
  const stream = new ReadableStream<UIMessageChunk>({
    start(controller) {
      for (const part of parts) controller.enqueue(JSON.parse(part.json) as UIMessageChunk);
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
