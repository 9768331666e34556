import { ShortStreamRequestSchema } from "../threads/stream.schemas";
import type { OpenedStream } from "../threads/thread-streams";
import type { Caller } from "../workspace/workspace.types";
import type { Outcome } from "./task-runners";

// A prompt task: one answer streamed in a thread by the workspace's thread streaming (the model
// provider, its tools, parts stored before delivery), read to its end. The run's `instructions`
// come first in the message, as context. Output: the answer's text and where it lives.

export interface PromptHost {
  start(
    caller: Caller,
    request: ReturnType<typeof ShortStreamRequestSchema.parse>,
  ): Promise<OpenedStream>;
  cancel(threadId: string): Promise<unknown>;
  /** The stored answer once the stream ended: its status, error and text. */
  answer(opened: OpenedStream): { status: string; error: string | null; text: string };
}

export async function runPromptTask(
  host: PromptHost,
  caller: Caller,
  input: Record<string, unknown>,
  instructions: string | null,
  signal: AbortSignal,
): Promise<Outcome> {
  if (typeof input.prompt !== "string" || input.prompt.length === 0) {
    return { ok: false, error: "a prompt task takes `with: {prompt, model?, thread_id?}`" };
  }
  const parsed = ShortStreamRequestSchema.safeParse({
    message: instructions ? `${instructions}\n\n${input.prompt}` : input.prompt,
    ...(input.thread_id === undefined ? {} : { thread_id: input.thread_id }),
    ...(input.model === undefined ? {} : { model: input.model }),
  });
  if (!parsed.success) {
    return {
      ok: false,
      error: `the prompt task's input is not valid: ${parsed.error.issues[0]?.message}`,
    };
  }
  let opened: OpenedStream;
  try {
    opened = await host.start(caller, parsed.data);
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
  const stop = () => void host.cancel(opened.threadId).catch(() => undefined);
  signal.addEventListener("abort", stop, { once: true });
  try {
    const reader = opened.stream.getReader();
    while (!(await reader.read()).done) {
      // The parts are stored by the producer; this tail only waits for the end.
    }
  } finally {
    signal.removeEventListener("abort", stop);
  }
  const answer = host.answer(opened);
  const output = { text: answer.text, thread_id: opened.threadId, message_id: opened.messageId };
  if (answer.status !== "completed") {
    return {
      ok: false,
      error: `the answer ended ${answer.status}${answer.error ? `: ${answer.error}` : ""}`,
      output,
    };
  }
  return { ok: true, output };
}
