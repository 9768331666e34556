import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { LanguageModel } from "ai";
import { createWorkersAI } from "workers-ai-provider";
import { ApiError } from "../http/errors";
import { EchoModel } from "./echo-model";

// Which language model a stream talks to, chosen by configuration (wrangler.toml vars, the
// MODEL_API_KEY secret, the optional `AI` binding). A request may name a provider with `model`;
// without it the configured MODEL_PROVIDER answers. `echo` is always available (offline,
// deterministic); the others only when configured.

export const PROVIDER_NAMES = ["echo", "openai-compatible", "workers-ai"] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export interface ModelConfig {
  provider: ProviderName;
  baseUrl: string | null;
  modelName: string | null;
  apiKey: string | null;
  echoDelayMs: number;
}

const DEFAULT_WORKERS_AI_MODEL = "@cf/meta/llama-3.1-8b-instruct";

const isProvider = (value: string | undefined): value is ProviderName =>
  (PROVIDER_NAMES as readonly string[]).includes(value ?? "");

export function modelConfig(env: Env): ModelConfig {
  const delay = Number(env.ECHO_DELAY_MS);
  return {
    provider: isProvider(env.MODEL_PROVIDER) ? env.MODEL_PROVIDER : "echo",
    baseUrl: env.MODEL_BASE_URL || null,
    modelName: env.MODEL_NAME || null,
    apiKey: env.MODEL_API_KEY || null,
    echoDelayMs: Number.isFinite(delay) && delay >= 0 ? delay : 0,
  };
}

/** The model for a stream: `requested` (a provider name), or the configured default. */
export function resolveModel(
  env: Env,
  requested: string | undefined,
): { name: ProviderName; model: LanguageModel } {
  const config = modelConfig(env);
  const name = requested ?? config.provider;
  if (!isProvider(name)) {
    throw new ApiError("invalid_request", `unknown model provider '${name}'`, {
      details: [{ field: "model", message: `one of ${PROVIDER_NAMES.join(", ")}` }],
    });
  }
  switch (name) {
    case "echo":
      return { name, model: new EchoModel(config.echoDelayMs) };
    case "openai-compatible": {
      if (!config.baseUrl || !config.modelName) {
        throw notConfigured(name, "MODEL_BASE_URL and MODEL_NAME are not set");
      }
      const provider = createOpenAICompatible({
        name: "openai-compatible",
        baseURL: config.baseUrl,
        apiKey: config.apiKey ?? undefined,
      });
      return { name, model: provider.chatModel(config.modelName) };
    }
    case "workers-ai": {
      if (!env.AI) throw notConfigured(name, "the AI binding is not declared");
      const workersAi = createWorkersAI({ binding: env.AI });
      return { name, model: workersAi(config.modelName ?? DEFAULT_WORKERS_AI_MODEL) };
    }
  }
}

const notConfigured = (name: string, why: string) =>
  new ApiError("invalid_request", `model provider '${name}' is not configured: ${why}`, {
    details: [{ field: "model", message: why }],
  });
