import { describe, expect, it } from "vitest";
import { SHELL_DEFAULTS } from "./config";
import { runShell, type ShellRun } from "./shell-runner";
import type { FileHost } from "./workspace-fs";

// runShell itself, as every caller (executions, process tasks, the agents' run_command) runs it:
// the CPU budget it keeps. The workspace here is empty and read-only.

const emptyWorkspace: FileHost = {
  row: () => null,
  children: () => [],
  allPaths: () => [],
  readObject: () => Promise.reject(new Error("no objects")),
  writeFile: () => Promise.reject(new Error("read-only")),
  mkdir: () => Promise.reject(new Error("read-only")),
  remove: () => Promise.reject(new Error("read-only")),
  move: () => Promise.reject(new Error("read-only")),
};

async function run(script: string, options: Partial<ShellRun> = {}) {
  let stdout = "";
  const decoder = new TextDecoder();
  const result = await runShell({
    script,
    env: {},
    host: emptyWorkspace,
    signal: new AbortController().signal,
    timeoutMs: 30_000,
    maxCommands: 10_000_000,
    maxLoopIterations: 10_000_000,
    pace: SHELL_DEFAULTS.pace,
    maxOutputBytes: 1024 * 1024,
    onOutput: (stream, bytes) => {
      if (stream === "stdout") stdout += decoder.decode(bytes, { stream: true });
    },
    ...options,
  });
  return { ...result, stdout };
}

describe("runShell's limits", () => {
  it("Should stop a busy loop when its CPU budget is used up, keeping the output so far", async () => {
    const started = performance.now();
    const result = await run("echo start\nwhile true; do x=$((x + 1)); done", {
      pace: { cpuBudgetMs: 200, sliceCommands: 100 },
    });
    expect(result.limitMessage).toBe("CPU budget of 200 ms used up");
    expect(result.stdout).toBe("start\n");
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
