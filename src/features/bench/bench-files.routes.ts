import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../http/app-env";
import { openapiByHand } from "../../http/by-hand-route";
import { ApiError } from "../../http/errors";
import type { Caller } from "../../kernel/caller";
import { workspaceApi } from "../../kernel/workspace-client";
import { contentTypeFor } from "../files/content-types";
import { newObjectKey } from "../files/object-store";
import { normalizeDirectory, normalizePath } from "../files/paths";
import { benchRoute } from "./bench-route";

// The files benchmark's baselines and seeding, under `/__bench` (mounted only with
// BENCH_ROUTES=true, behind benchRoute's switch). Not part of the API: no auth, the
// account comes in the query like the other bench routes.

const PREFIX = "/__bench/r2/";
/** A naive store's copy+delete runs at most this many objects at once. */
const COPY_CONCURRENCY = 6;
const SEED_CONCURRENCY = 6;
const MAX_SEED_BATCH = 1000;
const MAX_SEED_SIZE = 64 * 1024 * 1024;

const benchCaller = (c: Context<AppEnv>): Caller => ({
  accountId: c.req.query("account") ?? "",
  actor: null,
});

function intQuery(c: Context<AppEnv>, name: string, fallback: number, min: number, max: number) {
  const raw = c.req.query(name);
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ApiError("invalid_request", `${name} must be an integer in [${min}, ${max}]`);
  }
  return value;
}

/** Runs `task` over `items`, at most `limit` at a time; rejects on the first failure. */
async function forEachLimited<T>(items: T[], limit: number, task: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Random bytes (incompressible, like most files worth zipping), 64 KiB at a time. */
function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += 65536) {
    crypto.getRandomValues(bytes.subarray(offset, Math.min(offset + 65536, size)));
  }
  return bytes;
}

const toHex = (buffer: ArrayBuffer) =>
  Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");

export function registerBenchFileRoutes(app: OpenAPIHono<AppEnv>) {
  /** The bare baseline of a download: one R2 object streamed back, nothing else. */
  openapiByHand(app, benchRoute("get", `${PREFIX}*`), async (c) => {
    const object = await c.env.FILES.get(c.req.path.slice(PREFIX.length));
    if (!object) throw new ApiError("not_found", "no such object");
    return new Response(object.body, { headers: { "content-length": String(object.size) } });
  });

  /**
   * The bare baseline of an upload's memory: the body (with its Content-Length) streamed into
   * one R2 object, with no index, hash or checks.
   */
  openapiByHand(app, benchRoute("put", `${PREFIX}*`, "upload"), async (c) => {
    const size = Number(c.req.header("content-length"));
    if (!c.req.raw.body || !Number.isInteger(size)) {
      throw new ApiError("invalid_request", "send a body with a Content-Length");
    }
    const fixed = new FixedLengthStream(size);
    const [object] = await Promise.all([
      c.env.FILES.put(c.req.path.slice(PREFIX.length), fixed.readable),
      c.req.raw.body.pipeTo(fixed.writable),
    ]);
    return c.json({ size: object?.size ?? null });
  });

  /** The R2 key a file's index row names, so the bare route can read the same object. */
  openapiByHand(app, benchRoute("get", "/__bench/workspaces/{workspace}/object-key"), async (c) => {
    const path = normalizePath(c.req.query("path") ?? "");
    const row = await workspaceApi(
      c.env,
      c.req.param("workspace") ?? "",
      benchCaller(c),
    ).files.stat(path);
    return c.json({ object_key: row.objectKey });
  });

  /**
   * Seeds `count` files of `size` random bytes at `dir`/f<start…>.bin: the objects are put in
   * R2 here, then indexed by the DO's own putFile in one commit (file.created events and all).
   */
  openapiByHand(
    app,
    benchRoute("post", "/__bench/workspaces/{workspace}/seed-files"),
    async (c) => {
      const ws = c.req.param("workspace") ?? "";
      const dir = normalizeDirectory(c.req.query("dir"));
      const start = intQuery(c, "start", 0, 0, 1_000_000);
      const count = intQuery(c, "count", 1, 1, MAX_SEED_BATCH);
      const size = intQuery(c, "size", 1024, 0, MAX_SEED_SIZE);
      const indexes = Array.from({ length: count }, (_, i) => start + i);
      const objects: Array<{
        path: string;
        objectKey: string;
        size: number;
        sha256: string;
        contentType: string;
      }> = [];
      await forEachLimited(indexes, SEED_CONCURRENCY, async (index) => {
        const path = normalizePath(`${dir ? `${dir}/` : ""}f${String(index).padStart(6, "0")}.bin`);
        const bytes = randomBytes(size);
        const objectKey = newObjectKey(ws);
        const contentType = contentTypeFor(path);
        await c.env.FILES.put(objectKey, bytes, { httpMetadata: { contentType } });
        const sha256 = toHex(await crypto.subtle.digest("SHA-256", bytes));
        objects.push({ path, objectKey, size, sha256, contentType });
      });
      const result = await workspaceApi(c.env, ws, benchCaller(c)).files.benchSeed(objects);
      return c.json(result);
    },
  );

  /**
   * The baseline of a directory move: what a store keyed by path would do for the same objects,
   * i.e. read each one, write it under a new key and delete the old, 6 at a time. The index is
   * not updated (its rows then name deleted objects): this is a measurement, on a throwaway
   * workspace, not a feature.
   */
  openapiByHand(
    app,
    benchRoute("post", "/__bench/workspaces/{workspace}/copy-delete"),
    async (c) => {
      const ws = c.req.param("workspace") ?? "";
      const started = Date.now();
      const keys = await workspaceApi(c.env, ws, benchCaller(c)).files.benchObjectKeys(
        normalizeDirectory(c.req.query("path")),
      );
      await forEachLimited(keys, COPY_CONCURRENCY, async (key) => {
        const object = await c.env.FILES.get(key);
        if (!object) throw new ApiError("internal", `object ${key} is missing`);
        await c.env.FILES.put(newObjectKey(ws), await object.arrayBuffer(), {
          httpMetadata: object.httpMetadata,
        });
        await c.env.FILES.delete(key);
      });
      return c.json({ objects: keys.length, duration_ms: Date.now() - started });
    },
  );
}
