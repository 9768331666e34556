import { describe, expect, it } from "vitest";
import { env } from "../../../../test/helpers";
import { ApiError } from "../../../http/errors";
import { EchoModel } from "../../../models/echo-model";
import { parseEchoScript, wordsOf } from "../../../models/echo-script";
import { modelConfig, resolveModel } from "../../../models/providers";

// The provider choice from configuration, and the echo model's script syntax.

const withVars = (vars: Record<string, unknown>) => ({ ...env, ...vars }) as unknown as Env;

describe("resolveModel", () => {
  it("Should default to echo, with the configured delay", () => {
    const { name, model } = resolveModel(
      withVars({ MODEL_PROVIDER: "", ECHO_DELAY_MS: "7" }),
      undefined,
    );
    expect(name).toBe("echo");
    expect(model).toBeInstanceOf(EchoModel);
    expect(modelConfig(withVars({ ECHO_DELAY_MS: "7" })).echoDelayMs).toBe(7);
  });

  it("Should build the OpenAI-compatible model from the base URL, name and key", () => {
    const { name, model } = resolveModel(
      withVars({
        MODEL_PROVIDER: "openai-compatible",
        MODEL_BASE_URL: "https://llm.example/v1",
        MODEL_NAME: "my-model",
        MODEL_API_KEY: "sk-test",
      }),
      undefined,
    );
    expect(name).toBe("openai-compatible");
    expect(model).toMatchObject({ modelId: "my-model", specificationVersion: "v4" });
  });

  it("Should build Workers AI over the AI binding, and refuse it without one", () => {
    const binding = { run: async () => ({}) };
    const { model } = resolveModel(withVars({ AI: binding, MODEL_NAME: "" }), "workers-ai");
    expect(model).toMatchObject({ modelId: "@cf/meta/llama-3.1-8b-instruct" });
    expect(() => resolveModel(withVars({ AI: undefined }), "workers-ai")).toThrow(ApiError);
  });

  it("Should refuse an unconfigured OpenAI-compatible provider and an unknown name", () => {
    expect(() => resolveModel(withVars({ MODEL_BASE_URL: "" }), "openai-compatible")).toThrow(
      /not configured/,
    );
    expect(() => resolveModel(withVars({}), "gpt-9000")).toThrow(/unknown model provider/);
  });
});

describe("the echo script", () => {
  it("Should split words so that their deltas join back exactly", () => {
    expect(wordsOf("a  b\nc ")).toEqual(["a  ", "b\n", "c "]);
    expect(wordsOf("a  b\nc ").join("")).toBe("a  b\nc ");
  });

  it("Should read tool calls, delay, words and error directives", () => {
    const script = parseEchoScript(
      [
        '/tool write_file {"path":"a.txt","content":"hi"}',
        "/tool list_files",
        "/delay 15",
        "/error boom",
        "the text",
      ].join("\n"),
    );
    expect(script.toolCalls).toEqual([
      { toolName: "write_file", input: '{"path":"a.txt","content":"hi"}' },
      { toolName: "list_files", input: "{}" },
    ]);
    expect(script.delayMs).toBe(15);
    expect(script.error).toBe("boom");
    expect(script.words).toEqual(["the ", "text"]);
    expect(parseEchoScript("/words 3").words).toEqual(["w1 ", "w2 ", "w3"]);
    expect(parseEchoScript("").words).toEqual(["ok"]);
  });
});
