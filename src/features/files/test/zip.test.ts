import { createExecutionContext, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { unzipSync } from "fflate";
import { beforeAll, describe, expect, it } from "vitest";
import {
  api,
  createAccount,
  createWorkspace,
  dispatch,
  env,
  expectEnvelope,
  type TestAccount,
} from "../../../../test/helpers";
import worker from "../../../index";
import { doSql, workspaceStub } from "../../events/test/event-helpers";
import { FileIndex, type StoredObject } from "../file-index";
import { putFile, r2Keys, randomBytes, sha256Hex } from "./file-helpers";

// `GET …/directories/zip?path=` through the Worker: the ZIP is unzipped here and compared with
// what was uploaded, byte for byte and name for name; its Content-Length is exact; thousands of
// files all arrive; a file deleted while the ZIP streams is still read whole.

let account: TestAccount;
beforeAll(async () => {
  account = await createAccount("zip");
});

const newWorkspace = async () => (await createWorkspace(account)).id;
const zipRequest = (ws: string, path?: string) =>
  new Request(
    `https://api.test/v1/workspaces/${ws}/directories/zip${
      path === undefined ? "" : `?path=${encodeURIComponent(path)}`
    }`,
    { headers: { authorization: `Bearer ${account.key}` } },
  );

async function fetchZip(ws: string, path?: string) {
  const response = await dispatch(zipRequest(ws, path));
  const bytes = new Uint8Array(await response.arrayBuffer());
  return { response, bytes };
}

const mkdir = (ws: string, path: string) =>
  api("POST", `/v1/workspaces/${ws}/directories?path=${encodeURIComponent(path)}`, {
    key: account.key,
  });

/**
 * Many files at once, faster than thousands of uploads: the bytes straight into R2 (concurrently)
 * and the rows through the DO's own FileIndex, as a committed upload leaves them.
 */
async function seedFiles(ws: string, files: [string, Uint8Array][]) {
  const stored: [string, StoredObject][] = [];
  for (let start = 0; start < files.length; start += 100) {
    await Promise.all(
      files.slice(start, start + 100).map(async ([path, bytes], k) => {
        const objectKey = `ws/${ws}/o/seed_${start + k}`;
        await env.FILES.put(objectKey, bytes);
        const object = {
          objectKey,
          size: bytes.byteLength,
          sha256: await sha256Hex(bytes),
          contentType: "text/plain",
        };
        stored.push([path, object]);
      }),
    );
  }
  await runInDurableObject(workspaceStub(ws), (_instance, state) => {
    const index = new FileIndex(state.storage.sql);
    const context = { now: new Date().toISOString(), author: null, emit: () => 0 };
    for (const [path, object] of stored) index.putFile(path, object, context);
  });
}

/** Byte equality without vitest's element-by-element diffing (slow on large arrays). */
function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (!a || !b || a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The central directory's names and DOS modification times, read without fflate. */
function centralDirectory(zip: Uint8Array): { name: string; modified: Date }[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const eocd = zip.byteLength - 22;
  expect(view.getUint32(eocd, true)).toBe(0x06054b50);
  const count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  const entries: { name: string; modified: Date }[] = [];
  for (let i = 0; i < count; i++) {
    expect(view.getUint32(at, true)).toBe(0x02014b50);
    const time = view.getUint16(at + 12, true);
    const date = view.getUint16(at + 14, true);
    const nameLength = view.getUint16(at + 28, true);
    const extra = view.getUint16(at + 30, true);
    const comment = view.getUint16(at + 32, true);
    entries.push({
      name: new TextDecoder().decode(zip.subarray(at + 46, at + 46 + nameLength)),
      modified: new Date(
        (date >> 9) + 1980,
        ((date >> 5) & 15) - 1,
        date & 31,
        time >> 11,
        (time >> 5) & 63,
        (time & 31) * 2,
      ),
    });
    at += 46 + nameLength + extra + comment;
  }
  return entries;
}

describe("directory ZIP", () => {
  it("holds every file byte for byte, every directory (empty ones too), relative names", async () => {
    const ws = await newWorkspace();
    const files: Record<string, Uint8Array> = {
      "project/readme.md": new TextEncoder().encode("# Read me\n"),
      "project/src/main.ts": new TextEncoder().encode("console.log('hi');\n"),
      "project/src/lib/deep/nested/value.json": new TextEncoder().encode('{"a":1}'),
      "project/assets/blob.bin": randomBytes(300_000, 11),
      "project/assets/all-bytes.bin": Uint8Array.from({ length: 256 }, (_, i) => i),
      "project/naïve/日本語 ファイル.txt": new TextEncoder().encode("ユニコード"),
      "project/empty.txt": new Uint8Array(0),
      "elsewhere/not-in-it.txt": new TextEncoder().encode("outside"),
    };
    const entries: Record<string, { updated_at: string }> = {};
    for (const [path, bytes] of Object.entries(files)) {
      entries[path] = await putFile(account, ws, path, bytes);
    }
    expect((await mkdir(ws, "project/empty-dir/also-empty")).status).toBe(201);

    const { response, bytes } = await fetchZip(ws, "project");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/zip");
    expect(response.headers.get("content-length")).toBe(String(bytes.byteLength));
    expect(response.headers.get("content-disposition")).toBe(
      `attachment; filename="project.zip"; filename*=UTF-8''project.zip`,
    );
    const unzipped = unzipSync(bytes);
    const expectedFiles = Object.keys(files)
      .filter((path) => path.startsWith("project/"))
      .map((path) => path.slice("project/".length));
    const expectedDirs = [
      "src/",
      "src/lib/",
      "src/lib/deep/",
      "src/lib/deep/nested/",
      "assets/",
      "naïve/",
      "empty-dir/",
      "empty-dir/also-empty/",
    ];
    expect(Object.keys(unzipped).sort()).toEqual([...expectedFiles, ...expectedDirs].sort());
    for (const name of expectedFiles) {
      expect(sameBytes(unzipped[name], files[`project/${name}`]), name).toBe(true);
    }
    for (const name of expectedDirs) expect(unzipped[name]?.byteLength, name).toBe(0);
    // Modification times are the index's (DOS times: 2-second steps, the Worker's clock is UTC).
    for (const { name, modified } of centralDirectory(bytes)) {
      const entry = entries[`project/${name}`];
      if (!entry) continue;
      const indexed = new Date(entry.updated_at);
      const local = new Date(
        indexed.getUTCFullYear(),
        indexed.getUTCMonth(),
        indexed.getUTCDate(),
        indexed.getUTCHours(),
        indexed.getUTCMinutes(),
        indexed.getUTCSeconds() - (indexed.getUTCSeconds() % 2),
      );
      expect(modified.getTime(), name).toBe(local.getTime());
    }
  });

  it("zips the whole workspace when path is omitted or empty; an empty one is an empty ZIP", async () => {
    const ws = await newWorkspace();
    const empty = await fetchZip(ws);
    expect(empty.response.status).toBe(200);
    expect(Object.keys(unzipSync(empty.bytes))).toEqual([]);
    expect(empty.response.headers.get("content-length")).toBe(String(empty.bytes.byteLength));
    await putFile(account, ws, "top.txt", "top");
    await putFile(account, ws, "a/b.txt", "b");
    for (const path of [undefined, "", "/"]) {
      const { response, bytes } = await fetchZip(ws, path);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-disposition")).toContain(`filename="${ws}.zip"`);
      const unzipped = unzipSync(bytes);
      expect(Object.keys(unzipped).sort()).toEqual(["a/", "a/b.txt", "top.txt"]);
      expect(new TextDecoder().decode(unzipped["a/b.txt"])).toBe("b");
    }
  });

  it("streams 1,500 files, every one present and exact, Content-Length exact", async () => {
    const ws = await newWorkspace();
    const count = 1500;
    const content = (i: number) => `file ${i} ${"x".repeat(i % 97)}`;
    const pathOf = (i: number) => `many/group-${i % 15}/file-${String(i).padStart(4, "0")}.txt`;
    await seedFiles(
      ws,
      Array.from({ length: count }, (_, i) => [pathOf(i), new TextEncoder().encode(content(i))]),
    );
    // One uploaded the ordinary way beside them.
    await putFile(account, ws, "many/uploaded.txt", "by HTTP");
    const { response, bytes } = await fetchZip(ws, "many");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe(String(bytes.byteLength));
    const unzipped = unzipSync(bytes);
    const files = Object.keys(unzipped).filter((name) => !name.endsWith("/"));
    expect(files.length).toBe(count + 1);
    expect(Object.keys(unzipped).length).toBe(count + 1 + 15);
    for (let i = 0; i < count; i++) {
      const name = pathOf(i).slice("many/".length);
      expect(new TextDecoder().decode(unzipped[name]), name).toBe(content(i));
    }
    expect(new TextDecoder().decode(unzipped["uploaded.txt"])).toBe("by HTTP");
  }, 120_000);

  it("still reads a file deleted while the ZIP streams: deletions wait for the stream", async () => {
    const ws = await newWorkspace();
    const files = Array.from({ length: 24 }, (_, i) => randomBytes(128 * 1024, i + 1));
    for (const [i, bytes] of files.entries()) await putFile(account, ws, `big/f${i}.bin`, bytes);
    const before = await r2Keys(ws);
    // The response is in hand, its body not read yet: the listing is done, the bytes are not.
    const response = await worker.fetch(zipRequest(ws, "big"), env, createExecutionContext());
    expect(response.status).toBe(200);
    const deleted = await api("DELETE", `/v1/workspaces/${ws}/files/big?recursive=true`, {
      key: account.key,
    });
    expect(deleted.status).toBe(204);
    await runDurableObjectAlarm(workspaceStub(ws));
    // The objects are still in R2 (queued behind the hold), and the ZIP is whole.
    expect(await r2Keys(ws)).toEqual(before);
    const queued = await doSql(ws, "SELECT min(due_at) AS due FROM object_deletions");
    expect(Number(queued[0]?.due)).toBeGreaterThan(Date.now() + 5 * 60 * 1000);
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(response.headers.get("content-length")).toBe(String(bytes.byteLength));
    const unzipped = unzipSync(bytes);
    for (const [i, original] of files.entries()) {
      expect(sameBytes(unzipped[`f${i}.bin`], original), `f${i}.bin`).toBe(true);
    }
  });

  it("ends the body short, never a whole-looking ZIP, when an object cannot be read", async () => {
    const ws = await newWorkspace();
    await putFile(account, ws, "lost/a.txt", "first");
    await putFile(account, ws, "lost/b.txt", "second");
    // Gone from R2 behind the index's back (what no API call can do).
    const rows = await doSql(ws, "SELECT object_key FROM files WHERE path = 'lost/b.txt'");
    await env.FILES.delete(String(rows[0]?.object_key));
    const response = await worker.fetch(zipRequest(ws, "lost"), env, createExecutionContext());
    expect(response.status).toBe(200);
    const length = Number(response.headers.get("content-length"));
    const read = await response.arrayBuffer().then(
      (body) => body.byteLength,
      () => -1,
    );
    expect(read).not.toBe(length);
  });

  it("answers 404 for a missing directory, 409 for a file, 400 for a bad path", async () => {
    const ws = await newWorkspace();
    await putFile(account, ws, "docs/file.txt", "text");
    const missing = await fetchZip(ws, "nope");
    expect(missing.response.status).toBe(404);
    const file = await fetchZip(ws, "docs/file.txt");
    expect(file.response.status).toBe(409);
    const body = JSON.parse(new TextDecoder().decode(file.bytes));
    expect(expectEnvelope(body).code).toBe("conflict");
    for (const bad of ["../etc", "a//b", "a\\b"]) {
      expect((await fetchZip(ws, bad)).response.status, bad).toBe(400);
    }
  });

  it("is not reachable from another account", async () => {
    const ws = await newWorkspace();
    await putFile(account, ws, "secret/s.txt", "secret");
    const other = await createAccount("zip other");
    const response = await dispatch(
      new Request(`https://api.test/v1/workspaces/${ws}/directories/zip?path=secret`, {
        headers: { authorization: `Bearer ${other.key}` },
      }),
    );
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain("secret/s.txt");
  });
});
