import { DEFAULT_DNS_RESOLVER_URL } from "../files/doh";
import type { GuardConfig } from "../files/url-guard";

// The limits every execution runs under, read by the Worker from its bindings and handed to
// the DO with the execute call (so a deployment, or a test, sets them in one place).

export interface CommandConfig {
  /** The most one execution may take (`COMMAND_TIMEOUT_MS`); a command may ask for less. */
  timeoutMs: number;
  /** stdout and stderr together (`COMMAND_OUTPUT_MAX_BYTES`); past it the run stops, failed. */
  outputMaxBytes: number;
  /** just-bash's command and loop caps: the backstop when abort and the clock cannot act. */
  maxCommands: number;
  maxLoopIterations: number;
  /** The http type's SSRF guard: the URL import's settings. */
  guard: GuardConfig;
}

const positive = (value: string | undefined, fallback: number) => {
  const number = Number(value);
  return value && Number.isInteger(number) && number > 0 ? number : fallback;
};

export function commandConfig(env: Env): CommandConfig {
  const vars = env as unknown as Record<string, string | undefined>;
  return {
    timeoutMs: positive(vars.COMMAND_TIMEOUT_MS, 30_000),
    outputMaxBytes: positive(vars.COMMAND_OUTPUT_MAX_BYTES, 1024 * 1024),
    maxCommands: positive(vars.COMMAND_MAX_COMMANDS, 100_000),
    maxLoopIterations: positive(vars.COMMAND_MAX_LOOP_ITERATIONS, 100_000),
    guard: {
      allowHttp: env.URL_IMPORT_ALLOW_HTTP === "true",
      resolverUrl: env.DNS_RESOLVER_URL || DEFAULT_DNS_RESOLVER_URL,
    },
  };
}
