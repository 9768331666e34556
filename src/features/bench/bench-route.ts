import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../http/app-env";
import { ApiError } from "../../http/errors";
import { apiRoute } from "../../http/route";
import type { BodyKind } from "../../http/route-policy";

// The bench baselines' routes: no auth, not in the document, no Idempotency-Key, and they read
// what they need from the query by hand (openapiByHand); all behind the BENCH_ROUTES switch.

export const benchOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (c.env.BENCH_ROUTES !== "true") {
    throw new ApiError("not_found", `no route for ${c.req.method} ${c.req.path}`);
  }
  await next();
});

/** A bench route: public, hidden, behind the BENCH_ROUTES switch. */
export const benchRoute = (method: "get" | "post" | "put", path: string, body: BodyKind = "json") =>
  apiRoute({
    method,
    path,
    auth: "public",
    body,
    idempotent: false,
    hide: true,
    middleware: [benchOnly],
    responses: { 200: { description: "A benchmark baseline" } },
  });
