import { ApiError } from "../../http/errors";
import { argsEnvironment, renderTemplate, shellScript } from "./args";
import type { Command, Execution, HttpTemplate } from "./command.schemas";
import type { CommandConfig } from "./config";
import type { Ending, ExecutionStore } from "./executions";
import { planRequest, runHttp } from "./http-runner";
import { OutputRecorder } from "./output-recorder";
import { runShell } from "./shell-runner";
import type { FileHost } from "./workspace-fs";

// One execution from start to end: its time limit (a timer that aborts, acting at the script's
// next yield), its output cap (the recorder aborts past it), and cancellation, all through one
// AbortController whose reason says which it was; then the ending that reason implies.

export interface RunInput {
  command: Command;
  execution: Execution;
  config: CommandConfig;
  /** Aborted with "canceled" by DELETE …/executions/{id}. */
  signal: AbortSignal;
  store: ExecutionStore;
  host: () => FileHost;
  prompt: PromptRunner;
}

/** A prompt command's run as an AI response in a thread (the DO's ThreadStreams). */
export interface PromptRun {
  /** The execution's `thread_id`, or null for a new thread. */
  threadId: string | null;
  text: string;
  /** Aborted on cancel, time limit or output cap: the stream is cancelled. */
  signal: AbortSignal;
  /** Each piece of the answer's text as the model produces it. */
  onText(text: string): void;
  /** The stream has started: its thread and answer message. */
  onStarted(threadId: string, messageId: string): void;
}

/** Runs the prompt; resolves with the stream's final status (completed, canceled, error…). */
export type PromptRunner = (run: PromptRun) => Promise<string>;

export async function runExecution(input: RunInput): Promise<Ending> {
  const { command, config, execution, store } = input;
  const timeoutMs = Math.min(command.timeout_ms ?? config.timeoutMs, config.timeoutMs);
  const controller = new AbortController();
  const stop = (reason: string) => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  input.signal.addEventListener("abort", () => stop("canceled"), { once: true });
  const startedAt = Date.now();
  const timer = setTimeout(() => stop("timeout"), timeoutMs);
  const recorder = new OutputRecorder(
    config.outputMaxBytes,
    (stream, text, bytes) => store.append(execution.id, stream, text, bytes),
    () => {
      store.markTruncated(execution.id);
      stop("output");
    },
  );
  const onOutput = (stream: "stdout" | "stderr", bytes: Uint8Array) =>
    recorder.write(stream, bytes);
  let ending: Ending;
  try {
    ending = await runByType(input, controller.signal, timeoutMs, onOutput);
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    ending = { status: "failed", exitCode: null, reason: "stopped" };
  } finally {
    clearTimeout(timer);
  }
  // Past the limit but not stopped by the timer (the interpreter's backstop ended it first).
  if (
    !controller.signal.aborted &&
    Date.now() - startedAt >= timeoutMs &&
    ending.status !== "succeeded"
  ) {
    stop("timeout");
  }
  return stoppedEnding(controller.signal, ending, timeoutMs, config.outputMaxBytes);
}

/** A stop overrides what the runner reported: it explains why the run ended. */
function stoppedEnding(
  signal: AbortSignal,
  ending: Ending,
  timeoutMs: number,
  outputMax: number,
): Ending {
  if (!signal.aborted) return ending;
  switch (signal.reason) {
    case "canceled":
      return { ...ending, status: "canceled", reason: "canceled by request" };
    case "timeout":
      return { ...ending, status: "timed_out", reason: `time limit of ${timeoutMs} ms reached` };
    case "output":
      return { ...ending, status: "failed", reason: `output exceeded ${outputMax} bytes` };
    default:
      return ending;
  }
}

async function runByType(
  input: RunInput,
  signal: AbortSignal,
  timeoutMs: number,
  onOutput: (stream: "stdout" | "stderr", bytes: Uint8Array) => void,
): Promise<Ending> {
  const { command, execution, config } = input;
  switch (command.type) {
    case "shell": {
      const result = await runShell({
        script: shellScript(command.body as string),
        env: argsEnvironment(command.args, execution.args),
        host: input.host(),
        signal,
        timeoutMs,
        maxCommands: config.maxCommands,
        maxLoopIterations: config.maxLoopIterations,
        pace: config.pace,
        maxOutputBytes: config.outputMaxBytes,
        onOutput,
      });
      if (result.limitMessage) {
        return { status: "failed", exitCode: result.exitCode, reason: result.limitMessage };
      }
      return result.exitCode === 0
        ? { status: "succeeded", exitCode: 0, reason: null }
        : { status: "failed", exitCode: result.exitCode, reason: `exited with ${result.exitCode}` };
    }
    case "http": {
      let plan: ReturnType<typeof planRequest>;
      try {
        plan = planRequest(command.body as HttpTemplate, execution.args);
      } catch (error) {
        return { status: "failed", exitCode: null, reason: (error as Error).message };
      }
      input.store.setRendered(execution.id, `${plan.method} ${plan.url}`);
      const outcome = await runHttp(plan, config.guard, signal, onOutput);
      if (outcome.refused) return { status: "failed", exitCode: null, reason: outcome.refused };
      const ok = outcome.status >= 200 && outcome.status < 300;
      return {
        status: ok ? "succeeded" : "failed",
        exitCode: ok ? 0 : 1,
        httpStatus: outcome.status,
        reason: ok ? null : `the endpoint answered ${outcome.status}`,
      };
    }
    case "prompt":
      return runPrompt(input, signal, onOutput);
  }
}

/**
 * A prompt: the rendered body is the user message of a new turn in the thread, answered by the
 * agent loop (the same entry as POST …/threads/stream); the answer's text is the stdout.
 */
async function runPrompt(
  input: RunInput,
  signal: AbortSignal,
  onOutput: (stream: "stdout" | "stderr", bytes: Uint8Array) => void,
): Promise<Ending> {
  const { execution, store } = input;
  const rendered = renderTemplate(input.command.body as string, execution.args);
  store.setRendered(execution.id, rendered);
  const encoder = new TextEncoder();
  let status: string;
  try {
    status = await input.prompt({
      threadId: execution.thread_id,
      text: rendered,
      signal,
      onText: (text) => onOutput("stdout", encoder.encode(text)),
      onStarted: (threadId, messageId) => store.setThread(execution.id, threadId, messageId),
    });
  } catch (error) {
    // Refused before it started (a bad thread id, a thread already streaming, no model).
    if (error instanceof ApiError)
      return { status: "failed", exitCode: null, reason: error.message };
    throw error;
  }
  switch (status) {
    case "completed":
      return { status: "succeeded", exitCode: 0, reason: null };
    case "canceled":
      return { status: "canceled", exitCode: null, reason: "the thread stream was canceled" };
    default:
      return { status: "failed", exitCode: 1, reason: `the thread stream ended ${status}` };
  }
}
