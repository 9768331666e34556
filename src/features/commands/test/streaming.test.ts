import { runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import {
  api,
  createAccount,
  createWorkspace,
  dispatch,
  type TestAccount,
} from "../../../../test/helpers";
import type { WorkspaceDO } from "../../../kernel/workspace-do";
import { doSql, workspaceStub } from "../../events/test/event-helpers";
import { SseReader } from "../../events/test/sse-reader";
import { INTERRUPTED_REASON } from "../commands";
import {
  commandsPath,
  type ExecutionBody,
  execute,
  readOutput,
  shellCommand,
  stdoutOf,
} from "./command-helpers";

// Following executions: output as it is produced (SSE with `id:` = chunk seq, resumable with
// Last-Event-ID), replayed after the fact (NDJSON, with a cursor), cancel, and an execution
// cut off by a restart of the DO, ended failed with a reason.

let account: TestAccount;
beforeAll(async () => {
  account = await createAccount("command streaming");
});

const SLOW = "echo one\nsleep 0.3\necho two\nsleep 0.3\necho three >&2";

function openEvents(ws: string, trigger: string, id: string, lastEventId?: number) {
  const headers: Record<string, string> = { authorization: `Bearer ${account.key}` };
  if (lastEventId !== undefined) headers["last-event-id"] = String(lastEventId);
  return dispatch(
    new Request(`https://api.test${commandsPath(ws)}/${trigger}/executions/${id}/events`, {
      headers,
    }),
  );
}

const status = async (ws: string, trigger: string, id: string) =>
  (
    await api<ExecutionBody>("GET", `${commandsPath(ws)}/${trigger}/executions/${id}`, {
      key: account.key,
    })
  ).body;

async function started(script: string) {
  const ws = (await createWorkspace(account)).id;
  await shellCommand(account, ws, "slow", script);
  const run = await execute(account, ws, "slow");
  expect(run.status).toBe(202);
  return { ws, id: run.body.id };
}

describe("output as it is produced", () => {
  it("streams the first line over SSE while the script is still running", async () => {
    const { ws, id } = await started(SLOW);
    const response = await openEvents(ws, "slow", id);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = new SseReader(response);
    const first = await reader.next();
    expect(first).toMatchObject({ event: "output", id: "1" });
    expect(JSON.parse(first?.data ?? "")).toEqual({ stream: "stdout", data: "one\n" });
    expect((await status(ws, "slow", id)).status).toBe("running");
    const second = await reader.next();
    expect(second).toMatchObject({ id: "2" });
    const third = await reader.next();
    expect(JSON.parse(third?.data ?? "")).toEqual({ stream: "stderr", data: "three\n" });
    const end = await reader.next();
    expect(end?.event).toBe("end");
    expect(JSON.parse(end?.data ?? "")).toMatchObject({ id, status: "succeeded", exit_code: 0 });
    expect(await reader.next()).toBeNull();
  });

  it("replays the output after the fact, and resumes after Last-Event-ID", async () => {
    const { ws, id } = await started(SLOW);
    const full = await readOutput(account, ws, "slow", id);
    expect(full.chunks.map((chunk) => chunk.seq)).toEqual([1, 2, 3]);
    expect(stdoutOf(full.chunks)).toBe("one\ntwo\n");
    const again = await readOutput(account, ws, "slow", id);
    expect(again.chunks).toEqual(full.chunks);
    const after = await readOutput(account, ws, "slow", id, 2);
    expect(after.chunks.map((chunk) => chunk.data)).toEqual(["three\n"]);

    const resumed = new SseReader(await openEvents(ws, "slow", id, 1));
    const frames = [await resumed.next(), await resumed.next(), await resumed.next()];
    expect(frames.map((frame) => frame?.id ?? frame?.event)).toEqual(["2", "3", "end"]);
    expect(await resumed.next()).toBeNull();
  });
});

describe("cancel", () => {
  it("cancels a running script mid-run; a second cancel is 409", async () => {
    const { ws, id } = await started("echo start\nsleep 30\necho never");
    const reader = new SseReader(await openEvents(ws, "slow", id));
    expect((await reader.next())?.id).toBe("1");
    const canceled = await api<ExecutionBody>(
      "DELETE",
      `${commandsPath(ws)}/slow/executions/${id}`,
      {
        key: account.key,
      },
    );
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe("canceled");
    expect(canceled.body.duration_ms).toBeLessThan(10_000);
    // The interpreter's last word (stderr: "execution aborted") may come before the end frame.
    let end = await reader.next();
    while (end?.event === "output") end = await reader.next();
    expect(JSON.parse(end?.data ?? "")).toMatchObject({ status: "canceled" });
    const { chunks } = await readOutput(account, ws, "slow", id);
    expect(stdoutOf(chunks)).toBe("start\n");
    const again = await api("DELETE", `${commandsPath(ws)}/slow/executions/${id}`, {
      key: account.key,
    });
    expect(again.status).toBe(409);
  });

  it("is canceled by a workspace reset, which says how many", async () => {
    const { ws, id } = await started("echo start\nsleep 30\necho never");
    const reader = new SseReader(await openEvents(ws, "slow", id));
    expect((await reader.next())?.id).toBe("1");
    const reset = await api<{ executions_canceled: number }>("POST", `/v1/workspaces/${ws}/reset`, {
      key: account.key,
    });
    expect(reset.status).toBe(200);
    expect(reset.body.executions_canceled).toBe(1);
    let end = await reader.next();
    while (end?.event === "output") end = await reader.next();
    expect(JSON.parse(end?.data ?? "")).toMatchObject({
      status: "canceled",
      reason: "workspace reset",
    });
    const after = await api<ExecutionBody>("GET", `${commandsPath(ws)}/slow/executions/${id}`, {
      key: account.key,
    });
    expect(after.body).toMatchObject({ status: "canceled", reason: "workspace reset" });
    // Nothing was running any more: a second reset cancels none.
    const again = await api<{ executions_canceled: number }>("POST", `/v1/workspaces/${ws}/reset`, {
      key: account.key,
    });
    expect(again.body.executions_canceled).toBe(0);
  });

  it("is canceled when its workspace is deleted: a follower gets the end and a closed stream", async () => {
    const { ws, id } = await started("echo start\nsleep 30\necho never");
    const reader = new SseReader(await openEvents(ws, "slow", id));
    expect((await reader.next())?.id).toBe("1");
    const deleted = await api("DELETE", `/v1/workspaces/${ws}`, { key: account.key });
    expect(deleted.status).toBe(204);
    const startedAt = Date.now();
    let end = await reader.next();
    while (end?.event === "output") end = await reader.next();
    expect(JSON.parse(end?.data ?? "")).toMatchObject({
      status: "canceled",
      reason: "workspace deleted",
    });
    // The stream ends right after its end line, long before the script's 30 s.
    expect(await reader.next()).toBeNull();
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });

  it("is 404 for an execution of another command", async () => {
    const { ws, id } = await started("true");
    await shellCommand(account, ws, "other", "true");
    const response = await api("GET", `${commandsPath(ws)}/other/executions/${id}`, {
      key: account.key,
    });
    expect(response.status).toBe(404);
  });
});

describe("an execution interrupted by a restart", () => {
  it("ends failed with a reason when a running row has no runner in this instance", async () => {
    const { ws, id } = await started("true");
    await readOutput(account, ws, "slow", id);
    // As an instance that died mid-run leaves it: running, with nobody running it.
    await doSql(
      ws,
      "UPDATE command_executions SET status = 'running', finished_at = NULL WHERE id = ?",
      id,
    );
    const execution = await status(ws, "slow", id);
    expect(execution.status).toBe("failed");
    expect(execution.reason).toBe(INTERRUPTED_REASON);
  });

  it("ends failed when the Durable Object restarts while the script runs", async () => {
    const { ws, id } = await started("echo start\nsleep 30");
    const reader = new SseReader(await openEvents(ws, "slow", id));
    expect((await reader.next())?.id).toBe("1");
    await runInDurableObject(workspaceStub(ws), (_instance: WorkspaceDO, state) => {
      state.abort("test restart");
    }).catch(() => undefined);
    // The next request reaches a new instance, which found the execution at wake.
    const execution = await status(ws, "slow", id);
    expect(execution.status).toBe("failed");
    expect(execution.reason).toBe(INTERRUPTED_REASON);
    await reader.response.body?.cancel().catch(() => undefined);
  });
});
