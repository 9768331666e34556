import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, it } from "vitest";
import {
  api,
  createAccount,
  createWorkspace,
  dispatch,
  type TestAccount,
} from "../../../../test/helpers";
import { doSql, workspaceStub } from "../../events/test/event-helpers";
import {
  ACCEPT_BOTH,
  callOk,
  connectClient,
  mcpUrl,
  rawInitialize,
  rawPost,
  readSse,
} from "./mcp-helpers";

// The transport and its sessions: version negotiation, authentication and isolation, sessions
// held by the Durable Object (surviving its restart; 404 once unknown, expired or ended),
// Last-Event-ID replay, resources and their subscriptions, malformed JSON-RPC.

let account: TestAccount;
let other: TestAccount;
let ws: string;

beforeAll(async () => {
  account = await createAccount();
  other = await createAccount("other");
  ws = (await createWorkspace(account)).id;
});

const restart = () =>
  runInDurableObject(workspaceStub(ws), (_instance, state) => state.abort("test restart")).catch(
    () => undefined,
  );

const toolCall = (
  id: number,
  name: string,
  args: Record<string, unknown>,
  progressToken?: string,
) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: args, ...(progressToken ? { _meta: { progressToken } } : {}) },
});

describe("MCP sessions and transport", () => {
  it("Should negotiate 2025-06-18, 2025-03-26 and 2025-11-25, and the latest for an unknown revision", async () => {
    for (const version of ["2025-06-18", "2025-03-26", "2025-11-25"]) {
      expect((await rawInitialize(account.key, ws, version)).protocolVersion).toBe(version);
    }
    expect((await rawInitialize(account.key, ws, "1999-01-01")).protocolVersion).toBe("2025-11-25");
  });

  it("Should refuse a missing key (401 envelope), another account (404) and take a runner token", async () => {
    const init = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "x", version: "0" },
      },
    };
    const anonymous = await dispatch(
      new Request(mcpUrl(ws), {
        method: "POST",
        headers: { accept: ACCEPT_BOTH, "content-type": "application/json" },
        body: JSON.stringify(init),
      }),
    );
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe(
      "unauthorized",
    );
    const foreign = await rawPost(other.key, ws, init);
    expect(foreign.status).toBe(404);
    const token = await api<{ token: string }>("POST", `/v1/workspaces/${ws}/runner-token`, {
      key: account.key,
    });
    expect(token.status).toBe(201);
    const { client } = await connectClient(token.body.token, ws);
    expect((await client.listTools()).tools.length).toBeGreaterThan(10);
  });

  it("Should answer malformed JSON-RPC with a JSON-RPC error, never a 500", async () => {
    const notJson = await rawPost(account.key, ws, "{not json");
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { code: number } }).error.code).toBe(-32700);
    const notRpc = await rawPost(account.key, ws, { hello: "world" });
    expect(notRpc.status).toBe(400);
    const { headers } = await rawInitialize(account.key, ws);
    const wrongShape = await rawPost(account.key, ws, { jsonrpc: "2.0", id: 5 }, headers);
    expect(wrongShape.status).toBeLessThan(500);
    const noSession = await rawPost(account.key, ws, toolCall(2, "list_directory", {}));
    expect(noSession.status).toBe(400);
  });

  it("Should answer a batch of requests (2025-03-26)", async () => {
    const { headers } = await rawInitialize(account.key, ws, "2025-03-26");
    const response = await rawPost(
      account.key,
      ws,
      [toolCall(10, "list_directory", {}), { jsonrpc: "2.0", id: 11, method: "tools/list" }],
      headers,
    );
    expect(response.status).toBe(200);
    const messages = await readSse(response, (all) => all.length === 2);
    expect(messages.map((message) => (message.data as { id: number }).id).sort()).toEqual([10, 11]);
  });

  it("Should keep a session across the Durable Object's restart", async () => {
    const { client, transport } = await connectClient(account.key, ws);
    await callOk(client, "write_file", { path: "kept.txt", content: "before" });
    const sessionId = transport.sessionId;
    await restart();
    const read = await callOk(client, "read_file", { path: "kept.txt" });
    expect(read).toMatchObject({ content: "before" });
    expect(transport.sessionId).toBe(sessionId);
  });

  it("Should replay what a stream sent after Last-Event-ID, across a restart too", async () => {
    const { headers } = await rawInitialize(account.key, ws);
    const response = await rawPost(
      account.key,
      ws,
      toolCall(20, "run_shell", { script: "echo a; echo b; echo c" }, "tok"),
      headers,
    );
    const all = await readSse(response, (messages) =>
      messages.some((message) => (message.data as { id?: number }).id === 20),
    );
    expect(all.length).toBeGreaterThan(1);
    expect(all.every((message) => message.id !== null)).toBe(true);
    const first = all[0]?.id as string;
    await restart();
    const again = await dispatch(
      new Request(mcpUrl(ws), {
        method: "GET",
        headers: {
          authorization: `Bearer ${account.key}`,
          accept: "text/event-stream",
          "last-event-id": first,
          ...headers,
        },
      }),
    );
    expect(again.status).toBe(200);
    const replayed = await readSse(again, (messages) =>
      messages.some((message) => (message.data as { id?: number }).id === 20),
    );
    expect(replayed.map((message) => message.id)).toEqual(
      all.slice(1).map((message) => message.id),
    );
    expect(replayed.at(-1)?.data).toEqual(all.at(-1)?.data);
  });

  it("Should answer 404 for an unknown, ended or expired session", async () => {
    const unknown = await rawPost(account.key, ws, toolCall(1, "list_directory", {}), {
      "mcp-session-id": "mcps_nope",
      "mcp-protocol-version": "2025-06-18",
    });
    expect(unknown.status).toBe(404);

    const ended = await rawInitialize(account.key, ws);
    const deleted = await dispatch(
      new Request(mcpUrl(ws), {
        method: "DELETE",
        headers: { authorization: `Bearer ${account.key}`, ...ended.headers },
      }),
    );
    expect(deleted.status).toBe(200);
    expect(
      (await rawPost(account.key, ws, toolCall(2, "list_directory", {}), ended.headers)).status,
    ).toBe(404);

    const idle = await rawInitialize(account.key, ws);
    await restart();
    await doSql(ws, "UPDATE mcp_sessions SET last_used_at = 0 WHERE id = ?", idle.sessionId);
    expect(
      (await rawPost(account.key, ws, toolCall(3, "list_directory", {}), idle.headers)).status,
    ).toBe(404);

    const swept = await rawInitialize(account.key, ws);
    await restart();
    await doSql(ws, "UPDATE mcp_sessions SET last_used_at = 0 WHERE id = ?", swept.sessionId);
    await runDurableObjectAlarm(workspaceStub(ws));
    expect(await doSql(ws, "SELECT id FROM mcp_sessions WHERE id = ?", swept.sessionId)).toEqual(
      [],
    );
    expect(
      await doSql(ws, "SELECT seq FROM mcp_messages WHERE session_id = ?", swept.sessionId),
    ).toEqual([]);
  });

  it("Should list and read resources: the record, files, thread transcripts", async () => {
    const { client } = await connectClient(account.key, ws);
    await callOk(client, "write_file", { path: "res/r.md", content: "# hi" });
    const listed = await client.listResources();
    const uris = listed.resources.map((resource) => resource.uri);
    expect(uris).toContain(`workspace://${ws}`);
    expect(uris).toContain(`workspace://${ws}/files/res/r.md`);
    const templates = await client.listResourceTemplates();
    expect(templates.resourceTemplates.map((template) => template.uriTemplate)).toEqual([
      `workspace://${ws}/files/{+path}`,
      `workspace://${ws}/threads/{thread_id}`,
    ]);
    const file = await client.readResource({ uri: `workspace://${ws}/files/res/r.md` });
    expect(file.contents[0]).toMatchObject({ text: "# hi" });
    const record = await client.readResource({ uri: `workspace://${ws}` });
    expect(JSON.parse((record.contents[0] as { text: string }).text)).toMatchObject({ id: ws });
    await callOk(client, "send_message", { thread_id: "th_res", text: "hi" });
    const transcript = await client.readResource({ uri: `workspace://${ws}/threads/th_res` });
    const thread = JSON.parse((transcript.contents[0] as { text: string }).text);
    expect(thread.messages).toHaveLength(2);
    await expect(client.readResource({ uri: `workspace://${ws}/files/none.md` })).rejects.toThrow(
      /Resource not found/,
    );
  });

  it("Should send resources/updated to a subscriber when the file changes", async () => {
    const { client } = await connectClient(account.key, ws);
    const uri = `workspace://${ws}/files/watched.txt`;
    await callOk(client, "write_file", { path: "watched.txt", content: "1" });
    const updates: string[] = [];
    const heard = new Promise<void>((resolve) => {
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
        updates.push(notification.params.uri);
        resolve();
      });
    });
    await client.subscribeResource({ uri });
    const put = await api("PUT", `/v1/workspaces/${ws}/files/watched.txt`, {
      key: account.key,
      body: "2",
      headers: { "content-type": "text/plain" },
    });
    expect(put.status).toBe(200);
    await heard;
    expect(updates).toContain(uri);
  });
});
