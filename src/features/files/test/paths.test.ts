import { beforeAll, describe, expect, it } from "vitest";
import {
  api,
  createAccount,
  createWorkspace,
  expectEnvelope,
  type TestAccount,
} from "../../../../test/helpers";
import {
  encodePath,
  eventsOf,
  type FileEntryBody,
  getBytes,
  metadataOf,
  putFile,
  putRaw,
  r2Keys,
} from "./file-helpers";

// Paths are refused, never repaired: every hostile spelling is a 400 before any byte reaches R2
// or any row reaches the index, on every route that takes a path. And one name is one file:
// Unicode spellings that mean the same name (NFD and NFC) land on the same entry.

const long = (char: string, count: number) => char.repeat(count);

/** Each is refused by the server itself (encoded so the URL parser cannot resolve it first). */
const HOSTILE: readonly string[] = [
  // Traversal and dot segments, anywhere.
  "..",
  ".",
  "../x",
  "./x",
  "x/..",
  "x/.",
  "a/../b",
  "a/./b",
  "a/b/../../..",
  "../../etc/passwd",
  "/..",
  "/../x",
  "../",
  "./",
  "a/../../b/",
  // Empty paths and empty segments.
  "/",
  "//",
  "a//b",
  "//a",
  "a//",
  "a/b//c",
  // NUL, C0 and C1 control characters, DEL.
  "a\u0000b",
  "\u0000",
  "a\u0001",
  "tab\there",
  "new\nline",
  "carriage\rreturn",
  "esc\u001b[31mred",
  "del\u007f",
  "c1\u0085next",
  "c1\u009b",
  "dir\u0000/file",
  // Backslashes (a Windows separator, or an escape).
  "a\\b",
  "\\",
  "..\\..\\x",
  "C:\\Windows\\x",
  // Length limits: a 256-byte segment (ASCII and multi-byte), a 1025-byte path.
  long("s", 256),
  `dir/${long("s", 256)}`,
  long("é", 128),
  long("€", 86),
  Array.from({ length: 6 }, () => long("y", 170)).join("/"),
  `${long("p", 1000)}/${long("q", 24)}`,
];

/**
 * Paths a URL cannot carry to the file routes: the URL parser resolves `.` and `..` segments
 * (even as `%2E`) before any server sees them. Those requests never name a file (405 on the
 * collection), so they store nothing either; the query and JSON routes below refuse them with
 * a 400. (Line breaks do reach the routes, and are a 400 like any control character.)
 */
const URL_UNREACHABLE = new Set([".", ".."]);

const expectUrlRefusal = (path: string, status: number, text: string) => {
  if (URL_UNREACHABLE.has(path)) expect([400, 404, 405], text).toContain(status);
  else expect(status, text).toBe(400);
};

const expectRefused = (response: { status: number; body: unknown }, label: string) => {
  expect(response.status, `${label}: ${JSON.stringify(response.body)}`).toBe(400);
  expect(expectEnvelope(response.body).code, label).toBe("invalid_request");
};

describe("hostile paths", () => {
  let account: TestAccount;
  let ws: string;

  beforeAll(async () => {
    account = await createAccount("paths");
    ws = (await createWorkspace(account)).id;
  });

  it("has a corpus of at least 30 distinct hostile paths", () => {
    expect(new Set(HOSTILE).size).toBe(HOSTILE.length);
    expect(HOSTILE.length).toBeGreaterThanOrEqual(30);
    expect(new TextEncoder().encode(HOSTILE.at(-1)).byteLength).toBe(1025);
    expect(new TextEncoder().encode(HOSTILE.at(-2)).byteLength).toBe(1025);
    expect(new TextEncoder().encode(long("é", 128)).byteLength).toBe(256);
  });

  it.each(
    HOSTILE.map((path) => [JSON.stringify(path), path] as const),
  )("PUT %s is refused and stores nothing", async (_label, path) => {
    const encoded = encodePath(path);
    const response = await putRaw(account, ws, encoded, "hostile bytes");
    const text = await response.text();
    expectUrlRefusal(path, response.status, text);
    if (!URL_UNREACHABLE.has(path)) {
      expect(expectEnvelope(JSON.parse(text)).code).toBe("invalid_request");
    }
    expect(await r2Keys(ws)).toEqual([]);
  });

  it("every other route that names a path refuses the same corpus", async () => {
    const rawResponse = async (method: string, url: string, body: string) => {
      const response = await api(method, url, {
        key: account.key,
        body,
        headers: {
          "content-type": "application/octet-stream",
          "content-length": String(body.length),
        },
      });
      return response;
    };
    for (const path of HOSTILE) {
      const label = JSON.stringify(path);
      const query = encodeURIComponent(path);
      expectRefused(
        await rawResponse("POST", `/v1/workspaces/${ws}/files?path=${query}`, "x"),
        `create ${label}`,
      );
      expectRefused(
        await api("POST", `/v1/workspaces/${ws}/directories?path=${query}`, { key: account.key }),
        `mkdir ${label}`,
      );
      expectRefused(
        await api("POST", `/v1/workspaces/${ws}/files/move`, {
          key: account.key,
          body: { from: "anything.txt", to: path },
        }),
        `move to ${label}`,
      );
      expectRefused(
        await api("POST", `/v1/workspaces/${ws}/files/move`, {
          key: account.key,
          body: { from: path, to: "anything.txt" },
        }),
        `move from ${label}`,
      );
      for (const method of ["GET", "HEAD", "DELETE"]) {
        const response = await api(method, `/v1/workspaces/${ws}/files/${encodePath(path)}`, {
          key: account.key,
        });
        expectUrlRefusal(path, response.status, `${method} ${label}`);
      }
    }
    // Nothing reached R2, the index or the log.
    expect(await r2Keys(ws)).toEqual([]);
    const listing = await api<{ items: unknown[] }>("GET", `/v1/workspaces/${ws}/directories`, {
      key: account.key,
    });
    expect(listing.body.items).toEqual([]);
    expect((await eventsOf(ws)).filter((event) => /^(file|directory)\./.test(event.type))).toEqual(
      [],
    );
    const meta = await metadataOf(account, ws);
    expect(meta.body).toMatchObject({ files: 0, bytes: 0 });
  });

  it("accepts the limits themselves: a 255-byte segment and a 1024-byte path", async () => {
    const fresh = (await createWorkspace(account)).id;
    const segment = `${long("é", 127)}x`; // 255 bytes
    const path = `${Array.from({ length: 5 }, () => long("z", 200)).join("/")}/${long("w", 19)}`;
    expect(new TextEncoder().encode(segment).byteLength).toBe(255);
    expect(new TextEncoder().encode(path).byteLength).toBe(1024);
    expect((await putFile(account, fresh, segment, "ok")).path).toBe(segment);
    expect((await putFile(account, fresh, path, "ok")).path).toBe(path);
    expect(await r2Keys(fresh)).toHaveLength(2);
  });
});

describe("Unicode normalization (NFC)", () => {
  it("NFD and NFC spellings name one file, stored and reported as NFC", async () => {
    const account = await createAccount("nfc");
    const ws = (await createWorkspace(account)).id;
    const nfd = "Cafe\u0301/re\u0301sume\u0301.txt";
    const nfc = nfd.normalize("NFC");
    expect(nfc).not.toBe(nfd);

    const first = await putRaw(account, ws, encodePath(nfd), "first");
    expect(first.status).toBe(201);
    const created = (await first.json()) as FileEntryBody;
    expect(created.path).toBe(nfc);
    expect(created.name).toBe("re\u0301sume\u0301.txt".normalize("NFC"));

    // The NFC spelling overwrites the same file (200, not a second 201).
    const second = await putRaw(account, ws, encodePath(nfc), "second");
    expect(second.status).toBe(200);
    await second.text();

    // Both spellings read the same bytes.
    expect(new TextDecoder().decode(await getBytes(account, ws, nfd))).toBe("second");
    expect(new TextDecoder().decode(await getBytes(account, ws, nfc))).toBe("second");

    // One entry in the index, in NFC; the directory too.
    const root = await api<{ items: FileEntryBody[] }>("GET", `/v1/workspaces/${ws}/directories`, {
      key: account.key,
    });
    expect(root.body.items.map((item) => item.path)).toEqual(["Caf\u00e9"]);
    const dir = await api<{ items: FileEntryBody[] }>(
      "GET",
      `/v1/workspaces/${ws}/directories?path=${encodeURIComponent("Cafe\u0301")}`,
      { key: account.key },
    );
    expect(dir.body.items.map((item) => item.path)).toEqual([nfc]);
    expect((await metadataOf(account, ws)).body).toMatchObject({ files: 1, bytes: 6 });

    // Create (POST) with the other spelling is a conflict; a move onto it needs overwrite.
    const create = await api("POST", `/v1/workspaces/${ws}/files?path=${encodeURIComponent(nfd)}`, {
      key: account.key,
      body: "x",
      headers: { "content-type": "application/octet-stream", "content-length": "1" },
    });
    expect(create.status).toBe(409);
    await putFile(account, ws, "other.txt", "o");
    const move = await api("POST", `/v1/workspaces/${ws}/files/move`, {
      key: account.key,
      body: { from: "other.txt", to: nfd },
    });
    expect(move.status).toBe(409);

    // Deleting by the NFD spelling removes the NFC file.
    const del = await api("DELETE", `/v1/workspaces/${ws}/files/${encodePath(nfd)}`, {
      key: account.key,
    });
    expect(del.status).toBe(204);
    expect(
      (await api("GET", `/v1/workspaces/${ws}/files/${encodePath(nfc)}`, { key: account.key }))
        .status,
    ).toBe(404);
  });
});
