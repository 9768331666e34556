import { Bash, InMemoryFs, MountableFs } from "just-bash";
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
  maxOutputBytes: number;
  onOutput: (stream: "stdout" | "stderr", bytes: Uint8Array) => void;
}

export interface ShellResult {
  exitCode: number;
  /** What the interpreter said when it stopped the script itself (a limit), if it did. */
  limitMessage: string | null;
}

const LIMIT_MESSAGE = /too many commands|limit exceeded|execution aborted|time limit/i;

export async function runShell(run: ShellRun): Promise<ShellResult> {
  const fs = new MountableFs({ base: new InMemoryFs() });
  const workspace = new WorkspaceFs(run.host);
  fs.mount(WORKSPACE_MOUNT, workspace);
  fs.mount(SINK_MOUNT, outputSink(new InMemoryFs(), run.onOutput));
  const bash = new Bash({
    fs,
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
  });
  bash.registerTransformPlugin(streamingPlugin);
  let result: Awaited<ReturnType<Bash["exec"]>>;
  try {
    result = await bash.exec(run.script, { signal: run.signal, rawScript: true });
  } finally {
    // A file the script emptied and never wrote again is stored empty, even if it was stopped.
    await workspace.flush();
  }
  // What was not streamed (the interpreter's own last words) arrives with the result.
  const encoder = new TextEncoder();
  if (result.stdout) run.onOutput("stdout", encoder.encode(result.stdout));
  if (result.stderr) run.onOutput("stderr", encoder.encode(result.stderr));
  const lastLine = result.stderr.trim().split("\n").at(-1) ?? "";
  return {
    exitCode: result.exitCode,
    limitMessage: LIMIT_MESSAGE.test(lastLine) ? lastLine.replace(/^bash: /, "") : null,
  };
}
