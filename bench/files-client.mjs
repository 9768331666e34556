// The files benchmark's requests: uploads through the API, seeding and baselines through the
// bench-only routes (src/features/bench/bench-files.routes.ts).
import { randomFill } from "node:crypto";
import { promisify } from "node:util";

const randomFillAsync = promisify(randomFill);

/**
 * `size` random bytes, filled on libuv's thread pool. randomBytes(500 MiB) would hold Node's
 * event loop for seconds; meanwhile wrangler's proxy closes an idle keep-alive connection (5 s)
 * and the loop never sees its FIN, so the next fetch reuses the dead socket: `write EPIPE`.
 */
export const randomBody = (size) => randomFillAsync(Buffer.allocUnsafe(size));

/** The socket errors of a request written to a keep-alive connection the server had closed. */
const STALE_SOCKET = new Set(["EPIPE", "ECONNRESET", "UND_ERR_SOCKET"]);

/**
 * fetch, sent once more on a fresh connection when the pooled one turns out to be dead before
 * the answer: wrangler's proxy closes a connection idle for 5 s, and when that close crosses the
 * next request's first bytes (seen after a 500 MiB body took seconds to fill on a busy machine)
 * the write fails with EPIPE. Only for requests that may be repeated (a PUT replaces).
 */
export async function fetchRetryingStaleSocket(url, init) {
  try {
    return await fetch(url, init);
  } catch (error) {
    if (!STALE_SOCKET.has(error?.cause?.code)) throw error;
    return fetch(url, init);
  }
}

const SEED_BATCH = 500;
/**
 * One batch at a time: with two at once over keep-alive connections, wrangler dev's proxy now
 * and then answers 503 "Your worker restarted mid-request" (it lost its connection to the
 * Worker, which did not restart). A batch that got that 503 is sent again: its objects may be
 * in R2 already, unindexed (the index commit is its last step), and the benchmark's workspace
 * is thrown away.
 */
const SEED_CONCURRENCY = 1;
const SEED_ATTEMPTS = 3;

/** Throws with the status and body unless the response has one of the `expected` statuses. */
export async function expectStatus(res, expected, what) {
  if (expected.includes(res.status)) return res;
  throw new Error(`${what} answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
}

/** The files of one workspace, as the benchmark reaches them. */
export class FilesClient {
  constructor(baseUrl, { apiKey, accountId, workspaceId }) {
    this.baseUrl = baseUrl;
    this.auth = { authorization: `Bearer ${apiKey}` };
    this.accountId = accountId;
    this.workspaceId = workspaceId;
  }

  fileUrl(path) {
    return `${this.baseUrl}/v1/workspaces/${this.workspaceId}/files/${encodeURI(path)}`;
  }

  /** PUT …/files/{path} with `size` random bytes (fetch sends the Content-Length). */
  async upload(path, size) {
    const body = await randomBody(size);
    const res = await fetchRetryingStaleSocket(this.fileUrl(path), {
      method: "PUT",
      headers: { ...this.auth, "content-type": "application/octet-stream" },
      body,
    });
    await expectStatus(res, [200, 201], `PUT ${path} (${size} bytes)`);
    return res.json();
  }

  /** PUT /__bench/r2/{key}: the same bytes straight into R2 (the upload's bare baseline). */
  async bareUpload(key, size) {
    const res = await fetchRetryingStaleSocket(`${this.baseUrl}/__bench/r2/${key}`, {
      method: "PUT",
      body: await randomBody(size),
    });
    await expectStatus(res, [200], `bare PUT ${key} (${size} bytes)`);
  }

  benchUrl(route, query = {}) {
    const search = new URLSearchParams({ account: this.accountId, ...query });
    return `${this.baseUrl}/__bench/workspaces/${this.workspaceId}/${route}?${search}`;
  }

  async objectKey(path) {
    const res = await fetch(this.benchUrl("object-key", { path }));
    await expectStatus(res, [200], `object key of ${path}`);
    return (await res.json()).object_key;
  }

  /** `count` files of `size` bytes at `dir`/f000000.bin…, in batches, outside any timing. */
  async seedFiles(dir, count, size) {
    const starts = [];
    for (let start = 0; start < count; start += SEED_BATCH) starts.push(start);
    let next = 0;
    const worker = async () => {
      while (next < starts.length) {
        const start = starts[next++];
        const batch = Math.min(SEED_BATCH, count - start);
        const query = { dir, start: String(start), count: String(batch), size: String(size) };
        for (let attempt = 1; ; attempt++) {
          const res = await fetch(this.benchUrl("seed-files", query), { method: "POST" });
          if (res.status === 503 && attempt < SEED_ATTEMPTS) {
            console.log(`  seeding ${dir} from ${start}: 503, sending it again`);
            await res.body?.cancel();
            continue;
          }
          await expectStatus(res, [200], `seeding ${dir} from ${start}`);
          break;
        }
      }
    };
    await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
  }

  async move(from, to) {
    const res = await fetch(`${this.baseUrl}/v1/workspaces/${this.workspaceId}/files/move`, {
      method: "POST",
      headers: { ...this.auth, "content-type": "application/json" },
      body: JSON.stringify({ from, to }),
    });
    await expectStatus(res, [200], `move ${from} → ${to}`);
    return res.json();
  }

  /** The number of entries directly in `path` (at most 2: enough to tell empty from not). */
  async hasChildren(path) {
    const url = `${this.baseUrl}/v1/workspaces/${this.workspaceId}/directories?path=${encodeURIComponent(path)}&limit=2`;
    const res = await fetch(url, { headers: this.auth });
    if (res.status === 404) return false;
    await expectStatus(res, [200], `list ${path}`);
    return (await res.json()).items.length > 0;
  }

  async copyDelete(path) {
    const res = await fetch(this.benchUrl("copy-delete", { path }), { method: "POST" });
    await expectStatus(res, [200], `copy+delete of ${path}`);
    return res.json();
  }

  zipUrl(path) {
    return `${this.baseUrl}/v1/workspaces/${this.workspaceId}/directories/zip?path=${encodeURIComponent(path)}`;
  }
}
