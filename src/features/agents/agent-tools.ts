import { tool } from "ai";
import { z } from "zod";
import type { CommandConfig } from "../commands/config";
import { runScript } from "../commands/run-script";
import type { FileHost } from "../commands/workspace-fs";
import { EFFORTS, RoleNameSchema, TASK_MAX } from "./agent.schemas";

// The tools an agent has besides the file tools: `run_command`, a script on the commands'
// built-in shell (just-bash over the workspace's files, the same limits as a shell command,
// the output it answers capped), and — for a role whose template allows it — `spawn_agent`.

export const AGENT_TOOL_NAMES = ["run_command", "spawn_agent"] as const;
/** The most of stdout and stderr together that run_command answers (bytes); then it stops. */
export const RUN_COMMAND_OUTPUT_MAX = 64 * 1024;
export const RUN_COMMAND_SCRIPT_MAX = 64 * 1024;

export interface SpawnRequest {
  role: string;
  task: string;
  effort?: (typeof EFFORTS)[number];
}

export function runCommandTool(host: () => FileHost, config: CommandConfig) {
  return tool({
    description:
      "Run a bash script (a built-in shell: coreutils, grep, sed, awk, jq, pipes, redirection) " +
      "in the workspace directory; writes change the workspace's files.",
    // `command` is taken too: it is the name a model (or a client scripting one) guesses.
    inputSchema: z
      .object({
        script: z.string().min(1).max(RUN_COMMAND_SCRIPT_MAX).optional(),
        command: z.string().min(1).max(RUN_COMMAND_SCRIPT_MAX).optional(),
      })
      .refine((input) => (input.script ?? input.command) !== undefined, {
        message: "give the script to run as `script`",
        path: ["script"],
      }),
    execute: (input, { abortSignal }) =>
      runScript({
        script: (input.script ?? input.command) as string,
        host: host(),
        config,
        outputMaxBytes: RUN_COMMAND_OUTPUT_MAX,
        signal: abortSignal,
      }),
  });
}

export function spawnAgentTool(spawn: (request: SpawnRequest) => Promise<unknown>) {
  return tool({
    description:
      "Spawn a sub-agent of a role of this workspace with a task; it works in its own thread " +
      "(this call does not wait for it).",
    inputSchema: z.object({
      role: RoleNameSchema,
      task: z.string().min(1).max(TASK_MAX),
      effort: z.enum(EFFORTS).optional(),
    }),
    execute: (request) => spawn(request),
  });
}
