import { readUIMessageStream, type UIMessage, type UIMessageChunk } from "ai";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assembleMessage, coalesceDeltas } from "./assemble";

// The saved answer is assembled from the stored parts with deltas joined (the SDK's reader
// copies the message per chunk): joined or not, the message must be exactly the same.

async function readAll(chunks: UIMessageChunk[]): Promise<UIMessage | null> {
  const stream = new ReadableStream<UIMessageChunk>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  let last: UIMessage | null = null;
  for await (const message of readUIMessageStream({ stream, onError: () => undefined })) {
    last = message;
  }
  return last;
}

const stored = (chunks: UIMessageChunk[]) =>
  chunks.map((chunk, i) => ({ seq: i + 1, json: JSON.stringify(chunk) }));

/** A message's chunks: reasoning, then text, each split into the given deltas. */
function chunksOf(reasoning: string[], text: string[], withMetadata: boolean): UIMessageChunk[] {
  return [
    { type: "start", messageId: "msg_a" },
    { type: "start-step" },
    { type: "reasoning-start", id: "r1" },
    ...reasoning.map((delta) => ({ type: "reasoning-delta" as const, id: "r1", delta })),
    { type: "reasoning-end", id: "r1" },
    { type: "text-start", id: "t1" },
    ...text.map((delta, i) =>
      withMetadata && i === 1
        ? { type: "text-delta" as const, id: "t1", delta, providerMetadata: { p: { i } } }
        : { type: "text-delta" as const, id: "t1", delta },
    ),
    { type: "text-end", id: "t1" },
    { type: "finish-step" },
    { type: "finish" },
  ];
}

describe("assembling a stored answer", () => {
  it("makes the same message as reading every delta, however the text was split", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string(), { maxLength: 30 }),
        fc.array(fc.string(), { minLength: 1, maxLength: 60 }),
        fc.boolean(),
        async (reasoning, text, withMetadata) => {
          const chunks = chunksOf(reasoning, text, withMetadata);
          const expected = await readAll(chunks);
          const assembled = await assembleMessage(stored(chunks), "msg_a");
          expect(assembled).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("joins runs of deltas of one part, and nothing else", () => {
    const chunks = chunksOf(["a", "b"], ["x", "y", "z"], false);
    const joined = coalesceDeltas(chunks);
    expect(joined.filter((chunk) => chunk.type === "text-delta")).toEqual([
      { type: "text-delta", id: "t1", delta: "xyz" },
    ]);
    expect(joined.filter((chunk) => chunk.type === "reasoning-delta")).toEqual([
      { type: "reasoning-delta", id: "r1", delta: "ab" },
    ]);
    expect(joined).toHaveLength(chunks.length - 3);
    // A delta with provider metadata keeps its own chunk.
    const kept = coalesceDeltas(chunksOf([], ["x", "y", "z"], true));
    expect(kept.filter((chunk) => chunk.type === "text-delta")).toHaveLength(3);
  });
});
