import { generateId } from "ai";
import { beforeAll, describe, expect, it } from "vitest";
import { createAccount, createWorkspace, type TestAccount } from "../../../../test/helpers";
import {
  assemble,
  chatTransport,
  chunksStream,
  endsWithDone,
  framesOf,
  partsOf,
  postStream,
  userMessage,
} from "./stream-helpers";
import { threads } from "./thread-helpers";

let account: TestAccount;
let ws: string;

beforeAll(async () => {
  account = await createAccount("stream");
  ws = (await createWorkspace(account)).id;
});

describe("POST …/threads/stream", () => {
  it("Should stream the echo answer as the AI SDK's UI message stream and store it", async () => {
    const response = await postStream(account, ws, {
      message: { role: "user", content: "hello there world" },
    });
    expect(response.headers.get("x-vercel-ai-ui-message-stream")).toBe("v1");
    const th = response.headers.get("x-thread-id") as string;
    const frames = await framesOf(response);
    console.log(frames.map((f) => `${f.id} ${f.data}`).join("\n"));
    expect(endsWithDone(frames)).toBe(true);
    const parts = partsOf(frames);
    expect(parts.map((p) => p.seq)).toEqual(parts.map((_, i) => i + 1));
    const built = await assemble(chunksStream(parts.map((p) => p.chunk)));
    const stored = await threads(account).get(ws, th);
    console.log(JSON.stringify(stored.body, null, 1));
    expect(stored.body.messages.at(-1)?.parts).toEqual(built?.parts);
  });

  it("Should work through DefaultChatTransport", async () => {
    const transport = chatTransport(account, ws);
    const th = `th_chat_${Date.now()}`;
    const stream = await transport.sendMessages({
      chatId: th,
      messages: [userMessage("hi from the transport")],
      trigger: "submit-message",
      messageId: undefined,
      abortSignal: undefined,
    });
    const built = await assemble(stream);
    const stored = await threads(account).get(ws, th);
    expect(stored.body.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(stored.body.messages[1]?.parts).toEqual(built?.parts);
    expect(stored.body.messages[1]?.id).toBe(built?.id);
  });

  it("Should take useChat's own chat id (generateId(), no prefix) as thread th_<id>, reattach included", async () => {
    const transport = chatTransport(account, ws);
    // What useChat sends unchanged: its generated chat id and message id, DefaultChatTransport's body.
    const chatId = generateId();
    const stream = await transport.sendMessages({
      chatId,
      messages: [userMessage("hi from useChat", generateId())],
      trigger: "submit-message",
      messageId: undefined,
      abortSignal: undefined,
    });
    const built = await assemble(stream);
    const stored = await threads(account).get(ws, `th_${chatId}`);
    expect(stored.status).toBe(200);
    expect(stored.body.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(stored.body.messages[1]?.parts).toEqual(built?.parts);
    // The SDK's reconnect names the chat id too: finished, so nothing to follow (204).
    expect(await transport.reconnectToStream({ chatId })).toBeNull();
  });

  it("Should word a body that fails validation as an invalid request body, not invalid JSON", async () => {
    const response = await postStream(account, ws, {
      id: "not a chat id!",
      messages: [userMessage("hi")],
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.message).toMatch(/^invalid request body: /);
    expect(body.error.message).not.toMatch(/json/i);
  });
});
