import { z } from "@hono/zod-openapi";
import { argsEnvironment, resolveArgs } from "../commands/args";
import type { ArgValue, HttpTemplate } from "../commands/command.schemas";
import type { CommandConfig } from "../commands/config";
import { type HttpRequestPlan, planRequest, requestOf, runHttp } from "../commands/http-runner";
import type { CommandRegistry } from "../commands/registry";
import { runShell } from "../commands/shell-runner";
import type { FileHost } from "../commands/workspace-fs";
import type { TaskKind } from "./spec";

// Running one attempt of a task whose work is done in this DO (command, http, prompt). The
// engine renders `with`, hands it here with a signal (cancel, timeout), and records what comes
// back. Output lines go to the run's log as they arrive; the outcome's output is what later
// tasks read through `${{ tasks.<id>.output… }}`.

export type Outcome =
  | { ok: true; output: unknown }
  | { ok: false; error: string; output?: unknown };

export interface RunnerContext {
  kind: TaskKind;
  with: Record<string, unknown>;
  signal: AbortSignal;
  /** An inline script's template values (see renderScript). */
  env: Record<string, string>;
  config: CommandConfig;
  registry: CommandRegistry;
  host: () => FileHost;
  log: (stream: "stdout" | "stderr", text: string) => void;
  /** Streams a prompt task's answer in a thread (see prompt-task.ts). */
  prompt: (input: Record<string, unknown>, signal: AbortSignal) => Promise<Outcome>;
}

/** Stdout kept for a task's output (all of it is in the log, up to the output cap). */
const STDOUT_KEPT = 64 * 1024;

/**
 * What a command task's `with` takes (checked at creation and again, rendered, as it runs): an
 * inline script `{run}` or a registered command `{trigger, args?}`. One object, not a union, so
 * a problem is reported at its key (a creation check lets a template stand for any value).
 */
export const CommandWithSchema = z
  .object({
    run: z.string().min(1).max(100_000).optional(),
    trigger: z.string().min(1).max(128).optional(),
    args: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    if ((input.run === undefined) === (input.trigger === undefined)) {
      ctx.addIssue({
        code: "custom",
        message: "give one of `run` (an inline script) and `trigger` (a registered command)",
      });
    } else if (input.run !== undefined && input.args !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["args"],
        message: "`args` go with `trigger`; an inline script reads templates instead",
      });
    }
  });
export const COMMAND_TAKES =
  "`{run}` (an inline script; `command` is an alias of `run`) or `{trigger, args?}` (a registered command)";

export const HttpWithSchema = z
  .object({
    url: z.string().min(1).max(2048),
    method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]).default("GET"),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/), z.string()).default({}),
    body: z.unknown().optional(),
  })
  .strict();
export const HTTP_TAKES = "`{url, method?, headers?, body?}`";

/** The last JSON value the text printed: its last non-empty line, or all of it. */
export function lastJson(text: string): unknown {
  const lines = text.trim().split("\n");
  for (const candidate of [lines.at(-1) ?? "", text]) {
    try {
      if (candidate.trim()) return JSON.parse(candidate);
    } catch {
      // not JSON
    }
  }
  return null;
}

function collector(context: RunnerContext) {
  const decoder = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  let stdout = "";
  let bytes = 0;
  return {
    onOutput(stream: "stdout" | "stderr", chunk: Uint8Array) {
      bytes += chunk.byteLength;
      if (bytes > context.config.outputMaxBytes) return;
      const text = decoder[stream].decode(chunk, { stream: true });
      if (stream === "stdout" && stdout.length < STDOUT_KEPT) stdout += text;
      if (text) context.log(stream, text);
    },
    stdout: () => stdout.slice(0, STDOUT_KEPT),
  };
}

export async function runTask(context: RunnerContext): Promise<Outcome> {
  switch (context.kind) {
    case "command":
      return runCommandTask(context);
    case "http":
      return runHttpTask(context);
    case "prompt":
      return context.prompt(context.with, context.signal);
    default:
      return { ok: false, error: `a ${context.kind} task does not run code` };
  }
}

async function runCommandTask(context: RunnerContext): Promise<Outcome> {
  const parsed = CommandWithSchema.safeParse(context.with);
  if (!parsed.success) return { ok: false, error: `a command task takes ${COMMAND_TAKES}` };
  let script: string;
  let env: Record<string, string> = {};
  if (parsed.data.run !== undefined) {
    script = parsed.data.run;
    env = context.env;
  } else {
    const trigger = parsed.data.trigger as string;
    const command = context.registry.find(trigger);
    if (!command) return { ok: false, error: `no command '${trigger}'` };
    if (command.type === "http") {
      // The command's own template, its arguments rendered in as an execution of it would.
      try {
        const args = resolveArgs(command.args, parsed.data.args ?? {});
        return await sendRequest(planRequest(command.body as HttpTemplate, args), context);
      } catch (error) {
        return { ok: false, error: (error as Error).message };
      }
    }
    if (command.type !== "shell") {
      return {
        ok: false,
        error: `command '${command.trigger}' is a ${command.type} command; only shell and http ones run as tasks`,
      };
    }
    let args: Record<string, ArgValue>;
    try {
      args = resolveArgs(command.args, parsed.data.args ?? {});
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
    script = command.body as string;
    env = argsEnvironment(command.args, args);
  }
  const output = collector(context);
  const result = await runShell({
    script,
    env,
    host: context.host(),
    signal: context.signal,
    timeoutMs: context.config.timeoutMs,
    maxCommands: context.config.maxCommands,
    maxLoopIterations: context.config.maxLoopIterations,
    pace: context.config.pace,
    maxOutputBytes: context.config.outputMaxBytes,
    onOutput: output.onOutput,
  });
  const stdout = output.stdout();
  const value = { stdout, exit_code: result.exitCode, json: lastJson(stdout) };
  if (result.limitMessage) return { ok: false, error: result.limitMessage, output: value };
  if (result.exitCode !== 0) {
    return { ok: false, error: `exited with ${result.exitCode}`, output: value };
  }
  return { ok: true, output: value };
}

async function runHttpTask(context: RunnerContext): Promise<Outcome> {
  const parsed = HttpWithSchema.safeParse(context.with);
  if (!parsed.success) return { ok: false, error: `an http task takes ${HTTP_TAKES}` };
  let plan: HttpRequestPlan;
  try {
    plan = requestOf(parsed.data as HttpTemplate);
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
  return sendRequest(plan, context);
}

/** Sends the request under the SSRF guard; its output is `{status, body, json}`, 2xx a success. */
async function sendRequest(plan: HttpRequestPlan, context: RunnerContext): Promise<Outcome> {
  const output = collector(context);
  const outcome = await runHttp(plan, context.config.guard, context.signal, output.onOutput);
  if (outcome.refused) return { ok: false, error: outcome.refused };
  const stdout = output.stdout();
  const value = { status: outcome.status, body: stdout, json: lastJson(stdout) };
  if (outcome.status < 200 || outcome.status >= 300) {
    return { ok: false, error: `the endpoint answered ${outcome.status}`, output: value };
  }
  return { ok: true, output: value };
}
