import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../http/app-env";
import { ApiError } from "../../http/errors";
import { apiRoute } from "../../http/route";
import type { BodyKind } from "../../http/route-policy";

// The bench baselines' routes: not in the document, no Idempotency-Key, and they read what they
// need from the query by hand (openapiByHand); all behind the BENCH_ROUTES switch. Most are
// public (a baseline without auth); a baseline that must cost what the measured route costs in
// the Worker (the unstored thread stream) takes a key and its `{ws}`, as that route does.

export const benchOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (c.env.BENCH_ROUTES !== "true") {
    throw new ApiError("not_found", `no route for ${c.req.method} ${c.req.path}`);
  }
  await next();
});

/** A bench route: hidden, behind the BENCH_ROUTES switch, public unless `auth` says "key". */
export const benchRoute = (
  method: "get" | "post" | "put",
  path: string,
  body: BodyKind = "json",
  auth: "public" | "key" = "public",
) =>
  apiRoute({
    method,
    path,
    auth,
    body,
    idempotent: false,
    hide: true,
    middleware: [benchOnly],
    responses: { 200: { description: "A benchmark baseline" } },
  });
