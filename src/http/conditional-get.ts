import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./app-env";
import { conditionsOf, etagList, notModified } from "./etag";

/**
 * A GET declared `etag: true` that answers 200 with an `ETag` answers 304 instead when
 * `If-None-Match` names it (or is `*`): one place for every resource that carries an etag.
 * Routes that stream bytes (files, attachments) decide this themselves before opening the object.
 */
export const conditionalGet = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (c.req.method !== "GET" || c.res.status !== 200) return;
  const { ifNoneMatch } = conditionsOf(c);
  const etag = c.res.headers.get("etag");
  if (!ifNoneMatch || !etag) return;
  if (!notModified(ifNoneMatch, etagList(etag)[0] ?? "")) return;
  await c.res.body?.cancel();
  const headers = new Headers(c.res.headers);
  headers.delete("content-length");
  headers.delete("content-type");
  c.res = new Response(null, { status: 304, headers });
});
