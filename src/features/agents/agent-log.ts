import type { AgentLogEntry } from "./agent.schemas";

// An agent's log: its thread's messages (and the answer still streaming) summarized part by
// part — the task, text, reasoning, each tool call with its input and (cut) output, errors.
// Step boundaries and other plumbing parts are left out.

interface LogMessage {
  id: string;
  role: "system" | "user" | "assistant";
  parts: readonly { type: string; [field: string]: unknown }[];
  metadata?: unknown;
}

/** The most characters of a tool's output kept in an entry. */
export const LOG_OUTPUT_CHARS = 2000;
/** Entries shown with each agent in the list. */
export const LOG_TAIL = 50;

const cut = (text: string) =>
  text.length > LOG_OUTPUT_CHARS ? `${text.slice(0, LOG_OUTPUT_CHARS)}…` : text;

const str = (value: unknown): string | null => (typeof value === "string" ? value : null);

export function logEntries(messages: readonly LogMessage[], streamingId: string | null) {
  const entries: AgentLogEntry[] = [];
  const add = (message: LogMessage, entry: Partial<AgentLogEntry> & Pick<AgentLogEntry, "type">) =>
    entries.push({
      index: entries.length,
      message_id: message.id,
      role: message.role,
      text: null,
      tool: null,
      tool_call_id: null,
      state: null,
      output: null,
      streaming: message.id === streamingId,
      ...entry,
    });
  for (const message of messages) {
    for (const part of message.parts) {
      if (part.type === "text") {
        add(message, { type: message.role === "user" ? "task" : "text", text: str(part.text) });
      } else if (part.type === "reasoning") {
        add(message, { type: "reasoning", text: str(part.text) });
      } else if (part.type.startsWith("tool-") || part.type === "dynamic-tool") {
        const tool = part.type === "dynamic-tool" ? str(part.toolName) : part.type.slice(5);
        const output =
          part.output === undefined ? null : cut(JSON.stringify(part.output) ?? "null");
        add(message, {
          type: "tool_call",
          tool,
          tool_call_id: str(part.toolCallId),
          state: str(part.state),
          input: part.input,
          output,
          text: str(part.errorText),
        });
      }
    }
    const metadata = message.metadata as { error?: unknown } | undefined;
    if (message.role === "assistant" && typeof metadata?.error === "string") {
      add(message, { type: "error", text: metadata.error });
    }
  }
  return entries;
}
