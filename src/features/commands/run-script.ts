import type { CommandConfig } from "./config";
import { runShell } from "./shell-runner";
import type { FileHost } from "./workspace-fs";

// A script on the built-in shell for a tool (an agent's run_command, MCP's run_shell): the
// commands' limits, a time limit of its own, stdout and stderr collected as text up to a cap
// (past it the script is stopped and the answer says `truncated`), cancellable.

export interface ScriptRun {
  script: string;
  host: FileHost;
  config: CommandConfig;
  /** At most COMMAND_TIMEOUT_MS; a caller may ask for less. */
  timeoutMs?: number;
  outputMaxBytes: number;
  signal?: AbortSignal;
  /** Each chunk of output as it comes (already counted against the cap). */
  onOutput?: (stream: "stdout" | "stderr", text: string) => void;
}

export interface ScriptResult {
  exit_code: number;
  stdout: string;
  stderr: string;
  truncated: boolean;
  timed_out?: true;
  canceled?: true;
  /** The shell's own limit that stopped the script (commands, loop iterations, CPU budget). */
  limit?: string;
}

export async function runScript(run: ScriptRun): Promise<ScriptResult> {
  const { config } = run;
  const timeoutMs = Math.min(run.timeoutMs ?? config.timeoutMs, config.timeoutMs);
  const controller = new AbortController();
  const stop = (reason: string) => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  if (run.signal?.aborted) stop("canceled");
  run.signal?.addEventListener("abort", () => stop("canceled"), { once: true });
  const timer = setTimeout(() => stop("timeout"), timeoutMs);
  const decoder = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const out = { stdout: "", stderr: "" };
  let bytes = 0;
  let truncated = false;
  try {
    const result = await runShell({
      script: run.script,
      env: {},
      host: run.host,
      signal: controller.signal,
      timeoutMs,
      maxCommands: config.maxCommands,
      maxLoopIterations: config.maxLoopIterations,
      pace: config.pace,
      maxOutputBytes: run.outputMaxBytes,
      onOutput: (stream, chunk) => {
        if (truncated) return;
        const room = run.outputMaxBytes - bytes;
        const kept = chunk.byteLength > room ? chunk.subarray(0, room) : chunk;
        bytes += kept.byteLength;
        const text = decoder[stream].decode(kept, { stream: true });
        out[stream] += text;
        if (text) run.onOutput?.(stream, text);
        if (kept.byteLength < chunk.byteLength) {
          truncated = true;
          stop("output");
        }
      },
    });
    const stopped = controller.signal.aborted ? String(controller.signal.reason) : null;
    return {
      exit_code: result.exitCode,
      stdout: out.stdout,
      stderr: out.stderr,
      truncated,
      ...(stopped === "timeout" ? { timed_out: true as const } : {}),
      ...(stopped === "canceled" ? { canceled: true as const } : {}),
      ...(result.limitMessage ? { limit: result.limitMessage } : {}),
    };
  } finally {
    clearTimeout(timer);
  }
}
