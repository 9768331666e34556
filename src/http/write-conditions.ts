import type { Context } from "hono";
import type { AppEnv } from "./app-env";
import type { WriteConditions } from "./etag";

/** A write's `If-Match` / `If-None-Match`, as the DO checks them (workspace/etag.ts). */
export function conditionsOf(c: Context<AppEnv>): WriteConditions {
  return {
    ifMatch: c.req.header("if-match") ?? null,
    ifNoneMatch: c.req.header("if-none-match") ?? null,
  };
}
