import picomatch from "picomatch";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createAccount, createWorkspace, type TestAccount } from "../../../../test/helpers";
import { doSql } from "../../events/test/event-helpers";
import {
  eventsOf,
  type FileEntryBody,
  getBytes,
  getRaw,
  headId,
  indexedKeys,
  metadataOf,
  putFile,
  putRaw,
  r2Keys,
  randomBytes,
  runAlarm,
  segmentsPath,
  sha256Hex,
} from "./file-helpers";

// Files end to end through the Worker: bytes round-trip exactly, conditional requests and ranges
// follow RFC 9110, path changes (move) never touch R2, and every object the index stops naming
// is deleted by the DO's alarm — R2 ends up holding exactly the objects the index names.

let account: TestAccount;
beforeAll(async () => {
  account = await createAccount("files");
});

/** Runs `work` over `items` a batch at a time: concurrent enough to be quick, never unbounded. */
async function inBatches<T>(items: T[], work: (item: T) => Promise<unknown>, size = 25) {
  for (let i = 0; i < items.length; i += size) {
    await Promise.all(items.slice(i, i + size).map(work));
  }
}

const newWorkspace = async () => (await createWorkspace(account)).id;
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const move = (ws: string, body: Record<string, unknown>) =>
  api<FileEntryBody>("POST", `/v1/workspaces/${ws}/files/move`, { key: account.key, body });
const del = (ws: string, path: string, query = "") =>
  api("DELETE", `/v1/workspaces/${ws}/files/${segmentsPath(path)}${query}`, { key: account.key });

/** After the alarm, R2 under the prefix holds exactly the objects the index names. */
async function expectNoOrphans(ws: string) {
  await runAlarm(ws);
  expect(await r2Keys(ws)).toEqual(await indexedKeys(ws));
}

describe("upload and download", () => {
  it("round-trips bytes exactly (empty, binary, > 1 MiB) with a sha256 etag", async () => {
    const ws = await newWorkspace();
    const bodies: [string, Uint8Array][] = [
      ["empty.bin", new Uint8Array(0)],
      ["one.bin", new Uint8Array([0])],
      ["all-bytes.bin", Uint8Array.from({ length: 256 }, (_, i) => i)],
      ["big/blob.bin", randomBytes(1.5 * 1024 * 1024 + 7, 42)],
      ["doc/notes.md", new TextEncoder().encode("# Héllo\r\n\u0000tail")],
    ];
    let total = 0;
    for (const [path, bytes] of bodies) {
      const response = await putRaw(account, ws, segmentsPath(path), bytes);
      const entry = (await response.json()) as FileEntryBody;
      expect(response.status, path).toBe(201);
      const sha = await sha256Hex(bytes);
      expect(entry).toMatchObject({ path, kind: "file", size: bytes.byteLength, etag: sha });
      expect(entry.name).toBe(path.split("/").at(-1));
      expect(entry.author).toBe(account.keyId);
      expect(response.headers.get("etag")).toBe(`"${sha}"`);
      total += bytes.byteLength;

      const got = await getRaw(account, ws, path);
      expect(got.status).toBe(200);
      expect(got.headers.get("etag")).toBe(`"${sha}"`);
      expect(got.headers.get("content-length")).toBe(String(bytes.byteLength));
      const back = new Uint8Array(await got.arrayBuffer());
      expect(back.byteLength).toBe(bytes.byteLength);
      expect(await sha256Hex(back)).toBe(sha);
      expect(Buffer.from(back).equals(Buffer.from(bytes)), path).toBe(true);

      const head = await getRaw(account, ws, path, {}, "HEAD");
      expect(head.status).toBe(200);
      expect(head.headers.get("etag")).toBe(`"${sha}"`);
      expect(head.headers.get("content-length")).toBe(String(bytes.byteLength));
      expect((await head.arrayBuffer()).byteLength).toBe(0);
    }
    expect((await getRaw(account, ws, "doc/notes.md")).headers.get("content-type")).toMatch(
      /^text\/markdown/,
    );
    expect((await metadataOf(account, ws)).body).toMatchObject({
      files: bodies.length,
      bytes: total,
    });
    expect(await r2Keys(ws)).toHaveLength(bodies.length);
    await expectNoOrphans(ws);
  });

  it("refuses a body that does not match Content-Length and keeps nothing", async () => {
    const ws = await newWorkspace();
    const response = await putRaw(account, ws, "short.txt", "abc", { "content-length": "10" });
    const text = await response.text();
    expect(response.status, text).toBe(400);
    expect((await getRaw(account, ws, "short.txt")).status).toBe(404);
    await expectNoOrphans(ws);
  });

  it("POST …/files?path= creates, and answers 409 for an existing file", async () => {
    const ws = await newWorkspace();
    const post = (body: string) =>
      api<FileEntryBody>("POST", `/v1/workspaces/${ws}/files?path=new%2Ffile.json`, {
        key: account.key,
        body,
        headers: {
          "content-type": "application/octet-stream",
          "content-length": String(body.length),
        },
      });
    const created = await post('{"a":1}');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ path: "new/file.json", size: 7 });
    expect((await post('{"b":2}')).status).toBe(409);
    expect(decode(await getBytes(account, ws, "new/file.json"))).toBe('{"a":1}');
    expect((await getRaw(account, ws, "new/file.json")).headers.get("content-type")).toMatch(
      /^application\/json/,
    );
    await expectNoOrphans(ws);
  });
});

describe("conditional requests", () => {
  it("If-None-Match: * and If-Match guard writes; If-None-Match on GET is a 304", async () => {
    const ws = await newWorkspace();
    const v1 = await putFile(account, ws, "c.txt", "version 1");

    const createOnly = await putRaw(account, ws, "c.txt", "clobber", { "if-none-match": "*" });
    expect(createOnly.status).toBe(412);
    await createOnly.text();

    const stale = await putRaw(account, ws, "c.txt", "clobber", { "if-match": '"deadbeef"' });
    expect(stale.status).toBe(412);
    await stale.text();

    const missing = await putRaw(account, ws, "nope.txt", "x", { "if-match": `"${v1.etag}"` });
    expect(missing.status).toBe(412);
    await missing.text();
    expect(decode(await getBytes(account, ws, "c.txt"))).toBe("version 1");

    const fresh = await putRaw(account, ws, "c.txt", "version 2", { "if-match": `"${v1.etag}"` });
    expect(fresh.status).toBe(200);
    const v2 = (await fresh.json()) as FileEntryBody;
    expect(v2.etag).not.toBe(v1.etag);
    expect(v2.created_at).toBe(v1.created_at);

    // The etag we overwrote is now stale.
    const again = await putRaw(account, ws, "c.txt", "version 3", { "if-match": `"${v1.etag}"` });
    expect(again.status).toBe(412);
    await again.text();

    const onlyNew = await putRaw(account, ws, "d.txt", "d", { "if-none-match": "*" });
    expect(onlyNew.status).toBe(201);
    await onlyNew.text();

    const cached = await getRaw(account, ws, "c.txt", { "if-none-match": `"${v2.etag}"` });
    expect(cached.status).toBe(304);
    expect(cached.headers.get("etag")).toBe(`"${v2.etag}"`);
    const listed = await getRaw(account, ws, "c.txt", {
      "if-none-match": `"other", W/"${v2.etag}"`,
    });
    expect(listed.status).toBe(304);
    const changed = await getRaw(account, ws, "c.txt", { "if-none-match": `"${v1.etag}"` });
    expect(changed.status).toBe(200);
    expect(decode(new Uint8Array(await changed.arrayBuffer()))).toBe("version 2");
    await expectNoOrphans(ws);
  });
});

describe("ranges", () => {
  it("answers 206 with Content-Range, clamps the end, and 416 beyond the size", async () => {
    const ws = await newWorkspace();
    const bytes = randomBytes(1000, 7);
    await putFile(account, ws, "r.bin", bytes);
    const cases: [string, number, number][] = [
      ["bytes=0-9", 0, 9],
      ["bytes=990-", 990, 999],
      ["bytes=-5", 995, 999],
      ["bytes=500-5000", 500, 999],
      ["bytes=999-999", 999, 999],
      ["bytes=-5000", 0, 999],
    ];
    for (const [range, start, end] of cases) {
      const response = await getRaw(account, ws, "r.bin", { range });
      expect(response.status, range).toBe(206);
      expect(response.headers.get("content-range"), range).toBe(`bytes ${start}-${end}/1000`);
      expect(response.headers.get("content-length"), range).toBe(String(end - start + 1));
      const part = new Uint8Array(await response.arrayBuffer());
      expect(Buffer.from(part).equals(Buffer.from(bytes.subarray(start, end + 1))), range).toBe(
        true,
      );
    }
    for (const range of ["bytes=1000-", "bytes=5000-6000", "bytes=-0"]) {
      const response = await getRaw(account, ws, "r.bin", { range });
      expect(response.status, range).toBe(416);
      expect(response.headers.get("content-range"), range).toBe("bytes */1000");
    }
    // A header we do not understand is ignored: the whole file.
    for (const range of ["items=0-1", "bytes=0-1,5-6", "bytes=9-3", "bytes=x"]) {
      const response = await getRaw(account, ws, "r.bin", { range });
      expect(response.status, range).toBe(200);
      expect((await response.arrayBuffer()).byteLength, range).toBe(1000);
    }
  });
});

describe("object lifecycle in R2", () => {
  it("an overwrite leaves no orphan object once the alarm has run", async () => {
    const ws = await newWorkspace();
    await putFile(account, ws, "o.txt", "one");
    const [first] = await r2Keys(ws);
    await putFile(account, ws, "o.txt", "two");
    await putFile(account, ws, "o.txt", "three");
    await runAlarm(ws);
    const keys = await r2Keys(ws);
    expect(keys).toHaveLength(1);
    expect(keys).not.toContain(first);
    expect(keys).toEqual(await indexedKeys(ws));
    expect(decode(await getBytes(account, ws, "o.txt"))).toBe("three");
    const pending = await doSql(
      ws,
      "SELECT count(*) AS n FROM object_deletions WHERE due_at <= ?",
      Date.now(),
    );
    expect(Number(pending[0]?.n)).toBe(0);
  });

  it("moving a directory of 1,000 files touches no R2 object; the files read back", async () => {
    const ws = await newWorkspace();
    const contents = new Map<string, string>();
    for (let i = 0; i < 1000; i++) {
      const rel = `${i % 4 === 0 ? "deep/er/" : ""}f${String(i).padStart(4, "0")}.txt`;
      contents.set(rel, `file ${i} ${"x".repeat(i % 97)}`);
    }
    await inBatches([...contents], ([rel, text]) => putFile(account, ws, `src/${rel}`, text));
    await putFile(account, ws, "lib/keep.txt", "keep");
    const before = await r2Keys(ws);
    expect(before).toHaveLength(1001);
    const head = await headId(ws);

    const moved = await move(ws, { from: "src", to: "lib/moved" });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body).toMatchObject({ path: "lib/moved", kind: "directory", name: "moved" });

    expect(await r2Keys(ws)).toEqual(before);
    await runAlarm(ws);
    expect(await r2Keys(ws)).toEqual(before);

    await inBatches([...contents], async ([rel, text]) => {
      expect(decode(await getBytes(account, ws, `lib/moved/${rel}`)), rel).toBe(text);
    });
    expect((await getRaw(account, ws, "src/f0001.txt")).status).toBe(404);
    const listing = await api<{ items: FileEntryBody[] }>(
      "GET",
      `/v1/workspaces/${ws}/directories?path=lib/moved/deep`,
      { key: account.key },
    );
    expect(listing.body.items.map((item) => item.path)).toEqual(["lib/moved/deep/er"]);
    const root = await api<{ items: FileEntryBody[] }>("GET", `/v1/workspaces/${ws}/directories`, {
      key: account.key,
    });
    expect(root.body.items.map((item) => item.path)).toEqual(["lib"]);

    // One event for the whole move: the directory, its subdirectories and its files.
    const events = await eventsOf(ws, head);
    expect(events.map((event) => event.type)).toEqual(["directory.moved"]);
    expect(events[0]?.data).toMatchObject({ from: "src", to: "lib/moved" });
    expect((await metadataOf(account, ws)).body).toMatchObject({ files: 1001 });
  }, 120_000);

  // SQLite's rowsWritten also counts index writes (609 for 203 moved rows): entries are counted.
  it("Should count in directory.moved the entries moved (itself included)", async () => {
    const ws = await newWorkspace();
    for (const path of ["m/a.txt", "m/b.txt", "m/sub/c.txt"]) await putFile(account, ws, path, "x");
    const head = await headId(ws);
    expect((await move(ws, { from: "m", to: "n" })).status).toBe(200);
    const [event] = await eventsOf(ws, head);
    expect(event?.data).toEqual({ from: "m", to: "n", entries: 5 });
  });

  it("move refusals: into itself 400, onto an existing path 409 unless overwrite", async () => {
    const ws = await newWorkspace();
    await putFile(account, ws, "a/x.txt", "x");
    await putFile(account, ws, "b.txt", "b");
    await putFile(account, ws, "c.txt", "c");
    expect((await move(ws, { from: "a", to: "a/inner" })).status).toBe(400);
    expect((await move(ws, { from: "a", to: "a" })).status).toBe(400);
    expect((await move(ws, { from: "a/x.txt", to: "a" })).status).toBe(400);
    expect((await move(ws, { from: "missing", to: "z" })).status).toBe(404);
    expect((await move(ws, { from: "b.txt", to: "c.txt" })).status).toBe(409);
    expect(decode(await getBytes(account, ws, "c.txt"))).toBe("c");

    const keysBefore = await r2Keys(ws);
    const over = await move(ws, { from: "b.txt", to: "c.txt", overwrite: true });
    expect(over.status).toBe(200);
    expect(over.body).toMatchObject({ path: "c.txt", size: 1 });
    expect(decode(await getBytes(account, ws, "c.txt"))).toBe("b");
    expect((await getRaw(account, ws, "b.txt")).status).toBe(404);
    await expectNoOrphans(ws);
    expect(await r2Keys(ws)).toHaveLength(keysBefore.length - 1);

    // A file moves into a new directory, created on the way.
    const file = await move(ws, { from: "c.txt", to: "new/dir/c.txt" });
    expect(file.status).toBe(200);
    expect(decode(await getBytes(account, ws, "new/dir/c.txt"))).toBe("b");
  });

  it("deleting a directory needs recursive=true; the alarm then removes its objects", async () => {
    const ws = await newWorkspace();
    for (let i = 0; i < 25; i++) await putFile(account, ws, `tree/${i % 3}/f${i}.bin`, `${i}`);
    await putFile(account, ws, "other.txt", "stay");
    expect(await r2Keys(ws)).toHaveLength(26);

    const refused = await del(ws, "tree");
    expect(refused.status).toBe(409);
    expect((await del(ws, "tree", "?recursive=false")).status).toBe(409);
    expect(await r2Keys(ws)).toHaveLength(26);

    const head = await headId(ws);
    expect((await del(ws, "tree", "?recursive=true")).status).toBe(204);
    const events = await eventsOf(ws, head);
    expect(events.map((event) => event.type)).toEqual(["directory.deleted"]);
    expect(events[0]?.data).toEqual({ path: "tree", entries: 29 });
    expect((await getRaw(account, ws, "tree/0/f0.bin")).status).toBe(404);
    expect((await del(ws, "tree", "?recursive=true")).status).toBe(404);

    await runAlarm(ws);
    const keys = await r2Keys(ws);
    expect(keys).toHaveLength(1);
    expect(keys).toEqual(await indexedKeys(ws));

    expect((await del(ws, "other.txt")).status).toBe(204);
    await runAlarm(ws);
    expect(await r2Keys(ws)).toEqual([]);
    expect((await metadataOf(account, ws)).body).toMatchObject({ files: 0, bytes: 0 });
  });
});

describe("pages of long paths", () => {
  it("pages through a directory whose entries have 1,000-byte paths by next_cursor", async () => {
    const ws = await newWorkspace();
    // Four segments of 240 bytes and a short name: each path is close to the 1,024-byte cap.
    const directory = Array.from({ length: 4 }, (_, i) => String(i).repeat(240)).join("/");
    const names = ["a.txt", "b.txt", "c.txt"];
    for (const name of names) await putFile(account, ws, `${directory}/${name}`, name);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query = `path=${encodeURIComponent(directory)}&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page: { status: number; body: { items: FileEntryBody[]; next_cursor: string | null } } =
        await api("GET", `/v1/workspaces/${ws}/directories?${query}`, { key: account.key });
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((item) => item.name));
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    expect(seen).toEqual(names);
  });
});

describe("events", () => {
  it("appends one event per change, in order, with the entries' data", async () => {
    const ws = await newWorkspace();
    const head = await headId(ws);
    const created = await putFile(account, ws, "a/b/one.txt", "1");
    const updated = await putFile(account, ws, "a/b/one.txt", "11");
    const mkdir = await api("POST", `/v1/workspaces/${ws}/directories?path=d/e`, {
      key: account.key,
    });
    expect(mkdir.status).toBe(201);
    const again = await api("POST", `/v1/workspaces/${ws}/directories?path=d/e`, {
      key: account.key,
    });
    expect(again.status).toBe(200);
    expect((await move(ws, { from: "a/b/one.txt", to: "d/e/one.txt" })).status).toBe(200);
    expect((await move(ws, { from: "d", to: "z" })).status).toBe(200);
    expect((await del(ws, "z/e/one.txt")).status).toBe(204);
    expect((await del(ws, "z", "?recursive=true")).status).toBe(204);
    // Refused changes append nothing.
    expect((await putRaw(account, ws, "a", "x")).status).toBe(409);
    expect((await del(ws, "a")).status).toBe(409);

    const events = await eventsOf(ws, head);
    expect(events.map((event) => [event.type, summary(event.data)])).toEqual([
      ["directory.created", "a"],
      ["directory.created", "a/b"],
      ["file.created", "a/b/one.txt"],
      ["file.updated", "a/b/one.txt"],
      ["directory.created", "d"],
      ["directory.created", "d/e"],
      ["file.moved", "a/b/one.txt→d/e/one.txt"],
      ["directory.moved", "d→z"],
      ["file.deleted", "z/e/one.txt"],
      ["directory.deleted", "z"],
    ]);
    expect(events[2]?.data.file).toEqual(created);
    expect(events[3]?.data.file).toEqual(updated);
    expect(events[9]?.data).toEqual({ path: "z", entries: 2 });
  });
});

const summary = (data: Record<string, unknown>) => {
  if (typeof data.from === "string") return `${data.from}→${data.to}`;
  const entry = (data.file ?? data.directory) as { path?: string } | undefined;
  return entry?.path ?? data.path;
};

describe("directories and search", () => {
  const FILES = [
    "README.md",
    ".env",
    ".github/workflows/ci.yml",
    "docs/guide.md",
    "docs/api/index.md",
    "docs/api/v1/.hidden.md",
    "src/index.ts",
    "src/app.tsx",
    "src/lib/util.ts",
    "src/lib/util.test.ts",
    "src/lib/deep/nested/x.ts",
    "src/lib/deep/nested/y.js",
    "test/a.test.ts",
    "test/fixtures/data.json",
    "weird name (1).txt",
    "ünïcödé/fïlé.md",
    "a-b_c.d/e.f.g",
    "star[1].ts",
  ];
  const ancestors = (path: string) => {
    const parts = path.split("/");
    return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join("/"));
  };
  const ALL = [...new Set([...FILES, ...FILES.flatMap(ancestors)])];
  const DIRS = new Set(FILES.flatMap(ancestors));
  let ws: string;

  beforeAll(async () => {
    ws = await newWorkspace();
    for (const path of FILES) await putFile(account, ws, path, `content of ${path}`);
    const mkdir = await api("POST", `/v1/workspaces/${ws}/directories?path=empty/dir`, {
      key: account.key,
    });
    expect(mkdir.status).toBe(201);
    ALL.push("empty", "empty/dir");
    DIRS.add("empty");
    DIRS.add("empty/dir");
  });

  async function searchAll(body: Record<string, unknown>) {
    const items: { path: string; kind: string }[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const response = await api<{
        items: { path: string; kind: string }[];
        next_cursor: string | null;
      }>("POST", `/v1/workspaces/${ws}/search/paths`, {
        key: account.key,
        body: { ...body, ...(cursor ? { cursor } : {}) },
      });
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      items.push(...response.body.items);
      if (!response.body.next_cursor) return items;
      cursor = response.body.next_cursor;
    }
    throw new Error("search never ended");
  }

  const GLOBS = [
    "**",
    "*",
    "**/*",
    "**/*.ts",
    "src/**/*.ts",
    "src/*.ts",
    "src/**",
    "**/*.{ts,tsx}",
    "**/*.test.ts",
    "docs/**/*.md",
    "**/.*",
    ".*/**",
    "*.md",
    "**/nested/*",
    "**/[a-c]*",
    "!**/*.ts",
    "**/*(1)*",
    "ünïcödé/*",
    "**/star\\[1\\].ts",
    "src/lib/**/x.ts",
    "test/**",
    "nothing/**",
  ];

  it.each(GLOBS)("search %s equals picomatch over the same paths, across pages", async (glob) => {
    const isMatch = picomatch(glob);
    const expected = ALL.filter((path) => isMatch(path)).sort();
    const found = await searchAll({ glob, limit: 3 });
    expect(found.map((item) => item.path)).toEqual(expected);
    for (const item of found) {
      expect(item.kind, item.path).toBe(DIRS.has(item.path) ? "directory" : "file");
      expect(Object.keys(item).sort()).toEqual(["kind", "path"]);
    }
    // One big page gives the same answer.
    expect((await searchAll({ glob, limit: 1000 })).map((item) => item.path)).toEqual(expected);
  });

  it("max_depth limits segments; stats: true returns full entries", async () => {
    const deep = await searchAll({ glob: "**", max_depth: 2, limit: 5 });
    const expected = ALL.filter((path) => picomatch.isMatch(path, "**"))
      .filter((path) => path.split("/").length <= 2)
      .sort();
    expect(deep.map((item) => item.path)).toEqual(expected);

    const withStats = (await searchAll({
      glob: "src/lib/*.ts",
      stats: true,
    })) as unknown as FileEntryBody[];
    expect(withStats.map((entry) => entry.path)).toEqual([
      "src/lib/util.test.ts",
      "src/lib/util.ts",
    ]);
    for (const entry of withStats) {
      expect(entry.size).toBe(`content of ${entry.path}`.length);
      expect(entry.etag).toBe(
        await sha256Hex(new TextEncoder().encode(`content of ${entry.path}`)),
      );
    }
  });

  it("lists a directory's children a page at a time, by name", async () => {
    const collect = async (path: string) => {
      const paths: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `path=${encodeURIComponent(path)}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
        const page = await api<{ items: FileEntryBody[]; next_cursor: string | null }>(
          "GET",
          `/v1/workspaces/${ws}/directories?${query}`,
          { key: account.key },
        );
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        paths.push(...page.body.items.map((item) => item.path));
        cursor = page.body.next_cursor;
      } while (cursor);
      return paths;
    };
    const childrenOf = (dir: string) =>
      ALL.filter((path) =>
        dir === ""
          ? !path.includes("/")
          : path.startsWith(`${dir}/`) && !path.slice(dir.length + 1).includes("/"),
      ).sort();
    for (const dir of ["", "src", "src/lib", "docs/api", "empty", "empty/dir"]) {
      expect(await collect(dir), dir).toEqual(childrenOf(dir));
    }
    const file = await api("GET", `/v1/workspaces/${ws}/directories?path=README.md`, {
      key: account.key,
    });
    expect(file.status).toBe(409);
    const missing = await api("GET", `/v1/workspaces/${ws}/directories?path=nope`, {
      key: account.key,
    });
    expect(missing.status).toBe(404);
    // A directory is not downloadable, and a file blocks a directory of its name.
    expect((await getRaw(account, ws, "src")).status).toBe(409);
    const blocked = await api("POST", `/v1/workspaces/${ws}/directories?path=README.md/x`, {
      key: account.key,
    });
    expect(blocked.status).toBe(409);
  });
});
