import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createAccount, createWorkspace, type TestAccount } from "../../../../test/helpers";
import { callOk, connectClient, textOf } from "./mcp-helpers";

// Every built-in tool through the official SDK client, doing what its REST route does: the same
// files (read back over REST), the same validation and errors (as tool errors), the same events.

const BUILT_IN = [
  "list_directory",
  "read_file",
  "write_file",
  "edit_file",
  "move_path",
  "delete_path",
  "search_paths",
  "run_shell",
  "run_command",
  "list_threads",
  "read_thread",
  "send_message",
  "start_process_run",
  "get_process_run",
  "approve_process_run",
  "spawn_agent",
  "list_agents",
];

let account: TestAccount;
let ws: string;
let client: Client;

beforeAll(async () => {
  account = await createAccount();
  ws = (await createWorkspace(account)).id;
  ({ client } = await connectClient(account.key, ws));
});

const fileOverRest = async (path: string) =>
  api<string>("GET", `/v1/workspaces/${ws}/files/${path}`, { key: account.key });

describe("MCP tools", () => {
  it("Should list every built-in tool with an object input schema and truthful annotations", async () => {
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(BUILT_IN));
    for (const tool of tools) expect(tool.inputSchema.type).toBe("object");
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    expect(byName.get("read_file")?.annotations).toMatchObject({ readOnlyHint: true });
    expect(byName.get("delete_path")?.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
    });
    expect(byName.get("edit_file")?.inputSchema.required).toEqual(
      expect.arrayContaining(["path", "old_string", "new_string"]),
    );
  });

  it("Should write, read, edit, list, search, move and delete files as the REST API sees them", async () => {
    const written = await callOk(client, "write_file", {
      path: "src/a.txt",
      content: "one two one",
    });
    expect(written).toMatchObject({ path: "src/a.txt", size: 11, created: true });
    expect((await fileOverRest("src/a.txt")).body).toBe("one two one");

    const read = await callOk(client, "read_file", { path: "src/a.txt" });
    expect(read).toMatchObject({ content: "one two one", truncated: false });

    const twice = (await client.callTool({
      name: "edit_file",
      arguments: { path: "src/a.txt", old_string: "one", new_string: "1" },
    })) as CallToolResult;
    expect(twice.isError).toBe(true);
    expect(textOf(twice)).toMatch(/^unprocessable: .*occurs 2 times/);
    const absent = (await client.callTool({
      name: "edit_file",
      arguments: { path: "src/a.txt", old_string: "three", new_string: "3" },
    })) as CallToolResult;
    expect(textOf(absent)).toMatch(/^unprocessable: old_string was not found/);
    expect(
      await callOk(client, "edit_file", {
        path: "src/a.txt",
        old_string: "one",
        new_string: "1",
        replace_all: true,
      }),
    ).toMatchObject({ replacements: 2 });
    await callOk(client, "edit_file", { path: "src/a.txt", old_string: "two", new_string: "2" });
    expect((await fileOverRest("src/a.txt")).body).toBe("1 2 1");

    const listed = await callOk<{ entries: { path: string }[] }>(client, "list_directory", {
      path: "src",
    });
    expect(listed.entries.map((entry) => entry.path)).toEqual(["src/a.txt"]);
    const found = await callOk<{ paths: string[] }>(client, "search_paths", { glob: "**/*.txt" });
    expect(found.paths).toEqual(["src/a.txt"]);

    await callOk(client, "move_path", { from: "src/a.txt", to: "docs/b.txt" });
    expect((await fileOverRest("docs/b.txt")).body).toBe("1 2 1");
    expect((await fileOverRest("src/a.txt")).status).toBe(404);
    await callOk(client, "delete_path", { path: "docs/b.txt" });
    expect((await fileOverRest("docs/b.txt")).status).toBe(404);

    const events = await api<{ items: { type: string }[] }>(
      "GET",
      `/v1/workspaces/${ws}/lifecycle-events?limit=100`,
      { key: account.key },
    );
    expect(events.status).toBe(200);
  });

  it("Should answer bytes as an embedded resource and take content_base64", async () => {
    const bytes = [0, 1, 2, 255];
    await callOk(client, "write_file", {
      path: "bin/x.bin",
      content_base64: btoa(String.fromCharCode(...bytes)),
    });
    const result = (await client.callTool({
      name: "read_file",
      arguments: { path: "bin/x.bin" },
    })) as CallToolResult;
    const embedded = result.content.find((block) => block.type === "resource");
    expect(embedded).toMatchObject({
      resource: {
        uri: `workspace://${ws}/files/bin/x.bin`,
        blob: btoa(String.fromCharCode(...bytes)),
      },
    });
  });

  it("Should refuse bad input and failed operations as tool errors with the API's code", async () => {
    const missing = (await client.callTool({
      name: "read_file",
      arguments: { path: "nope.txt" },
    })) as CallToolResult;
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/^not_found: /);
    const invalid = (await client.callTool({
      name: "write_file",
      arguments: { path: "x.txt" },
    })) as CallToolResult;
    expect(invalid.isError).toBe(true);
    expect(textOf(invalid)).toMatch(/^invalid_request: .*content/);
    await expect(client.callTool({ name: "no_such_tool", arguments: {} })).rejects.toThrow(
      /Unknown tool/,
    );
  });

  it("Should run a script on the built-in shell, its writes in the workspace's files", async () => {
    const result = await callOk(client, "run_shell", {
      script: "mkdir -p out && echo hello > out/h.txt && cat out/h.txt && echo oops >&2 && exit 3",
    });
    expect(result).toMatchObject({ exit_code: 3, stdout: "hello\n", stderr: "oops\n" });
    expect((await fileOverRest("out/h.txt")).body).toBe("hello\n");
  });

  it("Should run registered commands by trigger and as tools of their own, listed as they change", async () => {
    const created = await api("POST", `/v1/workspaces/${ws}/commands`, {
      key: account.key,
      body: {
        trigger: "greet",
        type: "shell",
        body: 'echo "hi $who"',
        args: [{ name: "who", required: true }],
      },
    });
    expect(created.status).toBe(201);
    const viaRun = await callOk<{ execution: { status: string }; stdout: string }>(
      client,
      "run_command",
      { trigger: "greet", args: { who: "ann" } },
    );
    expect(viaRun).toMatchObject({ execution: { status: "succeeded" }, stdout: "hi ann\n" });
    const { tools } = await client.listTools();
    const greet = tools.find((tool) => tool.name === "greet");
    expect(greet?.inputSchema.required).toEqual(["who"]);
    expect(await callOk(client, "greet", { who: "bo" })).toMatchObject({ stdout: "hi bo\n" });
    const missingArg = (await client.callTool({ name: "greet", arguments: {} })) as CallToolResult;
    expect(missingArg.isError).toBe(true);
  });

  it("Should name a command after a built-in tool cmd_<trigger>", async () => {
    await api("POST", `/v1/workspaces/${ws}/commands`, {
      key: account.key,
      body: { trigger: "read_file", type: "shell", body: "echo mine" },
    });
    const { tools } = await client.listTools();
    expect(tools.filter((tool) => tool.name === "read_file")).toHaveLength(1);
    expect(await callOk(client, "cmd_read_file")).toMatchObject({ stdout: "mine\n" });
  });

  it("Should send a message to a thread and answer the model's reply", async () => {
    const sent = await callOk<{ thread_id: string; status: string; text: string }>(
      client,
      "send_message",
      { thread_id: "th_mcp", text: "hello there" },
    );
    expect(sent).toMatchObject({ thread_id: "th_mcp", status: "completed" });
    expect(sent.text.length).toBeGreaterThan(0);
    const listed = await callOk<{ threads: { id: string }[] }>(client, "list_threads");
    expect(listed.threads.map((thread) => thread.id)).toContain("th_mcp");
    const thread = await callOk<{ id: string; messages: { role: string }[] }>(
      client,
      "read_thread",
      { thread_id: "th_mcp" },
    );
    expect(thread.messages.map((message) => message.role)).toEqual(["user", "assistant"]);
  });

  it("Should start a process run and wait until it rests; approve it and read it", async () => {
    const done = await callOk<{ id: string; status: string }>(client, "start_process_run", {
      process: "adhoc",
      spec: {
        version: 1,
        phases: [{ id: "p1", tasks: [{ id: "t", kind: "command", with: { run: "echo ok" } }] }],
      },
    });
    expect(done.status).toBe("succeeded");
    const waiting = await callOk<{ id: string; status: string }>(client, "start_process_run", {
      process: "gated",
      spec: {
        version: 1,
        phases: [{ id: "p1", tasks: [{ id: "ok", kind: "approval", with: { message: "go?" } }] }],
      },
    });
    expect(waiting.status).toBe("awaiting_approval");
    const approved = await callOk<{ status: string }>(client, "approve_process_run", {
      run_id: waiting.id,
      decision: "approve",
    });
    expect(["running", "succeeded"]).toContain(approved.status);
    const read = await callOk<{ id: string }>(client, "get_process_run", { run_id: waiting.id });
    expect(read.id).toBe(waiting.id);
  });

  it("Should spawn an agent of a role, wait for its first turn and list it", async () => {
    await callOk(client, "write_file", {
      path: ".claude/agents/helper.md",
      content: "---\nname: helper\ndescription: helps\n---\nYou help.",
    });
    const agent = await callOk<{ id: string; status: string }>(client, "spawn_agent", {
      role: "helper",
      task: "say hi",
    });
    expect(agent.status).toBe("idle");
    const listed = await callOk<{ agents: { id: string }[] }>(client, "list_agents");
    expect(listed.agents.map((each) => each.id)).toContain(agent.id);
  });

  it("Should cut a result past the size limit with a marker and a link to the file", async () => {
    const big = "x".repeat(1024 * 1024 + 10);
    await callOk(client, "write_file", { path: "big.txt", content: big });
    const result = (await client.callTool({
      name: "read_file",
      arguments: { path: "big.txt" },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toMatch(
      /…\[truncated: \d+ of \d+ bytes; the whole content is the resource/,
    );
    expect(result.content.find((block) => block.type === "resource_link")).toMatchObject({
      uri: `workspace://${ws}/files/big.txt`,
    });
  });
});
