import { beforeAll, describe, expect, it } from "vitest";
import { createAccount, createWorkspace, type TestAccount } from "../../../../test/helpers";
import { eventsOf, getBytes, getRaw, headId, putFile } from "../../files/test/file-helpers";
import {
  assemble,
  chunksStream,
  endsWithDone,
  framesOf,
  partsOf,
  postStream,
} from "./stream-helpers";
import { type PairBody, type PartBody, threads } from "./thread-helpers";

// The agent loop: the echo model's /tool directives make it call the workspace tools, whose
// calls and results are parts of the stream and of the stored message; writes go through the
// files code path (events, quota); a failing tool is a tool error part, never a broken stream.

let account: TestAccount;
let ws: string;

beforeAll(async () => {
  account = await createAccount("stream agent");
  ws = (await createWorkspace(account)).id;
});

/** Runs a scripted turn; answers its parts, the stored answer and the pair's status. */
async function run(content: string, extra: Record<string, unknown> = {}) {
  const response = await postStream(account, ws, { message: { role: "user", content }, ...extra });
  expect(response.status).toBe(200);
  const th = response.headers.get("x-thread-id") as string;
  const frames = await framesOf(response);
  expect(endsWithDone(frames)).toBe(true);
  const parts = partsOf(frames).map((p) => p.chunk);
  const pairs = await threads(account).messages<PairBody>(ws, th, "view=pairs");
  const pair = pairs.body.items.at(-1) as PairBody;
  const built = await assemble(chunksStream(parts));
  expect(pair.response?.parts).toEqual(built?.parts);
  return { th, parts, pair, stored: pair.response?.parts ?? [] };
}

const toolParts = (parts: PartBody[], name: string) =>
  parts.filter((p) => p.type === `tool-${name}`);

describe("workspace tools", () => {
  it("Should write a file the files API then serves, with its file event", async () => {
    const before = await headId(ws);
    const { parts, pair, stored } = await run(
      '/tool write_file {"path":"agent/notes.txt","content":"written by the agent\\n"}\nsaved it',
    );
    expect(parts.map((p) => p.type)).toContain("tool-output-available");
    const [call] = toolParts(stored, "write_file");
    expect(call).toMatchObject({
      state: "output-available",
      input: { path: "agent/notes.txt", content: "written by the agent\n" },
      output: { path: "agent/notes.txt", size: 21, created: true },
    });
    expect(pair.status).toBe("completed");
    expect(stored.at(-1)).toMatchObject({ type: "text", text: "saved it" });
    expect(new TextDecoder().decode(await getBytes(account, ws, "agent/notes.txt"))).toBe(
      "written by the agent\n",
    );
    const events = await eventsOf(ws, before);
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(["directory.created", "file.created", "thread.stream.finished"]),
    );
  });

  it("Should read, list and search the workspace's files over several steps", async () => {
    await putFile(account, ws, "docs/readme.md", "# hello\n");
    await putFile(account, ws, "docs/guide.md", "guide\n");
    const { stored, pair } = await run(
      [
        '/tool read_file {"path":"docs/readme.md"}',
        '/tool list_files {"path":"docs"}',
        '/tool search_files {"pattern":"**/*.md"}',
        "looked around",
      ].join("\n"),
    );
    expect(toolParts(stored, "read_file")[0]).toMatchObject({
      state: "output-available",
      output: { path: "docs/readme.md", content: "# hello\n", truncated: false },
    });
    const listed = toolParts(stored, "list_files")[0]?.output as { entries: { path: string }[] };
    expect(listed.entries.map((e) => e.path)).toEqual(["docs/guide.md", "docs/readme.md"]);
    const found = toolParts(stored, "search_files")[0]?.output as { paths: string[] };
    expect(found.paths).toEqual(expect.arrayContaining(["docs/guide.md", "docs/readme.md"]));
    // Four model calls: three tool steps and the answer.
    expect(stored.filter((p) => p.type === "step-start")).toHaveLength(4);
    expect(pair.status).toBe("completed");
  });

  it("Should give a tool error part for a missing file, and the stream completes", async () => {
    const { parts, stored, pair } = await run('/tool read_file {"path":"no/such.txt"}\nstill here');
    const error = parts.find((p) => p.type === "tool-output-error") as { errorText: string };
    expect(error.errorText).toContain("no such file: no/such.txt");
    expect(toolParts(stored, "read_file")[0]).toMatchObject({ state: "output-error" });
    expect(parts.at(-1)?.type).toBe("finish");
    expect(stored.at(-1)).toMatchObject({ type: "text", text: "still here" });
    expect(pair.status).toBe("completed");
  });

  it("Should give a tool input error for input the schema refuses, without running the tool", async () => {
    const { parts, stored } = await run(
      '/tool write_file {"path":"agent/bad.txt"}\n/tool read_file not json\nafter',
    );
    expect(parts.filter((p) => p.type === "tool-input-error")).toHaveLength(2);
    expect(toolParts(stored, "write_file")[0]).toMatchObject({ state: "output-error" });
    expect((await getRaw(account, ws, "agent/bad.txt")).status).toBe(404);
    expect(parts.at(-1)?.type).toBe("finish");
  });

  it("Should offer only the tools asked for, and stop at max_steps", async () => {
    const none = await run('/tool read_file {"path":"docs/readme.md"}\nno tools', { tools: [] });
    expect(none.parts.some((p) => p.type === "tool-input-error")).toBe(true);
    const limited = await run("/tool list_files {}\nnever said", { max_steps: 1 });
    expect(limited.stored.filter((p) => p.type === "step-start")).toHaveLength(1);
    expect(limited.stored.some((p) => p.type === "text")).toBe(false);
    expect(toolParts(limited.stored, "list_files")[0]).toMatchObject({ state: "output-available" });
  });

  it("Should record a model error as an error part and an `error` status", async () => {
    const { parts, pair } = await run("partial words\n/error the model fell over");
    expect(parts.some((p) => p.type === "error")).toBe(true);
    expect(pair.status).toBe("error");
    expect(pair.errors).toEqual(expect.arrayContaining([expect.stringContaining("fell over")]));
  });
});
