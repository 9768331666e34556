import { beforeAll, describe, expect, it } from "vitest";
import {
  api,
  createAccount,
  createWorkspace,
  expectEnvelope,
  type TestAccount,
} from "../../../../test/helpers";
import { eventsOf, putFile } from "../../files/test/file-helpers";
import type { ThreadWithMessages } from "../../threads/test/thread-helpers";
import {
  type AgentWithLog,
  agentOf,
  agentsPath,
  type LogEntryBody,
  putTemplate,
  settled,
  spawn,
  streamingStarted,
} from "./agent-helpers";

// Agents: spawned by role, driven by the agent loop with the echo model (its `/tool` lines
// script the calls), their tools acting on the workspace's files, listed with their logs,
// closed one by one or all at once by a reset.

let account: TestAccount;
let other: TestAccount;
beforeAll(async () => {
  account = await createAccount("agents");
  other = await createAccount("someone else");
});

const fileText = async (ws: string, path: string) => {
  const response = await api<string>("GET", `/v1/workspaces/${ws}/files/${path}`, {
    key: account.key,
  });
  return response.status === 200 ? response.body : null;
};

const listOf = async (ws: string) =>
  (
    await api<{ agents: AgentWithLog[]; closed: AgentWithLog[] }>("GET", agentsPath(ws), {
      key: account.key,
    })
  ).body;

/** A workspace with a `worker` role (from its file) and a `default` role (CLAUDE.md). */
async function workspaceWithRoles() {
  const ws = (await createWorkspace(account)).id;
  await putFile(account, ws, "CLAUDE.md", "Be careful.");
  await putFile(account, ws, ".claude/agents/worker.md", "---\nname: worker\n---\nYou work.");
  return ws;
}

describe("spawning an agent", () => {
  it("runs a command and writes a file, both visible through the files API", async () => {
    const ws = await workspaceWithRoles();
    const task = [
      '/tool run_command {"script":"echo hi > out.txt; cat out.txt"}',
      '/tool write_file {"path":"notes/plan.md","content":"step one"}',
      "all done",
    ].join("\n");
    const spawned = await spawn(account, ws, { role: "worker", task, effort: "low" });
    expect(spawned.status).toBe(201);
    expect(spawned.body).toMatchObject({
      role: "worker",
      effort: "low",
      task,
      parent_id: null,
      closed_at: null,
    });
    expect(spawned.body.id).toMatch(/^agt_/);
    const agent = await settled(account, ws, spawned.body.id);
    expect(agent).toMatchObject({ status: "idle", stream_status: "completed" });
    expect(await fileText(ws, "out.txt")).toBe("hi\n");
    expect(await fileText(ws, "notes/plan.md")).toBe("step one");

    const thread = await api<ThreadWithMessages>(
      "GET",
      `/v1/workspaces/${ws}/threads/${agent.thread_id}`,
      { key: account.key },
    );
    expect(thread.body.title).toBe("worker agent");
    expect(thread.body.messages.map((m) => m.role)).toEqual(["user", "assistant"]);

    const log = await api<{ items: LogEntryBody[]; total: number; next_cursor: string | null }>(
      "GET",
      `${agentsPath(ws)}/${agent.id}/log`,
      { key: account.key },
    );
    expect(log.status).toBe(200);
    const summary = log.body.items.map((e) => [e.type, e.tool, e.state]);
    expect(summary).toEqual([
      ["task", null, null],
      ["tool_call", "run_command", "output-available"],
      ["tool_call", "write_file", "output-available"],
      ["text", null, null],
    ]);
    const run = log.body.items[1];
    expect(JSON.parse(run?.output ?? "null")).toMatchObject({ exit_code: 0, stdout: "hi\n" });
    expect(log.body.items[3]?.text).toBe("all done");
    expect(log.body.total).toBe(4);

    const types = (await eventsOf(ws)).map((e) => e.type);
    expect(types).toContain("agent.spawned");
    expect(types).toContain("agent.updated");
    expect(types.filter((t) => t === "file.created").length).toBeGreaterThanOrEqual(2);
    expect(types.indexOf("agent.spawned")).toBeLessThan(types.indexOf("agent.updated"));
  });

  it("reports a failing script's exit code and stderr to the model", async () => {
    const ws = await workspaceWithRoles();
    const spawned = await spawn(account, ws, {
      role: "worker",
      task: '/tool run_command {"script":"cat missing.txt"}\nok',
    });
    await settled(account, ws, spawned.body.id);
    const log = await api<{ items: LogEntryBody[] }>(
      "GET",
      `${agentsPath(ws)}/${spawned.body.id}/log`,
      { key: account.key },
    );
    const output = JSON.parse(log.body.items[1]?.output ?? "null");
    expect(output.exit_code).not.toBe(0);
    expect(output.stderr).toContain("missing.txt");
  });

  it("uses the template's default task; refuses an unknown role or a missing task", async () => {
    const ws = await workspaceWithRoles();
    const unknown = await spawn(account, ws, { role: "ghost", task: "hi" });
    expect(unknown.status).toBe(404);
    expect(expectEnvelope(unknown.body).code).toBe("not_found");
    const noTask = await spawn(account, ws, { role: "worker" });
    expect(noTask.status).toBe(400);
    expect(JSON.stringify(noTask.body)).toContain('"field":"task"');
    const badEffort = await spawn(account, ws, { role: "worker", task: "x", effort: "max" });
    expect(badEffort.status).toBe(400);
    // A role known only by its template may be spawned.
    await putTemplate(account, ws, "helper", { default_task: "report ready", effort: "high" });
    const helper = await spawn(account, ws, { role: "helper" });
    expect(helper.status).toBe(201);
    expect(helper.body).toMatchObject({ task: "report ready", effort: "high" });
    await settled(account, ws, helper.body.id);
    const list = await listOf(ws);
    expect(list.agents.map((a) => a.role)).toEqual(["helper"]);
    expect(list.agents[0]?.log.at(-1)).toMatchObject({ type: "text", text: "report ready" });
  });

  it("gives spawn_agent only to a role whose template allows it", async () => {
    const ws = await workspaceWithRoles();
    await putTemplate(account, ws, "lead", { can_spawn_subagents: true, is_orchestrator: true });
    const lead = await spawn(account, ws, {
      role: "lead",
      task: '/tool spawn_agent {"role":"worker","task":"sub task"}\nspawned',
    });
    await settled(account, ws, lead.body.id);
    const list = await listOf(ws);
    const child = list.agents.find((a) => a.parent_id === lead.body.id);
    expect(child).toMatchObject({ role: "worker", task: "sub task" });
    await settled(account, ws, child?.id as string);

    // The worker's template does not allow it: the call is a tool error, nothing is spawned.
    const worker = await spawn(account, ws, {
      role: "worker",
      task: '/tool spawn_agent {"role":"worker","task":"again"}\nno',
    });
    await settled(account, ws, worker.body.id);
    const after = await listOf(ws);
    expect(after.agents.filter((a) => a.parent_id === worker.body.id)).toEqual([]);
    const entry = after.agents
      .find((a) => a.id === worker.body.id)
      ?.log.find((e) => e.tool === "spawn_agent");
    expect(entry?.state).toBe("output-error");
  });
});

describe("tool calls as a model writes them", () => {
  it("takes run_command's `command` for `script`, and '.', './x' and /workspace/x as paths", async () => {
    const ws = await workspaceWithRoles();
    const task = [
      '/tool run_command {"command":"echo made > made.txt"}',
      '/tool list_files {"path":"."}',
      '/tool read_file {"path":"./made.txt"}',
      '/tool read_file {"path":"/workspace/made.txt"}',
      "ok",
    ].join("\n");
    const spawned = await spawn(account, ws, { role: "worker", task });
    await settled(account, ws, spawned.body.id);
    expect(await fileText(ws, "made.txt")).toBe("made\n");
    const log = await api<{ items: LogEntryBody[] }>(
      "GET",
      `${agentsPath(ws)}/${spawned.body.id}/log`,
      { key: account.key },
    );
    const calls = log.body.items.filter((e) => e.type === "tool_call");
    expect(calls.map((e) => [e.tool, e.state])).toEqual([
      ["run_command", "output-available"],
      ["list_files", "output-available"],
      ["read_file", "output-available"],
      ["read_file", "output-available"],
    ]);
    expect(calls[1]?.output).toContain("made.txt");
    expect(JSON.parse(calls[2]?.output ?? "null")).toMatchObject({ content: "made\n" });
    expect(JSON.parse(calls[3]?.output ?? "null")).toMatchObject({ path: "made.txt" });
  });
});

describe("the orchestrator", () => {
  it("spawns the workspace's orchestrator_role as an orchestrator, with spawn_agent", async () => {
    const ws = await workspaceWithRoles();
    // A designated role needs no file or template; its template does not allow spawning.
    await api("PATCH", `/v1/workspaces/${ws}`, {
      key: account.key,
      body: { orchestrator_role: "lead" },
    });
    const lead = await spawn(account, ws, {
      role: "lead",
      task: '/tool spawn_agent {"role":"worker","task":"part one"}\nhanded out',
    });
    expect(lead.status).toBe(201);
    expect(lead.body.is_orchestrator).toBe(true);
    await settled(account, ws, lead.body.id);
    const list = await listOf(ws);
    const child = list.agents.find((a) => a.parent_id === lead.body.id);
    expect(child).toMatchObject({ role: "worker", task: "part one", is_orchestrator: false });
    await settled(account, ws, child?.id as string);
    // Once designated elsewhere, lead is an unknown role again.
    await api("PATCH", `/v1/workspaces/${ws}`, {
      key: account.key,
      body: { orchestrator_role: "worker" },
    });
    expect((await spawn(account, ws, { role: "lead", task: "x" })).status).toBe(404);
    const worker = await spawn(account, ws, { role: "worker", task: "now I lead" });
    expect(worker.body.is_orchestrator).toBe(true);
    await settled(account, ws, worker.body.id);
  });

  it("spawns a role whose template says is_orchestrator as an orchestrator", async () => {
    const ws = await workspaceWithRoles();
    await putTemplate(account, ws, "worker", { is_orchestrator: true });
    const worker = await spawn(account, ws, {
      role: "worker",
      task: '/tool spawn_agent {"role":"default","task":"check"}\nok',
    });
    expect(worker.body.is_orchestrator).toBe(true);
    await settled(account, ws, worker.body.id);
    const child = (await listOf(ws)).agents.find((a) => a.parent_id === worker.body.id);
    expect(child).toMatchObject({ role: "default", task: "check" });
    await settled(account, ws, child?.id as string);
  });
});

describe("agents list, log and close", () => {
  it("cuts each listed log to its last 50 entries; the log route pages the whole", async () => {
    const ws = await workspaceWithRoles();
    const spawned = await spawn(account, ws, { role: "worker", task: "first" });
    const agent = await settled(account, ws, spawned.body.id);
    // More turns in the agent's thread: 60 messages.
    const messages = Array.from({ length: 60 }, (_, i) => ({
      role: i % 2 === 0 ? "user" : "assistant",
      content: `m${i}`,
    }));
    const patched = await api("PATCH", `/v1/workspaces/${ws}/threads/${agent.thread_id}`, {
      key: account.key,
      body: { messages },
    });
    expect(patched.status).toBe(200);
    const listed = (await listOf(ws)).agents[0];
    expect(listed?.log_total).toBe(60);
    expect(listed?.log.length).toBe(50);
    expect(listed?.log[0]?.text).toBe("m10");
    expect(listed?.log.at(-1)?.text).toBe("m59");
    const texts: string[] = [];
    let query = "limit=25";
    for (let pages = 0; ; pages++) {
      const page = await api<{ items: LogEntryBody[]; next_cursor: string | null; total: number }>(
        "GET",
        `${agentsPath(ws)}/${agent.id}/log?${query}`,
        { key: account.key },
      );
      expect(page.body.total).toBe(60);
      texts.push(...page.body.items.map((e) => e.text ?? ""));
      if (page.body.next_cursor === null) {
        expect(pages).toBe(2);
        break;
      }
      query = `limit=25&cursor=${page.body.next_cursor}`;
    }
    expect(texts).toEqual(messages.map((m) => m.content));
    // `after` (an entry's index) pages too; a cursor this API did not give is a 400.
    const tail = await api<{ items: LogEntryBody[] }>(
      "GET",
      `${agentsPath(ws)}/${agent.id}/log?after=57`,
      { key: account.key },
    );
    expect(tail.body.items.map((e) => e.text)).toEqual(["m58", "m59"]);
    const bad = await api("GET", `${agentsPath(ws)}/${agent.id}/log?cursor=nonsense`, {
      key: account.key,
    });
    expect(bad.status).toBe(400);
  });

  it("closes a running agent: its stream canceled, the partial answer in its log", async () => {
    const ws = await workspaceWithRoles();
    const spawned = await spawn(account, ws, { role: "worker", task: "/delay 30\n/words 500" });
    expect(spawned.body.status).toBe("running");
    await streamingStarted(account, ws, spawned.body.id);
    const closed = await api<AgentWithLog>("DELETE", `${agentsPath(ws)}/${spawned.body.id}`, {
      key: account.key,
    });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({
      status: "closed",
      stream_status: "canceled",
      close_reason: "closed by request",
    });
    expect(closed.body.closed_at).not.toBeNull();
    const again = await api("DELETE", `${agentsPath(ws)}/${spawned.body.id}`, {
      key: account.key,
    });
    expect(again.body.closed_at).toBe(closed.body.closed_at);
    const list = await listOf(ws);
    expect(list.agents).toEqual([]);
    expect(list.closed.map((a) => a.id)).toEqual([spawned.body.id]);
    const answer = list.closed[0]?.log.find((e) => e.type === "text");
    expect(answer?.text?.startsWith("w1 ")).toBe(true);
    expect(answer?.streaming).toBe(false);
    const types = (await eventsOf(ws)).map((e) => e.type);
    expect(types.filter((t) => t === "agent.closed")).toHaveLength(1);
    const unknown = await api("DELETE", `${agentsPath(ws)}/agt_nope`, { key: account.key });
    expect(unknown.status).toBe(404);
  });

  it("reset closes every agent and says how many", async () => {
    const ws = await workspaceWithRoles();
    const a = await spawn(account, ws, { role: "worker", task: "/delay 30\n/words 500" });
    const b = await spawn(account, ws, { role: "default", task: "/delay 30\n/words 500" });
    expect(b.status).toBe(201);
    const done = await spawn(account, ws, { role: "worker", task: "quick" });
    await settled(account, ws, done.body.id);
    const reset = await api<{ agents_closed: number; streams_canceled: number }>(
      "POST",
      `/v1/workspaces/${ws}/reset`,
      { key: account.key },
    );
    expect(reset.status).toBe(200);
    expect(reset.body.agents_closed).toBe(3);
    expect(reset.body.streams_canceled).toBe(2);
    for (const id of [a.body.id, b.body.id, done.body.id]) {
      const agent = await agentOf(account, ws, id);
      expect(agent).toMatchObject({ status: "closed", close_reason: "workspace reset" });
    }
    expect((await listOf(ws)).agents).toEqual([]);
    const metadata = await api<{ agents: number }>("GET", `/v1/workspaces/${ws}/metadata`, {
      key: account.key,
    });
    expect(metadata.body.agents).toBe(3);
  });

  it("is not found for another account", async () => {
    const ws = await workspaceWithRoles();
    const spawned = await spawn(account, ws, { role: "worker", task: "hi" });
    for (const [method, path] of [
      ["GET", agentsPath(ws)],
      ["POST", agentsPath(ws)],
      ["GET", `${agentsPath(ws)}/${spawned.body.id}`],
      ["GET", `${agentsPath(ws)}/${spawned.body.id}/log`],
      ["DELETE", `${agentsPath(ws)}/${spawned.body.id}`],
    ] as const) {
      const response = await api(method, path, {
        key: other.key,
        ...(method === "POST" ? { body: { role: "worker", task: "x" } } : {}),
      });
      expect(response.status, `${method} ${path}`).toBe(404);
    }
    expect((await agentOf(account, ws, spawned.body.id)).closed_at).toBeNull();
  });
});
