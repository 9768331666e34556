// biome-ignore-all lint/suspicious/noTemplateCurlyInString: command templates use ${args.x}
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createAccount, createWorkspace, type TestAccount } from "../../../../test/helpers";
import { FakeInternet } from "../../files/test/fake-internet";
import { createCommand, execute, readOutput, stderrOf, stdoutOf } from "./command-helpers";

// http commands against a fake internet (the Worker's and the DO's fetch are this isolate's):
// the URL import's SSRF guard refuses private targets before any request is sent, and a
// public endpoint gets the rendered request; its status and body are the output.

let account: TestAccount;
let net: FakeInternet;
beforeAll(async () => {
  account = await createAccount("http commands");
});
beforeEach(() => {
  net = new FakeInternet();
  net.install();
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function runHook(url: string, body: unknown = { text: "${args.msg}" }, args = { msg: "hi" }) {
  const ws = (await createWorkspace(account)).id;
  await createCommand(account, ws, {
    trigger: "hook",
    type: "http",
    body: { method: "POST", url, headers: { "x-tag": "${args.msg}" }, body },
    args: [{ name: "msg", type: "string", required: true }],
  });
  const started = await execute(account, ws, "hook", { args });
  expect(started.status).toBe(202);
  return readOutput(account, ws, "hook", started.body.id);
}

describe("http commands", () => {
  it.each([
    ["a private IPv4 literal", "https://10.0.0.7/hook", /private/],
    ["loopback", "https://127.0.0.1/hook", /loopback/],
    ["the metadata address", "https://169.254.169.254/latest", /metadata/],
    ["a local name", "https://intranet/hook", /local or internal/],
    ["plain http", "http://hooks.example.com/hook", /only https/],
  ])("refuses %s: failed with the guard's reason, nothing fetched", async (_, url, reason) => {
    const { end } = await runHook(url);
    expect(end.status).toBe("failed");
    expect(end.reason).toMatch(/^url refused: /);
    expect(end.reason).toMatch(reason);
    expect(net.fetched).toEqual([]);
  });

  it("refuses a public-looking name that resolves to a private address", async () => {
    net.resolve("sneaky.example.com", { A: ["192.168.1.10"] });
    const { end } = await runHook("https://sneaky.example.com/hook");
    expect(end.status).toBe("failed");
    expect(end.reason).toMatch(/192\.168\.1\.10/);
    expect(net.fetched).toEqual([]);
  });

  it("calls a public endpoint with the rendered request; status and body are the output", async () => {
    const seen: { method: string; url: string; tag: string | null; body: string }[] = [];
    net.publicHost("hooks.example.com").serve("https://hooks.example.com/hook", async (request) => {
      seen.push({
        method: request.method,
        url: request.url,
        tag: request.headers.get("x-tag"),
        body: await request.text(),
      });
      return new Response("accepted", { status: 201, statusText: "Created" });
    });
    const msg = 'quote " and /../ & ?x=1';
    const { chunks, end } = await runHook(
      "https://hooks.example.com/hook?m=${args.msg}",
      { text: "${args.msg}", n: 1 },
      { msg },
    );
    expect(end.status).toBe("succeeded");
    expect(end.http_status).toBe(201);
    expect(stdoutOf(chunks)).toBe("accepted");
    expect(stderrOf(chunks)).toBe("HTTP 201 Created\n");
    expect(seen).toHaveLength(1);
    expect(seen[0]?.method).toBe("POST");
    // In the URL the value is percent-encoded; in the JSON body it stays a JSON string.
    expect(new URL(seen[0]?.url ?? "").searchParams.get("m")).toBe(msg);
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual({ text: msg, n: 1 });
    expect(seen[0]?.tag).toBe(msg);
  });

  it("ends failed when the endpoint answers an error status", async () => {
    net.publicHost("hooks.example.com").serve("https://hooks.example.com/down", () => {
      return new Response("nope", { status: 503 });
    });
    const { end } = await runHook("https://hooks.example.com/down");
    expect(end.status).toBe("failed");
    expect(end.http_status).toBe(503);
    expect(end.reason).toBe("the endpoint answered 503");
  });
});
