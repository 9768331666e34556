import { streamText } from "ai";
import { newId } from "../../lib/ids";
import { EchoModel } from "../../models/echo-model";
import { encodeSse } from "../events/sse";
import { FLUSH_PARTS } from "./stream-config";
import { yieldToIo } from "./stream-producer";
import { DONE_FRAME, partFrame } from "./stream-tail";

// For the threads benchmark only (through `/__bench`): the echo stream of a thread turn — the
// same model, streamText and UI message stream, framed and batched the same way — with nothing
// stored, no thread and no tail: the baseline the persisted stream is measured against.

export function unpersistedEchoStream(words: number): ReadableStream<Uint8Array> {
  const result = streamText({
    model: new EchoModel(0),
    messages: [{ role: "user", content: `/words ${words}` }],
    onError: () => undefined,
  });
  const messageId = newId("msg");
  let seq = 0;
  let batch: string[] = [];
  return result.toUIMessageStream({ generateMessageId: () => messageId }).pipeThrough(
    new TransformStream({
      async transform(chunk, controller) {
        batch.push(partFrame({ seq: ++seq, json: JSON.stringify(chunk) }));
        // The first part goes at once, and I/O is let through after every batch, as the thread
        // stream's producer does (stream-producer.ts): the echo model never waits, so without
        // this the whole stream would be made before its first bytes left the object.
        if (batch.length >= FLUSH_PARTS || seq === 1) {
          controller.enqueue(encodeSse(batch.join("")));
          batch = [];
          await yieldToIo();
        }
      },
      flush(controller) {
        controller.enqueue(encodeSse(batch.join("") + DONE_FRAME));
      },
    }),
  );
}
