import { z } from "zod";
import { ThreadIdSchema } from "../../threads/thread.schemas";
import type { McpPorts } from "../ports";
import { threadUri } from "../resource-uris";
import { defineTool, READ_ONLY, type ToolDefinition, WRITES } from "../tool-kit";

// The thread tools: list, read one, and send a user message — answered by the workspace's
// model in the thread as `POST …/threads/stream` would, the answer's text streamed as progress
// and returned when the stream ends.

const THREADS_LISTED = 100;
const TEXT_MAX = 100_000;

export function threadTools(ports: McpPorts, ws: string): ToolDefinition[] {
  return [
    defineTool({
      name: "list_threads",
      title: "List threads",
      description: `The workspace's threads, most recently updated first (at most ${THREADS_LISTED}).`,
      input: z.object({}),
      annotations: READ_ONLY,
      run: async (_input, { caller }) => {
        const page = await ports.threads(caller).list({
          sortBy: "updated_at",
          order: "desc",
          after: null,
          limit: THREADS_LISTED,
        });
        return { value: { threads: page.items, more: page.more } };
      },
    }),
    defineTool({
      name: "read_thread",
      title: "Read a thread",
      description:
        "A thread with its messages (as many as fit one page; the rest via its resource).",
      input: z.object({ thread_id: ThreadIdSchema }),
      annotations: READ_ONLY,
      run: async ({ thread_id }, { caller }) => {
        const { thread, messages, nextAfter } = await ports.threads(caller).get(thread_id);
        return {
          value: { ...thread, messages, more_messages: nextAfter !== null },
          link: { uri: threadUri(ws, thread_id), name: thread_id, mimeType: "application/json" },
        };
      },
    }),
    defineTool({
      name: "send_message",
      title: "Send a message",
      description:
        "Sends a user message to a thread (created under `thread_id` if there is none; a new thread without it) and answers the assistant's reply when it is complete; its text arrives as progress while it streams. A thread that is streaming already is refused (conflict).",
      input: z.object({
        thread_id: ThreadIdSchema.optional(),
        text: z.string().min(1).max(TEXT_MAX),
      }),
      annotations: { ...WRITES, openWorldHint: true },
      run: async ({ thread_id, text }, { caller, signal, progress }) => {
        let answer = "";
        let started = { threadId: thread_id ?? null, messageId: null as string | null };
        const status = await ports.answer(caller, {
          text,
          threadId: thread_id ?? null,
          signal,
          onText: (delta) => {
            answer += delta;
            void progress(delta, answer.length);
          },
          onStarted: (threadId, messageId) => {
            started = { threadId, messageId };
          },
        });
        return {
          value: {
            thread_id: started.threadId,
            message_id: started.messageId,
            status,
            text: answer,
          },
        };
      },
    }),
  ];
}
