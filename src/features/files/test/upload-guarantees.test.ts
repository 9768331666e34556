import { beforeAll, describe, expect, it } from "vitest";
import {
  api,
  createAccount,
  createWorkspace,
  dispatch,
  type TestAccount,
} from "../../../../test/helpers";
import {
  eventsOf,
  type FileEntryBody,
  fileUrl,
  getBytes,
  headId,
  metadataOf,
  putFile,
  r2Keys,
  randomBytes,
  runAlarm,
  sha256Hex,
} from "./file-helpers";

// What an upload promises beyond its bytes: the workspace quota is enforced before anything is
// stored (the body is not even read), and an Idempotency-Key makes a retried raw create return
// the first result — with the retried bytes checked, never buffered.

const MiB = 1024 * 1024;
const QUOTA = 32 * MiB; // vitest.config.ts

let account: TestAccount;
beforeAll(async () => {
  account = await createAccount("upload-guarantees");
});

const newWorkspace = async () => (await createWorkspace(account)).id;

/** A body that claims `size` bytes and produces them lazily, counting what was pulled. */
function lazyBody(size: number) {
  const pulled = { bytes: 0 };
  const chunk = new Uint8Array(64 * 1024);
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const left = size - pulled.bytes;
      if (left <= 0) return controller.close();
      const next = chunk.subarray(0, Math.min(chunk.byteLength, left));
      pulled.bytes += next.byteLength;
      controller.enqueue(next.slice());
    },
  });
  return { stream, pulled };
}

function putDeclared(ws: string, path: string, size: number) {
  const { stream, pulled } = lazyBody(size);
  const response = dispatch(
    new Request(fileUrl(ws, path), {
      method: "PUT",
      headers: { authorization: `Bearer ${account.key}`, "content-length": String(size) },
      body: stream,
    }),
  );
  return { response, pulled };
}

describe("workspace quota", () => {
  it("answers 413 quota_exceeded before reading the body or storing anything", async () => {
    const ws = await newWorkspace();
    await putFile(account, ws, "big/a.bin", randomBytes(20 * MiB, 7));
    const keys = await r2Keys(ws);
    const head = await headId(ws);

    const over = putDeclared(ws, "b.bin", 12 * MiB + 1);
    const refused = await over.response;
    const body = (await refused.json()) as {
      error: { code: string; details: Record<string, number> };
    };
    expect(refused.status).toBe(413);
    expect(body.error.code).toBe("quota_exceeded");
    expect(body.error.details).toEqual({
      used_bytes: 20 * MiB,
      quota_bytes: QUOTA,
      requested_bytes: 12 * MiB + 1,
    });
    // Refused from the Content-Length alone: at most the stream's first chunk was asked for.
    expect(over.pulled.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(await r2Keys(ws)).toEqual(keys);
    expect(await eventsOf(ws, head)).toEqual([]);
    expect(
      (await api("GET", `/v1/workspaces/${ws}/files/b.bin`, { key: account.key })).status,
    ).toBe(404);

    // The raw create route is held to the same quota.
    const created = await api("POST", `/v1/workspaces/${ws}/files?path=c.bin`, {
      key: account.key,
      body: "x".repeat(13 * MiB),
      headers: { "content-type": "application/octet-stream" },
    });
    expect(created.status).toBe(413);
    expect(await r2Keys(ws)).toEqual(keys);
  });

  it("counts what an overwrite frees, allows exactly the quota, and frees on delete", async () => {
    const ws = await newWorkspace();
    await putFile(account, ws, "a.bin", randomBytes(20 * MiB, 1));
    // Replacing 20 MiB with 30 MiB adds only 10: allowed.
    await putFile(account, ws, "a.bin", randomBytes(30 * MiB, 2));
    // Up to the quota exactly is allowed; one byte more is not.
    await putFile(account, ws, "b.bin", randomBytes(2 * MiB, 3));
    expect((await metadataOf(account, ws)).body).toMatchObject({ files: 2, bytes: QUOTA });
    const oneMore = putDeclared(ws, "c.bin", 1);
    expect((await oneMore.response).status).toBe(413);

    const deleted = await api("DELETE", `/v1/workspaces/${ws}/files/a.bin`, { key: account.key });
    expect(deleted.status).toBe(204);
    await putFile(account, ws, "c.bin", "now it fits");
    expect((await metadataOf(account, ws)).body).toMatchObject({
      files: 2,
      bytes: 2 * MiB + "now it fits".length,
    });
    expect(await runAlarm(ws)).toHaveLength(2);
  }, 60_000);
});

describe("Idempotency-Key on a raw create", () => {
  const post = (ws: string, path: string, bytes: Uint8Array, key: string) =>
    dispatch(
      new Request(`https://api.test/v1/workspaces/${ws}/files?path=${encodeURIComponent(path)}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${account.key}`,
          "content-type": "application/octet-stream",
          "content-length": String(bytes.byteLength),
          "idempotency-key": key,
        },
        body: bytes,
      }),
    );

  it("replays the first result for the same bytes; stores one object, one event", async () => {
    const ws = await newWorkspace();
    const bytes = randomBytes(300 * 1024, 11);
    const head = await headId(ws);
    const first = await post(ws, "data/once.bin", bytes, `once-${ws}`);
    const firstBody = (await first.json()) as FileEntryBody;
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();

    const retry = await post(ws, "data/once.bin", bytes, `once-${ws}`);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.headers.get("etag")).toBe(`"${await sha256Hex(bytes)}"`);
    expect(await retry.json()).toEqual(firstBody);

    expect(await r2Keys(ws)).toHaveLength(1);
    const created = (await eventsOf(ws, head)).filter((event) => event.type === "file.created");
    expect(created).toHaveLength(1);
  });

  it("refuses the same key with other bytes or another path (422); the file is unchanged", async () => {
    const ws = await newWorkspace();
    const bytes = randomBytes(4096, 5);
    expect((await post(ws, "k.bin", bytes, `k-${ws}`)).status).toBe(201);

    const otherBytes = randomBytes(4096, 6); // same length, same path: only the bytes differ
    const sameLength = await post(ws, "k.bin", otherBytes, `k-${ws}`);
    expect(sameLength.status).toBe(422);
    expect(((await sameLength.json()) as { error: { code: string } }).error.code).toBe(
      "unprocessable",
    );
    expect((await post(ws, "other.bin", bytes, `k-${ws}`)).status).toBe(422);

    expect(await sha256Hex(await getBytes(account, ws, "k.bin"))).toBe(await sha256Hex(bytes));
    expect(await r2Keys(ws)).toHaveLength(1);
  });
});

describe("Idempotency-Key on an attachment", () => {
  const attach = (ws: string, text: string, key: string) =>
    dispatch(
      new Request(`https://api.test/v1/workspaces/${ws}/attachments?name=note.txt`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${account.key}`,
          "content-type": "text/plain",
          "idempotency-key": key,
        },
        body: text,
      }),
    );

  it("replays the first attachment for the same bytes, refuses other bytes", async () => {
    const ws = await newWorkspace();
    const first = await attach(ws, "hello attachment", `att-${ws}`);
    const body = (await first.json()) as { name: string };
    expect(first.status).toBe(201);
    const retry = await attach(ws, "hello attachment", `att-${ws}`);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(((await retry.json()) as { name: string }).name).toBe(body.name);
    expect((await attach(ws, "other attachment", `att-${ws}`)).status).toBe(422);
    expect(await r2Keys(ws)).toHaveLength(1);
  });
});
