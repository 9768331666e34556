import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { etagList } from "../workspace/etag";

/**
 * Any GET that answers 200 with an `ETag` answers 304 instead when `If-None-Match` names it
 * (or is `*`): one place for every resource that carries an etag. Routes that stream bytes
 * (files, attachments) decide this themselves before opening the object.
 */
export const conditionalGet = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (c.req.method !== "GET" || c.res.status !== 200) return;
  const ifNoneMatch = c.req.header("if-none-match");
  const etag = c.res.headers.get("etag");
  if (!ifNoneMatch || !etag) return;
  const current = etagList(etag)[0];
  if (!etagList(ifNoneMatch).some((tag) => tag === "*" || tag === current)) return;
  await c.res.body?.cancel();
  const headers = new Headers(c.res.headers);
  headers.delete("content-length");
  headers.delete("content-type");
  c.res = new Response(null, { status: 304, headers });
});
