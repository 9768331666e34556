import {
  createExecutionContext,
  runDurableObjectAlarm,
  waitOnExecutionContext,
} from "cloudflare:test";
import { PDFDocument } from "pdf-lib";
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
import { eventsOf, metadataOf, putRaw, r2Keys, randomBytes, sha256Hex } from "./file-helpers";

// Attachments through the Worker: every accepted type round-trips byte for byte with the type
// its content proves and an immutable Cache-Control; every body whose content is not what it
// claims (or not an accepted type at all) is a 415 that leaves nothing behind — no R2 object,
// no index row, no event.

const BASE = "https://api.test";
const IMMUTABLE = "public, max-age=31536000, immutable";
const ALLOWED = "PNG, JPEG, GIF, WebP, PDF, TXT, Markdown or CSV";

let account: TestAccount;
beforeAll(async () => {
  account = await createAccount("attachments");
});

const newWorkspace = async () => (await createWorkspace(account)).id;
const utf8 = (text: string) => new TextEncoder().encode(text);
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
};

interface AttachmentBody {
  name: string;
  original_name: string;
  content_type: string;
  size: number;
  etag: string;
  created_at: string;
  author: string | null;
}

const uploadUrl = (ws: string, name: string) =>
  `${BASE}/v1/workspaces/${ws}/attachments?name=${encodeURIComponent(name)}`;

/** POST …/attachments?name= with the raw body and its Content-Length, as a client sends it. */
function upload(
  ws: string,
  name: string,
  body: Uint8Array | string,
  headers: Record<string, string> = {},
  options: { env?: Env; key?: string } = {},
): Promise<Response> {
  const bytes = typeof body === "string" ? utf8(body) : body;
  const request = new Request(uploadUrl(ws, name), {
    method: "POST",
    headers: {
      authorization: `Bearer ${options.key ?? account.key}`,
      "content-length": String(bytes.byteLength),
      ...headers,
    },
    body: bytes,
  });
  return options.env ? dispatchWith(request, options.env) : dispatch(request);
}

/** The Worker with other bindings (the Worker reads ATTACHMENT_MAX_BYTES; the DO does not). */
async function dispatchWith(request: Request, bindings: Env): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, bindings, ctx);
  const body = await response.arrayBuffer();
  await waitOnExecutionContext(ctx);
  return new Response(body, response);
}

/** A body that arrives in the given chunks, so the peeked head ends where a test wants it. */
function chunked(parts: Uint8Array[]): ReadableStream<Uint8Array> {
  let index = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const part = parts[index++];
      if (part) controller.enqueue(part);
      else controller.close();
    },
  });
}

async function uploaded(
  ws: string,
  name: string,
  body: Uint8Array | string,
  headers: Record<string, string> = {},
) {
  const response = await upload(ws, name, body, headers);
  const text = await response.text();
  if (response.status !== 201) throw new Error(`upload ${name}: ${response.status} ${text}`);
  return { response, attachment: JSON.parse(text) as AttachmentBody };
}

const serve = (ws: string, name: string, headers: Record<string, string> = {}, key = account.key) =>
  dispatch(
    new Request(`${BASE}/v1/workspaces/${ws}/attachments/${encodeURIComponent(name)}`, {
      headers: { authorization: `Bearer ${key}`, ...headers },
    }),
  );

const list = (ws: string, query = "") =>
  api<{ items: AttachmentBody[]; next_cursor: string | null }>(
    "GET",
    `/v1/workspaces/${ws}/attachments${query}`,
    { key: account.key },
  );

/** Nothing of a refused upload remains: no object, no index row, no attachment event. */
async function expectNothingStored(ws: string) {
  expect(await r2Keys(ws)).toEqual([]);
  expect(await doSql(ws, "SELECT name FROM attachments")).toEqual([]);
  const types = (await eventsOf(ws)).map((event) => event.type);
  expect(types.filter((type) => type.startsWith("attachment."))).toEqual([]);
}

async function expect415(response: Response, label: string) {
  const text = await response.text();
  expect(response.status, `${label}: ${text}`).toBe(415);
  const error = expectEnvelope(JSON.parse(text));
  expect(error.code).toBe("unsupported_media_type");
  expect(error.message).toContain(ALLOWED);
}

// Real files of each type, made or copied here so their magic numbers are the real ones.
const PNG = fromBase64(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
);
const GIF = fromBase64("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");
const WEBP = fromBase64("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==");
const JPEG = concat(
  Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
  utf8("JFIF\0"),
  Uint8Array.from([0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]),
  randomBytes(300, 7),
  Uint8Array.from([0xff, 0xd9]),
);
const makePdf = async () => {
  const pdf = await PDFDocument.create();
  pdf.addPage([200, 200]).drawText("attachment");
  return pdf.save();
};
const EXE = concat(utf8("MZ"), Uint8Array.from([0x90, 0x00, 0x03, 0x00]), randomBytes(120, 3));
const HTML = "<!doctype html><html><body><script>alert(document.cookie)</script></body></html>";
const SVG = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';

describe("POST and GET …/attachments/{name}", () => {
  it("Should round-trip every accepted type byte for byte, typed by its content, immutable", async () => {
    const ws = await newWorkspace();
    const cases: [string, Uint8Array, string][] = [
      ["pixel.png", PNG, "image/png"],
      ["photo.JPEG", JPEG, "image/jpeg"],
      ["photo.jpg", JPEG, "image/jpeg"],
      ["anim.gif", GIF, "image/gif"],
      ["pic.webp", WEBP, "image/webp"],
      ["report.pdf", await makePdf(), "application/pdf"],
      ["notes.txt", utf8("hello\twörld\r\n€ and \f a form feed\n"), "text/plain; charset=utf-8"],
      ["README.md", utf8("# Title\n\n- an item\n"), "text/markdown; charset=utf-8"],
      ["data.csv", utf8('a,b\n1,"two, three"\n'), "text/csv; charset=utf-8"],
    ];
    for (const [name, bytes, type] of cases) {
      const { response, attachment } = await uploaded(ws, name, bytes);
      const sha = await sha256Hex(bytes);
      expect(attachment).toMatchObject({
        original_name: name,
        content_type: type,
        size: bytes.byteLength,
        etag: sha,
        author: account.keyId,
      });
      expect(attachment.name).toMatch(/^att_[0-9a-z]{26}-[A-Za-z0-9._-]+$/);
      expect(response.headers.get("location")).toBe(
        `/v1/workspaces/${ws}/attachments/${attachment.name}`,
      );

      const served = await serve(ws, attachment.name);
      expect(served.status, name).toBe(200);
      expect(served.headers.get("content-type")).toBe(type);
      expect(served.headers.get("content-length")).toBe(String(bytes.byteLength));
      expect(served.headers.get("etag")).toBe(`"${sha}"`);
      expect(served.headers.get("cache-control")).toBe(IMMUTABLE);
      expect(served.headers.get("x-content-type-options")).toBe("nosniff");
      expect(served.headers.get("content-disposition")).toBe(
        `inline; filename="${attachment.name}"`,
      );
      const back = new Uint8Array(await served.arrayBuffer());
      expect(Buffer.from(back).equals(Buffer.from(bytes)), name).toBe(true);

      const again = await serve(ws, attachment.name, { "if-none-match": `"${sha}"` });
      expect(again.status).toBe(304);
      expect(again.headers.get("cache-control")).toBe(IMMUTABLE);
    }
    // Every attachment is indexed, evented and stored exactly once.
    const rows = await doSql(ws, "SELECT object_key FROM attachments ORDER BY object_key");
    expect(rows).toHaveLength(cases.length);
    expect(await r2Keys(ws)).toEqual(rows.map((row) => String(row.object_key)).sort());
    const created = (await eventsOf(ws)).filter((event) => event.type === "attachment.created");
    expect(created).toHaveLength(cases.length);
    const meta = await metadataOf(account, ws);
    expect(meta.body).toMatchObject({
      files: 0,
      attachments: cases.length,
      attachment_bytes: cases.reduce((sum, [, bytes]) => sum + bytes.byteLength, 0),
    });
  });

  it("Should name attachments itself: unique, one safe URL segment, the proven extension", async () => {
    const ws = await newWorkspace();
    const first = (await uploaded(ws, "../../etc/Quarterly Report (final) é.PNG", PNG)).attachment;
    const second = (await uploaded(ws, "../../etc/Quarterly Report (final) é.PNG", PNG)).attachment;
    expect(first.name).toMatch(/^att_[0-9a-z]{26}-Quarterly-Report-final-e\.png$/);
    expect(second.name).not.toBe(first.name);
    expect(first.original_name).toBe("../../etc/Quarterly Report (final) é.PNG");
    // A name without an extension gets the one its content proves.
    const bare = (await uploaded(ws, "screenshot", PNG)).attachment;
    expect(bare.name).toMatch(/-screenshot\.png$/);
    const symbols = (await uploaded(ws, "%%%", PNG)).attachment;
    expect(symbols.name).toMatch(/-file\.png$/);
    // Text declared by its Content-Type alone.
    const typed = (await uploaded(ws, "notes", "plain", { "content-type": "text/markdown" }))
      .attachment;
    expect(typed).toMatchObject({ content_type: "text/markdown; charset=utf-8" });
    expect(typed.name).toMatch(/-notes\.md$/);
  });

  it("Should accept the right Content-Type and ignore the generic ones", async () => {
    const ws = await newWorkspace();
    for (const type of [
      "image/png",
      "IMAGE/PNG; foo=bar",
      "application/octet-stream",
      "application/x-www-form-urlencoded",
    ]) {
      const { attachment } = await uploaded(ws, "a.png", PNG, { "content-type": type });
      expect(attachment.content_type, type).toBe("image/png");
    }
    const md = await uploaded(ws, "notes.md", "# hi", { "content-type": "text/plain" });
    expect(md.attachment.content_type).toBe("text/markdown; charset=utf-8");
  });

  it("Should check text past the first chunk, with characters split across chunks", async () => {
    const ws = await newWorkspace();
    // 9,000 three-byte characters: the peeked head ends inside one of them.
    const text = utf8("€".repeat(9000));
    const parts = [text.slice(0, 8191), text.slice(8191, 20000), text.slice(20000)];
    const response = await dispatch(
      new Request(uploadUrl(ws, "euros.txt"), {
        method: "POST",
        headers: {
          authorization: `Bearer ${account.key}`,
          "content-length": String(text.byteLength),
        },
        body: chunked(parts),
      }),
    );
    expect(response.status, await response.clone().text()).toBe(201);
    const { name } = (await response.json()) as AttachmentBody;
    const back = new Uint8Array(await (await serve(ws, name)).arrayBuffer());
    expect(Buffer.from(back).equals(Buffer.from(text))).toBe(true);
  });

  it("Should accept a body sent without Content-Length (read first, up to 1 MiB)", async () => {
    const ws = await newWorkspace();
    const response = await dispatch(
      new Request(uploadUrl(ws, "small.csv"), {
        method: "POST",
        headers: { authorization: `Bearer ${account.key}` },
        body: chunked([utf8("a,b\n"), utf8("1,2\n")]),
      }),
    );
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({
      size: 8,
      content_type: "text/csv; charset=utf-8",
    });
  });
});

describe("refusals", () => {
  const lies: [string, string, Uint8Array | string, Record<string, string>?][] = [
    ["HTML named .png", "page.png", HTML],
    ["HTML as image/png", "page", HTML, { "content-type": "image/png" }],
    ["HTML named .html", "page.html", HTML],
    ["HTML as text/html", "page.txt", HTML, { "content-type": "text/html" }],
    ["JavaScript named .png", "x.png", "alert(1)"],
    ["JavaScript named .js", "x.js", "alert(1)"],
    ["SVG named .svg", "logo.svg", SVG],
    ["SVG named .png", "logo.png", SVG],
    ["SVG as image/svg+xml", "logo.txt", SVG, { "content-type": "image/svg+xml" }],
    ["an EXE named .png", "setup.png", EXE],
    ["an EXE as image/png", "setup", EXE, { "content-type": "image/png" }],
    ["an EXE named .txt", "setup.txt", EXE],
    ["an EXE named .exe", "setup.exe", EXE],
    ["a PNG named .pdf", "pixel.pdf", PNG],
    ["a PNG named .jpg as image/jpeg", "pixel.jpg", PNG, { "content-type": "image/jpeg" }],
    ["a PNG as image/jpeg", "pixel.png", PNG, { "content-type": "image/jpeg" }],
    ["a PNG named .txt", "pixel.txt", PNG],
    ["a GIF named .webp", "anim.webp", GIF],
    ["binary named .txt", "noise.txt", randomBytes(4096, 11)],
    ["binary named .csv", "noise.csv", Uint8Array.from([0x61, 0x2c, 0x00, 0x62])],
    ["text claiming image/png", "notes.txt", "just words", { "content-type": "image/png" }],
    ["text named .png", "notes.png", "just words"],
    ["text with no text type declared", "notes", "just words"],
    ["UTF-16 text named .txt", "wide.txt", Uint8Array.from([0xff, 0xfe, 0x68, 0x00, 0x69, 0x00])],
    ["text with an escape byte", "ansi.txt", "\u001b[31mred"],
    ["a PNG shorter than its magic", "cut.png", PNG.slice(0, 3)],
    ["a GIF shorter than its magic", "cut.gif", "GIF8"],
    [
      "a WebP shorter than its magic",
      "cut.webp",
      concat(utf8("RIFF"), new Uint8Array(4), utf8("WEB")),
    ],
    [
      "a RIFF that is not WebP",
      "sound.webp",
      concat(utf8("RIFF"), new Uint8Array(4), utf8("WAVE")),
    ],
    ["a PDF shorter than its magic", "cut.pdf", "%PDF"],
    ["a multipart form", "pixel.png", PNG, { "content-type": "multipart/form-data; boundary=x" }],
    ["JSON as application/json", "data.txt", '{"a":1}', { "content-type": "application/json" }],
  ];

  it.each(
    lies,
  )("Should refuse %s with 415 and store nothing", async (label, name, body, headers) => {
    const ws = await newWorkspace();
    await expect415(await upload(ws, name, body, headers), label);
    await expectNothingStored(ws);
    expect((await list(ws)).body.items).toEqual([]);
  });

  it("Should refuse text that turns binary or invalid after the first chunk, and store nothing", async () => {
    for (const tail of [
      Uint8Array.from([0x00]),
      Uint8Array.from([0xff, 0x41]),
      // A character cut off by the end of the body.
      Uint8Array.from([0xe2, 0x82]),
    ]) {
      const ws = await newWorkspace();
      const body = concat(utf8("x".repeat(20_000)), tail);
      const response = await dispatch(
        new Request(uploadUrl(ws, "long.txt"), {
          method: "POST",
          headers: {
            authorization: `Bearer ${account.key}`,
            "content-length": String(body.byteLength),
          },
          body: chunked([body.slice(0, 8192), body.slice(8192, 16384), body.slice(16384)]),
        }),
      );
      await expect415(response, `tail ${Array.from(tail)}`);
      await expectNothingStored(ws);
    }
  });

  it("Should refuse an empty body with 400", async () => {
    const ws = await newWorkspace();
    const response = await upload(ws, "empty.txt", new Uint8Array(0));
    expect(response.status).toBe(400);
    expect(expectEnvelope(await response.json()).message).toMatch(/empty/);
    await expectNothingStored(ws);
  });

  it("Should refuse a name that is empty, too long or holds control characters with 400", async () => {
    const ws = await newWorkspace();
    for (const name of ["   ", `${"a".repeat(252)}.png`, "a\u0000.png", "line\nbreak.png"]) {
      const response = await upload(ws, name, PNG);
      expect(response.status, JSON.stringify(name)).toBe(400);
    }
    const missing = await dispatch(
      new Request(`${BASE}/v1/workspaces/${ws}/attachments`, {
        method: "POST",
        headers: { authorization: `Bearer ${account.key}`, "content-length": "8" },
        body: PNG.slice(0, 8),
      }),
    );
    expect(missing.status).toBe(400);
    await expectNothingStored(ws);
  });

  it("Should answer 413 past ATTACHMENT_MAX_BYTES, before reading the body", async () => {
    const ws = await newWorkspace();
    const small = { ...env, ATTACHMENT_MAX_BYTES: "1024" } as Env;
    const over = concat(PNG, new Uint8Array(1025 - PNG.byteLength));
    const refused = await upload(ws, "big.png", over, {}, { env: small });
    expect(refused.status).toBe(413);
    expect(expectEnvelope(await refused.json())).toMatchObject({ code: "too_large" });
    // Without a Content-Length the size is only known once read: still refused.
    const unsized = await dispatchWith(
      new Request(uploadUrl(ws, "big.png"), {
        method: "POST",
        headers: { authorization: `Bearer ${account.key}` },
        body: chunked([over.slice(0, 600), over.slice(600)]),
      }),
      small,
    );
    expect(unsized.status).toBe(413);
    await expectNothingStored(ws);
    const fits = await upload(ws, "fits.png", over.slice(0, 1024), {}, { env: small });
    expect(fits.status).toBe(201);
    // The default cap (25 MiB) refuses a declared length over it without waiting for the bytes.
    const declared = await upload(ws, "huge.png", PNG, {
      "content-length": String(25 * 1024 ** 2 + 1),
    });
    expect(declared.status).toBe(413);
  });

  it("Should refuse a body shorter than its Content-Length and store nothing", async () => {
    const ws = await newWorkspace();
    const response = await upload(ws, "short.png", PNG, {
      "content-length": String(PNG.length + 10),
    });
    expect(response.status).toBe(400);
    await expectNothingStored(ws);
  });
});

describe("quota", () => {
  const QUOTA = Number(env.WORKSPACE_QUOTA_BYTES);
  /** Pretends the workspace's files already take `bytes` (no need to upload them for this). */
  const fillFiles = (ws: string, bytes: number) =>
    doSql(
      ws,
      `INSERT INTO files (path, parent, kind, object_key, size, sha256, content_type, created_at, updated_at)
       VALUES ('filler.bin', '', 'file', 'ws/none/o/filler', ?, 'x', 'application/octet-stream', '', '')`,
      bytes,
    );

  it("Should refuse an attachment over the workspace quota with 413 quota_exceeded", async () => {
    const ws = await newWorkspace();
    await fillFiles(ws, QUOTA - PNG.byteLength + 1);
    const response = await upload(ws, "pixel.png", PNG);
    expect(response.status).toBe(413);
    expect(expectEnvelope(await response.json()).code).toBe("quota_exceeded");
    await expectNothingStored(ws);
  });

  it("Should count attachments in the quota files use", async () => {
    const ws = await newWorkspace();
    await fillFiles(ws, QUOTA - PNG.byteLength - 5);
    await uploaded(ws, "pixel.png", PNG);
    const file = await putRaw(account, ws, "six.txt", "sixsix");
    expect(file.status).toBe(413);
    expect(expectEnvelope(await file.json()).code).toBe("quota_exceeded");
    expect((await putRaw(account, ws, "five.txt", "fivee")).status).toBe(201);
  });
});

describe("GET …/attachments", () => {
  it("Should list every attachment once, oldest first, a page at a time", async () => {
    const ws = await newWorkspace();
    const names: string[] = [];
    for (let i = 0; i < 7; i++) {
      names.push((await uploaded(ws, `n${i}.txt`, `note ${i}`)).attachment.name);
    }
    const seen: AttachmentBody[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=3${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await list(ws, query);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.items);
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.map((item) => item.name)).toEqual(names);
    expect(seen.map((item) => item.original_name)).toEqual(names.map((_, i) => `n${i}.txt`));
    expect((await list(ws, "?cursor=garbage")).status).toBe(400);
    expect((await list(ws)).body).toMatchObject({ next_cursor: null });
  });
});

describe("not found and other accounts", () => {
  it("Should answer 404 to an unknown name", async () => {
    const ws = await newWorkspace();
    await uploaded(ws, "pixel.png", PNG);
    for (const name of ["att_00000000000000000000000000-pixel.png", "pixel.png", "%2e%2e", "a b"]) {
      const response = await serve(ws, name);
      expect(response.status, name).toBe(404);
      expect(expectEnvelope(await response.json()).code).toBe("not_found");
    }
  });

  it("Should answer 404 to another account, by id and by slug, and never serve its bytes", async () => {
    const owner = await createWorkspace(account);
    const { attachment } = await uploaded(owner.id, "secret.txt", "secret words");
    const other = await createAccount("someone else");
    for (const ref of [owner.id, owner.slug]) {
      const served = await serve(ref, attachment.name, {}, other.key);
      expect(served.status).toBe(404);
      expect(await served.text()).not.toContain("secret words");
      const listed = await api("GET", `/v1/workspaces/${ref}/attachments`, { key: other.key });
      expect(listed.status).toBe(404);
      const posted = await upload(ref, "mine.txt", "hello", {}, { key: other.key });
      expect(posted.status).toBe(404);
      const deleted = await api("DELETE", `/v1/workspaces/${ref}/attachments/${attachment.name}`, {
        key: other.key,
      });
      expect(deleted.status).toBe(404);
    }
    expect((await list(owner.id)).body.items.map((item) => item.name)).toEqual([attachment.name]);
    expect((await serve(owner.id, attachment.name)).status).toBe(200);
  });

  it("Should answer 401 without a key, also to GET", async () => {
    const ws = await newWorkspace();
    const { attachment } = await uploaded(ws, "pixel.png", PNG);
    const response = await dispatch(
      new Request(`${BASE}/v1/workspaces/${ws}/attachments/${attachment.name}`),
    );
    expect(response.status).toBe(401);
  });
});

describe("DELETE …/attachments/{name}", () => {
  it("Should drop it from the index at once and its object from R2 by the alarm", async () => {
    const ws = await newWorkspace();
    const { attachment } = await uploaded(ws, "pixel.png", PNG);
    const kept = (await uploaded(ws, "keep.png", PNG)).attachment;
    expect(await r2Keys(ws)).toHaveLength(2);
    const response = await api("DELETE", `/v1/workspaces/${ws}/attachments/${attachment.name}`, {
      key: account.key,
    });
    expect(response.status).toBe(204);
    expect((await serve(ws, attachment.name)).status).toBe(404);
    expect((await list(ws)).body.items.map((item) => item.name)).toEqual([kept.name]);
    const events = await eventsOf(ws);
    expect(events.at(-1)).toMatchObject({
      type: "attachment.deleted",
      data: { name: attachment.name },
    });
    await runDurableObjectAlarm(workspaceStub(ws));
    const [row] = await doSql(ws, "SELECT object_key FROM attachments");
    expect(await r2Keys(ws)).toEqual([String(row?.object_key)]);
    const again = await api("DELETE", `/v1/workspaces/${ws}/attachments/${attachment.name}`, {
      key: account.key,
    });
    expect(again.status).toBe(404);
  });
});
