import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
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
import { doSql, workspaceStub } from "../../events/test/event-helpers";
import { PART_SIZE_MIN } from "../multipart-uploads";
import { workspaceQuotaBytes } from "../quota";
import {
  eventsOf,
  type FileEntryBody,
  getRaw,
  headId,
  indexedKeys,
  putFile,
  r2Keys,
  randomBytes,
  runAlarm,
} from "./file-helpers";

// Multipart uploads through the Worker into R2's multipart API: parts stream to R2, the DO
// records them and commits the assembled file like any upload. What must hold: the file is
// byte-exact, a failed or abandoned upload leaves nothing in R2 or the index, and an upload id is
// only ever usable in its own workspace, once.

const BASE = "https://api.test";
const MiB = 1024 * 1024;

let account: TestAccount;
let other: TestAccount;
beforeAll(async () => {
  [account, other] = await Promise.all([createAccount("multipart"), createAccount("other")]);
});

const newWorkspace = async () => (await createWorkspace(account)).id;
const uploadsUrl = (ws: string) => `/v1/workspaces/${ws}/uploads/multipart`;

interface Created {
  upload_id: string;
  path: string;
  part_size_min: number;
  expires_at: string;
}
interface Part {
  part_number: number;
  etag: string;
  size: number;
}

async function start(ws: string, body: Record<string, unknown>, key = account.key) {
  return api<Created>("POST", uploadsUrl(ws), { key, body });
}

async function started(ws: string, path: string, extra: Record<string, unknown> = {}) {
  const response = await start(ws, { path, ...extra });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

async function putPart(
  ws: string,
  uploadId: string,
  n: number | string,
  bytes: Uint8Array,
  key = account.key,
) {
  const response = await dispatch(
    new Request(`${BASE}${uploadsUrl(ws)}/${uploadId}/parts/${n}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${key}`, "content-length": String(bytes.byteLength) },
      body: bytes,
    }),
  );
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Part & { error?: unknown } };
}

async function uploadedPart(ws: string, uploadId: string, n: number, bytes: Uint8Array) {
  const response = await putPart(ws, uploadId, n, bytes);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
}

const complete = (
  ws: string,
  uploadId: string,
  parts: { part_number: number; etag: string }[],
  options: { key?: string; headers?: Record<string, string> } = {},
) =>
  api<FileEntryBody>("POST", `${uploadsUrl(ws)}/${uploadId}/complete`, {
    key: options.key ?? account.key,
    body: { parts },
    headers: options.headers,
  });

const abort = (ws: string, uploadId: string, key = account.key) =>
  api("DELETE", `${uploadsUrl(ws)}/${uploadId}`, { key });

const partList = (parts: Part[]) =>
  parts.map((part) => ({ part_number: part.part_number, etag: part.etag }));

/** The DO's scheduled alarm time, or null. */
const scheduledAlarm = (ws: string) =>
  runInDurableObject(workspaceStub(ws), (_instance, state) => state.storage.getAlarm());

const uploadRows = (ws: string) => doSql(ws, "SELECT * FROM multipart_uploads");

/** The R2 side of a recorded upload, to look at it behind the API's back. */
async function r2Upload(ws: string, uploadId: string) {
  const [row] = await doSql(
    ws,
    "SELECT object_key, r2_upload_id FROM multipart_uploads WHERE upload_id = ?",
    uploadId,
  );
  if (!row) throw new Error(`no upload ${uploadId}`);
  return env.FILES.resumeMultipartUpload(String(row.object_key), String(row.r2_upload_id));
}

/** A multipart upload R2 has dropped refuses new parts. */
async function expectGoneFromR2(upload: R2MultipartUpload) {
  await expect(upload.uploadPart(1, new Uint8Array(8))).rejects.toThrow(/does not exist/);
}

/** Three parts: two of 5 MiB and a tail, the smallest valid multi-part file. */
const threeParts = (seed: number) => [
  randomBytes(PART_SIZE_MIN, seed),
  randomBytes(PART_SIZE_MIN, seed + 1),
  randomBytes(123_457, seed + 2),
];

const concat = (chunks: Uint8Array[]) => {
  const out = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
};

/** Puts a file row of `size` bytes straight into the index: a workspace that is nearly full. */
async function ballast(ws: string, size: number) {
  const now = new Date().toISOString();
  await doSql(
    ws,
    `INSERT INTO files (path, parent, kind, object_key, size, sha256, content_type, created_at, updated_at)
     VALUES ('ballast.bin', '', 'file', NULL, ?, 'ballast', 'application/octet-stream', ?, ?)`,
    size,
    now,
    now,
  );
}

describe("a multipart upload", () => {
  it("assembles 2 × 5 MiB + a tail byte for byte, with R2's etag, events and parents", async () => {
    const ws = await newWorkspace();
    const created = await started(ws, "data/big/blob.bin", { size: 2 * PART_SIZE_MIN + 123_457 });
    expect(created.upload_id).toMatch(/^mpu_/);
    expect(created.path).toBe("data/big/blob.bin");
    expect(created.part_size_min).toBe(5 * MiB);
    const expiresIn = Date.parse(created.expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(23 * 3600_000);
    expect(expiresIn).toBeLessThanOrEqual(24 * 3600_000);

    const chunks = threeParts(7);
    // Sent out of order: the order is the part numbers', not the arrival's.
    const third = await uploadedPart(ws, created.upload_id, 3, chunks[2] as Uint8Array);
    const first = await uploadedPart(ws, created.upload_id, 1, chunks[0] as Uint8Array);
    const second = await uploadedPart(ws, created.upload_id, 2, chunks[1] as Uint8Array);
    expect(first).toMatchObject({ part_number: 1, size: PART_SIZE_MIN });
    expect(third).toMatchObject({ part_number: 3, size: 123_457 });
    // Nothing is visible before completion.
    expect((await getRaw(account, ws, "data/big/blob.bin")).status).toBe(404);
    expect(await r2Keys(ws)).toEqual([]);

    const before = await headId(ws);
    const done = await complete(ws, created.upload_id, partList([first, second, third]));
    expect(done.status, JSON.stringify(done.body)).toBe(201);
    const expected = concat(chunks);
    expect(done.body).toMatchObject({
      path: "data/big/blob.bin",
      kind: "file",
      size: expected.byteLength,
      author: account.keyId,
      content_type: "application/octet-stream",
    });
    // R2's multipart etag (md5 of the parts' md5s, "-3"); no SHA-256 is streamed for parts.
    expect(done.body.etag).toMatch(/^[0-9a-f]{32}-3$/);
    expect(done.headers.get("etag")).toBe(`"${done.body.etag}"`);

    const got = await getRaw(account, ws, "data/big/blob.bin");
    expect(got.status).toBe(200);
    expect(got.headers.get("content-length")).toBe(String(expected.byteLength));
    expect(got.headers.get("etag")).toBe(`"${done.body.etag}"`);
    const back = new Uint8Array(await got.arrayBuffer());
    expect(Buffer.from(back).equals(Buffer.from(expected))).toBe(true);
    // The etag works for conditional and ranged reads like any other.
    const cached = await getRaw(account, ws, "data/big/blob.bin", {
      "if-none-match": `"${done.body.etag}"`,
    });
    expect(cached.status).toBe(304);
    const edge = PART_SIZE_MIN - 2;
    const ranged = await getRaw(account, ws, "data/big/blob.bin", {
      range: `bytes=${edge}-${edge + 3}`,
    });
    expect(ranged.status).toBe(206);
    expect([...new Uint8Array(await ranged.arrayBuffer())]).toEqual([
      ...expected.subarray(edge, edge + 4),
    ]);

    const events = await eventsOf(ws, before);
    expect(events.map((event) => event.type)).toEqual([
      "directory.created",
      "directory.created",
      "file.created",
    ]);
    expect(events[2]?.data.file).toEqual(done.body);
    // The upload's records are gone; R2 holds exactly the one object the index names.
    expect(await uploadRows(ws)).toEqual([]);
    expect(await doSql(ws, "SELECT * FROM multipart_parts")).toEqual([]);
    expect(await r2Keys(ws)).toEqual(await indexedKeys(ws));
    expect((await indexedKeys(ws)).length).toBe(1);
    const metadata = await api<{ files: number; bytes: number }>(
      "GET",
      `/v1/workspaces/${ws}/metadata`,
      { key: account.key },
    );
    expect(metadata.body).toMatchObject({ files: 1, bytes: expected.byteLength });
  });

  it("overwrites an existing file, honours the conditions, and deletes the replaced object", async () => {
    const ws = await newWorkspace();
    const old = await putFile(account, ws, "f.bin", "old bytes");
    const created = await started(ws, "f.bin", { content_type: "Application/X-Thing" });
    const part = await uploadedPart(ws, created.upload_id, 1, randomBytes(1000, 3));
    // A single part may be any size: it is the last one.
    const refused = await complete(ws, created.upload_id, partList([part]), {
      headers: { "if-none-match": "*" },
    });
    expect(refused.status).toBe(412);
    const stale = await complete(ws, created.upload_id, partList([part]), {
      headers: { "if-match": '"not-the-etag"' },
    });
    expect(stale.status).toBe(412);
    // A refused precondition before assembly leaves the upload open for another try.
    const before = await headId(ws);
    const done = await complete(ws, created.upload_id, partList([part]), {
      headers: { "if-match": `"${old.etag}"` },
    });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.content_type).toBe("application/x-thing");
    expect(done.body.created_at).toBe(old.created_at);
    expect((await eventsOf(ws, before)).map((event) => event.type)).toEqual(["file.updated"]);
    const got = await getRaw(account, ws, "f.bin");
    expect(got.headers.get("content-type")).toBe("application/x-thing");
    expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.from(randomBytes(1000, 3)))).toBe(
      true,
    );
    const keys = await runAlarm(ws);
    expect(keys).toEqual(await indexedKeys(ws));
    expect(keys.length).toBe(1);
  });

  it("replaces a part sent again with the same number", async () => {
    const ws = await newWorkspace();
    const created = await started(ws, "again.bin");
    const firstTry = await uploadedPart(ws, created.upload_id, 1, randomBytes(500, 1));
    const secondTry = await uploadedPart(ws, created.upload_id, 1, randomBytes(300, 2));
    expect(secondTry.etag).not.toBe(firstTry.etag);
    const [row] = await uploadRows(ws);
    expect(row?.bytes_received).toBe(300);
    expect((await complete(ws, created.upload_id, partList([firstTry]))).status).toBe(409);
    const done = await complete(ws, created.upload_id, partList([secondTry]));
    expect(done.status).toBe(201);
    expect(done.body.size).toBe(300);
  });
});

describe("abort", () => {
  it("leaves nothing in R2: no object, and the multipart upload gone", async () => {
    const ws = await newWorkspace();
    const created = await started(ws, "gone.bin");
    await uploadedPart(ws, created.upload_id, 1, randomBytes(PART_SIZE_MIN, 5));
    await uploadedPart(ws, created.upload_id, 2, randomBytes(10, 6));
    const r2 = await r2Upload(ws, created.upload_id);

    const aborted = await abort(ws, created.upload_id);
    expect(aborted.status).toBe(204);
    await expectGoneFromR2(r2);
    expect(await uploadRows(ws)).toEqual([]);
    expect(await doSql(ws, "SELECT * FROM multipart_parts")).toEqual([]);
    expect(await r2Keys(ws)).toEqual([]);
    expect(await runAlarm(ws)).toEqual([]);
    expect((await getRaw(account, ws, "gone.bin")).status).toBe(404);

    // Whatever comes next for that id is a 404, and nothing is stored.
    expect((await abort(ws, created.upload_id)).status).toBe(404);
    expect((await putPart(ws, created.upload_id, 3, randomBytes(5))).status).toBe(404);
    expect((await complete(ws, created.upload_id, [{ part_number: 1, etag: "x" }])).status).toBe(
      404,
    );
    expect(await r2Keys(ws)).toEqual([]);
  });
});

describe("completion", () => {
  it("refuses a wrong part etag, a part never sent, or a bad order, and stores nothing", async () => {
    const ws = await newWorkspace();
    const created = await started(ws, "checked.bin");
    const chunks = threeParts(11);
    const parts = [];
    for (const [index, chunk] of chunks.entries()) {
      parts.push(await uploadedPart(ws, created.upload_id, index + 1, chunk));
    }
    const before = await headId(ws);
    const good = partList(parts);
    const cases: [number, { part_number: number; etag: string }[]][] = [
      [409, good.map((part, i) => (i === 1 ? { ...part, etag: "0".repeat(32) } : part))],
      [409, [...good, { part_number: 4, etag: "never-sent" }]],
      [400, [good[1], good[0], good[2]] as typeof good],
      [400, [good[0], good[0], good[1], good[2]] as typeof good],
    ];
    for (const [status, list] of cases) {
      const response = await complete(ws, created.upload_id, list);
      expect(response.status, JSON.stringify(list)).toBe(status);
      expectEnvelope(response.body);
    }
    // None of that used the upload up; any ascending choice of its parts makes a file.
    const mixed = await complete(ws, created.upload_id, [good[0], good[2]] as typeof good);
    expect(mixed.status).toBe(201);
    expect(mixed.body.size).toBe(PART_SIZE_MIN + 123_457);
    expect((await eventsOf(ws, before)).map((event) => event.type)).toEqual(["file.created"]);
  });

  it("keeps no index row and no object after a refused completion", async () => {
    const ws = await newWorkspace();
    const created = await started(ws, "never.bin");
    const small = await uploadedPart(ws, created.upload_id, 1, randomBytes(1000, 1));
    const tail = await uploadedPart(ws, created.upload_id, 2, randomBytes(1000, 2));
    const response = await complete(ws, created.upload_id, partList([small, tail]));
    expect(response.status).toBe(409);
    expect(expectEnvelope(response.body).message).toMatch(/at least 5242880 bytes/);
    expect(await indexedKeys(ws)).toEqual([]);
    expect(await r2Keys(ws)).toEqual([]);
    expect((await getRaw(account, ws, "never.bin")).status).toBe(404);
    expect(await uploadRows(ws)).toHaveLength(1);
  });

  it("commits once: a second completion is a 404, two at once commit one file", async () => {
    const ws = await newWorkspace();
    const created = await started(ws, "once.bin");
    const part = await uploadedPart(ws, created.upload_id, 1, randomBytes(2048, 9));
    const first = await complete(ws, created.upload_id, partList([part]));
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const before = await headId(ws);
    const second = await complete(ws, created.upload_id, partList([part]));
    expect(second.status).toBe(404);
    expect(await headId(ws)).toBe(before);

    const racing = await started(ws, "race.bin");
    const racePart = await uploadedPart(ws, racing.upload_id, 1, randomBytes(4096, 10));
    const answers = await Promise.all([
      complete(ws, racing.upload_id, partList([racePart])),
      complete(ws, racing.upload_id, partList([racePart])),
    ]);
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses[0]).toBe(201);
    expect([404, 409]).toContain(statuses[1]);
    const created2 = (await eventsOf(ws, before)).filter((event) => event.type === "file.created");
    expect(created2).toHaveLength(1);
    expect(await runAlarm(ws)).toEqual(await indexedKeys(ws));
  });
});

describe("isolation", () => {
  it("answers 404 to an upload id of another workspace or account, and leaves it intact", async () => {
    const ws = await newWorkspace();
    const sibling = await newWorkspace();
    const foreign = (await createWorkspace(other)).id;
    const created = await started(ws, "mine.bin");
    const part = await uploadedPart(ws, created.upload_id, 1, randomBytes(100, 1));
    for (const [where, key] of [
      [sibling, account.key],
      [foreign, other.key],
      [ws, other.key],
    ] as const) {
      expect((await putPart(where, created.upload_id, 1, randomBytes(10), key)).status).toBe(404);
      expect((await complete(where, created.upload_id, partList([part]), { key })).status).toBe(
        404,
      );
      expect((await abort(where, created.upload_id, key)).status).toBe(404);
    }
    const [row] = await uploadRows(ws);
    expect(row?.bytes_received).toBe(100);
    expect(await r2Keys(sibling)).toEqual([]);
    expect(await r2Keys(foreign)).toEqual([]);
    const done = await complete(ws, created.upload_id, partList([part]));
    expect(done.status).toBe(201);
    expect(done.body.size).toBe(100);
  });

  it("validates its input: part numbers 1–10,000, paths, ids", async () => {
    const ws = await newWorkspace();
    const created = await started(ws, "v.bin");
    for (const n of ["0", "10001", "x", "1.5"]) {
      expect((await putPart(ws, created.upload_id, n, randomBytes(4))).status, n).toBe(400);
    }
    expect((await putPart(ws, "mpu_nope", 1, randomBytes(4))).status).toBe(400);
    expect((await putPart(ws, `mpu_${"A".repeat(24)}`, 1, randomBytes(4))).status).toBe(404);
    for (const path of ["../x", "a//b", "a\u0000b"]) {
      expect((await start(ws, { path })).status, path).toBe(400);
    }
    await api("POST", `/v1/workspaces/${ws}/directories?path=dir`, { key: account.key });
    expect((await start(ws, { path: "dir" })).status).toBe(409);
    expect((await start(ws, { path: "x", size: -1 })).status).toBe(400);
    expect((await complete(ws, created.upload_id, [])).status).toBe(400);
    expect(await r2Keys(ws)).toEqual([]);
  });
});

describe("quota", () => {
  it("is checked at creation (declared size), at each part (running total) and at commit", async () => {
    const ws = await newWorkspace();
    const quota = workspaceQuotaBytes(env);
    const tooBig = await start(ws, { path: "huge.bin", size: quota + 1 });
    expect(tooBig.status).toBe(413);
    expect(expectEnvelope(tooBig.body).code).toBe("quota_exceeded");
    expect(await uploadRows(ws)).toEqual([]);

    // The workspace is nearly full: one 5 MiB part fits, a second does not.
    await ballast(ws, quota - PART_SIZE_MIN - MiB);
    const created = await started(ws, "fill.bin");
    const first = await uploadedPart(ws, created.upload_id, 1, randomBytes(PART_SIZE_MIN, 1));
    const over = await putPart(ws, created.upload_id, 2, randomBytes(PART_SIZE_MIN, 2));
    expect(over.status).toBe(413);
    expect(expectEnvelope(over.body).code).toBe("quota_exceeded");
    const [row] = await uploadRows(ws);
    expect(row?.bytes_received).toBe(PART_SIZE_MIN);
    expect(await doSql(ws, "SELECT part_number FROM multipart_parts")).toEqual([
      { part_number: 1 },
    ]);

    // It fills up meanwhile: the commit is refused too, with no index row and no object left.
    await doSql(ws, "UPDATE files SET size = size + ? WHERE path = 'ballast.bin'", 2 * MiB);
    const done = await complete(ws, created.upload_id, partList([first]));
    expect(done.status).toBe(413);
    expect(expectEnvelope(done.body).code).toBe("quota_exceeded");
    expect((await getRaw(account, ws, "fill.bin")).status).toBe(404);
    expect(await runAlarm(ws)).toEqual([]);
  });

  it("caps the parts at a declared size (413 too_large)", async () => {
    const ws = await newWorkspace();
    const created = await started(ws, "capped.bin", { size: 1000 });
    await uploadedPart(ws, created.upload_id, 1, randomBytes(600));
    const over = await putPart(ws, created.upload_id, 2, randomBytes(600));
    expect(over.status).toBe(413);
    expect(expectEnvelope(over.body).code).toBe("too_large");
    // Replacing a part counts its new size, not both.
    expect((await putPart(ws, created.upload_id, 1, randomBytes(1000))).status).toBe(200);
  });
});

describe("expiry", () => {
  it("aborts an abandoned upload from the DO alarm once it expires", async () => {
    const ws = await newWorkspace();
    const created = await started(ws, "abandoned.bin");
    const kept = await started(ws, "kept.bin");
    await uploadedPart(ws, created.upload_id, 1, randomBytes(PART_SIZE_MIN, 4));
    await uploadedPart(ws, kept.upload_id, 1, randomBytes(64, 5));
    const r2 = await r2Upload(ws, created.upload_id);
    await doSql(
      ws,
      "UPDATE multipart_uploads SET expires_at = ? WHERE upload_id = ?",
      Date.now() - 1,
      created.upload_id,
    );
    // Expired is gone for the API at once, before the sweep.
    expect((await putPart(ws, created.upload_id, 2, randomBytes(8))).status).toBe(404);

    // The alarm was set for the upload's original expiry; run it now.
    const alarm = await scheduledAlarm(ws);
    expect(alarm).not.toBeNull();
    await runDurableObjectAlarm(workspaceStub(ws));
    expect((await uploadRows(ws)).map((row) => row.upload_id)).toEqual([kept.upload_id]);
    await expectGoneFromR2(r2);
    expect(await r2Keys(ws)).toEqual([]);
    // The next alarm is set for the upload still open.
    const next = await scheduledAlarm(ws);
    expect(next).not.toBeNull();
    expect(next as number).toBeLessThanOrEqual(Date.parse(kept.expires_at));
    // The upload still open is untouched.
    const part = await uploadedPart(ws, kept.upload_id, 2, randomBytes(8, 6));
    expect(part.size).toBe(8);
  });
});
