import { z } from "@hono/zod-openapi";
import type { Caller } from "../../kernel/caller";
import { ShortStreamRequestSchema } from "../threads/stream.schemas";
import type { OpenedStream } from "../threads/stream-config";
import type { Outcome } from "./task-runners";

// A prompt task: one answer streamed in a thread by the workspace's thread streaming (the model
// provider, its tools, parts stored before delivery), read to its end. The run's `instructions`
// come first in the message, as context. Output: the answer's text and where it lives.

const stream = ShortStreamRequestSchema.shape;

/** What a prompt task's `with` takes (checked at creation, and rendered as it runs). */
export const PromptWithSchema = z
  .object({
    prompt: z.string().min(1),
    model: stream.model,
    thread_id: stream.thread_id,
    tools: stream.tools,
    max_steps: stream.max_steps,
  })
  .strict();
export const PROMPT_TAKES =
  "`{prompt, model?, thread_id?, tools?, max_steps?}` (`message` is an alias of `prompt`)";

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
  const given = PromptWithSchema.safeParse(input);
  if (!given.success) return { ok: false, error: `a prompt task takes ${PROMPT_TAKES}` };
  const { prompt, ...options } = given.data;
  const parsed = ShortStreamRequestSchema.safeParse({
    message: instructions ? `${instructions}\n\n${prompt}` : prompt,
    ...options,
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
