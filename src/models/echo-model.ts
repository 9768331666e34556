import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Prompt,
  LanguageModelV4StreamPart,
  LanguageModelV4Usage,
} from "@ai-sdk/provider";
import { type EchoScript, parseEchoScript } from "./echo-script";

// A real language model (the AI SDK's provider spec, v4), so `streamText` drives it exactly as it
// drives a hosted one: deterministic, offline, streaming its reply word by word. Its behaviour is
// scripted by the last user message (echo-script.ts): tool calls first, one per step, then the
// text. It honours the abort signal between words, as a network model would between chunks.

const usage = (outputTokens: number): LanguageModelV4Usage => ({
  inputTokens: { total: 0, noCache: 0, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: outputTokens, text: outputTokens, reasoning: 0 },
});

/** The last user message's text, and how many tool calls the model has made since it. */
function turnOf(prompt: LanguageModelV4Prompt): { text: string; toolCallsSoFar: number } {
  let last = -1;
  prompt.forEach((message, index) => {
    if (message.role === "user") last = index;
  });
  const user = prompt[last];
  const text =
    user?.role === "user"
      ? user.content.map((part) => (part.type === "text" ? part.text : "")).join("\n")
      : "";
  let toolCallsSoFar = 0;
  for (const message of prompt.slice(last + 1)) {
    if (message.role !== "assistant") continue;
    toolCallsSoFar += message.content.filter((part) => part.type === "tool-call").length;
  }
  return { text, toolCallsSoFar };
}

const abortError = (signal: AbortSignal) =>
  signal.reason instanceof Error ? signal.reason : new DOMException("aborted", "AbortError");

export class EchoModel implements LanguageModelV4 {
  readonly specificationVersion = "v4" as const;
  readonly provider = "echo";
  readonly modelId = "echo";
  readonly supportedUrls = {};

  constructor(private readonly defaultDelayMs: number) {}

  async doGenerate(): Promise<never> {
    throw new Error("the echo model only streams");
  }

  async doStream(options: LanguageModelV4CallOptions) {
    const { text, toolCallsSoFar } = turnOf(options.prompt);
    const script = parseEchoScript(text);
    return { stream: this.steps(script, toolCallsSoFar, options.abortSignal) };
  }

  private steps(
    script: EchoScript,
    toolCallsSoFar: number,
    signal: AbortSignal | undefined,
  ): ReadableStream<LanguageModelV4StreamPart> {
    const delayMs = script.delayMs ?? this.defaultDelayMs;
    const call = script.toolCalls[toolCallsSoFar];
    const queue: LanguageModelV4StreamPart[] = [{ type: "stream-start", warnings: [] }];
    if (call) {
      queue.push(
        {
          type: "tool-call",
          toolCallId: `call_${toolCallsSoFar + 1}`,
          toolName: call.toolName,
          input: call.input,
        },
        {
          type: "finish",
          finishReason: { unified: "tool-calls", raw: "tool_calls" },
          usage: usage(1),
        },
      );
    }
    let word = 0;
    let phase: "queue" | "words" | "end" = "queue";
    const textId = `txt_${toolCallsSoFar}`;
    return new ReadableStream<LanguageModelV4StreamPart>({
      pull: async (controller) => {
        if (signal?.aborted) throw abortError(signal);
        if (queue.length > 0) {
          controller.enqueue(queue.shift() as LanguageModelV4StreamPart);
          if (queue.length === 0 && call) controller.close();
          return;
        }
        if (phase === "queue") {
          phase = "words";
          controller.enqueue({ type: "text-start", id: textId });
          return;
        }
        if (phase === "words" && word < script.words.length) {
          if (delayMs > 0) {
            await new Promise((resolve) => setTimeout(resolve, delayMs));
            if (signal?.aborted) throw abortError(signal);
          }
          controller.enqueue({ type: "text-delta", id: textId, delta: script.words[word++] ?? "" });
          return;
        }
        if (phase === "words") {
          phase = "end";
          controller.enqueue({ type: "text-end", id: textId });
          if (script.error !== null) {
            controller.enqueue({ type: "error", error: new Error(script.error) });
          }
          controller.enqueue({
            type: "finish",
            finishReason: { unified: "stop", raw: "stop" },
            usage: usage(script.words.length),
          });
          controller.close();
        }
      },
    });
  }
}
