// biome-ignore-all lint/suspicious/noTemplateCurlyInString: command templates use ${{ args.x }}
import { beforeAll, describe, expect, it } from "vitest";
import { createAccount, createWorkspace, type TestAccount } from "../../../../test/helpers";
import { eventsOf, getBytes, getRaw, putFile } from "../../files/test/file-helpers";
import {
  execute,
  readOutput,
  runScript,
  shellCommand,
  stderrOf,
  stdoutOf,
} from "./command-helpers";

// Shell commands through the real Worker, DO and R2: just-bash runs the body over the
// workspace's files, mounted at /workspace (the working directory).

let account: TestAccount;
beforeAll(async () => {
  account = await createAccount("shell commands");
});

async function workspaceWithFiles(files: Record<string, string>) {
  const ws = (await createWorkspace(account)).id;
  for (const [path, text] of Object.entries(files)) await putFile(account, ws, path, text);
  return ws;
}

describe("shell commands over the workspace's files", () => {
  it("lists, reads, greps, edits and counts the workspace's files", async () => {
    const ws = await workspaceWithFiles({
      "README.md": "hello world\nsecond line\n",
      "src/a.ts": "// TODO: one\nconst a = 1;\n",
      "src/b.ts": "const b = 2; // TODO two\n",
    });
    const run = await runScript(
      account,
      ws,
      [
        "pwd",
        "ls",
        "cat README.md",
        "grep -r TODO src | sort",
        "sed 's/hello/goodbye/' README.md",
        "wc -l < README.md",
        "cat src/*.ts | grep -c const",
      ].join("\n"),
    );
    expect(run.end.status).toBe("succeeded");
    expect(run.end.exit_code).toBe(0);
    expect(run.stdout).toBe(
      [
        "/workspace",
        "README.md",
        "src",
        "hello world",
        "second line",
        "src/a.ts:// TODO: one",
        "src/b.ts:const b = 2; // TODO two",
        "goodbye world",
        "second line",
        "2",
        "2",
        "",
      ].join("\n"),
    );
  });

  it("writes a file by redirection that the files API then serves, with a file.created event", async () => {
    const ws = await workspaceWithFiles({ "in.txt": "b\na\nc\n" });
    const run = await runScript(account, ws, "sort in.txt > out/sorted.txt && echo done");
    expect(run.end.status).toBe("succeeded");
    expect(run.stdout).toBe("done\n");
    const file = await getBytes(account, ws, "out/sorted.txt");
    expect(new TextDecoder().decode(file)).toBe("a\nb\nc\n");
    const types = (await eventsOf(ws)).map((event) => event.type);
    expect(types).toContain("directory.created");
    expect(types).toContain("file.created");
  });

  it("stores one write per redirection: no empty object first, no rewrite for an empty append", async () => {
    const ws = await workspaceWithFiles({ "keep.txt": "old\n", "cut.txt": "gone\n" });
    const before = (await eventsOf(ws)).length;
    const run = await runScript(
      account,
      ws,
      [
        "echo one > new.txt",
        "echo two >> new.txt",
        "cat new.txt",
        ": >> keep.txt",
        "> cut.txt",
        ": > empty.txt",
        "wc -c < cut.txt",
        "ls",
      ].join("\n"),
    );
    expect(run.end.status).toBe("succeeded");
    expect(run.stdout).toBe("one\ntwo\n0\ncut.txt\nempty.txt\nkeep.txt\nnew.txt\n");
    const changes = (await eventsOf(ws))
      .slice(before)
      .filter((event) => event.type.startsWith("file."))
      .map((event) => `${event.type} ${(event.data as { file: { path: string } }).file.path}`);
    expect(changes).toEqual([
      "file.created new.txt",
      "file.updated new.txt",
      "file.updated cut.txt",
      "file.created empty.txt",
    ]);
    expect(new TextDecoder().decode(await getBytes(account, ws, "keep.txt"))).toBe("old\n");
    expect((await getBytes(account, ws, "cut.txt")).byteLength).toBe(0);
    expect((await getBytes(account, ws, "empty.txt")).byteLength).toBe(0);
  });

  it("expands ${{ args.x }} in every quoting as the value, never as script", async () => {
    const ws = await workspaceWithFiles({});
    const trigger = "quoted";
    await shellCommand(
      account,
      ws,
      trigger,
      [
        "# a comment that isn't a quote",
        'echo \'{"v":"${{ args.v }}"}\'',
        'echo "[${{ args.v }}]"',
        "printf '%s|' ${{ args.v }}; echo",
        "echo $'tab\\t${{ args.v }}'",
        "cat <<EOF",
        "it's ${{ args.v }}",
        "EOF",
        "echo 'after the here-document: ${{ args.v }}'",
      ].join("\n"),
      { args: [{ name: "v", type: "string", required: true }] },
    );
    const value = "a b'$(echo pwned)";
    const started = await execute(account, ws, trigger, { args: { v: value } });
    expect(started.status).toBe(202);
    const { chunks, end } = await readOutput(account, ws, trigger, started.body.id);
    expect(end.status, stderrOf(chunks)).toBe("succeeded");
    expect(stdoutOf(chunks)).toBe(
      [
        `{"v":"${value}"}`,
        `[${value}]`,
        "a|b'$(echo|pwned)|",
        `tab\t${value}`,
        `it's ${value}`,
        `after the here-document: ${value}`,
        "",
      ].join("\n"),
    );
  });

  it("deletes and moves files through the files API", async () => {
    const ws = await workspaceWithFiles({ "a.txt": "a", "b.txt": "b" });
    const run = await runScript(account, ws, "rm a.txt && mv b.txt c.txt && ls");
    expect(run.stdout).toBe("c.txt\n");
    expect((await getRaw(account, ws, "a.txt")).status).toBe(404);
    expect(new TextDecoder().decode(await getBytes(account, ws, "c.txt"))).toBe("b");
  });

  it("passes arguments as variables: '; rm -rf /', $(…) and backticks stay text", async () => {
    const ws = await workspaceWithFiles({ "keep.txt": "still here" });
    const hostile = "; rm -rf / ; $(rm keep.txt) `rm keep.txt` && rm -rf .";
    const run = await runScript(
      account,
      ws,
      'echo "got: $name"\nls',
      { name: hostile },
      {
        args: [{ name: "name", type: "string", required: true }],
      },
    );
    expect(run.end.status).toBe("succeeded");
    expect(run.stdout).toBe(`got: ${hostile}\nkeep.txt\n`);
    expect(new TextDecoder().decode(await getBytes(account, ws, "keep.txt"))).toBe("still here");
  });

  it("reports a failing script's exit code and stderr", async () => {
    const ws = await workspaceWithFiles({});
    const run = await runScript(account, ws, "cat missing.txt\nexit 3");
    expect(run.end.status).toBe("failed");
    expect(run.end.exit_code).toBe(3);
    expect(run.stderr).toMatch(/missing\.txt: No such file or directory/);
  });

  // The caps are the test's (vitest.config.ts): 5,000 loop iterations, 30,000 commands.
  it("stops a loop past the loop cap, failed with the limit named, its output kept", async () => {
    const ws = await workspaceWithFiles({});
    const run = await runScript(
      account,
      ws,
      'echo start\ni=0\nwhile [ "$i" -lt 10000 ]; do i=$((i + 1)); done',
    );
    expect(run.end.status).toBe("failed");
    expect(run.end.reason).toBe("loop limit of 5000 iterations reached (a while loop)");
    expect(run.stdout).toBe("start\n");
  });

  it("stops a script past the command cap, failed with the limit named", async () => {
    const ws = await workspaceWithFiles({});
    const run = await runScript(
      account,
      ws,
      "echo start\nf() { :; :; :; :; :; :; :; :; :; }\nfor i in $(seq 1 4000); do f; done",
    );
    expect(run.end.status).toBe("failed");
    expect(run.end.reason).toBe("command limit of 30000 commands reached");
    expect(run.stdout).toBe("start\n");
  });

  it("ends a script past its time limit as timed_out", async () => {
    const ws = await workspaceWithFiles({});
    const run = await runScript(
      account,
      ws,
      "echo before\nsleep 10\necho after",
      {},
      {
        timeout_ms: 300,
      },
    );
    expect(run.end.status).toBe("timed_out");
    expect(run.end.reason).toMatch(/time limit of 300 ms/);
    expect(run.stdout).toBe("before\n");
    expect(run.end.duration_ms).toBeLessThan(5_000);
  });

  it("stops at the output cap, keeping exactly the cap, failed and truncated", async () => {
    const ws = await workspaceWithFiles({});
    // 1 KiB a line; the cap (1 MiB by default) is reached after about a thousand.
    const run = await runScript(
      account,
      ws,
      's=$(printf "%01023d" 0)\nwhile true; do echo "$s"; done',
    );
    expect(run.end.status).toBe("failed");
    expect(run.end.reason).toMatch(/output exceeded 1048576 bytes/);
    expect(run.end.output_truncated).toBe(true);
    expect(run.end.output_bytes).toBe(1024 * 1024);
    expect(new TextEncoder().encode(run.stdout).byteLength).toBe(1024 * 1024);
  });
});
