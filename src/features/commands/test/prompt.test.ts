// biome-ignore-all lint/suspicious/noTemplateCurlyInString: command templates use ${args.x}
import { beforeAll, describe, expect, it } from "vitest";
import { api, createAccount, createWorkspace, type TestAccount } from "../../../../test/helpers";
import type { ThreadWithMessages } from "../../threads/test/thread-helpers";
import { createCommand, execute, readOutput, stdoutOf } from "./command-helpers";

// Prompt commands: the rendered body answered in a thread by the agent loop (the echo model
// here), the answer's text as the execution's stdout, the thread and message recorded.

let account: TestAccount;
beforeAll(async () => {
  account = await createAccount("prompt commands");
});

const threadOf = async (ws: string, th: string) =>
  api<ThreadWithMessages>("GET", `/v1/workspaces/${ws}/threads/${th}`, { key: account.key });

const textOf = (message: ThreadWithMessages["messages"][number] | undefined) =>
  (message?.parts ?? [])
    .filter((part) => part.type === "text")
    .map((part) => part.text)
    .join("");

describe("prompt commands", () => {
  it("answers the rendered prompt in a new thread; stdout is the answer's text", async () => {
    const ws = (await createWorkspace(account)).id;
    await createCommand(account, ws, {
      trigger: "ask",
      type: "prompt",
      body: "Summarise ${args.path} briefly",
      args: [{ name: "path", type: "string", required: true }],
    });
    const started = await execute(account, ws, "ask", { args: { path: "README.md" } });
    expect(started.status).toBe(202);
    const { chunks, end } = await readOutput(account, ws, "ask", started.body.id);
    expect(end).toMatchObject({ status: "succeeded", exit_code: 0, reason: null });
    expect(end.rendered).toBe("Summarise README.md briefly");
    // The echo model answers the user message's text, word by word: several stdout chunks.
    expect(stdoutOf(chunks)).toBe("Summarise README.md briefly");
    expect(chunks.length).toBeGreaterThan(1);
    const th = end.thread_id as string;
    expect(th).toMatch(/^th_/);
    const thread = await threadOf(ws, th);
    expect(thread.status).toBe(200);
    expect(thread.body.status).toBe("idle");
    expect(thread.body.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(textOf(thread.body.messages[0])).toBe("Summarise README.md briefly");
    expect(thread.body.messages[1]?.id).toBe(end.message_id);
    expect(textOf(thread.body.messages[1])).toBe("Summarise README.md briefly");
  });

  it("continues the given thread, with the file tools", async () => {
    const ws = (await createWorkspace(account)).id;
    const th = "th_prompted";
    await createCommand(account, ws, {
      trigger: "note",
      type: "prompt",
      body: '/tool write_file {"path":"notes/${args.name}.txt","content":"noted"}\ndone',
      args: [{ name: "name", type: "string", required: true }],
    });
    const first = await execute(account, ws, "note", { args: { name: "a" }, thread_id: th });
    const one = await readOutput(account, ws, "note", first.body.id);
    expect(one.end).toMatchObject({ status: "succeeded", thread_id: th });
    const second = await execute(account, ws, "note", { args: { name: "b" }, thread_id: th });
    const two = await readOutput(account, ws, "note", second.body.id);
    expect(two.end.status).toBe("succeeded");
    expect(stdoutOf(two.chunks)).toBe("done");
    const thread = await threadOf(ws, th);
    expect(thread.body.messages.map((m) => m.role)).toEqual([
      "user",
      "assistant",
      "user",
      "assistant",
    ]);
    for (const name of ["a", "b"]) {
      const file = await api<string>("GET", `/v1/workspaces/${ws}/files/notes/${name}.txt`, {
        key: account.key,
      });
      expect(file.status).toBe(200);
      expect(file.body).toBe("noted");
    }
  });

  it("is canceled with its stream; the partial answer is saved", async () => {
    const ws = (await createWorkspace(account)).id;
    await createCommand(account, ws, {
      trigger: "slow",
      type: "prompt",
      body: "/delay 50\n/words 400",
    });
    const started = await execute(account, ws, "slow");
    const id = started.body.id;
    // Wait for the first words, then cancel.
    for (let i = 0; i < 100; i++) {
      const now = await api<{ output_bytes: number }>(
        "GET",
        `/v1/workspaces/${ws}/commands/slow/executions/${id}`,
        { key: account.key },
      );
      if (now.body.output_bytes > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const canceled = await api<{ status: string }>(
      "DELETE",
      `/v1/workspaces/${ws}/commands/slow/executions/${id}`,
      { key: account.key },
    );
    expect(canceled.body.status).toBe("canceled");
    const { end } = await readOutput(account, ws, "slow", id);
    expect(end.status).toBe("canceled");
    const thread = await threadOf(ws, end.thread_id as string);
    expect(thread.body.status).toBe("idle");
    const answer = thread.body.messages[1];
    expect(answer?.metadata?.status).toBe("canceled");
    expect(textOf(answer).length).toBeLessThan("w1 ".length * 400);
  });

  it("refuses a thread id that is not one with 400, starting nothing", async () => {
    const ws = (await createWorkspace(account)).id;
    await createCommand(account, ws, { trigger: "bad", type: "prompt", body: "hi" });
    const started = await execute(account, ws, "bad", { thread_id: "not a thread" });
    expect(started.status).toBe(400);
    expect(JSON.stringify(started.body.error?.details)).toContain("thread_id");
    const recent = await api<{ items: unknown[] }>("GET", `/v1/workspaces/${ws}/commands/recent`, {
      key: account.key,
    });
    expect(recent.body.items).toEqual([]);
  });

  it("renders ${{ args.x }}, the process specs' form, like ${args.x}", async () => {
    const ws = (await createWorkspace(account)).id;
    await createCommand(account, ws, {
      trigger: "both",
      type: "prompt",
      body: "Tell me about ${{ args.topic }} and ${args.topic}",
      args: { topic: { required: true } },
    });
    const started = await execute(account, ws, "both", { args: ["otters"] });
    expect(started.status).toBe(202);
    const { end } = await readOutput(account, ws, "both", started.body.id);
    expect(end.rendered).toBe("Tell me about otters and otters");
    const undeclared = await api("POST", `/v1/workspaces/${ws}/commands`, {
      key: account.key,
      body: { trigger: "oops", type: "prompt", body: "About ${{ args.nope }}" },
    });
    expect(undeclared.status).toBe(400);
    expect(JSON.stringify(undeclared.body)).toContain("nope");
  });
});
