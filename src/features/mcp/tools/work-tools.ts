import { z } from "zod";
import type { McpPorts } from "../ports";
import { DESTRUCTIVE, defineTool, type ToolDefinition } from "../tool-kit";

// The shell tools: a script on the built-in shell (run_shell) and a registered command by its
// trigger (run_command), each answered when it ends — exit code, stdout, stderr — with its
// output as progress while it runs, and stopped by the client's cancel.

export const SCRIPT_MAX = 64 * 1024;

export function workTools(ports: McpPorts, maxBytes: number): ToolDefinition[] {
  return [
    defineTool({
      name: "run_shell",
      title: "Run a shell script",
      description:
        "Runs a bash script on the workspace's built-in shell (coreutils, grep, sed, awk, jq, pipes, redirection) in the workspace's files; answers its exit code, stdout and stderr. Writes change the workspace's files.",
      input: z.object({
        script: z.string().min(1).max(SCRIPT_MAX),
        timeout_ms: z
          .number()
          .int()
          .min(100)
          .optional()
          .describe("At most, and by default, the workspace's COMMAND_TIMEOUT_MS"),
      }),
      annotations: { ...DESTRUCTIVE, openWorldHint: false },
      run: async ({ script, timeout_ms }, { caller, signal, progress }) => {
        let produced = 0;
        const result = await ports.runScript(caller, {
          script,
          timeoutMs: timeout_ms,
          outputMaxBytes: maxBytes,
          signal,
          onOutput: (stream, text) => {
            produced += text.length;
            void progress(`${stream}: ${text.slice(-200)}`, produced);
          },
        });
        return { value: result };
      },
    }),
    defineTool({
      name: "run_command",
      title: "Run a registered command",
      description:
        "Runs a command of the workspace's registry by its trigger (shell, prompt or http) with its arguments, and answers the execution when it ends, with its output.",
      input: z.object({
        trigger: z.string().min(1).max(64),
        args: z
          .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
          .default({})
          .describe("The values by argument name"),
      }),
      annotations: { ...DESTRUCTIVE, openWorldHint: true },
      run: async ({ trigger, args }, context) => ({
        value: await runRegistered(ports, trigger, args, context, maxBytes),
      }),
    }),
  ];
}

/** An execution of a registered command, followed to its end (run_command, a command's tool). */
export async function runRegistered(
  ports: McpPorts,
  trigger: string,
  args: Record<string, string | number | boolean>,
  { caller, signal, progress }: Parameters<ToolDefinition["run"]>[1],
  maxBytes: number,
) {
  const commands = ports.commands(caller);
  const execution = await commands.execute(trigger, { args });
  const output = { stdout: "", stderr: "" };
  let bytes = 0;
  let truncated = false;
  const cancel = () => {
    commands.cancel(trigger, execution.id).catch(() => undefined);
  };
  signal.addEventListener("abort", cancel, { once: true });
  try {
    const ended = await commands.follow(trigger, execution.id, (chunk) => {
      void progress(`${chunk.stream}: ${chunk.data.slice(-200)}`, chunk.seq);
      if (truncated) return;
      bytes += chunk.data.length;
      if (bytes > maxBytes) {
        truncated = true;
        return;
      }
      output[chunk.stream] += chunk.data;
    });
    return { execution: ended, ...output, output_truncated: truncated };
  } finally {
    signal.removeEventListener("abort", cancel);
  }
}
