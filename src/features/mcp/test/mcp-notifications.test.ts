import {
  PromptListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createAccount, createWorkspace, type TestAccount } from "../../../../test/helpers";
import { callOk, connectClient } from "./mcp-helpers";

// What the server tells a session unasked: progress of a long call (for a progressToken), the
// tool and prompt lists changing with the registry, and prompt commands as MCP prompts.

let account: TestAccount;
let ws: string;

beforeAll(async () => {
  account = await createAccount();
  ws = (await createWorkspace(account)).id;
});

describe("MCP notifications and prompts", () => {
  it("Should send progress while a long call runs, when the client asks for it", async () => {
    const { client } = await connectClient(account.key, ws);
    const progress: { progress: number; message?: string }[] = [];
    const result = await client.callTool(
      { name: "send_message", arguments: { thread_id: "th_progress", text: "/words 30" } },
      undefined,
      { onprogress: (update) => progress.push(update) },
    );
    expect(result.isError).toBeFalsy();
    expect(progress.length).toBeGreaterThan(0);
    // The progress value only grows, as the specification requires.
    const values = progress.map((update) => update.progress);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(new Set(values).size).toBe(values.length);
    const streamed = progress.map((update) => update.message ?? "").join("");
    expect(streamed).toBe((result.structuredContent as { text: string }).text);
  });

  it("Should tell a session when the registry's tools and prompts change", async () => {
    const { client } = await connectClient(account.key, ws);
    const heard = { tools: 0, prompts: 0 };
    const both = new Promise<void>((resolve) => {
      const check = () => heard.tools > 0 && heard.prompts > 0 && resolve();
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        heard.tools++;
        check();
      });
      client.setNotificationHandler(PromptListChangedNotificationSchema, () => {
        heard.prompts++;
        check();
      });
    });
    // A request first: the session's GET stream is open once the client has used it.
    await client.listTools();
    const created = await api("POST", `/v1/workspaces/${ws}/commands`, {
      key: account.key,
      body: { trigger: "hello", type: "shell", body: "echo hello" },
    });
    expect(created.status).toBe(201);
    await both;
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain("hello");
  });

  it("Should serve prompt commands as MCP prompts, their arguments read as declared", async () => {
    const created = await api("POST", `/v1/workspaces/${ws}/commands`, {
      key: account.key,
      body: {
        trigger: "review",
        type: "prompt",
        description: "Review a file",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the command template syntax
        body: "Review ${args.path} at depth ${args.depth}",
        args: [
          { name: "path", required: true },
          { name: "depth", type: "number", default: 1 },
        ],
      },
    });
    expect(created.status).toBe(201);
    const { client } = await connectClient(account.key, ws);
    const { prompts } = await client.listPrompts();
    const review = prompts.find((prompt) => prompt.name === "review");
    expect(review).toMatchObject({
      description: "Review a file",
      arguments: [
        { name: "path", required: true },
        { name: "depth", required: false },
      ],
    });
    const got = await client.getPrompt({ name: "review", arguments: { path: "a.ts", depth: "3" } });
    expect(got.messages).toEqual([
      { role: "user", content: { type: "text", text: "Review a.ts at depth 3" } },
    ]);
    await expect(client.getPrompt({ name: "review", arguments: {} })).rejects.toThrow(/path/);
    await expect(client.getPrompt({ name: "nope", arguments: {} })).rejects.toThrow(/not_found/);
    // A shell command is a tool, not a prompt.
    expect(prompts.map((prompt) => prompt.name)).not.toContain("hello");
    await callOk(client, "list_directory");
  });

  it("Should stop a running tool when the client cancels the call", async () => {
    const { client } = await connectClient(account.key, ws);
    const controller = new AbortController();
    const call = client.callTool(
      {
        name: "run_shell",
        arguments: { script: 'i=0; while true; do i=$((i+1)); echo "$i" > tick.txt; done' },
      },
      undefined,
      { signal: controller.signal },
    );
    const tick = async () =>
      (await api<string>("GET", `/v1/workspaces/${ws}/files/tick.txt`, { key: account.key })).body;
    // Wait until the loop is writing, then cancel (notifications/cancelled).
    for (let tries = 0; tries < 100 && typeof (await tick()) !== "string"; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    controller.abort("enough");
    await expect(call).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopped = await tick();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await tick()).toBe(stopped);
  });
});
