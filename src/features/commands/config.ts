import { DEFAULT_DNS_RESOLVER_URL } from "../files/doh";
import type { GuardConfig } from "../files/url-guard";
import type { PaceLimits } from "./shell-pacer";

// The limits every execution runs under, read by the Worker from its bindings and handed to
// the DO with the execute call (so a deployment, or a test, sets them in one place).

export interface CommandConfig {
  /** The most one execution may take (`COMMAND_TIMEOUT_MS`); a command may ask for less. */
  timeoutMs: number;
  /** stdout and stderr together (`COMMAND_OUTPUT_MAX_BYTES`); past it the run stops, failed. */
  outputMaxBytes: number;
  /**
   * just-bash's caps (`COMMAND_MAX_COMMANDS`, `COMMAND_MAX_LOOP_ITERATIONS`): what bounds a busy
   * loop where the clock does not advance during CPU work (production).
   */
  maxCommands: number;
  maxLoopIterations: number;
  /** The shell's CPU budget and its yields (`COMMAND_CPU_BUDGET_MS`, `COMMAND_SLICE_COMMANDS`). */
  pace: PaceLimits;
  /** The http type's SSRF guard: the URL import's settings. */
  guard: GuardConfig;
}

/** The limits a shell runs under when its caller names none (`COMMAND_*` unset or invalid). */
export const SHELL_DEFAULTS = {
  maxCommands: 100_000,
  maxLoopIterations: 100_000,
  pace: { cpuBudgetMs: 10_000, sliceCommands: 100 } satisfies PaceLimits,
};

const positive = (value: string | undefined, fallback: number) => {
  const number = Number(value);
  return value && Number.isInteger(number) && number > 0 ? number : fallback;
};

export function commandConfig(env: Env): CommandConfig {
  const vars = env as unknown as Record<string, string | undefined>;
  return {
    timeoutMs: positive(vars.COMMAND_TIMEOUT_MS, 30_000),
    outputMaxBytes: positive(vars.COMMAND_OUTPUT_MAX_BYTES, 1024 * 1024),
    maxCommands: positive(vars.COMMAND_MAX_COMMANDS, SHELL_DEFAULTS.maxCommands),
    maxLoopIterations: positive(vars.COMMAND_MAX_LOOP_ITERATIONS, SHELL_DEFAULTS.maxLoopIterations),
    pace: {
      cpuBudgetMs: positive(vars.COMMAND_CPU_BUDGET_MS, SHELL_DEFAULTS.pace.cpuBudgetMs),
      sliceCommands: positive(vars.COMMAND_SLICE_COMMANDS, SHELL_DEFAULTS.pace.sliceCommands),
    },
    guard: {
      allowHttp: env.URL_IMPORT_ALLOW_HTTP === "true",
      resolverUrl: env.DNS_RESOLVER_URL || DEFAULT_DNS_RESOLVER_URL,
    },
  };
}
