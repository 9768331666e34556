import { Bash, InMemoryFs, MountableFs } from "just-bash";
import { type PaceLimits, pacedFs, pacedHost, ShellPacer } from "./shell-pacer";
import { outputSink, SINK_MOUNT, streamingPlugin } from "./stream-plugin";
import { type FileHost, WorkspaceFs } from "./workspace-fs";

// A shell command: its body run by just-bash (a bash interpreter in JavaScript, no process)
// with the workspace's files mounted at /workspace, the working directory. Everything outside
// /workspace (/tmp, /home) is a scratch in-memory filesystem that ends with the run. Arguments
// arrive as variables in the environment, never as script text.

export const WORKSPACE_MOUNT = "/workspace";

export interface ShellRun {
  script: string;
  env: Record<string, string>;
  host: FileHost;
  signal: AbortSignal;
  timeoutMs: number;
  maxCommands: number;
  maxLoopIterations: number;
  /**
   * The CPU budget and how often the shell yields: required, so no caller (a command, an
   * agent's run_command, a process task) runs a script on other limits than COMMAND_*.
   */
  pace: PaceLimits;
  maxOutputBytes: number;
  onOutput: (stream: "stdout" | "stderr", bytes: Uint8Array) => void;
}

export interface ShellResult {
  exitCode: number;
  /** What the interpreter said when it stopped the script itself (a limit), if it did. */
  limitMessage: string | null;
}

const LIMIT_MESSAGE =
  /too many (commands|iterations)|limit exceeded|size exceeded|execution aborted|time limit/i;

/** The interpreter's words for its caps, said as the limit they are. */
function limitReason(lastLine: string): string {
  const line = lastLine.replace(/^bash: /, "");
  const commands = /too many commands executed \(>(\d+)\)/.exec(line);
  if (commands) return `command limit of ${commands[1]} commands reached`;
  const loop = /(\w+) loop: too many iterations \((\d+)\)/.exec(line);
  if (loop) return `loop limit of ${loop[2]} iterations reached (a ${loop[1]} loop)`;
  const inCommand = /^(\w+): iteration limit exceeded \((\d+)\)/.exec(line);
  if (inCommand) return `loop limit of ${inCommand[2]} iterations reached (in ${inCommand[1]})`;
  // Everything the script printed, captured output included: more than the execution may keep.
  const output = /total output size exceeded \(>(\d+) bytes\)/.exec(line);
  if (output) return `output limit of ${output[1]} bytes reached, captured output included`;
  return line;
}

export async function runShell(run: ShellRun): Promise<ShellResult> {
  const limits = run.pace;
  // The caller's signal stops the run; so does the budget, from inside the interpreter's turn:
  // it reads the signal before every statement.
  const controller = new AbortController();
  const overBudget = Symbol("cpu budget");
  const stop = (reason: unknown) => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const forward = () => stop(run.signal.reason);
  if (run.signal.aborted) forward();
  run.signal.addEventListener("abort", forward, { once: true });
  const pacer = new ShellPacer(limits, () => stop(overBudget));
  const fs = new MountableFs({ base: new InMemoryFs() });
  const workspace = new WorkspaceFs(pacedHost(run.host, pacer));
  fs.mount(WORKSPACE_MOUNT, workspace);
  fs.mount(SINK_MOUNT, outputSink(new InMemoryFs(), run.onOutput));
  const bash = new Bash({
    fs: pacedFs(fs, pacer),
    cwd: WORKSPACE_MOUNT,
    env: { HOME: WORKSPACE_MOUNT, ...run.env },
    executionLimits: {
      maxCommandCount: run.maxCommands,
      maxLoopIterations: run.maxLoopIterations,
      maxAwkIterations: run.maxLoopIterations,
      maxSedIterations: run.maxLoopIterations,
      maxJqIterations: run.maxLoopIterations,
      // Date.now() does not advance during CPU work in a Worker: the caps above end a busy
      // loop; the runner's timer ends one that waits, and this (a little later, so the timer
      // speaks first and the run is called timed_out) is the interpreter's own backstop.
      maxExecutionTimeMs: run.timeoutMs + 1_000,
      maxOutputSize: Math.max(run.maxOutputBytes * 2, 1024 * 1024),
    },
    // Its safeguards patch globals (setTimeout, Function…) while a script runs, and the DO
    // serves other requests meanwhile; the interpreter runs no JavaScript of the script's.
    defenseInDepth: false,
    // Not for coverage: `hit` is the one hook the interpreter calls for every command it runs,
    // so the pacer counts commands and checks the budget there.
    coverage: {
      hit: (feature) => {
        if (feature.startsWith("bash:cmd:")) pacer.command();
      },
    },
  });
  bash.registerTransformPlugin(streamingPlugin);
  let result: Awaited<ReturnType<Bash["exec"]>>;
  try {
    result = await bash.exec(run.script, { signal: controller.signal, rawScript: true });
  } finally {
    run.signal.removeEventListener("abort", forward);
    // A file the script emptied and never wrote again is stored empty, even if it was stopped.
    await workspace.flush();
  }
  // What was not streamed (the interpreter's own last words) arrives with the result.
  const encoder = new TextEncoder();
  if (result.stdout) run.onOutput("stdout", encoder.encode(result.stdout));
  if (result.stderr) run.onOutput("stderr", encoder.encode(result.stderr));
  if (controller.signal.reason === overBudget) {
    return {
      exitCode: result.exitCode,
      limitMessage: `CPU budget of ${limits.cpuBudgetMs} ms used up`,
    };
  }
  const lastLine = result.stderr.trim().split("\n").at(-1) ?? "";
  return {
    exitCode: result.exitCode,
    limitMessage: LIMIT_MESSAGE.test(lastLine) ? limitReason(lastLine) : null,
  };
}
