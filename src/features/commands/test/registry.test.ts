// biome-ignore-all lint/suspicious/noTemplateCurlyInString: command templates use ${args.x}
import { beforeAll, describe, expect, it } from "vitest";
import {
  api,
  createAccount,
  createWorkspace,
  expectEnvelope,
  type TestAccount,
} from "../../../../test/helpers";
import { eventsOf } from "../../files/test/file-helpers";
import {
  type CommandBody,
  commandsPath,
  createCommand,
  execute,
  readOutput,
} from "./command-helpers";

// The registry: create, get, PATCH (If-Match), delete, list with filters and cursor, the
// trigger rules, and the command.* events each write appends.

let account: TestAccount;
let other: TestAccount;
beforeAll(async () => {
  account = await createAccount("command registry");
  other = await createAccount("someone else");
});

const newWorkspace = async () => (await createWorkspace(account)).id;

describe("command CRUD", () => {
  it("creates, reads, patches and deletes a command, each with its event", async () => {
    const ws = await newWorkspace();
    const created = await api<CommandBody>("POST", commandsPath(ws), {
      key: account.key,
      body: {
        trigger: "test:unit",
        description: "Run the unit tests",
        category: "testing",
        type: "shell",
        body: "echo testing $pattern",
        args: [{ name: "pattern", type: "string", default: "*" }],
      },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("etag")).toBe(`"${created.body.etag}"`);
    expect(created.body).toMatchObject({
      trigger: "test:unit",
      category: "testing",
      args: [{ name: "pattern", type: "string", required: false, default: "*" }],
    });
    const got = await api<CommandBody>("GET", `${commandsPath(ws)}/test:unit`, {
      key: account.key,
    });
    expect(got.body).toEqual(created.body);

    const stale = await api("PATCH", `${commandsPath(ws)}/test:unit`, {
      key: account.key,
      body: { description: "x" },
      headers: { "if-match": '"nope"' },
    });
    expect(stale.status).toBe(412);
    const patched = await api<CommandBody>("PATCH", `${commandsPath(ws)}/test:unit`, {
      key: account.key,
      body: { description: "Unit tests, fast" },
      headers: { "if-match": `"${created.body.etag}"` },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.description).toBe("Unit tests, fast");
    expect(patched.body.etag).not.toBe(created.body.etag);

    const deleted = await api("DELETE", `${commandsPath(ws)}/test:unit`, { key: account.key });
    expect(deleted.status).toBe(204);
    expect((await api("GET", `${commandsPath(ws)}/test:unit`, { key: account.key })).status).toBe(
      404,
    );
    const types = (await eventsOf(ws))
      .map((event) => event.type)
      .filter((t) => t.startsWith("command."));
    expect(types).toEqual(["command.created", "command.updated", "command.deleted"]);
  });

  it("refuses a duplicate trigger with 409", async () => {
    const ws = await newWorkspace();
    await createCommand(account, ws, { trigger: "dup", type: "shell", body: "true" });
    const again = await api("POST", commandsPath(ws), {
      key: account.key,
      body: { trigger: "dup", type: "shell", body: "false" },
    });
    expect(again.status).toBe(409);
    expect(expectEnvelope(again.body).code).toBe("conflict");
  });

  it.each([
    ["an uppercase trigger", { trigger: "Deploy" }],
    ["a trigger with a slash", { trigger: "a/b" }],
    ["a reserved trigger", { trigger: "search" }],
    ["a reserved trigger", { trigger: "popular" }],
    ["a default of the wrong type", { args: [{ name: "n", type: "number", default: "x" }] }],
    ["an argument declared twice", { args: [{ name: "a" }, { name: "a" }] }],
    ["an uppercase argument name", { args: [{ name: "PATH" }] }],
    ["an http command with a script body", { type: "http" }],
    ["a prompt naming an undeclared argument", { type: "prompt", body: "hi ${args.who}" }],
    ["an unknown field", { color: "red" }],
  ])("refuses %s with 400", async (_, change) => {
    const ws = await newWorkspace();
    const response = await api("POST", commandsPath(ws), {
      key: account.key,
      body: { trigger: "ok", type: "shell", body: "true", ...change },
    });
    expect(response.status).toBe(400);
    expect(expectEnvelope(response.body).code).toBe("invalid_request");
  });

  it.each([
    ["a list", [{ name: "a" }, { name: "b", type: "date" }], "args.1.type"],
    ["a map", { a: {}, b: { type: "date" } }, "args.1.type"],
    ["a map", { a: { required: "yes" } }, "args.0.required"],
    ["a map", { Bad: {} }, "args.0.name"],
  ])("names the argument a bad declaration in %s is about", async (_, args, field) => {
    const ws = await newWorkspace();
    const response = await api("POST", commandsPath(ws), {
      key: account.key,
      body: { trigger: "ok", type: "shell", body: "true", args },
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(expectEnvelope(response.body))).toContain(field);
  });

  it("lists by trigger with type and search filters and a cursor", async () => {
    const ws = await newWorkspace();
    for (const trigger of ["a1", "a2", "b1", "c1"]) {
      await createCommand(account, ws, {
        trigger,
        type: trigger === "b1" ? "prompt" : "shell",
        body: "hello",
        description: trigger === "c1" ? "Special thing" : "",
      });
    }
    const first = await api<{ items: CommandBody[]; next_cursor: string | null }>(
      "GET",
      `${commandsPath(ws)}?limit=2`,
      { key: account.key },
    );
    expect(first.body.items.map((c) => c.trigger)).toEqual(["a1", "a2"]);
    const second = await api<{ items: CommandBody[]; next_cursor: string | null }>(
      "GET",
      `${commandsPath(ws)}?limit=2&cursor=${first.body.next_cursor}`,
      { key: account.key },
    );
    expect(second.body.items.map((c) => c.trigger)).toEqual(["b1", "c1"]);
    expect(second.body.next_cursor).toBeNull();
    const prompts = await api<{ items: CommandBody[] }>("GET", `${commandsPath(ws)}?type=prompt`, {
      key: account.key,
    });
    expect(prompts.body.items.map((c) => c.trigger)).toEqual(["b1"]);
    const search = await api<{ items: CommandBody[] }>(
      "GET",
      `${commandsPath(ws)}?search=SPECIAL`,
      {
        key: account.key,
      },
    );
    expect(search.body.items.map((c) => c.trigger)).toEqual(["c1"]);
  });

  it("is not found in another account's workspace", async () => {
    const ws = await newWorkspace();
    await createCommand(account, ws, { trigger: "mine", type: "shell", body: "true" });
    const response = await api("GET", `${commandsPath(ws)}/mine`, { key: other.key });
    expect(response.status).toBe(404);
    const run = await execute(other, ws, "mine");
    expect(run.status).toBe(404);
  });
});

describe("execute: arguments checked against the declaration", () => {
  const declared = [
    { name: "count", type: "number", required: true },
    { name: "verbose", type: "boolean", default: false },
  ];

  it.each([
    ["an unknown argument", { count: 1, colour: "red" }, "args.colour"],
    ["a missing required argument", {}, "args.count"],
    ["a value of the wrong type", { count: "3" }, "args.count"],
    ["a boolean given as a string", { count: 1, verbose: "yes" }, "args.verbose"],
  ])("refuses %s with a 400 naming it", async (_, args, field) => {
    const ws = await newWorkspace();
    await createCommand(account, ws, {
      trigger: "go",
      type: "shell",
      body: "true",
      args: declared,
    });
    const response = await execute(account, ws, "go", { args });
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body.error?.details)).toContain(field);
    expect(response.body.error?.message).toContain(field);
  });

  it("takes the declarations as a map by name, and the values positionally", async () => {
    const ws = await newWorkspace();
    const created = await createCommand(account, ws, {
      trigger: "go",
      type: "shell",
      body: 'echo "${{ args.count }} $verbose ${{args.label}}"',
      args: {
        count: { type: "number", required: true },
        verbose: { type: "boolean", default: false },
        label: {},
      },
    });
    expect(created.args).toEqual([
      { name: "count", type: "number", required: true },
      { name: "verbose", type: "boolean", required: false, default: false },
      { name: "label", type: "string", required: false },
    ]);
    // Positional strings, as a command line gives them; an argument's text stays text.
    const started = await execute(account, ws, "go", { args: ["7", "true", "; rm -rf / #"] });
    expect(started.status).toBe(202);
    const { chunks, end } = await readOutput(account, ws, "go", started.body.id);
    expect(chunks.map((c) => c.data).join("")).toBe("7 true ; rm -rf / #\n");
    expect(end.args).toEqual({ count: 7, verbose: true, label: "; rm -rf / #" });
    const tooMany = await execute(account, ws, "go", { args: ["1", "true", "x", "extra"] });
    expect(tooMany.status).toBe(400);
    expect(JSON.stringify(tooMany.body.error?.details)).toContain("args[3]");
    const notNumber = await execute(account, ws, "go", { args: ["seven"] });
    expect(notNumber.status).toBe(400);
    expect(JSON.stringify(notNumber.body.error?.details)).toContain("args.count");
  });

  it("answers 202 with a running execution and fills in defaults", async () => {
    const ws = await newWorkspace();
    await createCommand(account, ws, {
      trigger: "go",
      type: "shell",
      body: 'echo "$count $verbose"',
      args: declared,
    });
    const started = await execute(account, ws, "go", { args: { count: 3 } });
    expect(started.status).toBe(202);
    expect(started.body.id).toMatch(/^exe_/);
    expect(started.body.status).toBe("running");
    expect(started.headers.get("location")).toBe(
      `/v1/workspaces/${ws}/commands/go/executions/${started.body.id}`,
    );
    const { chunks, end } = await readOutput(account, ws, "go", started.body.id);
    expect(chunks.map((c) => c.data).join("")).toBe("3 false\n");
    expect(end).toMatchObject({
      status: "succeeded",
      exit_code: 0,
      args: { count: 3, verbose: false },
    });
    expect(end.duration_ms).toBeGreaterThanOrEqual(0);
    const types = (await eventsOf(ws))
      .map((e) => e.type)
      .filter((t) => t.startsWith("command.execution"));
    expect(types).toEqual(["command.execution.started", "command.execution.finished"]);
  });
});
