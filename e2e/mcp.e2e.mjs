// `npm run test:e2e:mcp`: the workspace's MCP endpoint from outside, as an MCP client uses it.
// Serves the API with `wrangler dev` on throwaway storage and drives it with the official SDK's
// Client and StreamableHTTPClientTransport from Node: initialise, list and call tools, read a
// resource, hear a subscribed file change, reconnect with Last-Event-ID, end the session.
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { apiClient, runE2E } from "./harness.mjs";

const PORT = Number(process.env.E2E_MCP_PORT ?? 8796);

async function connect(baseUrl, ws, key) {
  const client = new Client({ name: "e2e", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(
    new URL(`${baseUrl}/v1/workspaces/${ws}/mcp`),
    {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    },
  );
  await client.connect(transport);
  return { client, transport };
}

const value = (result) => {
  assert.ok(!result.isError, JSON.stringify(result.content));
  return result.structuredContent;
};

/** Reads SSE messages until one answers request `id`. */
async function untilAnswer(response, id) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const messages = [];
  let buffer = "";
  try {
    for (;;) {
      const { value: chunk, done } = await reader.read();
      if (done) return messages;
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^data: (.+)$/m.exec(frame)?.[1];
        if (!data) continue;
        const message = { id: /^id: (.+)$/m.exec(frame)?.[1], data: JSON.parse(data) };
        messages.push(message);
        if (message.data.id === id) return messages;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

runE2E({
  name: "mcp e2e",
  port: PORT,
  portEnv: "E2E_MCP_PORT",
  async test({ baseUrl, adminToken, step }) {
    const { expectStatus, createAccountAndKey } = apiClient(baseUrl);
    const { apiKey } = await createAccountAndKey(adminToken);
    const ws = (await expectStatus(201, "POST", "/v1/workspaces", apiKey, { name: "mcp" })).id;

    const { client, transport } = await connect(baseUrl, ws, apiKey);
    const { tools } = await client.listTools();
    assert.ok(
      tools.some((tool) => tool.name === "edit_file"),
      "edit_file is listed",
    );
    step(`initialised (session ${transport.sessionId}), ${tools.length} tools`);

    value(
      await client.callTool({ name: "write_file", arguments: { path: "a.md", content: "one" } }),
    );
    value(
      await client.callTool({
        name: "edit_file",
        arguments: { path: "a.md", old_string: "one", new_string: "two" },
      }),
    );
    const rest = await fetch(`${baseUrl}/v1/workspaces/${ws}/files/a.md`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    assert.equal(await rest.text(), "two", "the REST API sees the tool's edit");
    const shell = value(
      await client.callTool({ name: "run_shell", arguments: { script: "cat a.md" } }),
    );
    assert.equal(shell.stdout, "two");
    step("write_file, edit_file, run_shell: the files the REST API serves");

    const resource = await client.readResource({ uri: `workspace://${ws}/files/a.md` });
    assert.equal(resource.contents[0].text, "two");
    const heard = new Promise((resolve) =>
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) =>
        resolve(n.params.uri),
      ),
    );
    await client.subscribeResource({ uri: `workspace://${ws}/files/a.md` });
    await expectStatus(200, "PUT", `/v1/workspaces/${ws}/files/a.md`, apiKey, "three");
    assert.equal(
      await Promise.race([heard, new Promise((r) => setTimeout(() => r("timeout"), 10_000))]),
      `workspace://${ws}/files/a.md`,
    );
    step("resources/read, and resources/updated on a subscribed file's change");

    // A tool call's stream cut after its first message, resumed with Last-Event-ID.
    const headers = {
      authorization: `Bearer ${apiKey}`,
      accept: "application/json, text/event-stream",
      "content-type": "application/json",
      "mcp-session-id": transport.sessionId,
      "mcp-protocol-version": transport.protocolVersion ?? "2025-06-18",
    };
    const call = await fetch(`${baseUrl}/v1/workspaces/${ws}/mcp`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 99,
        method: "tools/call",
        params: {
          name: "run_shell",
          arguments: { script: "for i in 1 2 3; do echo $i; done" },
          _meta: { progressToken: "p" },
        },
      }),
    });
    const whole = await untilAnswer(call, 99);
    assert.ok(whole.length >= 2 && whole.every((m) => m.id), "every message has an id");
    const again = await fetch(`${baseUrl}/v1/workspaces/${ws}/mcp`, {
      method: "GET",
      headers: { ...headers, accept: "text/event-stream", "last-event-id": whole[0].id },
    });
    assert.equal(again.status, 200);
    const replayed = await untilAnswer(again, 99);
    assert.deepEqual(
      replayed.map((m) => m.id),
      whole.slice(1).map((m) => m.id),
      "Last-Event-ID replays the rest of the stream",
    );
    step(`Last-Event-ID ${whole[0].id} replayed ${replayed.length} messages`);

    await transport.terminateSession();
    const ended = await fetch(`${baseUrl}/v1/workspaces/${ws}/mcp`, {
      method: "POST",
      headers,
      body: JSON.stringify({ jsonrpc: "2.0", id: 100, method: "tools/list" }),
    });
    assert.equal(ended.status, 404, "an ended session is 404");
    await client.close();
    return `  ${tools.length} tools; resumed a cut stream; session ended (404 after)`;
  },
});
