import type { Context, Env } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError } from "./errors";

// Etags in one place: the ETag header a JSON answer carries, the conditional headers a request
// sends (If-Match, If-None-Match), and the checks against the current etag.

/** The ETag header value for an etag string. */
export const quoteEtag = (etag: string) => `"${etag}"`;

/** The tags an If-Match / If-None-Match header lists, unquoted, weakness dropped. */
export const etagList = (header: string) =>
  header.split(",").map((tag) =>
    tag
      .trim()
      .replace(/^W\//, "")
      .replace(/^"(.*)"$/, "$1"),
  );

/**
 * Checks an If-Match header against the current etag: absent passes, `*` passes, otherwise one
 * of the listed (quoted, possibly weak) tags must equal it, or the write is refused with 412.
 */
export function assertIfMatch(ifMatch: string | null | undefined, current: string): void {
  if (ifMatch == null || ifMatch.trim() === "*") return;
  if (etagList(ifMatch).includes(current)) return;
  throw new ApiError("precondition_failed", "If-Match does not match the current etag", {
    details: { current_etag: current },
  });
}

/** A write's conditional headers: `If-Match` (the etag you read), `If-None-Match` (`*`: create only). */
export interface WriteConditions {
  ifMatch: string | null;
  ifNoneMatch: string | null;
}

/** A request's `If-Match` / `If-None-Match`, as the DO checks them (assertWriteConditions). */
export function conditionsOf(c: Context): WriteConditions {
  return {
    ifMatch: c.req.header("if-match") ?? null,
    ifNoneMatch: c.req.header("if-none-match") ?? null,
  };
}

/**
 * Answers `body` as JSON with its etag (the body's own unless given) in the `ETag` header, the
 * tag a later `If-Match` or `If-None-Match` names; a null etag sends no header.
 */
export function jsonWithEtag<
  E extends Env,
  T extends { etag: string | null },
  S extends ContentfulStatusCode,
>(c: Context<E>, body: T, status: S, etag: string | null = body.etag) {
  if (etag !== null) c.header("ETag", quoteEtag(etag));
  return c.json(body, status);
}

/**
 * A write's preconditions against what is there now (`null`: nothing yet). `If-None-Match`
 * (`*`, or the current etag) refuses to replace; `If-Match` needs the resource to exist with
 * that etag (`*`: to exist at all). 412 otherwise, with the current etag when there is one.
 */
export function assertWriteConditions(
  current: { etag: string | null } | null,
  conditions: WriteConditions,
  noun: string,
): void {
  if (!current?.etag) {
    if (conditions.ifMatch !== null) {
      throw new ApiError("precondition_failed", `If-Match given, but the ${noun} does not exist`);
    }
    return;
  }
  if (conditions.ifNoneMatch !== null) {
    const tags = etagList(conditions.ifNoneMatch);
    if (tags.includes("*") || tags.includes(current.etag)) {
      throw new ApiError("precondition_failed", `If-None-Match: the ${noun} exists`, {
        details: { current_etag: current.etag },
      });
    }
  }
  assertIfMatch(conditions.ifMatch, current.etag);
}

/** Whether a GET's `If-None-Match` names the current etag (answer 304). */
export function notModified(ifNoneMatch: string | null | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return etagList(ifNoneMatch).some((tag) => tag === "*" || tag === etag);
}
